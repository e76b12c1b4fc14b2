#include "services/fs_services.hpp"

#include "services/context_services.hpp"

#include "services/file_store_decorators.hpp"

#include <algorithm>
#include <ctime>

namespace agenthost {

namespace {

constexpr std::uint64_t kDefaultLimit = 200;
constexpr std::uint64_t kMaxLimit = 1000;
constexpr std::uint64_t kMaxReadBytes = 32u << 20;  // content one fs.read answers with at most

const json::value* param(const json::value& params, std::string_view key) {
    const json::object* o = params.if_object();
    const json::value* v = o ? o->if_contains(key) : nullptr;
    return v && !v->is_null() ? v : nullptr;
}

bool bool_param(const json::value& params, std::string_view key) {
    const json::value* v = param(params, key);
    return v && v->is_bool() && v->get_bool();
}

/// An optional string parameter ("" when absent).
std::string optional_string(const json::value& params, std::string_view key) {
    const json::value* v = param(params, key);
    if (!v) return "";
    if (!v->is_string())
        throw ServiceError(AHP_INVALID_ARGUMENT, "parameter '" + std::string(key) + "' must be a string");
    return std::string(v->get_string());
}

/// An optional non-negative integer parameter.
std::optional<std::uint64_t> count_param(const json::value& params, std::string_view key) {
    const json::value* v = param(params, key);
    if (!v) return std::nullopt;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    if (v->is_double() && v->get_double() >= 0 &&
        v->get_double() == static_cast<double>(static_cast<std::uint64_t>(v->get_double()))) {
        return static_cast<std::uint64_t>(v->get_double());
    }
    throw ServiceError(AHP_INVALID_ARGUMENT, "parameter '" + std::string(key) + "' must be a non-negative integer");
}

/// `limit` clamped to 1..kMaxLimit, kDefaultLimit when absent.
std::size_t limit_param(const json::value& params) {
    return static_cast<std::size_t>(
        std::clamp<std::uint64_t>(count_param(params, "limit").value_or(kDefaultLimit), 1, kMaxLimit));
}

/// Run a file-store operation, turning its errors into service errors; its walks and reads
/// stop when the call is interrupted.
template <class Fn>
json::value with_files(const ServiceRequest& req, Fn&& fn) {
    FileCancelScope cancel(req.call.cancelled);
    try {
        return fn();
    } catch (const FileStoreError& e) {
        const std::string& c = e.code();
        ahp_status st = c == "not_found"                                ? AHP_NOT_FOUND
                        : c == "invalid_path" || c == "invalid_pattern" ? AHP_INVALID_ARGUMENT
                        : c == "read_only" || c == "denied"             ? AHP_DENIED
                        : c == "cancelled"                              ? AHP_CANCELLED
                                                                        : AHP_ERROR;
        throw ServiceError(st, e.what());
    }
}

/// The store and path a read goes to: "/@session/…" is the session's data folder (saved tool
/// output), outside the workspace; everything else is the workspace.
std::pair<FileStore*, std::string> route(Session& s, const std::string& path) {
    std::string normal = normalize_workspace_path(path);
    if (normal.compare(0, kSessionDataPrefix.size(), kSessionDataPrefix) == 0 && s.data_files()) {
        return {s.data_files().get(), normal.substr(kSessionDataPrefix.size())};
    }
    return {s.files().get(), path};
}

/// Refuse a change under "/@session/": the session's data folder is written by the host only.
void refuse_session_data_change(const std::string& path) {
    std::string normal = normalize_workspace_path(path);
    if (normal.compare(0, kSessionDataPrefix.size(), kSessionDataPrefix) == 0 ||
        normal + "/" == kSessionDataPrefix) {
        throw ServiceError(AHP_DENIED, "'" + path + "' is in the session's data folder, which tools can read but not change");
    }
}

void add_reads(ServiceRouter& r, Session& s) {
    r.add("fs.read", "fs.read", [&s](const json::value& p, ServiceRequest& req) {
        return with_files(req, [&]() -> json::value {
            std::string path = service_string(p, "path");
            ReadRange range{count_param(p, "offset").value_or(0), count_param(p, "limit"),
                            std::min(count_param(p, "max_bytes").value_or(kMaxReadBytes), kMaxReadBytes)};
            auto [store, where] = route(s, path);
            std::optional<FileContent> f = store->read_range(where, range);
            if (!f) throw ServiceError(AHP_NOT_FOUND, "no file '" + path + "' in the workspace");
            return json::object{{"content", std::move(f->content)},
                                {"total_lines", f->total_lines},
                                {"lines_shown", f->lines_shown},
                                {"offset", f->offset},
                                {"size", f->size},
                                {"sha256", f->sha256},
                                {"binary", f->binary},
                                {"truncated", f->truncated}};
        });
    });
    r.add("fs.stat", "fs.read", [&s](const json::value& p, ServiceRequest& req) {
        return with_files(req, [&]() -> json::value {
            auto [store, where] = route(s, service_string(p, "path"));
            FileStat st = store->stat(where);
            return json::object{{"exists", st.exists},
                                {"is_dir", st.is_dir},
                                {"size", st.size},
                                {"read_only", st.read_only},
                                {"mtime", st.exists ? json::value(format_rfc3339(st.mtime)) : json::value()}};
        });
    });
    r.add("fs.list", "fs.read", [&s](const json::value& p, ServiceRequest& req) {
        return with_files(req, [&]() -> json::value {
            std::vector<DirEntry> all = s.files()->list(optional_string(p, "path"));
            std::size_t from =
                static_cast<std::size_t>(std::min<std::uint64_t>(count_param(p, "offset").value_or(0), all.size()));
            std::size_t to = std::min(all.size(), from + limit_param(p));
            json::array entries;
            for (std::size_t i = from; i < to; ++i) {
                entries.push_back(
                    json::object{{"name", all[i].name}, {"is_dir", all[i].is_dir}, {"size", all[i].size}});
            }
            return json::object{{"entries", std::move(entries)}, {"total", all.size()}};
        });
    });
    r.add("fs.glob", "fs.read", [&s](const json::value& p, ServiceRequest& req) {
        return with_files(req, [&]() -> json::value {
            GlobResult g =
                s.files()->glob(GlobQuery{service_string(p, "pattern"), optional_string(p, "path"), limit_param(p)});
            json::array paths;
            for (std::string& path : g.paths) paths.push_back(json::string(std::move(path)));
            json::object out{{"paths", std::move(paths)}, {"truncated", g.truncated}};
            if (!g.stopped.empty()) out["stopped"] = g.stopped;
            return out;
        });
    });
    r.add("fs.grep", "fs.read", [&s](const json::value& p, ServiceRequest& req) {
        return with_files(req, [&]() -> json::value {
            GrepResult g = s.files()->grep(GrepQuery{service_string(p, "pattern"), optional_string(p, "path"),
                                                     optional_string(p, "glob"), bool_param(p, "case_insensitive"),
                                                     limit_param(p)});
            json::array matches;
            for (GrepMatch& m : g.matches) {
                matches.push_back(
                    json::object{{"path", std::move(m.path)}, {"line", m.line}, {"text", std::move(m.text)}});
            }
            json::object out{
                {"matches", std::move(matches)}, {"files_searched", g.files_searched}, {"truncated", g.truncated}};
            if (!g.stopped.empty()) out["stopped"] = g.stopped;
            return out;
        });
    });
}

void add_writes(ServiceRouter& r, Session& s) {
    r.add("fs.write", "fs.write", [&s](const json::value& p, ServiceRequest& req) {
        return with_files(req, [&]() -> json::value {
            FileRequesterScope scope(req.plugin.id);
            refuse_session_data_change(service_string(p, "path"));
            std::string expected = optional_string(p, "expected_sha256");
            WriteResult w =
                s.files()->write(service_string(p, "path"), service_string(p, "content"),
                                 expected.empty() ? std::nullopt : std::optional<std::string_view>(expected));
            return json::object{{"created", w.created}, {"size", w.size}, {"sha256", w.sha256}};
        });
    });
    r.add("fs.delete", "fs.write", [&s](const json::value& p, ServiceRequest& req) {
        return with_files(req, [&]() -> json::value {
            FileRequesterScope scope(req.plugin.id);
            refuse_session_data_change(service_string(p, "path"));
            return json::object{{"deleted", s.files()->remove(service_string(p, "path"), bool_param(p, "recursive"))}};
        });
    });
    r.add("workspace.info", "exec", [&s](const json::value&, ServiceRequest&) -> json::value {
        return json::object{{"root", s.files()->root().string()}, {"display_root", "/workspace"}};
    });
}

}  // namespace

void add_file_services(ServiceRouter& r, Session& s) {
    add_reads(r, s);
    add_writes(r, s);
}

}  // namespace agenthost
