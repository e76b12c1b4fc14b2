// The filesystem plugin's shared pieces: the per-call context, fs.* requests that turn service
// failures into tool errors, argument helpers, the per-session memory of the hash the model last
// saw of each file (for stale-edit refusal), and small text helpers.
#pragma once

#include <ahp/ahp.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fsplug {

namespace json = ahp::json;

/// One tool call: the way back to the host and the session the call belongs to.
struct Ctx {
    ahp::Call& call;
    std::string session_id;
};

/// Throw the tool error the model sees.
[[noreturn]] void fail(const std::string& message, ahp_status status = AHP_ERROR);

/// Rethrow a service failure as a tool error with the host's message (denials and
/// cancellations keep their status, so the host reports them as such).
[[noreturn]] void fail_from(const ahp::Error& service_error);

/// Call an fs.* (or other) host service; a failure propagates as the service's ahp::Error.
json::object request(Ctx& ctx, std::string_view service, json::object params);

/// Call a host service; a failure becomes a tool error (fail_from).
json::object request_or_fail(Ctx& ctx, std::string_view service, json::object params);

/// The required, non-empty `path` argument (NUL bytes refused).
std::string path_arg(const json::object& args, std::string_view key = "path");
/// An optional string argument.
std::optional<std::string> opt_string(const json::object& args, std::string_view key);
/// An optional integer argument (a whole double is accepted); a wrong type is a tool error.
std::optional<std::int64_t> opt_int(const json::object& args, std::string_view key);
/// An optional boolean argument.
bool opt_bool(const json::object& args, std::string_view key, bool fallback);
/// limit clamped to [1, max], fallback when absent; a limit below 1 is a tool error.
std::int64_t clamp_limit(const json::object& args, std::int64_t fallback, std::int64_t max);

/// An integer field of a service answer (0 when absent).
std::int64_t int_field(const json::object& o, std::string_view key);
/// A string field of a service answer ("" when absent).
std::string string_field(const json::object& o, std::string_view key);
/// A boolean field of a service answer (false when absent).
bool bool_field(const json::object& o, std::string_view key);

/// The canonical workspace-relative form of a path ("/workspace/a/./b", "/a/b", "a//b" → "a/b").
std::string path_key(std::string_view path);

/// Remember the content hash the model last saw of path in this session.
void remember_hash(Ctx& ctx, std::string_view path, std::string_view hash);
/// The content hash the model last saw of path in this session, if any.
std::optional<std::string> recall_hash(Ctx& ctx, std::string_view path);
/// Forget what the model saw of path (after a delete).
void forget_hash(Ctx& ctx, std::string_view path);

/// s cut to at most max_chars UTF-8 characters; cut_chars gets how many were dropped.
std::string cut_chars(std::string_view s, std::size_t max_chars, std::size_t* cut_count = nullptr);
/// A short one-line quote of s for an error message ("first line…").
std::string short_quote(std::string_view s, std::size_t max_chars = 60);
/// A byte count for people: "812 B", "14.2 KB", "3.1 MB".
std::string human_size(std::int64_t bytes);

}  // namespace fsplug
