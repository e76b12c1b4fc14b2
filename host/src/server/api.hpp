// The daemon's routes (DESIGN §8): auth, routing, validation; each request becomes a response,
// an event stream or a WebSocket.
#pragma once

#include "server/http_types.hpp"
#include "server/metrics.hpp"
#include "server/session_manager.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace agenthost::server {

/// What a request turned into.
struct Outcome {
    enum Kind { kRespond, kStream, kWebSocket } kind = kRespond;
    Response response;         ///< kRespond
    std::string route = "-";   ///< the matched route pattern, for metrics
    std::string session_id;    ///< kStream, kWebSocket
    std::uint64_t after = 0;   ///< kStream, kWebSocket
    bool sse = false;          ///< kStream: SSE, else NDJSON
    std::string subprotocol;   ///< kWebSocket: the one to echo
};

/// Auth and routes over a SessionManager.
class Api {
public:
    Api(SessionManager& manager, Metrics& metrics, std::string token, int io_threads);
    /// Answer a request (a WebSocket upgrade included). Never throws.
    Outcome handle(const Request& request);

private:
    using Params = std::map<std::string, std::string>;
    using Handler = std::function<Outcome(const Request&, const Params& path, const Params& query)>;
    struct Route {
        http::verb method;
        std::string pattern;
        std::vector<std::string> segments;
        Handler handler;
    };
    void add(http::verb method, std::string pattern, Handler handler);
    Outcome dispatch(const Request& request, std::string& route);
    bool authorized(const Request& request, std::string* subprotocol) const;

    SessionManager& manager_;
    Metrics& metrics_;
    std::string token_;
    int io_threads_;
    std::vector<Route> routes_;
};

/// The OpenAPI 3.1 description of the routes.
const std::string& openapi_document();

}  // namespace agenthost::server
