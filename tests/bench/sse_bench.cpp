// SSE parsing + event dispatch throughput (ahp::SseParser, sdk/include/ahp/sse.hpp) over a large
// stream built by repeating the real recorded provider streams (tests/fixtures/providers:
// every Anthropic and OpenAI .sse file), fed in network-sized chunks; and the whole anthropic
// driver (SSE + JSON + assembly + one emit per delta through the ABI) over a long recorded-style
// stream, through ahp::fake::FakeHost. Target (issue 4): SSE parsing + dispatch >= 200 MB/s.
//
//   build-rel/sse_bench [--benchmark_filter=...]   (AGENTHOST_PROVIDER_FIXTURES overrides where
//   the fixtures are)
#include <ahp/ahp_fake.hpp>
#include <ahp/sse.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path providers_dir() { return fs::path(AGENTHOST_SOURCE_DIR) / "tests" / "fixtures" / "providers"; }

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Every recorded .sse stream (Anthropic and OpenAI), concatenated and repeated to >= `bytes`.
const std::string& recorded_streams(std::size_t bytes = 32u << 20) {
    static const std::string kStream = [bytes] {
        std::vector<fs::path> files;
        for (const char* provider : {"anthropic", "openai"}) {
            fs::path dir = providers_dir() / provider;
            if (!fs::is_directory(dir)) continue;
            for (const auto& e : fs::directory_iterator(dir)) {
                if (e.path().extension() == ".sse") files.push_back(e.path());
            }
        }
        std::sort(files.begin(), files.end());
        std::string one;
        for (const auto& f : files) one += read(f);
        if (one.empty()) return one;
        std::string out;
        out.reserve(bytes + one.size());
        while (out.size() < bytes) out += one;
        return out;
    }();
    return kStream;
}

/// Parse the stream in chunks of state.range(0) bytes; the callback touches every event.
void BM_SseParseDispatch(benchmark::State& state) {
    const std::string& stream = recorded_streams();
    if (stream.empty()) {
        state.SkipWithError("no fixtures: set AGENTHOST_PROVIDER_FIXTURES");
        return;
    }
    const std::size_t chunk = static_cast<std::size_t>(state.range(0));
    std::size_t events = 0, data_bytes = 0;
    for (auto _ : state) {
        ahp::SseParser parser([&](const ahp::SseEvent& e) {
            ++events;
            data_bytes += e.data.size() + e.event.size();
            return true;
        });
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            parser.feed(std::string_view(stream).substr(at, chunk));
        }
        parser.finish();
        benchmark::DoNotOptimize(data_bytes);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(stream.size()));
    state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SseParseDispatch)->Arg(16384)->Arg(1460)->Arg(64)->Unit(benchmark::kMillisecond);

/// A long Anthropic stream: the recorded message_start and text block start, the recorded text
/// deltas repeated to ~8 MB, then the recorded block stop, message_delta and message_stop.
const std::string& long_anthropic_stream() {
    static const std::string kStream = [] {
        std::string rec = read(providers_dir() / "anthropic" / "messages_stream_cache_write.sse");
        if (rec.empty()) return rec;
        std::size_t first_delta = rec.find("event: content_block_delta");
        std::size_t after_deltas = rec.find("event: content_block_stop");
        std::string head = rec.substr(0, first_delta), deltas = rec.substr(first_delta, after_deltas - first_delta);
        std::string out = head;
        while (out.size() < (8u << 20)) out += deltas;
        return out + rec.substr(after_deltas);
    }();
    return kStream;
}

/// The anthropic driver plugin over the long stream through the fake host (16 KiB chunks).
void BM_AnthropicDriverStream(benchmark::State& state) {
    const std::string& stream = long_anthropic_stream();
    if (stream.empty()) {
        state.SkipWithError("no fixtures: set AGENTHOST_PROVIDER_FIXTURES");
        return;
    }
    auto host = ahp::fake::FakeHost::open(AGENTHOST_BUILD_DIR "/plugins/anthropic.so",
                                          R"({"api_key":"k","base_url":"http://127.0.0.1:9"})");
    host.on_stream_service("http.request", [&](const json::value&, const ahp::fake::FakeHost::ChunkFn& chunk) {
        for (std::size_t at = 0; at < stream.size(); at += 16384) chunk(std::string_view(stream).substr(at, 16384));
        return json::value{{"status", 200}, {"headers", json::object{{"content-type", "text/event-stream"}}}};
    });
    json::object request{
        {"model", "claude-sonnet-4-5"},
        {"messages", json::array{json::object{
                         {"role", "user"}, {"content", json::array{json::object{{"type", "text"}, {"text", "hi"}}}}}}}};
    for (auto _ : state) {
        ahp::fake::Outcome o = host.invoke("driver.chat", request);
        if (!o.ok()) state.SkipWithError(o.error_message.c_str());
        benchmark::DoNotOptimize(o.result);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_AnthropicDriverStream)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
