// One whole `agenthost run -p` process on openai/gpt-4.1 (the openai driver plugin, Chat
// Completions) against a fake OpenAI server in this process that answers instantly over real
// HTTP on 127.0.0.1 (TCP_NODELAY, each answer in one write). The math harness; the server
// answers N-1 streamed tool calls of multiply(1231, 2331), then a streamed text, so a turn
// has N loop iterations. Reports, per process: wall time from spawn to exit, the child's CPU
// time (user + system, from wait4) and its peak RSS; and the cost of one extra iteration
// (wall and CPU) as the difference between an N-iteration and a 1-iteration process.
//
// Targets (issue 4): <= 20 ms start to exit for one iteration, <= 0.3 ms wall and <= 0.1 ms
// CPU per extra iteration, <= 30 MB peak RSS.
#include "support/fake_http_server.hpp"

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using agenthost::test::FakeHttpServer;
using agenthost::test::FakeRequest;
using agenthost::test::FakeResponse;

/// One streamed tool call of multiply, shaped like chat_stream_tool_call.sse.
std::string tool_call_stream(std::size_t k) {
    std::string id = "call_bench" + std::to_string(k);
    return "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4.1\",\"choices\":[{\"index\":0,"
           "\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"" + id +
           "\",\"type\":\"function\",\"function\":{\"name\":\"multiply\",\"arguments\":\"\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
           "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
           "[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":1231,\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
           "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
           "[{\"index\":0,\"function\":{\"arguments\":\"\\\"b\\\":2331}\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
           "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},"
           "\"finish_reason\":\"tool_calls\"}],\"usage\":null}\n\n"
           "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":54,"
           "\"completion_tokens\":20,\"total_tokens\":74,\"prompt_tokens_details\":{\"cached_tokens\":0}}}\n\n"
           "data: [DONE]\n\n";
}

/// The final streamed text, shaped like chat_stream_text_after_tool.sse.
std::string text_stream() {
    std::string out;
    for (const char* piece : {"", "The product", " is", " 2,869,461", "."}) {
        out += "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" +
               std::string(piece) + "\"},\"finish_reason\":null}],\"usage\":null}\n\n";
    }
    out += "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},"
           "\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
           "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":87,"
           "\"completion_tokens\":26,\"total_tokens\":113,\"prompt_tokens_details\":{\"cached_tokens\":0}}}\n\n"
           "data: [DONE]\n\n";
    return out;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
    return n;
}

/// The in-process fake OpenAI server, shared by every benchmark.
struct Server {
    Server() {
        server.route("POST", "/v1/chat/completions", [this](const FakeRequest& r) {
            std::size_t results = count(r.body, "\"role\":\"tool\"");
            FakeResponse out;
            out.headers = {{"Content-Type", "text/event-stream; charset=utf-8"}, {"x-request-id", "req_bench"}};
            out.body = results + 1 < iterations.load() ? tool_call_stream(results) : text_stream();
            return out;  // a whole body: head and body in one write
        });
    }
    FakeHttpServer server;
    std::atomic<std::size_t> iterations{1};
};

Server& server() {
    static Server s;
    return s;
}

struct Run {
    bool ok = false;
    double wall_ms = 0, cpu_ms = 0, rss_mib = 0;
    std::string output;
};

/// Spawn `agenthost run -p` for a turn of `iterations` model calls and wait for it.
Run run_turn(std::size_t iterations, const fs::path& home) {
    server().iterations = iterations;
    std::string exe = (fs::path(AGENTHOST_BUILD_DIR) / "agenthost").string();
    std::vector<std::string> args{exe, "run", "-p", "What is 1231 * 2331?", "--model", "openai/gpt-4.1", "--harness", "math",
                                  "--output-format", "json", "--max-iterations", std::to_string(iterations + 1),
                                  "--data-dir", (home / "data").string()};
    std::vector<std::string> env{"HOME=" + home.string(), "OPENAI_BASE_URL=" + server().server.url() + "/v1", "PATH=/usr/bin:/bin"};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    fs::path out = home / "out.json";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    Run r;
    auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return r;
    int status = 0;
    struct rusage ru {};
    wait4(pid, &status, 0, &ru);
    r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    auto ms = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3; };
    r.cpu_ms = ms(ru.ru_utime) + ms(ru.ru_stime);
    r.rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
    std::ifstream in(out);
    std::stringstream s;
    s << in.rdbuf();
    r.output = s.str();
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && r.output.find("\"success\":true") != std::string::npos &&
           r.output.find("\"iterations\":" + std::to_string(iterations)) != std::string::npos;
    return r;
}

fs::path temp_home() {
    fs::path p = fs::temp_directory_path() / ("agenthost-openai-bench-" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
}

/// One process per benchmark iteration; manual time = the process's wall time.
void BM_RunP_OpenAi(benchmark::State& state) {
    std::size_t n = static_cast<std::size_t>(state.range(0));
    fs::path home = temp_home();
    double cpu = 0, rss = 0, runs = 0;
    for (auto _ : state) {
        Run r = run_turn(n, home);
        if (!r.ok) {
            state.SkipWithError(("agenthost run failed: " + r.output).c_str());
            break;
        }
        state.SetIterationTime(r.wall_ms / 1e3);
        cpu += r.cpu_ms;
        rss = std::max(rss, r.rss_mib);
        ++runs;
    }
    fs::remove_all(home);
    if (runs > 0) {
        state.counters["child_cpu_ms"] = cpu / runs;
        state.counters["peak_rss_MiB"] = rss;
        state.counters["model_calls"] = static_cast<double>(n);
    }
}
BENCHMARK(BM_RunP_OpenAi)->Arg(1)->Arg(11)->Arg(101)->UseManualTime()->Unit(benchmark::kMillisecond);

/// The cost of one extra loop iteration: an N-iteration process minus a 1-iteration one, run
/// back to back, divided by N-1.
void BM_PerExtraIteration_OpenAi(benchmark::State& state) {
    std::size_t n = static_cast<std::size_t>(state.range(0));
    fs::path home = temp_home();
    double wall = 0, cpu = 0, runs = 0;
    for (auto _ : state) {
        Run one = run_turn(1, home);
        Run many = run_turn(n, home);
        if (!one.ok || !many.ok) {
            state.SkipWithError("agenthost run failed");
            break;
        }
        double per_wall = (many.wall_ms - one.wall_ms) / static_cast<double>(n - 1);
        state.SetIterationTime(std::max(per_wall, 0.0) / 1e3);
        wall += per_wall;
        cpu += (many.cpu_ms - one.cpu_ms) / static_cast<double>(n - 1);
        ++runs;
    }
    fs::remove_all(home);
    if (runs > 0) {
        state.counters["extra_iter_wall_us"] = wall / runs * 1e3;
        state.counters["extra_iter_cpu_us"] = cpu / runs * 1e3;
    }
}
BENCHMARK(BM_PerExtraIteration_OpenAi)->Arg(11)->Arg(101)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
