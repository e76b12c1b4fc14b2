#include "server/http_server.hpp"

#include "server/event_stream.hpp"

#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include <optional>

namespace agenthost::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// Counts a connection while it (or the stream it became) lives.
struct ConnectionSlot {
    Metrics& metrics;
    explicit ConnectionSlot(Metrics& m) : metrics(m) { metrics.connection(+1); }
    ~ConnectionSlot() { metrics.connection(-1); }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
public:
    HttpConnection(tcp::socket socket, Api& api, SessionManager& manager, Metrics& metrics, const ServerLimits& limits,
                   std::shared_ptr<ConnectionSlot> slot)
        : stream_(std::move(socket)), api_(api), manager_(manager), metrics_(metrics), limits_(limits), slot_(std::move(slot)) {}

    void start() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_request(); });
    }

private:
    void wait_request() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header));
        parser_->body_limit(limits_.max_body);
        if (buffer_.size() > 0) return read_header();
        // Idle: a kept-alive connection waits this long for a request's first byte.
        stream_.expires_after(limits_.idle_timeout);
        stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
            if (ec) return self->close();
            self->buffer_.commit(n);
            self->read_header();
        });
    }

    void read_header() {
        // From the first byte, the whole header within header_timeout: a slow trickle is cut.
        stream_.expires_after(limits_.header_timeout);
        http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_header(ec);
        });
    }

    void on_header(beast::error_code ec) {
        if (ec == http::error::header_limit) return fail(431, "headers_too_large", "the request headers are too large");
        if (ec == http::error::body_limit) {
            return fail(413, "body_too_large", "the request body is larger than " + std::to_string(limits_.max_body) + " bytes");
        }
        if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
            ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
            return close();
        }
        if (ec) return fail(400, "invalid_request", "not a valid HTTP request: " + ec.message());
        if (beast::websocket::is_upgrade(parser_->get())) return on_request();
        if (parser_->content_length() && *parser_->content_length() > limits_.max_body) {
            return fail(413, "body_too_large",
                        "the request body is larger than " + std::to_string(limits_.max_body) + " bytes");
        }
        stream_.expires_after(limits_.body_timeout);
        http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec == http::error::body_limit) {
                return self->fail(413, "body_too_large",
                                  "the request body is larger than " + std::to_string(self->limits_.max_body) + " bytes");
            }
            if (ec == beast::error::timeout) return self->close();
            if (ec) return self->fail(400, "invalid_request", "cannot read the request body: " + ec.message());
            self->on_request();
        });
    }

    void on_request() {
        Request req = parser_->release();
        Outcome out = api_.handle(req);
        if (out.kind == Outcome::kWebSocket) {
            metrics_.count_request(out.route, 101);
            stream_.expires_never();
            return start_websocket(std::move(stream_), std::move(req), manager_, out.session_id, out.after,
                                   out.subprotocol, limits_.stream_buffer, slot_);
        }
        if (out.kind == Outcome::kStream) {
            metrics_.count_request(out.route, 200);
            return start_http_stream(std::move(stream_), req, manager_, out.session_id, out.after, out.sse,
                                     limits_.stream_buffer, slot_);
        }
        metrics_.count_request(out.route, static_cast<int>(out.response.result_int()));
        out.response.keep_alive(req.keep_alive());
        if (req.method() == http::verb::head) out.response.body().clear();
        write(std::move(out.response));
    }

    void fail(int status, const std::string& code, const std::string& message) {
        metrics_.count_request("-", status);
        Response res = error_response(11, status, code, message);
        res.keep_alive(false);
        write(std::move(res));
    }

    void write(Response res) {
        auto sp = std::make_shared<Response>(std::move(res));
        stream_.expires_after(limits_.body_timeout);
        http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
            if (ec || !sp->keep_alive()) return self->close();
            self->wait_request();
        });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    Api& api_;
    SessionManager& manager_;
    Metrics& metrics_;
    const ServerLimits& limits_;
    std::shared_ptr<ConnectionSlot> slot_;
};

/// The answer to a connection over the cap: 503 with Retry-After, then close.
void refuse(tcp::socket socket) {
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    Response res = error_response(11, 503, "too_many_connections", "the daemon is at its connection limit; retry");
    res.keep_alive(false);
    auto text = std::make_shared<std::string>();
    std::ostringstream out;
    out << res;
    *text = out.str();
    asio::async_write(*s, asio::buffer(*text), [s, text](beast::error_code, std::size_t) {
        beast::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
        s->close(ec);
    });
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, tcp::endpoint endpoint, Api& api, SessionManager& manager,
                       Metrics& metrics, ServerLimits limits)
    : io_(io), acceptor_(io), api_(api), manager_(manager), metrics_(metrics), limits_(limits) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

void HttpServer::start() { accept(); }

void HttpServer::stop() {
    beast::error_code ec;
    acceptor_.close(ec);
}

void HttpServer::accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            if (static_cast<std::size_t>(metrics_.connections()) >= limits_.max_connections) {
                metrics_.count_request("-", 503);
                refuse(std::move(socket));
            } else {
                auto slot = std::make_shared<ConnectionSlot>(metrics_);
                std::make_shared<HttpConnection>(std::move(socket), api_, manager_, metrics_, limits_, std::move(slot))
                    ->start();
            }
        } else {
            spdlog::warn("accept failed: {}", ec.message());
        }
        accept();
    });
}

}  // namespace agenthost::server
