// Anthropic failures in agenthost's categories: HTTP error answers, in-stream `error` events and
// broken transports (DESIGN §6: auth_error, rate_limit, model_not_found, context_length,
// upstream_api_error, network_error).
#pragma once

#include <ahp/ahp.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace anthropic {

namespace json = ahp::json;

/// One failed model call, ready to be reported.
struct Failure {
    std::string category;
    std::string message;
    std::int64_t retry_after_ms = -1;  ///< from retry-after / retry-after-ms, or -1
    bool retryable = true;             ///< false when retrying cannot help (x-should-retry: false)
};

/// The category of an Anthropic error type ("overloaded_error", …), its HTTP status (0 inside
/// a stream) and its message.
std::string category_of(std::string_view error_type, int status, std::string_view message);

/// The failure an HTTP error answer {status, headers, body} stands for.
Failure http_failure(const json::object& answer);

/// The failure a mid-stream event {"type":"error","error":{type,message}} stands for.
Failure stream_failure(const json::object& event);

/// The retry hint of the headers in milliseconds (retry-after-ms, or retry-after in seconds),
/// or -1.
std::int64_t retry_after_ms(const json::object& headers);

/// An excerpt of a body for an error message: at most `max` bytes, cut at a character boundary.
std::string excerpt(std::string_view body, std::size_t max = 300);

}  // namespace anthropic
