// http.request through real plugins loaded from .so files: the net_probe capability (subject to
// the session's network access list and the SSRF guard) and the net_driver driver (not), both
// talking to the fake server on 127.0.0.1.
#include "support/fake_http_server.hpp"
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace agenthost {
namespace {

namespace json = boost::json;
using test::builder;
using test::call;
using test::FakeChunk;
using test::FakeHttpServer;
using test::FakeResponse;
using test::say;
using ::testing::HasSubstr;

const json::object& tool_result(const Message& m) {
    return m.content.at(0).as_object();
}

/// A runtime with net_probe whose script calls fetch(args) once, then says "done".
std::unique_ptr<Runtime> probe_runtime(json::object fetch_args, json::object network_access) {
    return builder({call("fetch", std::move(fetch_args)), say("done")})
        .plugin_dir(test::fixture_dir("net_probe"))
        .capability("net_probe")
        .session_network_access(std::move(network_access))
        .build();
}

json::object allow(json::array hosts, json::array blocked = {}) {
    return json::object{{"allow", std::move(hosts)}, {"block", std::move(blocked)}};
}

/// The single fetch's tool result.
json::object fetched(Runtime& rt) {
    TurnResult r = rt.run_turn("fetch it");
    EXPECT_TRUE(r.success) << (r.error ? r.error->message : "");
    auto ms = rt.messages(rt.default_session_id());
    EXPECT_GE(ms.size(), 3u);
    return ms.size() >= 3 ? tool_result(ms[2]) : json::object{};
}

TEST(HttpServiceThroughPlugins, CapabilityFetchesAnAllowedLoopbackUrl) {
    FakeHttpServer server;
    server.route("GET", "/page", FakeResponse::text("hello page"));
    auto rt = probe_runtime(json::object{{"url", server.url("/page")}}, allow({"127.0.0.1"}));
    json::object r = fetched(*rt);
    ASSERT_FALSE(r.at("is_error").as_bool()) << json::serialize(r);
    EXPECT_EQ(r.at("result").at("status"), 200);
    EXPECT_EQ(r.at("result").at("body"), "hello page");
    EXPECT_EQ(r.at("result").at("final_url").as_string(), server.url("/page"));
    EXPECT_EQ(server.requests().at(0).header("user-agent"), "agenthost/0.1");
}

TEST(HttpServiceThroughPlugins, CapabilityStreamsChunks) {
    FakeHttpServer server;
    server.route("GET", "/stream",
                 FakeResponse::sse({"data: a\n\n", FakeChunk("data: b\n\n", 50), FakeChunk("data: c\n\n", 50)}));
    auto rt = probe_runtime(json::object{{"url", server.url("/stream")}, {"stream", true}}, allow({"127.0.0.1"}));
    json::object r = fetched(*rt);
    ASSERT_FALSE(r.at("is_error").as_bool()) << json::serialize(r);
    EXPECT_EQ(r.at("result").at("body"), "data: a\n\ndata: b\n\ndata: c\n\n");
    EXPECT_GE(r.at("result").at("chunks").to_number<int>(), 1);
}

TEST(HttpServiceThroughPlugins, CapabilityIsRefusedLoopbackWithoutAnExplicitAllowEntry) {
    FakeHttpServer server;
    auto rt = probe_runtime(json::object{{"url", server.url("/")}}, json::object{});
    json::object r = fetched(*rt);
    EXPECT_TRUE(r.at("is_error").as_bool());
    EXPECT_THAT(json::serialize(r.at("result")), HasSubstr("ssrf: 127.0.0.1 resolves to 127.0.0.1 (loopback)"));
    EXPECT_EQ(server.request_count(), 0u);
}

TEST(HttpServiceThroughPlugins, RefusalNamesTheRule) {
    FakeHttpServer server;
    auto rt = probe_runtime(json::object{{"url", server.url("/x")}}, allow({"127.0.0.1"}, {"127.0.0.1"}));
    json::object r = fetched(*rt);
    EXPECT_TRUE(r.at("is_error").as_bool());
    EXPECT_THAT(json::serialize(r.at("result")),
                HasSubstr("network access: " + server.url("/x") + " refused by block: 127.0.0.1"));
    EXPECT_EQ(server.request_count(), 0u);
}

TEST(HttpServiceThroughPlugins, RedirectOutOfTheAllowListIsRefused) {
    FakeHttpServer server;
    server.redirect("GET", "/go", "http://localhost:" + std::to_string(server.port()) + "/internal");
    auto rt = probe_runtime(json::object{{"url", server.url("/go")}}, allow({"127.0.0.1"}));
    json::object r = fetched(*rt);
    EXPECT_TRUE(r.at("is_error").as_bool());
    EXPECT_THAT(json::serialize(r.at("result")), HasSubstr("refused by not in allow list"));
    EXPECT_EQ(server.request_count(), 1u);
}

TEST(HttpServiceThroughPlugins, InterruptCancelsAHangingRequest) {
    FakeHttpServer server;
    server.never_answer();
    auto rt = probe_runtime(json::object{{"url", server.url("/")}}, allow({"127.0.0.1"}));
    const std::string sid = rt->default_session_id();
    std::thread interrupter([&] {
        if (server.wait_for_requests(1)) rt->interrupt(sid);
    });
    TurnResult r = rt->run_turn("fetch");
    interrupter.join();
    EXPECT_TRUE(r.cancelled);
}

TEST(HttpServiceThroughPlugins, DriverBypassesTheNetworkAccessList) {
    FakeHttpServer server;
    server.route("POST", "/v1/messages", FakeResponse::sse({"Hello ", "from the model"}));
    auto rt = builder()
                  .plugin_dir(test::fixture_dir("net_driver"))
                  .model("net_driver")
                  .driver_config("net_driver", json::object{{"url", server.url("/v1/messages")}})
                  .session_network_access(allow({"example.com"}, {"127.0.0.1"}))
                  .build();
    TurnResult r = rt->run_turn("hi");
    ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    EXPECT_EQ(r.response, "Hello from the model");
    EXPECT_EQ(server.request_count(), 1u);
    EXPECT_EQ(server.requests()[0].method, "POST");
}

// ABI 1.1: a body passed beside the params (request_with_body) is sent byte for byte, not
// escaped into JSON on the way.
TEST(HttpServiceThroughPlugins, BodyBesideTheParamsArrivesByteForByte) {
    FakeHttpServer server;
    server.route("POST", "/echo", FakeResponse::text("ok"));
    const std::string body = std::string("{\"q\":\"a \\\"quoted\\\" \\\\ word\"}\r\n\u00e9\u6f22\t") + std::string(1, '\0') + "end";
    auto rt = probe_runtime(json::object{{"url", server.url("/echo")}, {"method", "POST"}, {"body", body}},
                            allow({"127.0.0.1"}));
    json::object r = fetched(*rt);
    ASSERT_FALSE(r.at("is_error").as_bool()) << json::serialize(r);
    ASSERT_EQ(server.request_count(), 1u);
    EXPECT_EQ(server.requests()[0].body, body);
    EXPECT_EQ(server.requests()[0].header("content-length"), std::to_string(body.size()));
}

// A JSON answer cannot carry bytes that are not UTF-8: they come as body_base64, and
// ahp::http_body gives them back exactly (every byte value, every padding length).
TEST(HttpServiceThroughPlugins, BytesThatAreNotUtf8ComeBackExactlyThroughBase64) {
    for (std::size_t extra : {0u, 1u, 2u}) {
        FakeHttpServer server;
        std::string bytes;
        for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
        bytes += std::string(extra, '\xff');
        server.route("GET", "/bin", FakeResponse::text(bytes, 200, "application/octet-stream"));
        auto rt = probe_runtime(json::object{{"url", server.url("/bin")}}, allow({"127.0.0.1"}));
        json::object r = fetched(*rt);
        ASSERT_FALSE(r.at("is_error").as_bool()) << json::serialize(r);
        static const char kHex[] = "0123456789abcdef";
        std::string hex;
        for (unsigned char c : bytes) (hex += kHex[c >> 4]) += kHex[c & 0xF];
        EXPECT_EQ(r.at("result").at("body_hex").as_string(), hex) << extra;
        EXPECT_EQ(r.at("result").at("had_base64"), true);
    }
}

TEST(HttpServiceThroughPlugins, ABodyBothBesideAndInTheParamsIsRefused) {
    FakeHttpServer server;
    server.route("POST", "/echo", FakeResponse::text("ok"));
    auto rt = probe_runtime(json::object{{"url", server.url("/echo")}, {"method", "POST"}, {"body", "one"},
                                         {"params_body", "two"}},
                            allow({"127.0.0.1"}));
    json::object r = fetched(*rt);
    EXPECT_TRUE(r.at("is_error").as_bool());
    EXPECT_THAT(json::serialize(r.at("result")), HasSubstr("a body both in the params and beside them"));
    EXPECT_EQ(server.request_count(), 0u);
}

TEST(HttpServiceThroughPlugins, AServiceThatTakesNoBodyRefusesOne) {
    FakeHttpServer server;
    auto rt = probe_runtime(json::object{{"url", server.url("/")}, {"body", "stray"}, {"service", "network.check"}},
                            allow({"127.0.0.1"}));
    json::object r = fetched(*rt);
    EXPECT_TRUE(r.at("is_error").as_bool());
    EXPECT_THAT(json::serialize(r.at("result")), HasSubstr("the host service network.check takes no body"));
}

}  // namespace
}  // namespace agenthost
