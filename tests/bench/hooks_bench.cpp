// What the issue-6 hooks add to each loop iteration, measured on the built plugins with a
// realistic 200-message session (~200 KB of request: an 8 KB system prompt, 12 tool schemas, an
// earlier summary, five turns of file reads, greps, edits and bash runs, the last one still
// calling tools). The hooks get the host's before_model params (docs/context-services.md):
// estimated_tokens and the current turn's 55 messages (~100 KB).
//
//   BM_Raw_*       the plugin's own cost: the ABI invoke with the params text prepared once
//                  (a host serializes the params once per iteration, whatever the hooks).
//   BM_Fake_*      the same through ahp::fake::FakeHost, which also serializes the params
//                  object on every call (a host cost, not the plugin's).
//   BM_Baseline_*  serializing / parsing those params, for scale: the SDK's default path would
//                  parse them whole before the hook runs; the three plugins do not.
#include <ahp/ahp_fake.hpp>

#include <benchmark/benchmark.h>

#include <dlfcn.h>

#include <filesystem>
#include <string>

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string so_path(const std::string& id) {
    return (fs::path(AGENTHOST_BUILD_DIR) / "plugins" / (id + ".so")).string();
}

std::string filler(std::size_t bytes, int seed) {
    std::string out;
    int line = 0;
    while (out.size() < bytes) {
        out += "    int value_" + std::to_string(seed) + "_" + std::to_string(line++) +
               " = compute(\"input\", 42);  // step\n";
    }
    out.resize(bytes);
    return out;
}

json::object text_msg(int& n, const char* role, std::string text) {
    return json::object{{"id", "0192f0aa-0000-7000-8000-" + std::to_string(100000000000 + n++)},
                        {"role", role},
                        {"content", json::array{json::object{{"type", "text"}, {"text", std::move(text)}}}}};
}

/// One agent message with a tool call and its tool_result message.
void add_step(json::array& msgs, int& n, int step) {
    static const char* kTools[] = {"read_file", "grep_files", "bash", "edit_file", "read_file", "list_directory"};
    const char* tool = kTools[step % 6];
    std::string call_id = "toolu_01" + std::to_string(7000000 + step);
    json::object args{{"path", "src/module_" + std::to_string(step % 17) + ".cpp"}};
    json::value result;
    switch (step % 6) {
        case 0:
        case 4:
            result = json::object{{"path", args["path"]}, {"total_lines", 120}, {"content", filler(3200, step)}};
            break;
        case 1:
            args = json::object{{"pattern", "compute\\(" + std::to_string(step)}};
            result = json::string(filler(700, step));
            break;
        case 2:
            args = json::object{{"command", "make -j8 test 2>&1 | tail -40"}};
            result =
                json::object{{"exit_code", 0}, {"stdout", filler(1500, step)}, {"stderr", ""}, {"duration_ms", 812}};
            break;
        case 3:
            args["edits"] =
                json::array{json::object{{"old_text", filler(120, step)}, {"new_text", filler(140, step + 1)}}};
            result = json::string("edited " + std::string(args["path"].as_string()) + ": 1 replacement");
            break;
        default:
            result = json::object{{"entries", json::array{"a.cpp", "b.cpp", "c.hpp", "CMakeLists.txt"}}};
    }
    msgs.push_back(json::object{
        {"id", "0192f0aa-0000-7000-8000-" + std::to_string(100000000000 + n++)},
        {"role", "agent"},
        {"content",
         json::array{json::object{{"type", "text"}, {"text", "Let me look at this next."}},
                     json::object{{"type", "tool_call"}, {"id", call_id}, {"name", tool}, {"arguments", args}}}}});
    msgs.push_back(json::object{{"id", "0192f0aa-0000-7000-8000-" + std::to_string(100000000000 + n++)},
                                {"role", "tool_result"},
                                {"content", json::array{json::object{{"type", "tool_result"},
                                                                     {"tool_call_id", call_id},
                                                                     {"tool_name", tool},
                                                                     {"result", result},
                                                                     {"is_error", false}}}}});
}

