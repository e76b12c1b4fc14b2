#include "fs_common.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

namespace fsplug {

namespace {

constexpr std::string_view kHashKeyPrefix = "filesystem.seen_hash:";

std::string hash_key(const Ctx& ctx, std::string_view path) {
    return std::string(kHashKeyPrefix) + ctx.session_id + ":" + path_key(path);
}

}  // namespace

void fail(const std::string& message, ahp_status status) {
    throw ahp::Error("tool_error", message, status);
}

void fail_from(const ahp::Error& e) {
    ahp_status status = (e.status() == AHP_DENIED || e.status() == AHP_CANCELLED) ? e.status() : AHP_ERROR;
    std::string message = e.what();
    if (message.empty()) message = "the host refused the request (" + e.code() + ")";
    throw ahp::Error(e.status() == AHP_CANCELLED ? "cancelled" : "tool_error", message, status);
}

json::object request(Ctx& ctx, std::string_view service, json::object params) {
    ctx.call.check_cancelled();
    json::value answer = ctx.call.request(service, params);
    if (answer.is_object()) return std::move(answer.get_object());
    if (answer.is_null()) return {};
    throw ahp::Error("tool_error", "the host's " + std::string(service) + " answer is not a JSON object");
}

json::object request_or_fail(Ctx& ctx, std::string_view service, json::object params) {
    try {
        return request(ctx, service, std::move(params));
    } catch (const ahp::Error& e) {
        fail_from(e);
    }
}

std::string path_arg(const json::object& args, std::string_view key) {
    const json::value* v = args.if_contains(key);
    if (!v || !v->is_string()) fail("'" + std::string(key) + "' is required: a path in the workspace");
    std::string path(v->get_string());
    if (path.empty()) fail("'" + std::string(key) + "' is empty; give a path in the workspace");
    if (path.find('\0') != std::string::npos) fail("the path contains a NUL byte; give a plain path");
    return path;
}

std::optional<std::string> opt_string(const json::object& args, std::string_view key) {
    const json::value* v = args.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) fail("'" + std::string(key) + "' must be a string");
    return std::string(v->get_string());
}

std::optional<std::int64_t> opt_int(const json::object& args, std::string_view key) {
    const json::value* v = args.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), INT64_MAX));
    if (v->is_double()) {
        double d = v->get_double();
        if (std::isfinite(d) && std::floor(d) == d) {
            if (d >= 9.2e18) return INT64_MAX;
            if (d <= -9.2e18) return INT64_MIN;
            return static_cast<std::int64_t>(d);
        }
    }
    fail("'" + std::string(key) + "' must be a whole number");
}

bool opt_bool(const json::object& args, std::string_view key, bool fallback) {
    const json::value* v = args.if_contains(key);
    if (!v || v->is_null()) return fallback;
    if (!v->is_bool()) fail("'" + std::string(key) + "' must be true or false");
    return v->get_bool();
}

std::int64_t clamp_limit(const json::object& args, std::int64_t fallback, std::int64_t max) {
    std::optional<std::int64_t> limit = opt_int(args, "limit");
    if (!limit) return fallback;
    if (*limit < 1) fail("limit must be at least 1");
    return std::min(*limit, max);
}

std::int64_t int_field(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), INT64_MAX));
    if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
    return 0;
}

std::string string_field(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool bool_field(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_bool() && v->get_bool();
}

std::string path_key(std::string_view path) {
    constexpr std::string_view kRoot = "/workspace";
    if (path.substr(0, kRoot.size()) == kRoot && (path.size() == kRoot.size() || path[kRoot.size()] == '/')) {
        path.remove_prefix(kRoot.size());
    }
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        if (!part.empty() && part != ".") parts.push_back(part);
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    if (parts.empty()) return ".";
    std::string out;
    for (std::string_view p : parts) {
        if (!out.empty()) out += '/';
        out += p;
    }
    return out;
}

void remember_hash(Ctx& ctx, std::string_view path, std::string_view hash) {
    if (hash.empty()) return;
    try {
        request(ctx, "storage.set", json::object{{"key", hash_key(ctx, path)}, {"value", hash}});
    } catch (const ahp::Cancelled&) {
        throw;
    } catch (const ahp::Error& e) {
        ctx.call.log(AHP_LOG_WARN, std::string("could not remember the hash of a file: ") + e.what());
    }
}

std::optional<std::string> recall_hash(Ctx& ctx, std::string_view path) {
    try {
        json::object answer = request(ctx, "storage.get", json::object{{"key", hash_key(ctx, path)}});
        std::string value = string_field(answer, "value");
        if (!value.empty()) return value;
    } catch (const ahp::Cancelled&) {
        throw;
    } catch (const ahp::Error& e) {
        ctx.call.log(AHP_LOG_WARN, std::string("could not recall the hash of a file: ") + e.what());
    }
    return std::nullopt;
}

void forget_hash(Ctx& ctx, std::string_view path) {
    try {
        request(ctx, "storage.delete", json::object{{"key", hash_key(ctx, path)}});
    } catch (const ahp::Cancelled&) {
        throw;
    } catch (const ahp::Error&) {
        // Nothing remembered, or no storage: either way nothing stale is left behind.
    }
}

std::string cut_chars(std::string_view s, std::size_t max_chars, std::size_t* cut_count) {
    std::size_t chars = 0, i = 0;
    while (i < s.size() && chars < max_chars) {
        ++i;
        while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
        ++chars;
    }
    if (cut_count) {
        std::size_t rest = 0;
        for (std::size_t j = i; j < s.size(); ++j) rest += (static_cast<unsigned char>(s[j]) & 0xC0) != 0x80;
        *cut_count = rest;
    }
    return std::string(s.substr(0, i));
}

std::string short_quote(std::string_view s, std::size_t max_chars) {
    std::size_t nl = s.find('\n');
    std::string_view first = s.substr(0, nl);
    if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
    std::size_t dropped = 0;
    std::string out = cut_chars(first, max_chars, &dropped);
    bool more = dropped > 0 || nl != std::string_view::npos;
    return "\"" + out + (more ? "…" : "") + "\"";
}

std::string human_size(std::int64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + " B";
    const char* units[] = {"KB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int u = -1;
    do {
        v /= 1024.0;
        ++u;
    } while (v >= 1024.0 && u < 3);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

}  // namespace fsplug
