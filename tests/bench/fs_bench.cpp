// The workspace store's numbers (issue 3): fs grep over a generated tree of 20,000 source-like
// files (~200 MB) against `grep -rn` of the same pattern, and a line range near the end of a
// 10 MB file. The tree is generated once per run in a temp folder and removed at exit.
// Issue 11: glob "**/*" and pathological globs over the same tree, and a walk under costly
// .gitignore rules, which stops at the matching budget (kMaxMatchSteps).
#include <agenthost/workspace.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace {

namespace fs = std::filesystem;
using agenthost::FileStore;

/// Patterns searched: a regex with a literal head; one with classes and repetitions; a group
/// of alternatives; a top-level alternation; one with no literal at all (RE2 reads every byte).
const char* const kPatterns[] = {R"(handle_overflow_[0-9]+)", R"(session_[a-z]+ = stream\(9[0-9]{2}\))",
                                 R"((TODO|FIXME)\(fix\))", R"(TODO\(fix\)|FIXME\(later\))",
                                 R"(\b[a-z]{2}_[a-z]+_[0-9]{2}\b)"};

/// Lines of the ~10 MB file read with a line range.
constexpr int kBigLines = 155000;

/// The generated workspace: created on first use, removed at exit.
class Tree {
public:
    static Tree& get() {
        static Tree tree;
        return tree;
    }
    const fs::path& root() const { return root_; }
    std::uint64_t bytes() const { return bytes_; }
    ~Tree() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

private:
    Tree() {
        std::string tmpl = (fs::temp_directory_path() / "agenthost-fsbench-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) std::abort();
        root_ = tmpl;
        std::mt19937_64 rng(42);
        const char* words[] = {"value",   "count",   "index",   "buffer", "result", "status", "config",
                               "handler", "request", "session", "parse",  "token",  "stream", "offset",
                               "length",  "client",  "server",  "event",  "store",  "path"};
        const char* types[] = {"int", "std::string", "bool", "double", "auto", "std::size_t"};
        auto w = [&] { return std::string(words[rng() % 20]); };
        for (int f = 0; f < 20000; ++f) {
            fs::path dir = root_ / ("mod" + std::to_string(f % 50)) / ("sub" + std::to_string((f / 50) % 20));
            fs::create_directories(dir);
            std::string s;
            while (s.size() < 10000) {
                switch (rng() % 6) {
                    case 0:
                        s += "    " + std::string(types[rng() % 6]) + " " + w() + "_" + w() + " = " + w() + "(" +
                             std::to_string(rng() % 1000) + ");\n";
                        break;
                    case 1:
                        s += "    if (" + w() + " > " + std::to_string(rng() % 100) + ") return " + w() + "_" + w() +
                             ";\n";
                        break;
                    case 2:
                        s += "// " + w() + " " + w() + " " + w() + " the " + w() + " of " + w() + "\n";
                        break;
                    case 3:
                        s += "void " + w() + "_" + w() + "(const " + w() + "& " + w() + ") {\n";
                        break;
                    case 4:
                        s += "    " + w() + "." + w() + "(" + w() + ", " + w() + ");\n";
                        break;
                    default:
                        s += "}\n";
                }
                if (rng() % 20000 == 0)
                    s += "    // TODO(fix): handle_overflow_" + std::to_string(rng() % 100) + " here\n";
            }
            std::ofstream(dir / ("file" + std::to_string(f) + ".cpp"), std::ios::binary) << s;
            bytes_ += s.size();
        }
        std::ofstream big(root_ / "big.log", std::ios::binary);  // ~10 MB, 155,000 lines
        for (int i = 0; i < kBigLines; ++i)
            big << "2026-01-01T00:00:00Z line " << i << " of the big log file, some payload\n";
    }

    fs::path root_;
    std::uint64_t bytes_ = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// `grep -rn -E pattern root`, output read through a pipe (to /dev/null GNU grep would stop at
/// the first match); returns the number of lines it printed.
std::size_t run_grep_rn(const char* pattern) {
    std::string cmd = std::string("grep -rn -E '") + pattern + "' '" + Tree::get().root().string() + "'";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return 0;
    char buf[1 << 16];
    std::size_t lines = 0, n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
        for (std::size_t i = 0; i < n; ++i) lines += buf[i] == '\n';
    }
    ::pclose(p);
    return lines;
}

agenthost::GrepResult store_grep(FileStore& store, const char* pattern) {
    return store.grep(agenthost::GrepQuery{pattern, "", "", false, 1000});
}

/// fs grep through the real-disk store.
void BM_StoreGrep(benchmark::State& state) {
    auto store = agenthost::make_real_disk_file_store(Tree::get().root());
    const char* pattern = kPatterns[state.range(0)];
    agenthost::GrepResult r;
    for (auto _ : state) r = store_grep(*store, pattern);
    state.counters["matches"] = static_cast<double>(r.matches.size());
    state.counters["files"] = static_cast<double>(r.files_searched);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * Tree::get().bytes()));
    if (r.truncated) state.SkipWithError("more matches than the limit: the scan stopped early");
}
BENCHMARK(BM_StoreGrep)->DenseRange(0, 4)->Unit(benchmark::kMillisecond)->UseRealTime();

