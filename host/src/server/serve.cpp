#include "server/serve.hpp"

#include "server/api.hpp"
#include "server/auth.hpp"
#include "server/http_server.hpp"

#include <agenthost/errors.hpp>
#include <agenthost/storage.hpp>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <thread>

namespace agenthost::server {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

fs::path default_data_dir() {
    const char* xdg = std::getenv("XDG_DATA_HOME");
    if (xdg && *xdg) return fs::path(xdg) / "agenthost";
    const char* home = std::getenv("HOME");
    return fs::path(home && *home ? home : ".") / ".local/share/agenthost";
}

/// HOST:PORT or [V6]:PORT, HOST an IP address. Throws ConfigError.
asio::ip::tcp::endpoint parse_listen(const std::string& listen) {
    std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
        throw ConfigError("--listen '" + listen + "': expected HOST:PORT, e.g. 127.0.0.1:8420");
    }
    std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
    if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) > 65535) {
        throw ConfigError("--listen '" + listen + "': the port must be 0 to 65535");
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) throw ConfigError("--listen '" + listen + "': '" + host + "' is not an IP address");
    return {address, static_cast<unsigned short>(std::stoi(port))};
}

/// Raise the soft limit on open files to the hard one: each connection and open session holds some.
void raise_file_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
}

}  // namespace

int serve(const ServeOptions& o) {
    asio::ip::tcp::endpoint endpoint;
    std::unique_ptr<SessionManager> manager;
    std::string token;
    try {
        endpoint = parse_listen(o.listen);
        raise_file_limit();
        ManagerOptions mo;
        mo.data_dir = o.data_dir.value_or(default_data_dir());
        mo.plugin_dirs = o.plugin_dirs;
        mo.harness = o.harness;
        mo.model = o.model;
        mo.turn_threads = o.turn_threads;
        mo.max_sessions = o.max_sessions;
        mo.max_open_sessions = o.max_open_sessions;
        if (o.approval_timeout_ms) mo.approval_timeout = std::chrono::milliseconds(*o.approval_timeout_ms);
        const char* home = std::getenv("HOME");
        mo.home = home && *home ? fs::path(home) : fs::path();
        manager = std::make_unique<SessionManager>(mo);
        token = load_or_create_token(o.token_file.value_or(mo.data_dir / "token"));
        for (const std::string& w : manager->take_warnings()) spdlog::warn("{}", w);
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
        return 2;
    }
    if (!endpoint.address().is_loopback()) {
        spdlog::warn("listening on {}, which is not loopback: anyone who can reach it and holds the token drives "
                     "sessions on this machine",
                     endpoint.address().to_string());
    }
    auto io_owner = std::make_unique<asio::io_context>(o.io_threads);
    asio::io_context& io = *io_owner;
    Metrics metrics;
    Api api(*manager, metrics, token, o.io_threads);
    ServerLimits limits;
    limits.max_body = o.max_body_bytes;
    limits.max_connections = o.max_connections;
    limits.stream_buffer = o.stream_buffer_bytes;
    limits.header_timeout = std::chrono::milliseconds(o.header_timeout_ms);
    limits.idle_timeout = std::chrono::milliseconds(o.idle_timeout_ms);
    std::unique_ptr<HttpServer> server;
    try {
        server = std::make_unique<HttpServer>(io, endpoint, api, *manager, metrics, limits);
    } catch (const std::exception& e) {
        std::cerr << "agenthost: cannot listen on " << o.listen << ": " << e.what() << "\n";
        return 2;
    }
    server->start();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
        server->stop();
        io.stop();
    });
    auto bound = server->local_endpoint();
    std::cout << "listening on http://"
              << (bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string()) << ":"
              << bound.port() << std::endl;
    std::vector<std::thread> threads;
    for (int i = 1; i < std::max(1, o.io_threads); ++i) threads.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();
    server.reset();
    io_owner.reset();  // the connections and streams go first: they refer to the manager
    manager.reset();   // interrupts running turns, waits for them, closes every log
    return 0;
}

}  // namespace agenthost::server
