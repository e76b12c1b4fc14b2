// A small HTTP/1.1 server on 127.0.0.1 for tests (Boost.Beast, header-only): routes, whole or
// chunked answers split at any byte boundary, delays, connections dropped mid-body, a
// never-answering mode, redirects, and a record of every request. It listens on an ephemeral
// port, sets TCP_NODELAY on every accepted socket, keeps connections alive, and runs on its own
// thread until it is destroyed.
//
//   test::FakeHttpServer server;
//   server.route("POST", "/v1/messages", [](const test::FakeRequest& r) {
//       return test::FakeResponse::sse({"event: a\ndata: 1\n\n", "event: b\ndata: 2\n\n"});
//   });
//   ... request server.url("/v1/messages") ...
//   EXPECT_EQ(server.requests().at(0).body, "...");
//
// Handlers run on the server's thread, one request at a time: they must not block (use the
// response's delays instead).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace agenthost::test {

/// One request the fake server received.
struct FakeRequest {
    std::string method;
    std::string target;  ///< as sent: "/v1/messages?x=1" (or absolute-form through a proxy)
    std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased, in order
    std::string body;
    std::size_t connection = 0;  ///< which accepted connection it came on (1, 2, …)

    /// The first value of a header (any case), or "".
    std::string header(std::string_view name) const {
        std::string lower(name);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        for (const auto& [k, v] : headers) {
            if (k == lower) return v;
        }
        return {};
    }
    /// The target without its query.
    std::string path() const { return target.substr(0, target.find('?')); }
};

/// One piece of a chunked answer, written in one write after an optional delay.
struct FakeChunk {
    FakeChunk() = default;
    FakeChunk(const char* bytes) : data(bytes) {}  // NOLINT: implicit on purpose
    FakeChunk(std::string bytes, int delay_ms = 0) : data(std::move(bytes)), delay_before_ms(delay_ms) {}  // NOLINT
    std::string data;         ///< the bytes (an empty chunk is skipped: it would end the body)
    int delay_before_ms = 0;  ///< wait this long before writing it
};

/// What the fake server answers to one request.
struct FakeResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  ///< sent as given, in order
    std::string body;                                          ///< a whole body, sent with the head in one write
    std::vector<FakeChunk> chunks;  ///< non-empty: Transfer-Encoding: chunked, one write per chunk
    int delay_ms = 0;               ///< wait before writing anything
    /// Drop the connection after what is listed, mid-body: chunks end without the final
    /// zero-size chunk; a whole body is sent with a Content-Length one byte larger than it.
    bool close_after = false;
    bool hang = false;  ///< never answer: the connection stays open until the client leaves or the server stops
    std::string raw;    ///< non-empty: write exactly these bytes, then close (everything else is ignored)

    /// A whole text answer.
    static FakeResponse text(std::string body, int status = 200, std::string content_type = "text/plain") {
        FakeResponse r;
        r.status = status;
        r.headers.emplace_back("Content-Type", std::move(content_type));
        r.body = std::move(body);
        return r;
    }
    /// A whole JSON answer.
    static FakeResponse json(std::string body, int status = 200) {
        return text(std::move(body), status, "application/json");
    }
    /// A chunked text/event-stream answer, one chunk per write.
    static FakeResponse sse(std::vector<FakeChunk> chunks, int status = 200) {
        FakeResponse r;
        r.status = status;
        r.headers.emplace_back("Content-Type", "text/event-stream");
        r.chunks = std::move(chunks);
        return r;
    }
    /// A redirect to `location`.
    static FakeResponse redirect(std::string location, int status = 302) {
        FakeResponse r;
        r.status = status;
        r.headers.emplace_back("Location", std::move(location));
        return r;
    }
    /// An answer that never comes.
    static FakeResponse never() {
        FakeResponse r;
        r.hang = true;
        return r;
    }
};

