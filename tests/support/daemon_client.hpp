// A real `agenthost serve` process on 127.0.0.1 and real clients for it: HTTP (Beast), an NDJSON
// follow reader and a WebSocket client (Beast websocket). For tests/integration/daemon_*_test.cpp.
#pragma once

#include "support/test_env.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <vector>

extern char** environ;

namespace agenthost::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

/// A socket read that waits longer than this is a hung daemon: the test fails instead of hanging.
inline constexpr int kSocketSafetySeconds = 60;

/// Bound every blocking read and write of `fd` so a hung daemon fails the test.
inline void bound_socket(int fd) {
    timeval tv{kSocketSafetySeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/// What an HTTP request got.
struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
    /// The body as JSON (null if it is not JSON).
    boost::json::value json() const {
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(body, ec);
        return ec ? boost::json::value() : v;
    }
    /// error.code of an error body.
    std::string error_code() const {
        auto v = json();
        if (!v.is_object() || !v.as_object().contains("error")) return "";
        return boost::json::value_to<std::string>(v.at("error").at("code"));
    }
};

/// One `agenthost serve` on 127.0.0.1 with its own data folder and HOME.
class Daemon {
public:
    /// Start it with `extra` flags (after --listen and --data-dir). Throws if it does not come up.
    explicit Daemon(std::vector<std::string> extra = {}, std::optional<fs::path> data_dir = std::nullopt)
        : extra_(std::move(extra)) {
        data_dir_ = data_dir ? *data_dir : home_.path() / "data";
        fs::create_directories(home_.path() / "home");
        start();
    }
    ~Daemon() { stop(); }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Start (again, after kill()).
    void start() {
        std::string out = (home_.path() / "serve.out").string(), err = (home_.path() / "serve.err").string();
        ::unlink(out.c_str());
        std::vector<std::string> args{(build_dir() / "agenthost").string(), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                                      data_dir_.string()};
        for (const auto& a : extra_) args.push_back(a);
        std::vector<std::string> envs;
        for (char** e = environ; *e; ++e) {
            std::string kv(*e);
            std::string key = kv.substr(0, kv.find('='));
            if (key == "HOME" || key.rfind("ANTHROPIC_", 0) == 0 || key.rfind("OPENAI_", 0) == 0 ||
                key.rfind("XDG_", 0) == 0 || key.rfind("AGENTHOST_", 0) == 0) {
                continue;
            }
            envs.push_back(kv);
        }
        envs.push_back("HOME=" + home().string());
        std::vector<char*> argv, envp;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : envs) envp.push_back(e.data());
        envp.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) throw std::runtime_error("cannot start agenthost serve");
        // Up when it prints its address (it listens before it prints).
        for (int i = 0; i < 6000; ++i) {
            std::string text = read_file(out);
            auto at = text.find("listening on http://127.0.0.1:");
            if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
                port_ = static_cast<unsigned short>(std::stoi(text.substr(at + 30)));
                token_ = read_file(data_dir_ / "token");
                while (!token_.empty() && token_.back() == '\n') token_.pop_back();
                return;
            }
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("agenthost serve exited: " + stderr_text());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        throw std::runtime_error("agenthost serve did not come up: " + stderr_text());
    }

    /// kill -9, and wait for it.
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    /// SIGTERM, and wait for it; returns the exit status.
    int stop() {
        if (pid_ <= 0) return -1;
        ::kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    unsigned short port() const { return port_; }
    /// The daemon's process id.
    pid_t pid() const { return pid_; }
    const std::string& token() const { return token_; }
    const fs::path& data_dir() const { return data_dir_; }
    /// The daemon's $HOME.
    fs::path home() const { return home_.path() / "home"; }
    /// A fresh workspace folder under the test's temporary folder (not inside HOME).
    fs::path new_work_dir() {
        fs::path p = home_.path() / ("ws" + std::to_string(++work_dirs_));
        fs::create_directories(p);
        return p;
    }
    std::string stderr_text() const { return read_file(home_.path() / "serve.err"); }

    /// One request on a fresh connection. `auth`: send the bearer token.
    HttpReply request(http::verb method, const std::string& target, const std::string& body = "", bool auth = true,
                      const std::map<std::string, std::string>& headers = {}) const {
        net::io_context io;
        beast::tcp_stream stream(io);
        stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
        bound_socket(stream.socket().native_handle());
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        if (auth) req.set(http::field::authorization, "Bearer " + token_);
        for (const auto& [k, v] : headers) req.set(k, v);
        if (!body.empty()) {
            req.set(http::field::content_type, "application/json");
            req.body() = body;
        }
        req.prepare_payload();
        http::write(stream, req);
        beast::flat_buffer buf;
        http::response_parser<http::string_body> parser;
        parser.body_limit(256 << 20);
        http::read(stream, buf, parser);
        HttpReply r;
        r.status = static_cast<int>(parser.get().result_int());
        for (const auto& f : parser.get()) r.headers[std::string(f.name_string())] = std::string(f.value());
        r.body = parser.get().body();
        beast::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        return r;
    }
    HttpReply get(const std::string& target) const { return request(http::verb::get, target); }
    HttpReply post(const std::string& target, const boost::json::value& body) const {
        return request(http::verb::post, target, boost::json::serialize(body));
    }

    /// POST /v1/sessions with a work_dir of its own, harness `base`, llmsim `responses` and `extra` fields; the id.
    std::string create_session(const boost::json::array& responses, boost::json::object extra = {}) {
        boost::json::object body{{"work_dir", new_work_dir().string()}, {"harness", "base"}};
        if (!responses.empty()) body["driver_config"] = boost::json::object{{"llmsim", boost::json::object{{"responses", responses}}}};
        for (const auto& kv : extra) body[kv.key()] = kv.value();
        HttpReply r = post("/v1/sessions", body);
        if (r.status != 201) throw std::runtime_error("create session: " + std::to_string(r.status) + " " + r.body);
        return boost::json::value_to<std::string>(r.json().at("session_id"));
    }

    /// Stored events after `after` (GET …/events).
    std::vector<boost::json::object> events(const std::string& id, std::uint64_t after = 0) const {
        HttpReply r = get("/v1/sessions/" + id + "/events?after=" + std::to_string(after));
        if (r.status != 200) throw std::runtime_error("events: " + std::to_string(r.status) + " " + r.body);
        std::vector<boost::json::object> out;
        std::size_t pos = 0;
        while (pos < r.body.size()) {
            std::size_t nl = r.body.find('\n', pos);
            out.push_back(boost::json::parse(r.body.substr(pos, nl - pos)).as_object());
            pos = nl + 1;
        }
        return out;
    }

private:
    TempDir home_;
    fs::path data_dir_;
    std::vector<std::string> extra_;
    pid_t pid_ = -1;
    unsigned short port_ = 0;
    std::string token_;
    int work_dirs_ = 0;
};

