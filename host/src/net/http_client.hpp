// The host's HTTP/1.1 client (docs/http-services.md): http and https (system CA store, SNI,
// hostname verification), keep-alive connections reused per scheme, host, port and proxy,
// bodies streamed as they arrive, redirects checked again hop by hop, body caps, deadlines,
// cancellation, HTTP(S)_PROXY / NO_PROXY and, for guarded requests, the network access list and
// the SSRF guard. No Beast in this header: the work happens in http_client.cpp.
#pragma once

#include "net/http_url.hpp"
#include "net/network_access.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agenthost {

/// Why a request failed; the message starts with the category ("timeout: …").
class HttpError : public std::runtime_error {
public:
    /// The failure categories of docs/http-services.md.
    enum class Kind { invalid_request, denied, network_error, timeout, too_many_redirects, cancelled };
    /// A failure of `kind`; `message` starts with its category.
    HttpError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    /// The category.
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

/// One request.
struct HttpRequest {
    std::string method = "GET";
    std::string url;                                           ///< absolute http(s) URL
    std::vector<std::pair<std::string, std::string>> headers;  ///< Host, Content-Length, Transfer-Encoding
                                                               ///< and Connection are the client's
    std::string body;
    std::chrono::milliseconds timeout{30000};            ///< the whole request, redirects included
    std::chrono::milliseconds connect_timeout{10000};    ///< each new connection: lookup, connect, tunnel, TLS
    std::size_t max_body_bytes = std::size_t{10} << 20;  ///< cap on a body kept: more is cut and `truncated` set
    /// Cap on a body streamed to on_body (default: none; the timeout bounds it).
    std::size_t max_streamed_bytes = std::numeric_limits<std::size_t>::max();
    bool follow_redirects = true;
    int max_redirects = 5;
    /// When set, a 2xx body goes here as it arrives (raw bytes, any split) instead of into the
    /// answer; return false to stop reading.
    std::function<bool(std::string_view)> on_body;
    /// Polled while the request runs: true ends it at once with HttpError(cancelled).
    const std::atomic<bool>* cancelled = nullptr;
    /// When set, every hop must pass this list and the SSRF guard (a capability's request).
    const NetworkAccessList* access = nullptr;
};

/// The answer to a request.
struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased, in order
    std::string body;                                          ///< empty when streamed
    std::string final_url;                                     ///< the URL of the last hop
    bool truncated = false;                                    ///< the body passed max_body_bytes and was cut
    bool streamed = false;                                     ///< the body went to on_body
    /// The first value of a header (lower-case name), or "".
    std::string header(std::string_view lower_name) const;
};

/// An HTTP client with a pool of kept-alive connections. Thread-safe: each request runs on the
/// calling thread, driving its own connection.
class HttpClient {
public:
    /// How the client connects.
    struct Options {
        ProxyConfig proxy;                         ///< default: none
        std::string ca_file;                       ///< extra trust anchors (PEM) besides the system store
        std::string user_agent = "agenthost/0.1";  ///< unless the request sets one
        std::size_t max_idle_per_host = 8;         ///< idle connections kept per scheme/host/port/proxy
        std::size_t max_idle = 64;                 ///< idle connections kept in all
        std::chrono::seconds idle_timeout{50};     ///< an idle connection older than this is closed
    };

    /// A client with `options`.
    explicit HttpClient(Options options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Send a request and wait for its answer; throws HttpError.
    HttpResponse send(const HttpRequest& request);
    /// How many idle connections the pool holds.
    std::size_t idle_connections() const;
    /// The process's client, with the proxies from the environment.
    static HttpClient& shared();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace agenthost