/// An HTTP/1.1 server on 127.0.0.1:<ephemeral port>, on its own thread (see the file comment).
class FakeHttpServer {
public:
    /// Computes the answer to one request (runs on the server thread).
    using Handler = std::function<FakeResponse(const FakeRequest&)>;

    /// Listen on 127.0.0.1 with an ephemeral port and start serving.
    FakeHttpServer() : acceptor_(ioc_) {
        namespace asio = boost::asio;
        using tcp = asio::ip::tcp;
        const tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), 0);
        acceptor_.open(at.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(at);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    /// Stop serving, drop every connection (hanging ones too) and join the thread.
    ~FakeHttpServer() {
        ioc_.stop();
        thread_.join();
    }
    FakeHttpServer(const FakeHttpServer&) = delete;
    FakeHttpServer& operator=(const FakeHttpServer&) = delete;

    /// Answer `method` ("*": any) on `path` with `handler`. The path is matched against the
    /// target without its query, unless it holds a '?' itself. A later route wins.
    void route(std::string method, std::string path, Handler handler) {
        std::lock_guard lock(mu_);
        routes_.insert(routes_.begin(), Route{std::move(method), std::move(path), std::move(handler)});
    }
    /// Answer `method` on `path` with a fixed response.
    void route(std::string method, std::string path, FakeResponse response) {
        route(std::move(method), std::move(path),
              [response = std::move(response)](const FakeRequest&) { return response; });
    }
    /// Redirect `method` on `path` to `location` (an absolute URL or a path).
    void redirect(std::string method, std::string path, std::string location, int status = 302) {
        route(std::move(method), std::move(path), FakeResponse::redirect(std::move(location), status));
    }
    /// The handler for requests no route matches (default: 404 "no route").
    void fallback(Handler handler) {
        std::lock_guard lock(mu_);
        fallback_ = std::move(handler);
    }
    /// From now on, accept and read requests but never answer any (until turned off).
    void never_answer(bool on = true) { never_.store(on); }

    /// Every request received so far, in order.
    std::vector<FakeRequest> requests() const {
        std::lock_guard lock(mu_);
        return requests_;
    }
    /// How many requests were received.
    std::size_t request_count() const {
        std::lock_guard lock(mu_);
        return requests_.size();
    }
    /// Forget the requests received so far.
    void clear_requests() {
        std::lock_guard lock(mu_);
        requests_.clear();
    }
    /// Wait until at least `n` requests were received; false if `timeout` passed first.
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
    }
    /// How many connections were accepted so far.
    std::size_t connections() const { return connections_.load(); }
    /// The port it listens on.
    unsigned short port() const { return port_; }
    /// "http://127.0.0.1:PORT".
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    /// "http://127.0.0.1:PORT" + path.
    std::string url(std::string_view path) const { return url() + std::string(path); }