/// A WebSocket client of GET /v1/sessions/{id}/ws.
class WsClient {
public:
    /// Connect; `subprotocol_auth`: send the token as the subprotocol instead of the header.
    WsClient(const Daemon& d, const std::string& target, bool subprotocol_auth = false, int receive_buffer = 0)
        : ws_(io_) {
        auto& sock = beast::get_lowest_layer(ws_).socket();
        sock.open(tcp::v4());
        if (receive_buffer > 0) sock.set_option(net::socket_base::receive_buffer_size(receive_buffer));
        beast::get_lowest_layer(ws_).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), d.port()));
        bound_socket(sock.native_handle());
        std::string token = d.token();
        ws_.set_option(websocket::stream_base::decorator([token, subprotocol_auth](websocket::request_type& req) {
            if (subprotocol_auth) req.set(http::field::sec_websocket_protocol, "agenthost.bearer." + token);
            else req.set(http::field::authorization, "Bearer " + token);
        }));
        ws_.read_message_max(64 << 20);
        ws_.handshake(response_, "127.0.0.1", target);
    }
    /// The next message as JSON; throws on close or error (the close reason is in close_reason()).
    boost::json::object read() {
        buf_.consume(buf_.size());
        ws_.read(buf_);
        return boost::json::parse(beast::buffers_to_string(buf_.data())).as_object();
    }
    /// Messages until one of type `type` (included).
    std::vector<boost::json::object> read_until(const std::string& type) {
        std::vector<boost::json::object> out;
        for (;;) {
            out.push_back(read());
            if (out.back().at("type") == type.c_str()) return out;
        }
    }
    /// Send a client frame.
    void send(const boost::json::object& frame) { ws_.write(net::buffer(boost::json::serialize(frame))); }
    /// Why the server closed.
    std::string close_reason() const { return std::string(ws_.reason().reason.c_str()); }
    /// The handshake's response.
    const websocket::response_type& handshake_response() const { return response_; }

private:
    net::io_context io_;
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buf_;
    websocket::response_type response_;
};

/// Whether `events` have sequences after+1, after+2, … with no gap and no duplicate (deltas, which
/// repeat the last stored sequence, and control messages are skipped). Returns a message if not.
inline std::optional<std::string> sequence_gap(const std::vector<boost::json::object>& events, std::uint64_t after) {
    std::uint64_t expect = after + 1;
    for (const auto& e : events) {
        if (!e.contains("sequence") || e.at("type") == "output.message.delta") continue;
        std::uint64_t s = e.at("sequence").to_number<std::uint64_t>();
        if (s != expect) return "sequence " + std::to_string(s) + " where " + std::to_string(expect) + " was expected";
        ++expect;
    }
    return std::nullopt;
}

}  // namespace agenthost::test