/// The before_model params of a 200-message session: an earlier summary, four finished turns
/// and a running one.
json::object realistic_params() {
    json::array msgs;
    int n = 0, step = 0;
    msgs.push_back(text_msg(n, "user", "[Summary of the earlier conversation] " + filler(3000, 1)));
    for (int turn = 0; turn < 5; ++turn) {
        msgs.push_back(text_msg(
            n, "user",
            "Please refactor module " + std::to_string(turn) + " and keep the tests green. " + filler(150, turn)));
        int steps = turn < 4 ? 17 : 27;
        for (int i = 0; i < steps; ++i) add_step(msgs, n, step++);
        if (turn < 4)
            msgs.push_back(
                text_msg(n, "agent", "Done: the module is refactored and the tests pass. " + filler(300, turn)));
    }
    json::array tools;
    for (int i = 0; i < 12; ++i) {
        tools.push_back(json::object{
            {"name", "tool_" + std::to_string(i)},
            {"description", filler(250, i)},
            {"parameters", json::object{{"type", "object"},
                                        {"properties", json::object{{"path", json::object{{"type", "string"},
                                                                                          {"description", "a path"}}},
                                                                    {"offset", json::object{{"type", "integer"}}},
                                                                    {"limit", json::object{{"type", "integer"}}}}},
                                        {"required", json::array{"path"}}}}});
    }
    json::object request{
        {"model", "claude-sonnet-4-5"}, {"system", filler(8000, 99)}, {"tools", std::move(tools)}, {"messages", msgs}};
    // The host's params: the estimate and the messages since the last user message.
    std::size_t from = msgs.size();
    while (from > 0 && msgs[from - 1].at("role") != "user") --from;
    if (from > 0) --from;
    return json::object{{"session_id", "0192f0aa-0000-7000-8000-000000000001"},
                        {"turn_id", "0192f0aa-0000-7000-8000-000000000002"},
                        {"iteration", 28},
                        {"model", "anthropic/claude-sonnet-4-5"},
                        {"estimated_tokens", json::serialize(request).size() / 4},
                        {"message_count", msgs.size()},
                        {"recent_messages", json::array(msgs.begin() + static_cast<std::ptrdiff_t>(from), msgs.end())}};
}

const json::value& params() {
    static const json::value p = [] {
        json::value r = realistic_params();
        if (r.at("message_count").as_uint64() != 200) throw std::logic_error("not 200 messages");
        return r;
    }();
    return p;
}
const std::string& params_text() {
    static const std::string t = json::serialize(params());
    return t;
}

json::object small_after_tool() {
    return json::object{
        {"tool_call",
         json::object{
             {"id", "toolu_017000099"}, {"name", "bash"}, {"arguments", json::object{{"command", "make test"}}}}},
        {"result", json::object{{"exit_code", 0}, {"stdout", filler(1200, 7)}, {"stderr", ""}, {"duration_ms", 90}}},
        {"is_error", false},
        {"session_id", "0192f0aa-0000-7000-8000-000000000001"}};
}

/// A minimal host for raw ABI calls: keeps the last result, answers no services.
struct RawHost {
    static void set_result(ahp_call* c, ahp_str s) noexcept { reinterpret_cast<std::string*>(c)->assign(s.ptr, s.len); }
    static void set_error(ahp_call* c, ahp_str, ahp_str m) noexcept {
        reinterpret_cast<std::string*>(c)->assign(m.ptr, m.len);
    }
    static ahp_status emit(ahp_call*, ahp_str) noexcept { return AHP_OK; }
    static int cancelled(const ahp_call*) noexcept { return 0; }
    static ahp_status request(ahp_call*, ahp_str, ahp_str, const ahp_sink* sink) noexcept {
        sink->on_done(sink->user, AHP_NOT_FOUND, ahp::to_str("no services here"));
        return AHP_NOT_FOUND;
    }
    static void log(ahp_call*, ahp_log_level, ahp_str) noexcept {}
    static const ahp_host_api_v1* api() {
        static const ahp_host_api_v1 t = {
            sizeof(ahp_host_api_v1), AHP_ABI_VERSION, &set_result, &set_error, &emit, &cancelled, &request, &log,
            nullptr};
        return &t;
    }

    explicit RawHost(const std::string& id) {
        void* lib = ::dlopen(so_path(id).c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib) throw std::runtime_error(::dlerror());
        auto entry = reinterpret_cast<ahp_plugin_entry_v1_fn>(::dlsym(lib, AHP_ENTRY_SYMBOL_V1));
        table = entry();
        std::string out;
        if (table->create(api(), ahp::to_str("{}"), reinterpret_cast<ahp_call*>(&out), &instance) != AHP_OK) {
            throw std::runtime_error("create failed: " + out);
        }
    }
    ahp_status invoke(std::string_view method, std::string_view text, std::string& out) const {
        return table->invoke(instance, ahp::to_str(method), ahp::to_str(text), reinterpret_cast<ahp_call*>(&out));
    }
    const ahp_plugin_v1* table = nullptr;
    ahp_instance* instance = nullptr;
};

