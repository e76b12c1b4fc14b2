// One whole `agenthost run -p` process on openai/gpt-4.1 (the openai driver plugin, Chat
// Completions) against a fake OpenAI server in this process that answers instantly over real
// HTTP on 127.0.0.1 (TCP_NODELAY, each answer in one write). The math harness; the server
// answers N-1 streamed tool calls of multiply(1231, 2331), then a streamed text, so a turn
// has N loop iterations. Reports, per process: wall time from spawn to exit, the child's CPU
// time (user + system, from wait4) and its peak RSS; and the cost of one extra iteration
// (wall and CPU) as the difference between an N-iteration and a 1-iteration process.
//
// BM_DriverChat_InProcess isolates the driver plugin's share of one iteration.
//
// Targets (issue 4): <= 20 ms start to exit for one iteration, <= 0.3 ms wall and <= 0.1 ms
// CPU per extra iteration, <= 30 MB peak RSS. A child's ru_maxrss cannot fall below this
// process's RSS at the spawn (reported as parent_rss_MiB), so the server forgets its
// recorded requests after every run to stay small.
#include "support/fake_http_server.hpp"

#include <ahp/ahp_fake.hpp>
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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
    for (char** e = environ; *e; ++e) {  // allocator experiments (MALLOC_ARENA_MAX=2, GLIBC_TUNABLES=…) reach the child
        std::string kv(*e);
        if (kv.rfind("MALLOC_", 0) == 0 || kv.rfind("GLIBC_TUNABLES=", 0) == 0) env.push_back(kv);
    }
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
    server().server.clear_requests();  // the server records requests: keep this process small (see parent_rss)
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && r.output.find("\"success\":true") != std::string::npos &&
           r.output.find("\"iterations\":" + std::to_string(iterations)) != std::string::npos;
    return r;
}

/// This process's resident size in MiB. A spawned child's ru_maxrss starts from the parent's
/// RSS at the spawn (vfork shares the memory until exec, and exec records its high-water
/// mark), so a child's peak RSS below this number cannot be seen.
double parent_rss_mib() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    return 0;
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
        state.counters["parent_rss_MiB"] = parent_rss_mib();
    }
}
BENCHMARK(BM_RunP_OpenAi)->Arg(1)->Arg(11)->Arg(101)->UseManualTime()->Unit(benchmark::kMillisecond);

/// The cost of one extra loop iteration: an N-iteration process minus a 1-iteration one, run
/// back to back, divided by N-1; the median over the pairs.
void BM_PerExtraIteration_OpenAi(benchmark::State& state) {
    std::size_t n = static_cast<std::size_t>(state.range(0));
    fs::path home = temp_home();
    std::vector<double> wall, cpu;  // per pair; the median, since a pair's difference is ~1 ms of noisy process time
    for (auto _ : state) {
        Run one = run_turn(1, home);
        Run many = run_turn(n, home);
        if (!one.ok || !many.ok) {
            state.SkipWithError("agenthost run failed");
            break;
        }
        double per_wall = (many.wall_ms - one.wall_ms) / static_cast<double>(n - 1);
        state.SetIterationTime(std::max(per_wall, 0.0) / 1e3);
        wall.push_back(per_wall);
        cpu.push_back((many.cpu_ms - one.cpu_ms) / static_cast<double>(n - 1));
    }
    fs::remove_all(home);
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    if (!wall.empty()) {
        state.counters["extra_iter_wall_us"] = median(wall) * 1e3;
        state.counters["extra_iter_cpu_us"] = median(cpu) * 1e3;
    }
}
BENCHMARK(BM_PerExtraIteration_OpenAi)->Arg(11)->Arg(101)->Iterations(50)->UseManualTime()->Unit(benchmark::kMicrosecond);

/// The driver alone, in this process through the SDK's fake host (no socket, no agent loop):
/// one driver.chat with a history of `range(0)` earlier tool rounds, answered with the
/// tool-call stream. Its time is the openai plugin's share of one loop iteration: the request
/// parsed from JSON text (SDK), the body built, the answer's SSE parsed, the result serialized.
void BM_DriverChat_InProcess(benchmark::State& state) {
    namespace json = boost::json;
    auto host = ahp::fake::FakeHost::open((fs::path(AGENTHOST_BUILD_DIR) / "plugins/openai.so").string(),
                                          R"({"base_url":"http://127.0.0.1:1/v1"})");
    std::string reply = tool_call_stream(0);
    host.on_stream_service("http.request", [&](const json::value&, const ahp::fake::FakeHost::ChunkFn& chunk) {
        chunk(reply);
        return json::value(json::object{{"status", 200}, {"headers", json::object{}}});
    });
    auto text = [](const char* t) { return json::array{json::object{{"type", "text"}, {"text", t}}}; };
    json::array messages{json::object{{"role", "user"}, {"content", text("What is 1231 * 2331?")}}};
    for (std::int64_t k = 0; k < state.range(0); ++k) {
        std::string id = "call_bench" + std::to_string(k);
        messages.push_back(json::object{{"role", "agent"}, {"content", json::array{json::object{
            {"type", "tool_call"}, {"id", id}, {"name", "multiply"}, {"arguments", json::object{{"a", 1231}, {"b", 2331}}}}}}});
        messages.push_back(json::object{{"role", "tool_result"}, {"content", json::array{json::object{
            {"type", "tool_result"}, {"tool_call_id", id}, {"tool_name", "multiply"}, {"result", 2869461}, {"is_error", false}}}}});
    }
    json::object params{{"model", "gpt-4.1"}, {"system", "For any arithmetic, call the add and multiply tools."},
                        {"session_id", "s"}, {"turn_id", "t"}, {"iteration", 1}, {"messages", messages},
                        {"tools", json::array{json::object{{"name", "multiply"}, {"description", "Multiply two integers exactly."},
                                                           {"parameters", json::object{{"type", "object"}}}}}}};
    for (auto _ : state) {
        auto out = host.invoke("driver.chat", params);
        if (!out.ok()) {
            state.SkipWithError(out.error_message.c_str());
            break;
        }
        benchmark::DoNotOptimize(out.result);
    }
}
BENCHMARK(BM_DriverChat_InProcess)->Arg(0)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
