// Every recorded provider response in tests/fixtures/providers (SOURCES.md) replayed through
// the real driver plugin (openai.so, anthropic.so) over real HTTP: the plugin's http.request is
// served by the host's own http.request service (Beast, a socket, chunked streaming) against a
// fake server on 127.0.0.1 that answers with the recorded status, headers and bytes. The
// outcome (text, tool calls with their arguments, usage, stop reason, error category and
// message, streamed deltas) must be exactly what the same plugin gives when the bytes are
// handed to it directly, which the driver unit tests assert in full for every fixture.
#include "net/http_client.hpp"
#include "services/http_service.hpp"
#include "support/fake_http_server.hpp"
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;
using test::FakeHttpServer;
using test::FakeRequest;
using test::FakeResponse;

/// One recorded response, as manifest.json says it was served.
struct Recorded {
    std::string provider;  ///< "openai" or "anthropic"
    std::string file;
    int status = 200;
    json::object headers;
    std::string body;
};

/// A .chunks.jsonl holds stream events one per line: served as SSE (NOTES §3).
std::string sse_of_jsonl(const std::string& text) {
    std::string out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        out += "event: " + std::string(json::parse(line).at("type").as_string()) + "\ndata: " + line + "\n\n";
    }
    return out;
}

std::vector<Recorded> recorded_responses() {
    std::vector<Recorded> out;
    const fs::path manifest = test::fixtures_dir() / "manifest.json";
    if (!fs::exists(manifest)) throw std::runtime_error("missing fixture manifest " + manifest.string());
    const json::value entries = json::parse(test::read_file(manifest));
    for (const json::value& e : entries.as_array()) {
        const std::string path(e.at("file").as_string());
        if (path.rfind("providers/", 0) != 0 || path.find(".request.json") != std::string::npos) continue;
        Recorded r;
        r.provider = path.substr(10, path.find('/', 10) - 10);
        r.file = path.substr(path.rfind('/') + 1);
        if (e.at("http_status").is_int64()) r.status = static_cast<int>(e.at("http_status").as_int64());
        if (e.at("response_headers").is_object()) r.headers = e.at("response_headers").as_object();
        r.body = test::read_file(test::fixtures_dir() / path);
        if (path.size() > 13 && path.compare(path.size() - 13, 13, ".chunks.jsonl") == 0) {
            r.body = sse_of_jsonl(r.body);
            r.headers["content-type"] = "text/event-stream";
        }
        out.push_back(std::move(r));
    }
    return out;
}

/// The headers as the host's http.request answer has them: names lower-cased.
json::object lower_headers(const json::object& headers) {
    json::object out;
    for (const auto& kv : headers) {
        std::string name(kv.key());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out[name] = kv.value();
    }
    return out;
}

/// The driver plugin for a recorded response, and its config against `base`.
std::pair<std::string, json::object> driver_for(const Recorded& r, const std::string& base) {
    const std::string plugins = std::string(AGENTHOST_BUILD_DIR) + "/plugins/";
    if (r.provider == "anthropic") {
        return {plugins + "anthropic.so", json::object{{"base_url", base}, {"api_key", "sk-ant-test"}}};
    }
    const bool responses = r.file.rfind("chat_", 0) != 0;  // responses_*, vercel_openai-*
    return {plugins + "openai.so",
            json::object{{"base_url", base + "/v1"}, {"api_key", "sk-test"}, {"api", responses ? "responses" : "chat"}}};
}

json::object ask() {
    return json::object{
        {"model", "model-under-test"},
        {"session_id", "s1"},
        {"iteration", 1},
        {"system", "Be exact."},
        {"messages", json::array{json::object{{"role", "user"},
                                              {"content", json::array{json::object{{"type", "text"}, {"text", "What is 1231 * 2331?"}}}}}}},
        {"tools", json::array{json::object{{"name", "multiply"},
                                           {"description", "Multiply two integers."},
                                           {"parameters", json::object{{"type", "object"}}}}}}};
}

