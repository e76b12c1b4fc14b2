// Beast names and the daemon's limits, shared by the HTTP, SSE and WebSocket code.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace agenthost::server {

namespace beast = boost::beast;
namespace http = beast::http;

/// A request as read (its body bounded by ServerLimits::max_body).
using Request = http::request<http::string_body>;
/// A whole response.
using Response = http::response<http::string_body>;

/// What bounds the server's work for one client (DESIGN §8 Limits).
struct ServerLimits {
    std::size_t max_body = 1 << 20;            ///< request bodies: more is 413
    std::size_t max_header = 16 << 10;         ///< request headers: more is 431
    std::chrono::milliseconds idle_timeout{60000};    ///< a kept-alive connection waiting for a request
    std::chrono::milliseconds header_timeout{10000};  ///< from a request's first byte to its last header
    std::chrono::milliseconds body_timeout{30000};    ///< reading a body
    std::size_t max_connections = 512;         ///< more are answered 503 and closed
    std::size_t stream_buffer = 1 << 20;       ///< bytes a stream reader may fall behind by
};

/// A JSON response.
Response json_response(unsigned version, http::status status, const boost::json::value& body);
/// {error:{code, message}} with `status` (503 adds Retry-After).
Response error_response(unsigned version, int status, const std::string& code, const std::string& message);

}  // namespace agenthost::server
