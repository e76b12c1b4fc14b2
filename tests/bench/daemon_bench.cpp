// The daemon's cost (docs/daemon.md "Numbers"): resident memory of `agenthost serve` holding N
// idle sessions that each ran one llmsim turn, and the latency from POST …/messages to
// turn.completed on a WebSocket against the same turn run in process.
//
//   daemon_bench [SESSIONS...]     (default 1000; a Release build)
#ifndef AGENTHOST_FIXTURES_DIR  // the benches' build does not define it; test_env.hpp names it
#define AGENTHOST_FIXTURES_DIR AGENTHOST_BUILD_DIR "/plugin_fixtures"
#endif
#include "support/daemon_client.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace {

namespace json = boost::json;
using namespace agenthost;
using Clock = std::chrono::steady_clock;

long rss_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

double median_us(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

const json::array kScript = {json::object{{"text", "a short answer from the simulator"}}};

void idle_sessions(std::size_t n) {
    test::Daemon d({"--harness", "base", "--max-sessions", std::to_string(n + 10)});
    long before = rss_kb(d.pid());
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        d.create_session(kScript, json::object{{"prompt", "hello"}});
    }
    // Every turn done: nothing running.
    for (;;) {
        json::value running = d.get("/v1/sessions?status=running").json();
        if (running.at("sessions").as_array().empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    long after = rss_kb(d.pid());
    std::printf("%zu sessions, one llmsim turn each: RSS %ld KB before, %ld KB after (%.1f KB per session); "
                "created and run in %.1f s\n",
                n, before, after, static_cast<double>(after - before) / static_cast<double>(n), secs);
}

void turn_latency(int turns) {
    test::Daemon d({"--harness", "base"});
    std::string id = d.create_session(kScript);
    test::WsClient ws(d, "/v1/sessions/" + id + "/ws?after=1");
    ws.read();  // stream.ready
    std::vector<double> daemon_us;
    for (int i = 0; i < turns; ++i) {
        auto t0 = Clock::now();
        test::HttpReply r = d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "hello"}});
        if (r.status != 202) throw std::runtime_error(r.body);
        ws.read_until("turn.completed");
        daemon_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    test::TempDir dir;
    auto rt = test::builder(kScript)
                  .harness("base")
                  .session_store(make_jsonl_session_store((dir.path() / "sessions").string()))
                  .build();
    std::vector<double> local_us;
    for (int i = 0; i < turns; ++i) {
        auto t0 = Clock::now();
        TurnResult r = rt->run_turn("hello");
        if (!r.success) throw std::runtime_error("in-process turn failed");
        local_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    std::printf("POST messages -> turn.completed on a WebSocket, median of %d turns: %.0f us; the same turn in "
                "process (Runtime::run_turn, JSONL store): %.0f us\n",
                turns, median_us(daemon_us), median_us(local_us));
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> counts;
    for (int i = 1; i < argc; ++i) counts.push_back(std::stoul(argv[i]));
    if (counts.empty()) counts.push_back(1000);
    try {
        for (std::size_t n : counts) idle_sessions(n);
        turn_latency(1000);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "daemon_bench: %s\n", e.what());
        return 1;
    }
}
