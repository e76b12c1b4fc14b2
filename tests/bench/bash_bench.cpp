// The cost of the bash tool around the process it runs (issue goal: ≤ 5 ms beyond the spawn):
//  - BM_PosixSpawn: a bare posix_spawn of `bash -c true` and waitpid, output to /dev/null;
//  - BM_BashTool/<sandbox>: the bash tool running `true` through the fake host (approval and
//    workspace.info answered in-process), i.e. argument checks, the environment, bwrap with its
//    PID namespace (and with the sandbox: user namespace, mounts, seccomp, the blocklist scan),
//    both pipes drained, waiting for the namespace to be empty, the result JSON;
//  - BM_Overhead/<sandbox>: a bare spawn and the tool, alternating in one loop, reporting
//    spawn_ms, tool_ms and overhead_ms. Sandbox 0 = off (containment only), 1 = read-only,
//    2 = workspace-write.
#include <ahp/ahp_fake.hpp>

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string bash_path() {
    return fs::exists("/usr/bin/bash") ? "/usr/bin/bash" : "/bin/bash";
}

/// posix_spawn `bash -c true`, wait for it; false on failure.
bool spawn_true() {
    std::string bash = bash_path();
    std::string a0 = "bash", a1 = "-c", a2 = "true";
    char* argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, bash.c_str(), &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return false;
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// The bash config for a benchmark argument (0 off, 1 read-only, 2 workspace-write).
std::string config_for(std::int64_t sandbox) {
    static const char* kModes[] = {"off", "read-only", "workspace-write"};
    return std::string(R"({"sandbox": ")") + kModes[sandbox] + "\"}";
}

/// A workspace like a small project (a few folders, a .git and a node_modules), removed at exit.
struct BenchWorkspace {
    fs::path root = fs::temp_directory_path() / ("agenthost-bash-bench-" + std::to_string(::getpid()));
    BenchWorkspace() {
        for (const char* d : {"src/a", "src/b", "tests", "docs", ".git/hooks", "node_modules/x"}) {
            fs::create_directories(root / d);
        }
    }
    ~BenchWorkspace() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

/// A fake host around the built bash plugin, every call approved, the workspace a temp folder.
ahp::fake::FakeHost make_host(std::int64_t sandbox = 0) {
    auto host = ahp::fake::FakeHost::open((fs::path(AGENTHOST_BUILD_DIR) / "plugins" / "bash.so").string(),
                                          config_for(sandbox));
    static const BenchWorkspace workspace;
    std::string root = workspace.root.string();
    host.on_service("workspace.info", [root](const json::value&) -> json::value {
        return json::object{{"root", root}, {"display_root", "/workspace"}, {"write_blocklist", json::array{".git"}}};
    });
    host.on_service("approval.ask", [](const json::value&) -> json::value {
        return json::object{{"approved", true}, {"reason", "approved"}};
    });
    return host;
}

bool tool_true(ahp::fake::FakeHost& host) {
    auto o = host.call_tool("bash", {{"command", "true"}});
    return o.ok() && o.result.at("exit_code").as_int64() == 0;
}

void BM_PosixSpawn(benchmark::State& state) {
    for (auto _ : state) {
        if (!spawn_true()) state.SkipWithError("posix_spawn bash -c true failed");
    }
}
BENCHMARK(BM_PosixSpawn)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BashTool(benchmark::State& state) {
    auto host = make_host(state.range(0));
    tool_true(host);  // the first call finds how to make the PID namespace
    for (auto _ : state) {
        if (!tool_true(host)) state.SkipWithError("the bash tool failed");
    }
}
BENCHMARK(BM_BashTool)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

/// CPU seconds (user + system) of every reaped descendant so far: less sensitive than wall
/// time to other work on the machine.
double children_cpu_s() {
    rusage ru{};
    ::getrusage(RUSAGE_CHILDREN, &ru);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

void BM_Overhead(benchmark::State& state) {
    auto host = make_host(state.range(0));
    tool_true(host);  // the first call finds how to make the PID namespace
    double spawn_s = 0, tool_s = 0, spawn_cpu = 0, tool_cpu = 0;
    for (auto _ : state) {
        auto t0 = Clock::now();
        double c0 = children_cpu_s();
        bool a = spawn_true();
        auto t1 = Clock::now();
        double c1 = children_cpu_s();
        bool b = tool_true(host);
        auto t2 = Clock::now();
        double c2 = children_cpu_s();
        if (!a || !b) state.SkipWithError("a run failed");
        spawn_s += std::chrono::duration<double>(t1 - t0).count();
        tool_s += std::chrono::duration<double>(t2 - t1).count();
        spawn_cpu += c1 - c0;
        tool_cpu += c2 - c1;
    }
    double n = static_cast<double>(state.iterations());
    state.counters["spawn_ms"] = spawn_s * 1000 / n;
    state.counters["tool_ms"] = tool_s * 1000 / n;
    state.counters["overhead_ms"] = (tool_s - spawn_s) * 1000 / n;
    state.counters["child_cpu_overhead_ms"] = (tool_cpu - spawn_cpu) * 1000 / n;
}
BENCHMARK(BM_Overhead)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
