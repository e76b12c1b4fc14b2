// `agenthost serve` (DESIGN §8): one process, many sessions, over HTTP and WebSocket.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace agenthost::server {

/// The flags of `agenthost serve`.
struct ServeOptions {
    std::string listen = "127.0.0.1:8420";       ///< HOST:PORT, an IP address; port 0 picks one
    std::optional<std::filesystem::path> data_dir;  ///< default $XDG_DATA_HOME/agenthost
    std::optional<std::filesystem::path> token_file;  ///< default DATA_DIR/token
    std::vector<std::filesystem::path> plugin_dirs;
    std::string harness = "coding";
    std::optional<std::string> model;
    int io_threads = 2;
    int turn_threads = 8;
    std::size_t max_sessions = 10000;
    std::size_t max_open_sessions = 256;
    std::size_t max_connections = 512;
    std::size_t max_body_bytes = 1 << 20;
    std::size_t stream_buffer_bytes = 1 << 20;
    int header_timeout_ms = 10000;
    int idle_timeout_ms = 60000;
    std::optional<int> approval_timeout_ms;
};

/// Run the daemon until SIGINT or SIGTERM. Prints "listening on http://HOST:PORT" on stdout
/// once it answers. Returns the exit status (2: bad configuration).
int serve(const ServeOptions& options);

}  // namespace agenthost::server
