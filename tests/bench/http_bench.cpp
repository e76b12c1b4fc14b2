// The host HTTP client's per-request cost (issue 4: ≤ 0.3 ms wall and ≤ 0.1 ms CPU per extra loop
// iteration against a local server that answers instantly): a kept-alive POST with a whole JSON
// answer, the same with a streamed SSE answer, the same through the http.request service as a
// driver calls it, and a request on a new connection each time. The fake server runs on its own
// thread on 127.0.0.1; "CPU" is the calling thread's.
#include "net/http_client.hpp"
#include "services/http_service.hpp"

#include "support/fake_http_server.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

using agenthost::HttpClient;
using agenthost::HttpRequest;
using agenthost::test::FakeHttpServer;
using agenthost::test::FakeResponse;

const std::string kRequestBody = "{\"model\":\"m\",\"stream\":true,\"messages\":[" + std::string(2000, ' ') + "]}";

void routes(FakeHttpServer& s) {
    s.route("POST", "/v1/messages",
            FakeResponse::json("{\"id\":\"msg\",\"content\":[{\"type\":\"text\",\"text\":\"" + std::string(400, 'x') +
                               "\"}]}"));
    std::vector<agenthost::test::FakeChunk> events;
    for (int i = 0; i < 10; ++i)
        events.emplace_back("event: content_block_delta\ndata: {\"delta\":\"word " + std::to_string(i) + "\"}\n\n");
    s.route("POST", "/v1/stream", FakeResponse::sse(std::move(events)));
    FakeResponse closing = FakeResponse::json("{}");
    closing.headers.emplace_back("Connection", "close");
    s.route("POST", "/v1/close", closing);
}

HttpRequest post(const FakeHttpServer& s, const std::string& path) {
    HttpRequest r;
    r.method = "POST";
    r.url = s.url(path);
    r.headers = {{"content-type", "application/json"}, {"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}};
    r.body = kRequestBody;
    return r;
}

void BM_KeptAlivePost(benchmark::State& state) {
    FakeHttpServer s;
    routes(s);
    HttpClient client{HttpClient::Options{}};
    const HttpRequest r = post(s, "/v1/messages");
    for (auto _ : state) benchmark::DoNotOptimize(client.send(r));
    state.counters["connections"] = static_cast<double>(s.connections());
}
BENCHMARK(BM_KeptAlivePost)->Unit(benchmark::kMicrosecond);

void BM_KeptAliveStreamedSse(benchmark::State& state) {
    FakeHttpServer s;
    routes(s);
    HttpClient client{HttpClient::Options{}};
    HttpRequest r = post(s, "/v1/stream");
    std::size_t bytes = 0;
    r.on_body = [&](std::string_view b) { return bytes += b.size(), true; };
    for (auto _ : state) benchmark::DoNotOptimize(client.send(r));
    state.counters["connections"] = static_cast<double>(s.connections());
}
BENCHMARK(BM_KeptAliveStreamedSse)->Unit(benchmark::kMicrosecond);

void BM_ServiceCallAsADriver(benchmark::State& state) {
    FakeHttpServer s;
    routes(s);
    HttpClient client{HttpClient::Options{}};
    agenthost::PluginManifest manifest;
    manifest.id = "bench";
    manifest.kind = "driver";
    agenthost::CallContext context;
    std::size_t bytes = 0;
    agenthost::ServiceRequest request{manifest, context, [&](std::string_view b) { return bytes += b.size(), true; }, {}};
    const boost::json::value params =
        boost::json::object{{"method", "POST"},
                            {"url", s.url("/v1/stream")},
                            {"body", kRequestBody},
                            {"stream", true},
                            {"headers", boost::json::object{{"content-type", "application/json"}, {"x-api-key", "k"}}}};
    const agenthost::NetworkAccessList list;
    for (auto _ : state) benchmark::DoNotOptimize(agenthost::http_request_service(client, params, request, list));
}
BENCHMARK(BM_ServiceCallAsADriver)->Unit(benchmark::kMicrosecond);

void BM_NewConnectionEachTime(benchmark::State& state) {
    FakeHttpServer s;
    routes(s);
    HttpClient client{HttpClient::Options{}};
    const HttpRequest r = post(s, "/v1/close");
    for (auto _ : state) benchmark::DoNotOptimize(client.send(r));
    state.counters["connections"] = static_cast<double>(s.connections());
}
BENCHMARK(BM_NewConnectionEachTime)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
