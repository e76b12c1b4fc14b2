// /v1/metrics: Prometheus text of the daemon's sessions, turns, threads, streams and requests.
#pragma once

#include "server/session_manager.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <string>

namespace agenthost::server {

/// Request counters and the rendering of every metric.
class Metrics {
public:
    /// Count one answered request by route pattern ("/v1/sessions/{id}") and status.
    void count_request(const std::string& route, int status);
    /// A connection opened (+1) or closed (-1).
    void connection(int delta) { connections_ += delta; }
    /// Connections open now.
    long connections() const { return connections_.load(); }
    /// Everything, in the Prometheus text format.
    std::string render(const SessionManager& manager, int io_threads) const;

private:
    mutable std::mutex mu_;
    std::map<std::pair<std::string, int>, std::uint64_t> requests_;
    std::atomic<long> connections_{0};
};

}  // namespace agenthost::server