class RecordedOverHttp : public ::testing::TestWithParam<Recorded> {};

TEST_P(RecordedOverHttp, GivesWhatTheDriverGivesForTheBytesDirectly) {
    const Recorded& r = GetParam();
    FakeHttpServer server;
    server.fallback([&r](const FakeRequest&) {
        FakeResponse out = FakeResponse::text(r.body, r.status, "application/json");
        out.headers.clear();
        for (const auto& kv : r.headers) {
            if (kv.value().is_string()) out.headers.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
        }
        return out;
    });
    const auto [plugin, config] = driver_for(r, server.url());

    // The bytes handed to the plugin directly, as the driver unit tests do.
    FakeHost direct = FakeHost::open(plugin, json::serialize(config));
    std::string direct_body;
    direct.on_stream_service("http.request", [&](const json::value& params, const FakeHost::ChunkFn& chunk) {
        direct_body = std::string(params.at("body").as_string());
        json::object answer{{"status", r.status}, {"headers", lower_headers(r.headers)}, {"final_url", params.at("url")},
                            {"truncated", false}};
        if (r.status >= 200 && r.status < 300)
            chunk(r.body);
        else
            answer["body"] = r.body;
        return json::value(answer);
    });
    Outcome expected = direct.invoke("driver.chat", ask());

    // The same plugin through the host's http.request service and a socket.
    FakeHost over_http = FakeHost::open(plugin, json::serialize(config));
    PluginManifest manifest;
    manifest.id = r.provider;
    manifest.kind = "driver";
    manifest.permissions = {"net"};
    std::atomic<bool> cancelled{false};
    CallContext context;
    context.cancelled = &cancelled;
    HttpClient client{HttpClient::Options{}};
    over_http.on_stream_service("http.request", [&](const json::value& params, const FakeHost::ChunkFn& chunk) {
        ServiceRequest request{manifest, context, chunk, {}};
        try {
            return http_request_service(client, params, request, NetworkAccessList{});
        } catch (const ServiceError& e) {
            throw ahp::Error("network_error", e.what(), e.status());
        }
    });
    Outcome got = over_http.invoke("driver.chat", ask());

    ASSERT_EQ(server.request_count(), 1u) << r.file;
    EXPECT_EQ(json::parse(server.requests()[0].body), json::parse(direct_body)) << "the request body crossed intact";
    EXPECT_EQ(got.status, expected.status) << r.file << ": " << got.error_message;
    EXPECT_EQ(got.result, expected.result) << r.file;
    EXPECT_EQ(got.error_code, expected.error_code) << r.file;
    EXPECT_EQ(got.error_message, expected.error_message) << r.file;
    EXPECT_EQ(got.events, expected.events) << r.file << ": the streamed deltas";
    // Not a vacuous match: a 2xx stream or message answers or fails in-stream with a category,
    // an error status fails with one.
    if (expected.ok()) {
        EXPECT_TRUE(got.result.as_object().contains("stop_reason")) << r.file;
        EXPECT_TRUE(got.result.as_object().contains("usage")) << r.file;
    } else {
        EXPECT_FALSE(got.error_code.empty()) << r.file;
    }
}

INSTANTIATE_TEST_SUITE_P(Providers, RecordedOverHttp, ::testing::ValuesIn(recorded_responses()),
                         [](const ::testing::TestParamInfo<Recorded>& info) {
                             std::string name = info.param.provider + "_" + info.param.file;
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

TEST(RecordedOverHttp, EveryRecordedResponseIsCovered) {
    std::vector<Recorded> all = recorded_responses();
    std::size_t openai = 0, anthropic = 0;
    for (const Recorded& r : all) (r.provider == "openai" ? openai : anthropic) += 1;
    EXPECT_GE(openai, 15u);
    EXPECT_GE(anthropic, 15u);
}

}  // namespace
}  // namespace agenthost