private:
    struct Route {
        std::string method;
        std::string path;
        Handler handler;
    };

    boost::asio::awaitable<void> accept_loop() {
        namespace asio = boost::asio;
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec == asio::error::operation_aborted) co_return;
            if (ec) continue;
            boost::system::error_code ignored;
            socket.set_option(asio::ip::tcp::no_delay(true), ignored);
            const std::size_t id = ++connections_;
            asio::co_spawn(ioc_, serve(std::move(socket), id), asio::detached);
        }
    }

    FakeResponse dispatch(const FakeRequest& request) {
        Handler handler;
        {
            std::lock_guard lock(mu_);
            const std::string path = request.path();
            for (const auto& r : routes_) {
                if (r.method != "*" && r.method != request.method) continue;
                if (r.path == (r.path.find('?') == std::string::npos ? path : request.target)) {
                    handler = r.handler;
                    break;
                }
            }
            if (!handler) handler = fallback_;
        }
        if (!handler) return FakeResponse::text("no route for " + request.method + " " + request.target, 404);
        try {
            return handler(request);
        } catch (const std::exception& e) {
            return FakeResponse::text(std::string("handler threw: ") + e.what(), 500);
        }
    }

    static bool has_header(const FakeResponse& r, std::string_view name) {
        return std::any_of(r.headers.begin(), r.headers.end(), [&](const auto& h) {
            return h.first.size() == name.size() &&
                   std::equal(h.first.begin(), h.first.end(), name.begin(),
                              [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
        });
    }

    static std::string head_of(const FakeResponse& r, bool keep_alive) {
        std::string out =
            "HTTP/1.1 " + std::to_string(r.status) + " " +
            std::string(boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(r.status))) +
            "\r\n";
        for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
        if (!keep_alive && !has_header(r, "connection")) out += "Connection: close\r\n";
        return out;
    }

    boost::asio::awaitable<void> pause(int ms) {
        namespace asio = boost::asio;
        if (ms <= 0) co_return;
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(std::chrono::milliseconds(ms));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }

    static boost::asio::awaitable<bool> send(boost::asio::ip::tcp::socket& socket, const std::string& bytes) {
        namespace asio = boost::asio;
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
        co_return !ec;
    }

    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, std::size_t id) {
        namespace asio = boost::asio;
        namespace http = boost::beast::http;
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(1u << 20);
            parser.body_limit(std::uint64_t{1} << 30);
            auto [ec, n] = co_await http::async_read(socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            const auto& message = parser.get();
            FakeRequest request;
            request.method = std::string(message.method_string());
            request.target = std::string(message.target());
            for (const auto& field : message) {
                std::string name(field.name_string());
                std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
                request.headers.emplace_back(std::move(name), std::string(field.value()));
            }
            request.body = message.body();
            request.connection = id;
            const bool client_keep_alive = message.keep_alive();
            {
                std::lock_guard lock(mu_);
                requests_.push_back(request);
            }
            cv_.notify_all();

            FakeResponse r = never_.load() ? FakeResponse::never() : dispatch(request);
            if (r.hang) {
                char sink[4096];
                for (;;) {  // until the client leaves (or the server stops)
                    auto [rec, got] =
                        co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
                    if (rec) co_return;
                }
            }
            co_await pause(r.delay_ms);
            if (!r.raw.empty()) {
                co_await send(socket, r.raw);
                co_return;
            }
            const bool head = request.method == "HEAD";
            const bool keep_alive = client_keep_alive && !r.close_after;
            std::string out = head_of(r, keep_alive);
            if (r.chunks.empty()) {
                if (!has_header(r, "content-length") && !has_header(r, "transfer-encoding"))
                    out += "Content-Length: " + std::to_string(r.body.size() + (r.close_after ? 1 : 0)) + "\r\n";
                out += "\r\n";
                if (!head) out += r.body;
                if (!co_await send(socket, out)) co_return;
            } else {
                if (!has_header(r, "transfer-encoding")) out += "Transfer-Encoding: chunked\r\n";
                out += "\r\n";
                if (!co_await send(socket, out)) co_return;
                if (!head) {
                    for (const auto& chunk : r.chunks) {
                        co_await pause(chunk.delay_before_ms);
                        if (chunk.data.empty()) continue;
                        char size[32];
                        const int len = std::snprintf(size, sizeof size, "%zx\r\n", chunk.data.size());
                        std::string piece(size, static_cast<std::size_t>(len));
                        piece += chunk.data;
                        piece += "\r\n";
                        if (!co_await send(socket, piece)) co_return;
                    }
                    if (!r.close_after && !co_await send(socket, "0\r\n\r\n")) co_return;
                }
            }
            if (!keep_alive) {
                boost::system::error_code ignored;
                socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                co_return;
            }
        }
    }

    boost::asio::io_context ioc_{1};
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::vector<Route> routes_;
    Handler fallback_;
    std::vector<FakeRequest> requests_;
    std::atomic<std::size_t> connections_{0};
    std::atomic<bool> never_{false};
    std::thread thread_;
};

}  // namespace agenthost::test
