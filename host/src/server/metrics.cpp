#include "server/metrics.hpp"

#include <fstream>
#include <sstream>

namespace agenthost::server {

namespace {

/// Threads of this process (/proc/self/status), or -1.
long process_threads() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Threads:", 0) == 0) return std::stol(line.substr(8));
    }
    return -1;
}

/// Resident memory in bytes (/proc/self/status VmRSS), or -1.
long long resident_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
    }
    return -1;
}

}  // namespace

void Metrics::count_request(const std::string& route, int status) {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[{route, status}];
}

std::string Metrics::render(const SessionManager& manager, int io_threads) const {
    ManagerStats s = manager.stats();
    auto [turn_threads, tool_threads] = manager.threads();
    std::ostringstream out;
    out << "# HELP agenthost_sessions Sessions by status.\n# TYPE agenthost_sessions gauge\n";
    for (const auto& [status, n] : s.by_status) out << "agenthost_sessions{status=\"" << status << "\"} " << n << "\n";
    out << "# HELP agenthost_sessions_open Sessions open in the runtime (the rest cost no memory beyond the index).\n"
           "# TYPE agenthost_sessions_open gauge\nagenthost_sessions_open "
        << s.open_sessions << "\n";
    out << "# HELP agenthost_turns_running Turns running or waiting for a turn thread.\n"
           "# TYPE agenthost_turns_running gauge\nagenthost_turns_running "
        << s.running_turns << "\n";
    out << "# HELP agenthost_approvals_pending Approvals waiting for an answer.\n"
           "# TYPE agenthost_approvals_pending gauge\nagenthost_approvals_pending "
        << s.pending_approvals << "\n";
    out << "# HELP agenthost_threads Threads by role: io (HTTP and WebSocket), turn (the turn pool; a turn holds one "
           "while it runs, also while it waits on the model or an approval), turn_busy, tool (parallel tool calls), "
           "process (all threads of the process).\n# TYPE agenthost_threads gauge\n";
    out << "agenthost_threads{role=\"io\"} " << io_threads << "\n";
    out << "agenthost_threads{role=\"turn\"} " << turn_threads << "\n";
    out << "agenthost_threads{role=\"turn_busy\"} " << manager.busy_turn_threads() << "\n";
    out << "agenthost_threads{role=\"tool\"} " << tool_threads << "\n";
    out << "agenthost_threads{role=\"process\"} " << process_threads() << "\n";
    out << "# HELP agenthost_subscribers Live event streams (WebSocket, SSE, NDJSON follow).\n"
           "# TYPE agenthost_subscribers gauge\nagenthost_subscribers "
        << s.subscribers << "\n";
    out << "# HELP agenthost_connections Open client connections.\n# TYPE agenthost_connections gauge\n"
           "agenthost_connections "
        << connections_.load() << "\n";
    out << "# HELP agenthost_events_written_total Events stored by this process.\n"
           "# TYPE agenthost_events_written_total counter\nagenthost_events_written_total "
        << s.events_written << "\n";
    out << "# HELP agenthost_resident_bytes Resident memory of the process.\n# TYPE agenthost_resident_bytes gauge\n"
           "agenthost_resident_bytes "
        << resident_bytes() << "\n";
    out << "# HELP agenthost_http_requests_total HTTP requests by route and status.\n"
           "# TYPE agenthost_http_requests_total counter\n";
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, n] : requests_) {
        out << "agenthost_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} " << n << "\n";
    }
    return out.str();
}

}  // namespace agenthost::server
