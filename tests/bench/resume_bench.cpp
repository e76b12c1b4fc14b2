// Resume speed: replaying a 100,000-event session log (~60 MB of JSONL) through the JSONL store,
// against the floor of Boost.JSON parsing the same lines.
//
//   resume_bench --benchmark_min_time=2    (Release build)
#include <agenthost/storage.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace {

namespace json = boost::json;
using agenthost::Event;
namespace event_type = agenthost::event_type;

constexpr std::uint64_t kEvents = 100'000;
constexpr const char* kSessionId = "bench-session";

/// Deterministic prose: words drawn by a linear congruential generator.
class TextSource {
public:
    std::string text(std::size_t approx_bytes) {
        static constexpr const char* kWords[] = {
            "the",    "file",   "function", "returns",  "a",          "value", "when",  "called",
            "with",   "path",   "error",    "should",   "we",         "test",  "build", "config",
            "parser", "line",   "session",  "event",    "\"quoted\"", "and",   "then",  "update",
            "struct", "vector", "include",  "main.cpp", "fix",        "bug",   "in",    "loop\n"};
        std::string out;
        out.reserve(approx_bytes + 16);
        while (out.size() < approx_bytes) {
            state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
            if (!out.empty()) out += ' ';
            out += kWords[(state_ >> 33) % std::size(kWords)];
        }
        return out;
    }
    std::size_t pick(std::size_t low, std::size_t high) {
        state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
        return low + (state_ >> 33) % (high - low + 1);
    }

private:
    std::uint64_t state_ = 42;
};

json::object message(const char* role, json::array content) {
    return json::object{
        {"message", json::object{{"id", agenthost::new_uuid_v7()}, {"role", role}, {"content", std::move(content)}}}};
}

/// The data of the n-th event of a realistic turn cycle (user, model with a tool call, tool, ...).
std::pair<std::string_view, json::object> cycle_event(std::uint64_t n, TextSource& source) {
    switch (n % 8) {
        case 0:
            return {event_type::kInputMessage,
                    message("user", {json::object{{"type", "text"}, {"text", source.text(source.pick(80, 360))}}})};
        case 1:
            return {event_type::kTurnStarted, json::object{{"iteration", 1}}};
        case 2:
        case 5: {
            json::object call{{"type", "tool_call"},
                              {"id", "call_" + std::to_string(n)},
                              {"name", "read_file"},
                              {"arguments", json::object{{"path", "src/module_" + std::to_string(n % 97) + ".cpp"},
                                                         {"offset", 0},
                                                         {"limit", 200}}}};
            json::object data = message(
                "assistant", {json::object{{"type", "text"}, {"text", source.text(source.pick(160, 600))}}, call});
            data["usage"] = json::object{{"input_tokens", 1200 + n % 500}, {"output_tokens", 90 + n % 300}};
            data["stop_reason"] = "tool_use";
            return {event_type::kOutputCompleted, std::move(data)};
        }
        case 3:
            return {event_type::kToolStarted,
                    json::object{{"call_id", "call_" + std::to_string(n - 1)}, {"name", "read_file"}}};
        case 4:
        case 6:
            return {event_type::kToolCompleted,
                    json::object{
                        {"call_id", "call_" + std::to_string(n - 2)},
                        {"name", "read_file"},
                        {"result", json::object{{"content",
                                                 json::array{json::object{
                                                     {"type", "text"}, {"text", source.text(source.pick(250, 1200))}}}},
                                                {"is_error", false}}},
                        {"duration_ms", 3 + n % 40}}};
        default:
            return {event_type::kTurnCompleted,
                    json::object{{"iterations", 2},
                                 {"usage", json::object{{"input_tokens", 4000}, {"output_tokens", 500}}}}};
    }
}

/// The generated log, written once through the store, removed at exit.
struct BenchLog {
    std::string dir;
    std::string path;
    std::string contents;  ///< the file, for the raw parse

