// fake_store.hpp — the workspace store behind the fake host's in-memory fs.* (fake_fs.hpp): the
// host's path normalization, line slicing rules, UTF-8 and binary checks, sha256 tags, glob
// matching and its in-memory file map, each as agenthost has it. C++17; OpenSSL's Crypto.
#pragma once

#include <ahp/ahp.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ahp {
inline namespace v1 {
namespace fake {

namespace fs_detail {

namespace json = boost::json;

/// A failure of the store, with the status the fs services give it.
inline Error fail(ahp_status status, const std::string& message) { return Error(Call::status_code(status), message, status); }
inline Error invalid_path(const std::string& m) { return fail(AHP_INVALID_ARGUMENT, m); }

/// "sha256:<hex>" of data, as fs.read and fs.write report it.
inline std::string sha256_tag(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
        throw fail(AHP_ERROR, "sha256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned int i = 0; i < len; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xF];
    }
    return out;
}

/// Whether data is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
inline bool is_valid_utf8(std::string_view data) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const auto* end = p + data.size();
    while (p < end) {
        const unsigned char c = *p;
        int extra = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
        if (extra < 0 || end - p <= extra) return false;
        std::uint32_t cp = extra == 0 ? c : c & (0x3F >> extra);
        for (int i = 1; i <= extra; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        p += extra + 1;
    }
    return true;
}

/// A NUL byte in the first 8 KiB: what grep skips as binary.
inline bool has_nul_prefix(std::string_view data) {
    return data.substr(0, 8192).find('\0') != std::string_view::npos;
}

/// At most max_bytes of s, not cutting a UTF-8 sequence.
inline std::string_view cut_utf8(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return s;
    std::size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

/// A workspace path as the host normalizes it: "a.txt", "/a.txt" and "/workspace/a.txt" are
/// "a.txt"; the root is "".
inline std::string normalize(std::string_view path) {
    if (path.find('\0') != std::string_view::npos) throw invalid_path("path contains a NUL byte");
    if (path.find('\\') != std::string_view::npos)
        throw invalid_path("path '" + std::string(path) + "' contains a backslash");
    constexpr std::string_view kPrefix = "/workspace";
    if (path.substr(0, kPrefix.size()) == kPrefix && (path.size() == kPrefix.size() || path[kPrefix.size()] == '/'))
        path.remove_prefix(kPrefix.size());
    std::string out;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const std::size_t slash = path.find('/', pos);
        const std::string_view part = path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (part == "..") throw invalid_path("path '" + std::string(path) + "' leaves the workspace ('..')");
        if (!part.empty() && part != ".") {
            if (!out.empty()) out += '/';
            out += part;
        }
        if (slash == std::string_view::npos) break;
        pos = slash + 1;
    }
    return out;
}

/// A time as RFC 3339 UTC with milliseconds, as fs.stat reports mtime.
inline std::string rfc3339(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    int millis = static_cast<int>(ms % 1000);
    if (millis < 0) millis += 1000, --seconds;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
    return buffer;
}

/// One glob segment (no '/') against one name: `*`, `?`, `[…]` classes and `\` escapes.
inline bool match_segment(std::string_view p, std::string_view s) {
    auto match_class = [&](std::size_t pi, char c, std::size_t& next) {
        std::size_t i = pi + 1;
        const bool negate = i < p.size() && (p[i] == '!' || p[i] == '^');
        if (negate) ++i;
        bool matched = false, first = true;
        while (i < p.size() && (p[i] != ']' || first)) {
            first = false;
            char lo = p[i];
            if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
            char hi = lo;
            if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
                hi = p[i + 2];
                if (hi == '\\' && i + 3 < p.size()) hi = p[++i + 2];
                i += 2;
            }
            const auto u = static_cast<unsigned char>(c);
            if (u >= static_cast<unsigned char>(lo) && u <= static_cast<unsigned char>(hi)) matched = true;
            ++i;
        }
        if (i >= p.size()) {
            next = std::string_view::npos;
            return false;
        }
        next = i + 1;
        return matched != negate;
    };
    std::size_t pi = 0, si = 0, star_p = std::string_view::npos, star_s = 0;
    while (si < s.size()) {
        if (pi < p.size() && p[pi] == '*') {
            while (pi < p.size() && p[pi] == '*') ++pi;
            star_p = pi;
            star_s = si;
            continue;
        }
        bool ok = false;
        std::size_t next = pi + 1;
        if (pi < p.size()) {
            const char pc = p[pi];
            if (pc == '?') {
                ok = true;
            } else if (pc == '[') {
                ok = match_class(pi, s[si], next);
                if (next == std::string_view::npos) ok = s[si] == '[', next = pi + 1;
            } else if (pc == '\\' && pi + 1 < p.size()) {
                ok = s[si] == p[pi + 1];
                next = pi + 2;
            } else {
                ok = s[si] == pc;
            }
        }
        if (ok) {
            pi = next;
            ++si;
        } else if (star_p != std::string_view::npos) {
            pi = star_p;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

inline std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t pos = 0; pos <= s.size();) {
        std::size_t slash = s.find('/', pos);
        if (slash == std::string_view::npos) slash = s.size();
        out.push_back(s.substr(pos, slash - pos));
        pos = slash + 1;
    }
    return out;
}

inline bool match_segments(const std::vector<std::string_view>& p, std::size_t pi, const std::vector<std::string_view>& s,
                           std::size_t si) {
    while (pi < p.size()) {
        if (p[pi] == "**") {
            while (pi + 1 < p.size() && p[pi + 1] == "**") ++pi;
            if (pi + 1 == p.size()) return si < s.size();
            for (std::size_t k = si; k <= s.size(); ++k) {
                if (match_segments(p, pi + 1, s, k)) return true;
            }
            return false;
        }
        if (si >= s.size() || !match_segment(p[pi], s[si])) return false;
        ++pi;
        ++si;
    }
    return si == s.size();
}

/// A glob or grep pattern against a path relative to the search folder: a pattern without '/'
/// matches the file name at any depth; a leading '/' anchors it.
inline bool glob_match(std::string_view pattern, std::string_view relative) {
    while (pattern.substr(0, 2) == "./") pattern.remove_prefix(2);
    if (!pattern.empty() && pattern[0] == '/') return match_segments(split(pattern.substr(1)), 0, split(relative), 0);
    if (pattern.find('/') == std::string_view::npos) {
        const std::size_t slash = relative.rfind('/');
        return match_segment(pattern, slash == std::string_view::npos ? relative : relative.substr(slash + 1));
    }
    return match_segments(split(pattern), 0, split(relative), 0);
}

/// Files in a map keyed by normalized path, folders implied by them: the host's memory store.
class Store {
public:
    struct File {
        std::string content;
        std::chrono::system_clock::time_point mtime;
    };
    struct Entry {
        std::string name;
        bool is_dir;
        std::uint64_t size;
    };
    std::map<std::string, File, std::less<>> files;
    std::set<std::string, std::less<>> read_only;

    bool is_dir(const std::string& p) const {
        if (p.empty()) return true;
        const std::string prefix = p + "/";
        auto it = files.lower_bound(prefix);
        return it != files.end() && it->first.compare(0, prefix.size(), prefix) == 0;
    }
    /// The direct children of folder p, sorted by name.
    std::vector<Entry> children(const std::string& p) const {
        const std::string prefix = p.empty() ? "" : p + "/";
        std::map<std::string, Entry> entries;
        for (auto it = files.lower_bound(prefix); it != files.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            const std::string rest = it->first.substr(prefix.size());
            const std::size_t slash = rest.find('/');
            if (slash == std::string::npos) {
                entries[rest] = Entry{rest, false, it->second.content.size()};
            } else {
                entries.try_emplace(rest.substr(0, slash), Entry{rest.substr(0, slash), true, 0});
            }
        }
        std::vector<Entry> out;
        for (auto& e : entries) out.push_back(std::move(e.second));
        return out;
    }
    /// A file's content, nullopt if missing; a folder is an error.
    std::optional<std::string> read(std::string_view path) const {
        const std::string p = normalize(path);
        auto it = files.find(p);
        if (it != files.end()) return it->second.content;
        if (is_dir(p)) throw fail(AHP_ERROR, "'" + p + "' is a folder");
        return std::nullopt;
    }
    json::object write(std::string_view path, std::string_view content, std::optional<std::string_view> expected) {
        const std::string p = normalize(path);
        if (p.empty()) throw fail(AHP_ERROR, "cannot write the workspace root");
        if (read_only.count(p)) throw fail(AHP_DENIED, "'" + p + "' is read-only");
        if (is_dir(p)) throw fail(AHP_ERROR, "'" + p + "' is a folder");
        auto it = files.find(p);
        if (expected && (it == files.end() || sha256_tag(it->second.content) != *expected)) {
            throw fail(AHP_ERROR, "conflict: " + p + (it == files.end() ? " no longer exists" : " changed") + " since it was read");
        }
        for (std::size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
            if (files.count(p.substr(0, slash))) throw fail(AHP_ERROR, "'" + p.substr(0, slash) + "' is a file, not a folder");
        }
        const bool created = it == files.end();
        files[p] = File{std::string(content), std::chrono::system_clock::now()};
        return json::object{{"created", created}, {"size", content.size()}, {"sha256", sha256_tag(content)}};
    }
    bool remove(std::string_view path, bool recursive) {
        const std::string p = normalize(path);
        if (p.empty()) throw fail(AHP_DENIED, "refusing to delete the workspace root");
        if (auto it = files.find(p); it != files.end()) {
            if (read_only.count(p)) throw fail(AHP_DENIED, "'" + p + "' is read-only");
            files.erase(it);
            return true;
        }
        if (!is_dir(p)) return false;
        if (!recursive) throw fail(AHP_ERROR, "'" + p + "' is a folder; pass recursive to delete it");
        const std::string prefix = p + "/";
        for (auto it = files.lower_bound(prefix); it != files.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            if (read_only.count(it->first)) throw fail(AHP_DENIED, "'" + it->first + "' is read-only");
        }
        files.erase(files.lower_bound(prefix), files.lower_bound(p + "0"));  // '0' follows '/'
        return true;
    }
    /// Where a search starts: the normalized path and whether it is a folder; not_found if neither.
    std::pair<std::string, bool> start(std::string_view path) const {
        std::string p = normalize(path);
        if (files.count(p)) return {p, false};
        if (!is_dir(p)) throw fail(AHP_NOT_FOUND, "no file or folder '" + p + "'");
        return {p, true};
    }
    /// Walk the files from a start in name order, skipping ".git" folders: on_file(workspace
    /// path, path relative to the search folder) returns false to stop.
    template <class OnFile>
    void walk(const std::pair<std::string, bool>& from, OnFile&& on_file) const {
        if (from.second) {
            visit(from.first, "", on_file);
        } else {
            const std::size_t slash = from.first.rfind('/');
            on_file(from.first, from.first.substr(slash == std::string::npos ? 0 : slash + 1));
        }
    }

private:
    template <class OnFile>
    bool visit(const std::string& dir, const std::string& relative, OnFile& on_file) const {
        for (const Entry& e : children(dir)) {
            const std::string path = dir.empty() ? e.name : dir + "/" + e.name;
            const std::string rel = relative.empty() ? e.name : relative + "/" + e.name;
            if (!e.is_dir) {
                if (!on_file(path, rel)) return false;
            } else if (e.name != ".git" && !visit(path, rel, on_file)) {
                return false;
            }
        }
        return true;
    }
};

}  // namespace fs_detail

}  // namespace fake
}  // namespace v1
}  // namespace ahp
