// fake_fs.hpp — an in-memory workspace serving the host's fs.* services (docs/fs-services.md)
// and session_data.*, with the requests, answers, statuses and messages of agenthost's
// in-memory file store, for testing a plugin's tools without a disk or a host:
//
//   ahp::fake::FakeHost host = ahp::fake::FakeHost::open_with_manifest("build/plugins/x.json");
//   host.use_memory_fs({{"a.txt", "hi\n"}});                 // fs.read, fs.write, fs.list, …
//   host.call_tool("read_file", {{"path", "a.txt"}});
//   host.memory_fs().read("a.txt");                           // what the tool wrote
//
// sha256 tags come from OpenSSL (link ahp::fake, or OpenSSL::Crypto). Differences from the host,
// on purpose: no .gitignore rules (".git" folders are skipped), grep patterns are std::regex
// ECMAScript rather than RE2, and no blocklist or approval gate (wrap a service with
// FakeHost::on_service to refuse writes). C++17.
#pragma once

#include <ahp/ahp.hpp>
#include <ahp/fake_store.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ahp {
inline namespace v1 {
namespace fake {

/// An in-memory workspace answering fs.read, fs.stat, fs.list, fs.glob, fs.grep, fs.write,
/// fs.delete (docs/fs-services.md) and session_data.write/read, whose files fs.read also reads
/// at "/@session/<name>". Thread-safe.
class MemoryFs {
public:
    using json_value = boost::json::value;
    /// The services it answers.
    static const std::vector<std::string>& services() {
        static const std::vector<std::string> kNames = {"fs.read",  "fs.stat",   "fs.list",           "fs.glob",
                                                        "fs.grep",  "fs.write",  "fs.delete",         "session_data.write",
                                                        "session_data.read"};
        return kNames;
    }

    MemoryFs() = default;
    /// Start with these files ({path, content}).
    MemoryFs(std::initializer_list<std::pair<const std::string, std::string>> files) {
        for (const auto& f : files) write(f.first, f.second);
    }

    /// Put a file into the workspace (folders are implied).
    void write(const std::string& path, const std::string& content) {
        std::lock_guard<std::mutex> l(mu_);
        ws_.files[fs_detail::normalize(path)] = {content, std::chrono::system_clock::now()};
    }
    /// A workspace file's content, or nullopt.
    std::optional<std::string> read(const std::string& path) const {
        std::lock_guard<std::mutex> l(mu_);
        auto it = ws_.files.find(fs_detail::normalize(path));
        return it == ws_.files.end() ? std::nullopt : std::optional<std::string>(it->second.content);
    }
    /// Remove a workspace file (as bash or the user might); true if it was there.
    bool erase(const std::string& path) {
        std::lock_guard<std::mutex> l(mu_);
        return ws_.files.erase(fs_detail::normalize(path)) > 0;
    }
    /// Make a file read-only: fs.write and fs.delete refuse it (AHP_DENIED).
    void set_read_only(const std::string& path) {
        std::lock_guard<std::mutex> l(mu_);
        ws_.read_only.insert(fs_detail::normalize(path));
    }
    /// Every workspace file, by normalized path.
    std::map<std::string, std::string> files() const {
        std::lock_guard<std::mutex> l(mu_);
        std::map<std::string, std::string> out;
        for (const auto& f : ws_.files) out.emplace(f.first, f.second.content);
        return out;
    }
    /// A file of the session's data folder (session_data.write), or nullopt.
    std::optional<std::string> session_data(const std::string& name) const {
        std::lock_guard<std::mutex> l(mu_);
        auto it = data_.files.find(name);
        return it == data_.files.end() ? std::nullopt : std::optional<std::string>(it->second.content);
    }

    /// Answer one service request as the host would; throws ahp::Error with the host's status.
    json_value handle(std::string_view service, const json_value& params) {
        namespace json = boost::json;
        std::lock_guard<std::mutex> l(mu_);
        if (service == "fs.read") {
            const std::string path = str(params, "path");
            const std::uint64_t offset = count(params, "offset").value_or(0);
            const auto lines = count(params, "limit"), max_bytes = count(params, "max_bytes");
            auto [store, where] = route(path);
            std::optional<std::string> data = store->read(where);
            if (!data) throw fs_detail::fail(AHP_NOT_FOUND, "no file '" + path + "' in the workspace");
            return read_range(*data, offset, lines, max_bytes);
        }
        if (service == "fs.stat") {
            auto [store, where] = route(str(params, "path"));
            const std::string p = fs_detail::normalize(where);
            if (auto it = store->files.find(p); it != store->files.end()) {
                return json::object{{"exists", true}, {"is_dir", false}, {"size", it->second.content.size()},
                                    {"read_only", store->read_only.count(p) > 0}, {"mtime", fs_detail::rfc3339(it->second.mtime)}};
            }
            const bool dir = store->is_dir(p);
            return json::object{{"exists", dir}, {"is_dir", dir}, {"size", 0}, {"read_only", false},
                                {"mtime", dir ? json::value(fs_detail::rfc3339({})) : json::value()}};
        }
        if (service == "fs.list") {
            const std::string p = fs_detail::normalize(opt_str(params, "path"));
            if (ws_.files.count(p)) throw fs_detail::fail(AHP_ERROR, "'" + p + "' is a file");
            if (!ws_.is_dir(p)) throw fs_detail::fail(AHP_NOT_FOUND, "no folder '" + p + "'");
            auto all = ws_.children(p);
            const std::size_t from = static_cast<std::size_t>(std::min<std::uint64_t>(count(params, "offset").value_or(0), all.size()));
            const std::size_t to = std::min(all.size(), from + limit(params));
            json::array entries;
            for (std::size_t i = from; i < to; ++i)
                entries.push_back(json::object{{"name", all[i].name}, {"is_dir", all[i].is_dir}, {"size", all[i].size}});
            return json::object{{"entries", std::move(entries)}, {"total", all.size()}};
        }
        if (service == "fs.glob") return glob(params);
        if (service == "fs.grep") return grep(params);
        if (service == "fs.write" || service == "fs.delete") {
            const std::string path = str(params, "path");
            const std::string normal = fs_detail::normalize(path);
            if (normal.compare(0, kData.size(), kData) == 0 || normal + "/" == kData)
                throw fs_detail::fail(AHP_DENIED, "'" + path + "' is in the session's data folder, which tools can read but not change");
            if (service == "fs.delete") return json::object{{"deleted", ws_.remove(path, flag(params, "recursive"))}};
            const std::string expected = opt_str(params, "expected_sha256");
            return ws_.write(path, str(params, "content"),
                             expected.empty() ? std::nullopt : std::optional<std::string_view>(expected));
        }
        if (service == "session_data.write") {
            const std::string name = data_name(params);
            try {
                data_.write(name, str(params, "content"), std::nullopt);
            } catch (const Error& e) {
                throw fs_detail::fail(AHP_ERROR, std::string("cannot save session data: ") + e.what());
            }
            return json::object{{"path", "/" + std::string(kData) + name}};
        }
        if (service == "session_data.read") {
            const std::string name = data_name(params);
            std::optional<std::string> content = data_.read(name);
            if (!content) throw fs_detail::fail(AHP_NOT_FOUND, "no session data named '" + name + "'");
            return json::object{{"content", std::move(*content)}};
        }
        throw fs_detail::fail(AHP_NOT_FOUND, "no host service named '" + std::string(service) + "'");
    }

private:
    static constexpr std::string_view kData = "@session/";

    static const json_value* param(const json_value& params, std::string_view key) {
        const boost::json::object* o = params.if_object();
        const json_value* v = o ? o->if_contains(key) : nullptr;
        return v && !v->is_null() ? v : nullptr;
    }
    static std::string str(const json_value& params, std::string_view key) {
        const boost::json::object* o = params.if_object();
        const json_value* v = o ? o->if_contains(key) : nullptr;
        if (!v || !v->is_string()) throw fs_detail::fail(AHP_INVALID_ARGUMENT, "missing string parameter '" + std::string(key) + "'");
        return std::string(v->get_string());
    }
    static std::string opt_str(const json_value& params, std::string_view key) {
        const json_value* v = param(params, key);
        if (!v) return "";
        if (!v->is_string()) throw fs_detail::fail(AHP_INVALID_ARGUMENT, "parameter '" + std::string(key) + "' must be a string");
        return std::string(v->get_string());
    }
    static bool flag(const json_value& params, std::string_view key) {
        const json_value* v = param(params, key);
        return v && v->is_bool() && v->get_bool();
    }
    static std::optional<std::uint64_t> count(const json_value& params, std::string_view key) {
        const json_value* v = param(params, key);
        if (!v) return std::nullopt;
        if (v->is_uint64()) return v->get_uint64();
        if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
        if (v->is_double() && v->get_double() >= 0 &&
            v->get_double() == static_cast<double>(static_cast<std::uint64_t>(v->get_double())))
            return static_cast<std::uint64_t>(v->get_double());
        throw fs_detail::fail(AHP_INVALID_ARGUMENT, "parameter '" + std::string(key) + "' must be a non-negative integer");
    }
    static std::size_t limit(const json_value& params) {
        return static_cast<std::size_t>(std::clamp<std::uint64_t>(count(params, "limit").value_or(200), 1, 1000));
    }
    static std::string data_name(const json_value& params) {
        const std::string name = str(params, "name");
        try {
            std::string normal = fs_detail::normalize(name);
            if (!normal.empty() && name.front() != '/') return normal;
        } catch (const Error&) {
        }
        throw fs_detail::fail(AHP_INVALID_ARGUMENT,
                              "'name' must be a relative file name such as outputs/call_1.txt, got '" + name + "'");
    }
    /// "/@session/…" reads the session's data folder; everything else the workspace.
    std::pair<fs_detail::Store*, std::string> route(const std::string& path) {
        const std::string normal = fs_detail::normalize(path);
        if (normal.compare(0, kData.size(), kData) == 0) return {&data_, normal.substr(kData.size())};
        return {&ws_, path};
    }

    /// fs.read's answer for a line range of data (the host's slice_lines).
    static json_value read_range(const std::string& data, std::uint64_t offset, std::optional<std::uint64_t> lim,
                                 std::optional<std::uint64_t> max_bytes) {
        const bool binary = fs_detail::has_nul_prefix(data) || !fs_detail::is_valid_utf8(data);
        std::uint64_t total = static_cast<std::uint64_t>(std::count(data.begin(), data.end(), '\n'));
        if (!data.empty() && data.back() != '\n') ++total;
        std::string_view shown;
        std::uint64_t lines_shown = 0;
        bool truncated = false;
        auto skip = [&](std::size_t from, std::uint64_t n) {
            for (; n > 0 && from < data.size(); --n) {
                const std::size_t nl = data.find('\n', from);
                from = nl == std::string::npos ? data.size() : nl + 1;
            }
            return from;
        };
        if (!binary && offset < total) {
            const std::size_t begin = skip(0, offset);
            lines_shown = lim ? std::min(*lim, total - offset) : total - offset;
            shown = std::string_view(data).substr(begin, skip(begin, lines_shown) - begin);
            if (max_bytes && shown.size() > *max_bytes) {
                truncated = true;
                const std::string_view head = shown.substr(0, static_cast<std::size_t>(*max_bytes));
                const std::size_t last_nl = head.rfind('\n');
                if (last_nl != std::string_view::npos) {
                    shown = head.substr(0, last_nl + 1);
                    lines_shown = static_cast<std::uint64_t>(std::count(shown.begin(), shown.end(), '\n'));
                } else {
                    shown = fs_detail::cut_utf8(shown, static_cast<std::size_t>(*max_bytes));
                    lines_shown = shown.empty() ? 0 : 1;
                }
            }
        }
        return boost::json::object{{"content", shown},     {"total_lines", total},
                                   {"lines_shown", lines_shown}, {"offset", offset},
                                   {"size", data.size()},   {"sha256", fs_detail::sha256_tag(data)},
                                   {"binary", binary},      {"truncated", truncated}};
    }

    json_value glob(const json_value& params) {
        const std::string pattern = str(params, "pattern");
        const std::string base = opt_str(params, "path");
        const std::size_t max = limit(params);
        const auto from = ws_.start(base);
        if (pattern.empty()) throw fs_detail::fail(AHP_INVALID_ARGUMENT, "the glob pattern is empty");
        if (!from.second) throw fs_detail::fail(AHP_ERROR, "'" + from.first + "' is a file, not a folder to search");
        boost::json::array paths;
        bool truncated = false;
        ws_.walk(from, [&](const std::string& path, const std::string& rel) {
            if (!fs_detail::glob_match(pattern, rel)) return true;
            if (paths.size() >= max) return !(truncated = true);
            paths.push_back(boost::json::string(path));
            return true;
        });
        return boost::json::object{{"paths", std::move(paths)}, {"truncated", truncated}};
    }

    json_value grep(const json_value& params) {
        const std::string pattern = str(params, "pattern");
        const std::string base = opt_str(params, "path"), glob = opt_str(params, "glob");
        const bool icase = flag(params, "case_insensitive");
        const std::size_t max = limit(params);
        const auto from = ws_.start(base);
        std::regex re;
        try {
            re = std::regex(pattern, icase ? std::regex::ECMAScript | std::regex::icase : std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            throw fs_detail::fail(AHP_INVALID_ARGUMENT, "invalid regex '" + pattern + "': " + e.what());
        }
        boost::json::array matches;
        std::uint64_t searched = 0;
        bool truncated = false;
        ws_.walk(from, [&](const std::string& path, const std::string& rel) {
            if (!glob.empty() && !fs_detail::glob_match(glob, rel)) return true;
            const std::string& text = ws_.files.at(path).content;
            if (fs_detail::has_nul_prefix(text)) return true;
            std::uint64_t line_no = 0;
            for (std::size_t pos = 0; pos < text.size(); ++line_no) {
                const std::size_t nl = text.find('\n', pos);
                const std::size_t end = nl == std::string::npos ? text.size() : nl;
                std::string_view line = std::string_view(text).substr(pos, end - pos);
                pos = end + 1;
                if (!std::regex_search(line.begin(), line.end(), re)) continue;
                if (matches.size() >= max) {
                    ++searched;  // as the host counts it: the file it stopped in was searched
                    truncated = true;
                    return false;
                }
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                matches.push_back(boost::json::object{
                    {"path", path}, {"line", line_no + 1}, {"text", fs_detail::cut_utf8(line, 400)}});
            }
            ++searched;
            return true;
        });
        return boost::json::object{{"matches", std::move(matches)}, {"files_searched", searched}, {"truncated", truncated}};
    }

    mutable std::mutex mu_;
    fs_detail::Store ws_;
    fs_detail::Store data_;
};

}  // namespace fake
}  // namespace v1
}  // namespace ahp
