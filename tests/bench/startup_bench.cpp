// Whole-process costs of the built agenthost, each run a fresh process (fork + exec):
//  - `agenthost plugins list`: discover, load and describe every built-in plugin, print, exit;
//  - `agenthost run -p hi`: start, load the harness's plugins, one llmsim model call, write the
//    session log, exit. An upper bound of "run -p to its first model call".
// Reports wall time per process and the peak RSS of the child.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

/// Run the command, return the child's peak RSS in KiB.
long run(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) return -1;
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    struct rusage ru {};
    wait4(pid, &status, 0, &ru);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ru.ru_maxrss : -1;
}

std::string exe() { return (fs::path(AGENTHOST_BUILD_DIR) / "agenthost").string(); }

void BM_PluginsList(benchmark::State& state) {
    long rss = 0;
    for (auto _ : state) {
        rss = run({exe(), "plugins", "list"});
        if (rss < 0) state.SkipWithError("agenthost plugins list failed");
    }
    state.counters["peak_rss_MiB"] = static_cast<double>(rss) / 1024.0;
}
BENCHMARK(BM_PluginsList)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RunOneTurn(benchmark::State& state) {
    fs::path data = fs::temp_directory_path() / ("agenthost-bench-" + std::to_string(::getpid()));
    long rss = 0;
    for (auto _ : state) {
        rss = run({exe(), "run", "-p", "hi", "--output-format", "json", "--model", "llmsim", "--data-dir", data.string()});
        if (rss < 0) state.SkipWithError("agenthost run failed");
    }
    fs::remove_all(data);
    state.counters["peak_rss_MiB"] = static_cast<double>(rss) / 1024.0;
}
BENCHMARK(BM_RunOneTurn)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
