// The listener and its connections: bounded headers and bodies, header and idle timeouts, a cap
// on connections; each request goes to the Api and comes back as a response, a stream or a
// WebSocket (DESIGN §8 Limits).
#pragma once

#include "server/api.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace agenthost::server {

/// Accepts connections on one address.
class HttpServer {
public:
    /// Listen on `endpoint` (port 0: any free port). Throws boost::system::system_error.
    HttpServer(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, Api& api, SessionManager& manager,
               Metrics& metrics, ServerLimits limits);
    /// Start accepting.
    void start();
    /// Stop accepting.
    void stop();
    /// The address it listens on.
    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

private:
    void accept();

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    Api& api_;
    SessionManager& manager_;
    Metrics& metrics_;
    ServerLimits limits_;
};

}  // namespace agenthost::server