/// `grep -rn` of the same pattern, as a process.
void BM_GrepRn(benchmark::State& state) {
    const char* pattern = kPatterns[state.range(0)];
    std::size_t lines = 0;
    for (auto _ : state) lines = run_grep_rn(pattern);
    state.counters["matches"] = static_cast<double>(lines);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * Tree::get().bytes()));
}
BENCHMARK(BM_GrepRn)->DenseRange(0, 4)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Both, alternating in each iteration: store_ms, grep_rn_ms and ratio = store / grep -rn.
void BM_GrepRatio(benchmark::State& state) {
    auto store = agenthost::make_real_disk_file_store(Tree::get().root());
    const char* pattern = kPatterns[state.range(0)];
    double store_s = 0, grep_s = 0;
    std::size_t store_matches = 0, grep_matches = 0;
    for (auto _ : state) {
        auto t0 = std::chrono::steady_clock::now();
        store_matches = store_grep(*store, pattern).matches.size();
        store_s += seconds_since(t0);
        t0 = std::chrono::steady_clock::now();
        grep_matches = run_grep_rn(pattern);
        grep_s += seconds_since(t0);
    }
    double n = static_cast<double>(state.iterations());
    state.counters["store_ms"] = store_s * 1000 / n;
    state.counters["grep_rn_ms"] = grep_s * 1000 / n;
    state.counters["ratio"] = store_s / grep_s;
    if (store_matches != grep_matches) state.SkipWithError("the store and grep -rn found different lines");
}
BENCHMARK(BM_GrepRatio)->DenseRange(0, 4)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

/// read_range of 100 lines near the end of a 10 MB file, with the whole file's line count,
/// UTF-8 check and sha256. Arg 0: a fresh store each time (the hash computed: the first read);
/// arg 1: one store (the hash of the unchanged file cached: paging through it).
void BM_ReadRange10MB(benchmark::State& state) {
    auto store = agenthost::make_real_disk_file_store(Tree::get().root());
    agenthost::FileContent c;
    for (auto _ : state) {
        if (state.range(0) == 0) store = agenthost::make_real_disk_file_store(Tree::get().root());
        c = *store->read_range("big.log", agenthost::ReadRange{kBigLines - 200, 100, std::nullopt});
    }
    state.counters["file_mb"] = static_cast<double>(c.size) / 1e6;
    if (c.lines_shown != 100 || c.total_lines != kBigLines) state.SkipWithError("wrong range");
}
BENCHMARK(BM_ReadRange10MB)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Globs over the 20,000-file tree (every path collected: the limit is above the tree's size).
/// Arg 0: "**/*"; 1: sixty "**/" then "*"; 2: thirty "mod*/**/sub*/**/" then "*.cpp" (matches
/// nothing: the DP runs to the end on every path); 3: "**/mod1/**/sub1*/**/*1*/**/*.cpp" (matches
/// nothing either: the tree has no folder below sub*).
void BM_Glob20k(benchmark::State& state) {
    auto store = agenthost::make_real_disk_file_store(Tree::get().root());
    std::string pattern;
    switch (state.range(0)) {
        case 0:
            pattern = "**/*";
            break;
        case 1:
            for (int i = 0; i < 60; ++i) pattern += "**/";
            pattern += "*";
            break;
        case 2:
            for (int i = 0; i < 30; ++i) pattern += "mod*/**/sub*/**/";
            pattern += "*.cpp";
            break;
        default:
            pattern = "**/mod1/**/sub1*/**/*1*/**/*.cpp";
    }
    agenthost::GlobResult r;
    for (auto _ : state) r = store->glob(agenthost::GlobQuery{pattern, "", 1000000});
    state.counters["paths"] = static_cast<double>(r.paths.size());
    state.counters["stopped"] = r.stopped.empty() ? 0 : 1;
}
BENCHMARK(BM_Glob20k)->DenseRange(0, 3)->Unit(benchmark::kMillisecond)->UseRealTime();

/// A glob of "**/*" over a small tree whose root .gitignore holds 1 MiB of costly rules
/// ("*aaa…ab" against names of 200 'a's: |rule| × |name| steps each): the walk stops at the
/// matching budget, so this is the most such a walk can cost.
void BM_GlobCostlyGitignore(benchmark::State& state) {
    static const fs::path root = [] {
        fs::path dir = Tree::get().root() / "costly";
        fs::create_directories(dir);
        std::string rule = "*" + std::string(119, 'a') + "b\n", rules;
        while (rules.size() + rule.size() < (1u << 20)) rules += rule;
        std::ofstream(dir / ".gitignore", std::ios::binary) << rules;
        for (int i = 0; i < 50; ++i) std::ofstream(dir / (std::string(200, 'a') + std::to_string(i))) << "x";
        return dir;
    }();
    auto store = agenthost::make_real_disk_file_store(root);
    agenthost::GlobResult r;
    for (auto _ : state) r = store->glob(agenthost::GlobQuery{"**/*", "", 1000});
    state.counters["paths"] = static_cast<double>(r.paths.size());
    state.counters["stopped"] = r.stopped.empty() ? 0 : 1;
    if (r.stopped.empty()) state.SkipWithError("the walk was expected to stop at the matching budget");
}
BENCHMARK(BM_GlobCostlyGitignore)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
