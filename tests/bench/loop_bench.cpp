// Host overhead of the agent loop, in process, with the real llmsim and test_math plugins:
// each benchmark iteration runs one turn of 10 loop iterations (9 tool calls + an answer) in a
// fresh in-memory session. llmsim and test_math do almost nothing, so the time per loop
// iteration is the host's own cost (events, JSON across the ABI, projection, hooks).
#include <agenthost/runtime.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <filesystem>

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::unique_ptr<agenthost::Runtime> make_runtime(int tool_iterations) {
    json::array responses;
    for (int i = 0; i < tool_iterations; ++i) {
        responses.push_back(json::object{
            {"tool_calls", json::array{json::object{{"name", "add"}, {"arguments", json::object{{"a", i}, {"b", 1}}}}}}});
    }
    responses.push_back(json::object{{"text", "The sums are done."}});
    agenthost::RuntimeBuilder b;
    b.no_default_plugin_dirs().plugin_dir(fs::path(AGENTHOST_BUILD_DIR) / "plugins");
    b.harness_dir(fs::path(AGENTHOST_BUILD_DIR) / "harnesses").harness("math");
    b.driver_config("llmsim", json::object{{"responses", responses}});
    return b.build();
}

void BM_LoopIteration(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    const int tool_iterations = static_cast<int>(state.range(0));
    auto rt = make_runtime(tool_iterations);
    std::int64_t iterations = 0;
    for (auto _ : state) {
        std::string sid = rt->open_session({});
        agenthost::TurnResult r = rt->run_turn(sid, "add some numbers");
        if (!r.success) state.SkipWithError("turn failed");
        iterations += r.iterations;
    }
    state.counters["loop_iterations"] = static_cast<double>(iterations);
    state.counters["per_iteration"] = benchmark::Counter(static_cast<double>(iterations),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LoopIteration)->Arg(1)->Arg(9)->Unit(benchmark::kMicrosecond);

/// The same turn with a subscriber attached, as the CLI's stream-json output has.
void BM_LoopIterationSubscribed(benchmark::State& state) {
    auto rt = make_runtime(9);
    std::int64_t iterations = 0;
    std::size_t seen = 0;
    for (auto _ : state) {
        std::string sid = rt->open_session({});
        auto sub = rt->subscribe(sid, [&](const agenthost::Event& e) { seen += agenthost::to_json_line(e).size(); });
        iterations += rt->run_turn(sid, "add some numbers").iterations;
    }
    benchmark::DoNotOptimize(seen);
    state.counters["per_iteration"] = benchmark::Counter(static_cast<double>(iterations),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LoopIterationSubscribed)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