void raw_hook(benchmark::State& state, const char* id, const char* method, const std::string& text) {
    RawHost host(id);
    std::string out;
    for (auto _ : state) {
        if (host.invoke(method, text, out) != AHP_OK) state.SkipWithError(out.c_str());
        benchmark::DoNotOptimize(out);
    }
    if (out != "{}") state.SkipWithError(("the hook changed something: " + out.substr(0, 200)).c_str());
    state.counters["params_bytes"] = static_cast<double>(text.size());
}

void BM_Raw_LoopDetection(benchmark::State& s) {
    raw_hook(s, "loop_detection", "hook.before_model", params_text());
}
void BM_Raw_CompactionCheck(benchmark::State& s) {
    raw_hook(s, "compaction", "hook.before_model", params_text());
}
void BM_Raw_ToolOutputSmall(benchmark::State& s) {
    static const std::string text = json::serialize(small_after_tool());
    raw_hook(s, "tool_output", "hook.after_tool", text);
}
/// Both before_model hooks of one iteration together.
void BM_Raw_BeforeModelAll(benchmark::State& state) {
    RawHost loop("loop_detection"), compaction("compaction");
    const std::string& text = params_text();
    std::string out;
    for (auto _ : state) {
        loop.invoke("hook.before_model", text, out);
        compaction.invoke("hook.before_model", text, out);
        benchmark::DoNotOptimize(out);
    }
}

/// A loop found (the current turn ends with the same failing edit twice): the rare path, which
/// scans the recent messages in full to confirm it and writes the note.
void BM_Raw_LoopDetected(benchmark::State& state) {
    static const std::string text = [] {
        json::value p = params();
        json::array& recent = p.at("recent_messages").as_array();
        for (int i = 0; i < 2; ++i) {
            std::string id = "toolu_loop_" + std::to_string(i);
            recent.push_back(json::object{
                {"id", "loop-call-" + std::to_string(i)},
                {"role", "agent"},
                {"content", json::array{json::object{
                                {"type", "tool_call"},
                                {"id", id},
                                {"name", "edit_file"},
                                {"arguments", json::object{{"path", "src/a.cpp"}, {"edits", json::array()}}}}}}});
            recent.push_back(
                json::object{{"id", "loop-result-" + std::to_string(i)},
                             {"role", "tool_result"},
                             {"content", json::array{json::object{{"type", "tool_result"},
                                                                  {"tool_call_id", id},
                                                                  {"tool_name", "edit_file"},
                                                                  {"result", "old_text not found in src/a.cpp"},
                                                                  {"is_error", true}}}}});
        }
        return json::serialize(p);
    }();
    RawHost host("loop_detection");
    std::string out;
    for (auto _ : state) {
        host.invoke("hook.before_model", text, out);
        benchmark::DoNotOptimize(out);
    }
    if (out.find("loop.detected") == std::string::npos)
        state.SkipWithError(("no loop found: " + out.substr(0, 200)).c_str());
}

void fake_hook(benchmark::State& state, const char* id, const char* method, const json::value& p) {
    ahp::fake::FakeHost host = ahp::fake::FakeHost::open(so_path(id));
    for (auto _ : state) {
        ahp::fake::Outcome o = host.invoke(method, p);
        if (!o.ok()) state.SkipWithError(o.error_message.c_str());
        benchmark::DoNotOptimize(o);
    }
}
void BM_Fake_LoopDetection(benchmark::State& s) {
    fake_hook(s, "loop_detection", "hook.before_model", params());
}
void BM_Fake_CompactionCheck(benchmark::State& s) {
    fake_hook(s, "compaction", "hook.before_model", params());
}
void BM_Fake_ToolOutputSmall(benchmark::State& s) {
    static const json::value p = small_after_tool();
    fake_hook(s, "tool_output", "hook.after_tool", p);
}

void BM_Baseline_SerializeParams(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(json::serialize(params()));
}
void BM_Baseline_ParseParams(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(json::parse(params_text()));
}

}  // namespace

BENCHMARK(BM_Raw_LoopDetection)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Raw_CompactionCheck)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Raw_ToolOutputSmall)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Raw_BeforeModelAll)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Raw_LoopDetected)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Fake_LoopDetection)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Fake_CompactionCheck)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Fake_ToolOutputSmall)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Baseline_SerializeParams)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Baseline_ParseParams)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
