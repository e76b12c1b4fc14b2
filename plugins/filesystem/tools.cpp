// write_file, list_directory, glob, grep_files, stat_file, delete_file: thin shapes over the
// fs.* services with compact, model-friendly output.
#include "tools.hpp"

namespace fsplug {

namespace {

constexpr std::int64_t kDefaultLimit = 200;
constexpr std::int64_t kMaxLimit = 1000;

std::string folder_arg(const json::object& args) {
    std::optional<std::string> path = opt_string(args, "path");
    if (!path || path->empty()) return ".";
    if (path->find('\0') != std::string::npos) fail("the path contains a NUL byte; give a plain path");
    return *path;
}

std::string pattern_arg(const json::object& args) {
    std::optional<std::string> pattern = opt_string(args, "pattern");
    if (!pattern || pattern->empty()) fail("'pattern' is required and must not be empty");
    return *pattern;
}

json::value text(const std::string& s) {
    return json::string(s);
}

const json::array& array_field(const json::object& o, std::string_view key) {
    static const json::array kEmpty;
    const json::value* v = o.if_contains(key);
    return v && v->is_array() ? v->get_array() : kEmpty;
}

}  // namespace

json::value write_file(const json::object& args, Ctx& ctx) {
    std::string path = path_arg(args);
    const json::value* content = args.if_contains("content");
    if (!content || !content->is_string()) fail("'content' is required: the whole new text of the file");
    json::object answer = request_or_fail(ctx, "fs.write", json::object{{"path", path}, {"content", *content}});
    std::string hash = string_field(answer, "sha256");
    remember_hash(ctx, path, hash);
    std::int64_t size =
        answer.contains("size") ? int_field(answer, "size") : static_cast<std::int64_t>(content->get_string().size());
    return json::object{{"path", path},
                        {"status", bool_field(answer, "created") ? "created" : "overwritten"},
                        {"size", size},
                        {"content_hash", hash}};
}

json::value list_directory(const json::object& args, Ctx& ctx) {
    std::string path = folder_arg(args);
    std::int64_t offset = opt_int(args, "offset").value_or(0);
    if (offset < 0) fail("offset must be 0 or more");
    std::int64_t limit = clamp_limit(args, kDefaultLimit, kMaxLimit);
    json::object answer =
        request_or_fail(ctx, "fs.list", json::object{{"path", path}, {"offset", offset}, {"limit", limit}});
    const json::array& entries = array_field(answer, "entries");
    std::int64_t total =
        answer.contains("total") ? int_field(answer, "total") : offset + static_cast<std::int64_t>(entries.size());
    std::string out;
    for (const json::value& e : entries) {
        const json::object* o = e.if_object();
        if (!o) continue;
        if (!out.empty()) out += '\n';
        out += string_field(*o, "name");
        if (bool_field(*o, "is_dir")) {
            out += '/';
        } else {
            out += "  (" + human_size(int_field(*o, "size")) + ")";
        }
    }
    std::int64_t end = offset + static_cast<std::int64_t>(entries.size());
    if (entries.empty()) {
        if (offset > 0 && total > 0) {
            return text("offset " + std::to_string(offset) + " is past the end (" + std::to_string(total) +
                        " entries)");
        }
        return text(path + " is empty");
    }
    if (offset > 0 || end < total) {
        out += "\n[entries " + std::to_string(offset + 1) + "-" + std::to_string(end) + " of " + std::to_string(total);
        out += end < total ? "; use offset=" + std::to_string(end) + " to continue]" : "]";
    }
    return text(out);
}

json::value glob(const json::object& args, Ctx& ctx) {
    std::string pattern = pattern_arg(args);
    json::object params{{"pattern", pattern}, {"limit", clamp_limit(args, kDefaultLimit, kMaxLimit)}};
    if (std::optional<std::string> path = opt_string(args, "path"); path && !path->empty()) params["path"] = *path;
    json::object answer = request_or_fail(ctx, "fs.glob", std::move(params));
    const json::array& paths = array_field(answer, "paths");
    std::string stopped = string_field(answer, "stopped");
    if (paths.empty()) return text("no files match " + pattern + (stopped.empty() ? "" : "\n[" + stopped + "]"));
    std::string out;
    for (const json::value& p : paths) {
        if (!p.is_string()) continue;
        if (!out.empty()) out += '\n';
        out.append(p.get_string());
    }
    if (bool_field(answer, "truncated")) {
        out += "\n[stopped at " + std::to_string(paths.size()) + " paths; narrow the pattern or path]";
    }
    if (!stopped.empty()) out += "\n[" + stopped + "]";
    return text(out);
}

json::value grep_files(const json::object& args, Ctx& ctx) {
    std::string pattern = pattern_arg(args);
    json::object params{{"pattern", pattern}, {"limit", clamp_limit(args, kDefaultLimit, kMaxLimit)}};
    if (std::optional<std::string> path = opt_string(args, "path"); path && !path->empty()) params["path"] = *path;
    if (std::optional<std::string> g = opt_string(args, "glob"); g && !g->empty()) params["glob"] = *g;
    if (opt_bool(args, "case_insensitive", false)) params["case_insensitive"] = true;
    json::object answer = request_or_fail(ctx, "fs.grep", std::move(params));
    const json::array& matches = array_field(answer, "matches");
    std::string stopped = string_field(answer, "stopped");
    if (matches.empty()) {
        std::string out = "no matches for " + pattern;
        if (answer.contains("files_searched"))
            out += " in " + std::to_string(int_field(answer, "files_searched")) + " files";
        if (!stopped.empty()) out += "\n[" + stopped + "]";
        return text(out);
    }
    std::string out;
    for (const json::value& m : matches) {
        const json::object* o = m.if_object();
        if (!o) continue;
        std::string text = string_field(*o, "text");
        if (!text.empty() && text.back() == '\r') text.pop_back();
        if (!out.empty()) out += '\n';
        out += string_field(*o, "path") + ":" + std::to_string(int_field(*o, "line")) + ": " + text;
    }
    if (bool_field(answer, "truncated")) {
        out += "\n[stopped at " + std::to_string(matches.size()) + " matches; narrow the pattern, path or glob]";
    }
    if (!stopped.empty()) out += "\n[" + stopped + "]";
    return text(out);
}

json::value stat_file(const json::object& args, Ctx& ctx) {
    std::string path = path_arg(args);
    json::object answer;
    try {
        answer = request(ctx, "fs.stat", json::object{{"path", path}});
    } catch (const ahp::Error& e) {
        if (e.status() != AHP_NOT_FOUND) fail_from(e);
        return json::object{{"path", path}, {"exists", false}};
    }
    if (answer.contains("exists") && !bool_field(answer, "exists"))
        return json::object{{"path", path}, {"exists", false}};
    json::object out{{"path", path},
                     {"exists", true},
                     {"type", bool_field(answer, "is_dir") ? "directory" : "file"},
                     {"size", int_field(answer, "size")},
                     {"read_only", bool_field(answer, "read_only")}};
    if (std::string mtime = string_field(answer, "mtime"); !mtime.empty()) out["mtime"] = mtime;
    return out;
}

json::value delete_file(const json::object& args, Ctx& ctx) {
    std::string path = path_arg(args);
    bool recursive = opt_bool(args, "recursive", false);
    json::object answer = request_or_fail(ctx, "fs.delete", json::object{{"path", path}, {"recursive", recursive}});
    if (answer.contains("deleted") && !bool_field(answer, "deleted")) {
        fail(path + " does not exist; nothing was deleted");
    }
    forget_hash(ctx, path);
    json::object out{{"path", path}, {"deleted", true}};
    if (recursive) out["recursive"] = true;
    return out;
}

}  // namespace fsplug