    BenchLog() {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern =
            std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/agenthost_resume_bench_XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();
        dir = pattern;
        path = dir + "/" + kSessionId + ".jsonl";
        auto store = agenthost::make_jsonl_session_store(dir);
        auto opened = store->open(kSessionId, true);
        TextSource source;
        for (std::uint64_t sequence = 1; sequence <= kEvents; ++sequence) {
            Event event;
            event.id = agenthost::new_uuid_v7();
            auto [type, data] = cycle_event(sequence - 1, source);
            event.type = std::string(type);
            event.ts = agenthost::now_rfc3339();
            event.session_id = kSessionId;
            event.sequence = sequence;
            event.turn_id = "turn-" + std::to_string((sequence - 1) / 8);
            event.data = std::move(data);
            opened.log->append(event);
        }
        opened.log.reset();
        std::ifstream in(path, std::ios::binary);
        std::ostringstream all;
        all << in.rdbuf();
        contents = all.str();
    }
    ~BenchLog() { std::filesystem::remove_all(dir); }
};

BenchLog& bench_log() {
    static BenchLog log;
    return log;
}

void set_counters(benchmark::State& state, std::size_t bytes) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
    state.counters["MB"] = static_cast<double>(bytes) / 1e6;
    state.counters["MB/s"] =
        benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["events"] = static_cast<double>(kEvents);
}

/// (a) The floor: Boost.JSON parsing every line with one reused parser, file already in memory.
/// Arg 0: default options; arg 1: the store's options (no UTF-8 validation, deeper nesting).
void BM_RawBoostJsonParse(benchmark::State& state) {
    const std::string& contents = bench_log().contents;
    json::parse_options options;
    if (state.range(0) == 1) {
        options.allow_invalid_utf8 = true;
        options.max_depth = 1024;
    }
    json::parser parser(json::storage_ptr(), options);
    for (auto _ : state) {
        std::size_t values = 0;
        const char* p = contents.data();
        const char* end = p + contents.size();
        while (p < end) {
            const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            const char* line_end = nl != nullptr ? nl : end;
            parser.reset();
            parser.write(p, static_cast<std::size_t>(line_end - p));
            json::value value = parser.release();
            benchmark::DoNotOptimize(value);
            ++values;
            p = line_end + 1;
        }
        if (values != kEvents) state.SkipWithError("wrong line count");
    }
    set_counters(state, contents.size());
}
BENCHMARK(BM_RawBoostJsonParse)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

/// (b) Resume: open() through the JSONL store (read, lock, parse, validate, build events).
void BM_StoreOpenReplay(benchmark::State& state) {
    const BenchLog& log = bench_log();
    auto store = agenthost::make_jsonl_session_store(log.dir);
    for (auto _ : state) {
        auto opened = store->open(kSessionId, false);
        if (opened.events.size() != kEvents) state.SkipWithError("wrong event count");
        benchmark::DoNotOptimize(opened.events.data());
        state.PauseTiming();  // freeing 100k events is not part of resuming
        opened = {};
        state.ResumeTiming();
    }
    set_counters(state, log.contents.size());
}
BENCHMARK(BM_StoreOpenReplay)->Unit(benchmark::kMillisecond);

/// (c) Writing: append 10,000 of the same events to a fresh session (one write() each).
void BM_StoreAppend(benchmark::State& state) {
    const BenchLog& log = bench_log();
    constexpr std::uint64_t kAppends = 10'000;
    std::vector<Event> events;
    {
        auto store = agenthost::make_jsonl_session_store(log.dir);
        auto opened = store->open(kSessionId, false);
        opened.events.resize(kAppends);
        events = std::move(opened.events);
    }
    for (auto& event : events) event.session_id = "append-bench";
    auto store = agenthost::make_jsonl_session_store(log.dir);
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto opened = store->open("append-bench", true);
        for (const auto& event : events) opened.log->append(event);
        state.PauseTiming();
        bytes = std::filesystem::file_size(log.dir + "/append-bench.jsonl");
        opened = {};  // fdatasync once, on close
        std::filesystem::remove(log.dir + "/append-bench.jsonl");
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kAppends));
    state.counters["MB/s"] =
        benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_StoreAppend)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
