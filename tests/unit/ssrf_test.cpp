// The SSRF guard: the classifier on literal addresses (no traffic), IP literals normalized the
// way resolvers read them, allow-list exceptions, and the http.request service refusing or
// allowing 127.0.0.1 (the only address any test connects to).
#include "net/http_client.hpp"
#include "net/ssrf_guard.hpp"
#include "services/http_service.hpp"

#include "support/fake_http_server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
using test::FakeHttpServer;
using test::FakeResponse;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string class_of(const std::string& literal) {
    auto a = boost::asio::ip::make_address(literal);
    auto c = restricted_address_class(a);
    return c ? std::string(*c) : "public";
}

std::string host_of(const std::string& host) {
    auto a = parse_ip_host(host);
    return a ? a->to_string() : "<name>";
}

TEST(SsrfGuard, ClassifiesIpv4Literals) {
    EXPECT_EQ(class_of("127.0.0.1"), "loopback");
    EXPECT_EQ(class_of("127.255.0.9"), "loopback");
    EXPECT_EQ(class_of("10.1.2.3"), "private");
    EXPECT_EQ(class_of("172.16.0.1"), "private");
    EXPECT_EQ(class_of("172.31.255.255"), "private");
    EXPECT_EQ(class_of("172.32.0.1"), "public");
    EXPECT_EQ(class_of("192.168.1.1"), "private");
    EXPECT_EQ(class_of("169.254.169.254"), "link-local");
    EXPECT_EQ(class_of("100.64.0.1"), "cgnat");
    EXPECT_EQ(class_of("100.127.255.255"), "cgnat");
    EXPECT_EQ(class_of("100.128.0.1"), "public");
    EXPECT_EQ(class_of("0.0.0.0"), "unspecified");
    EXPECT_EQ(class_of("0.1.2.3"), "unspecified");
    EXPECT_EQ(class_of("224.0.0.251"), "multicast");
    EXPECT_EQ(class_of("255.255.255.255"), "reserved");
    EXPECT_EQ(class_of("8.8.8.8"), "public");
    EXPECT_EQ(class_of("93.184.216.34"), "public");
}

TEST(SsrfGuard, ClassifiesIpv6LiteralsAndEmbeddedIpv4) {
    EXPECT_EQ(class_of("::1"), "loopback");
    EXPECT_EQ(class_of("::"), "unspecified");
    EXPECT_EQ(class_of("fd00::1"), "private");
    EXPECT_EQ(class_of("fc00::1"), "private");
    EXPECT_EQ(class_of("fe80::1"), "link-local");
    EXPECT_EQ(class_of("ff02::1"), "multicast");
    EXPECT_EQ(class_of("::ffff:127.0.0.1"), "loopback");
    EXPECT_EQ(class_of("::ffff:169.254.169.254"), "link-local");
    EXPECT_EQ(class_of("::ffff:8.8.8.8"), "public");
    EXPECT_EQ(class_of("::127.0.0.1"), "loopback");
    EXPECT_EQ(class_of("64:ff9b::a00:1"), "private");  // NAT64 of 10.0.0.1
    EXPECT_EQ(class_of("2002:7f00:1::"), "loopback");  // 6to4 of 127.0.0.1
    EXPECT_EQ(class_of("2606:4700:4700::1111"), "public");
    EXPECT_EQ(class_of("2a00:1450:4001:82b::200e"), "public");
}

TEST(SsrfGuard, ReadsIpLiteralsTheWayResolversDo) {
    EXPECT_EQ(host_of("127.0.0.1"), "127.0.0.1");
    EXPECT_EQ(host_of("2130706433"), "127.0.0.1");
    EXPECT_EQ(host_of("0177.0.0.1"), "127.0.0.1");
    EXPECT_EQ(host_of("0x7f.0.0.1"), "127.0.0.1");
    EXPECT_EQ(host_of("0x7f000001"), "127.0.0.1");
    EXPECT_EQ(host_of("127.1"), "127.0.0.1");
    EXPECT_EQ(host_of("10.1.258"), "10.1.1.2");
    EXPECT_EQ(host_of("0"), "0.0.0.0");
    EXPECT_EQ(host_of("[::1]"), "::1");
    EXPECT_EQ(host_of("[::ffff:127.0.0.1]"), "127.0.0.1") << "IPv4-mapped becomes IPv4";
    EXPECT_EQ(host_of("[::ffff:7f00:1]"), "127.0.0.1");
    EXPECT_EQ(host_of("example.com"), "<name>");
    EXPECT_EQ(host_of("256.1.1.1"), "<name>");
    EXPECT_EQ(host_of("1.2.3.4.5"), "<name>");
    EXPECT_EQ(host_of("08.1.1.1"), "<name>") << "8 is not an octal digit";
    EXPECT_EQ(host_of("4294967296"), "<name>");
}

TEST(SsrfGuard, UrlHostsAreCanonicalBeforeAnyRuleSeesThem) {
    auto url = [](const std::string& u) {
        auto t = parse_http_url(u);
        return std::holds_alternative<HttpTarget>(t) ? std::get<HttpTarget>(t).url
                                                     : "error: " + std::get<std::string>(t);
    };
    EXPECT_EQ(url("http://2130706433:8080/x?y=1#frag"), "http://127.0.0.1:8080/x?y=1");
    EXPECT_EQ(url("http://0177.0.0.1/"), "http://127.0.0.1/");
    EXPECT_EQ(url("http://[::ffff:127.0.0.1]:80/"), "http://127.0.0.1/");
    EXPECT_EQ(url("HTTPS://Example.COM:443"), "https://example.com/");
    EXPECT_EQ(url("http://user:pw@[::1]:9/a"), "http://[::1]:9/a");
    EXPECT_EQ(url("http://%31%32%37.0.0.1/"), "http://127.0.0.1/");
    EXPECT_THAT(url("file:///etc/passwd"), StartsWith("error: unsupported scheme"));
    EXPECT_THAT(url("http://exa mple.com/"), StartsWith("error: "));
}

TEST(SsrfGuard, RefusalNamesHostAddressAndClassUnlessExplicitlyAllowed) {
    const std::vector<boost::asio::ip::address> addresses{boost::asio::ip::make_address("93.184.216.34"),
                                                          boost::asio::ip::make_address("10.0.0.7")};
    EXPECT_EQ(ssrf_refusal("rebind.example", addresses, false), "ssrf: rebind.example resolves to 10.0.0.7 (private)");
    EXPECT_EQ(ssrf_refusal("rebind.example", addresses, true), std::nullopt);
    EXPECT_EQ(ssrf_refusal("example.com", {boost::asio::ip::make_address("93.184.216.34")}, false), std::nullopt);
}

TEST(SsrfGuard, OnlyExactHostsAndUrlPrefixesNameAHostExplicitly) {
    NetworkAccessList l;
    l.allow = {"127.0.0.1", "*.corp.example", "http://intranet.example/wiki/", "localhost"};
    EXPECT_TRUE(l.names_explicitly("http://127.0.0.1:8080/x"));
    EXPECT_TRUE(l.names_explicitly("http://localhost:11434/"));
    EXPECT_FALSE(l.names_explicitly("http://db.corp.example/")) << "*.domain does not count";
    EXPECT_TRUE(l.names_explicitly("http://intranet.example/wiki/page"));
    EXPECT_FALSE(l.names_explicitly("http://intranet.example/admin"));
    EXPECT_FALSE(l.names_explicitly("http://[::1]/"));
}

/// A capability's (or driver's) service request, outside any runtime.
struct Caller {
    PluginManifest manifest;
    CallContext context;
    std::vector<std::string> chunks;
    std::atomic<bool> cancelled{false};

    explicit Caller(std::string kind) {
        manifest.id = "tester";
        manifest.kind = std::move(kind);
        manifest.permissions = {"net"};
        context.cancelled = &cancelled;
    }
    /// The answer, or {"error": status, "message": …}.
    json::value call(const json::object& params, const NetworkAccessList& list) {
        ServiceRequest request{manifest, context, [this](std::string_view c) { return chunks.emplace_back(c), true; }, {}};
        try {
            static HttpClient client{HttpClient::Options{}};
            return http_request_service(client, params, request, list);
        } catch (const ServiceError& e) {
            return json::object{{"error", static_cast<int>(e.status())}, {"message", e.what()}};
        }
    }
};

NetworkAccessList list(std::vector<std::string> allow, std::vector<std::string> block = {}) {
    NetworkAccessList l;
    l.allow = std::move(allow);
    l.block = std::move(block);
    return l;
}

std::string message(const json::value& v) {
    const json::value* m = v.as_object().if_contains("message");
    return m ? std::string(m->as_string()) : "(succeeded: " + json::serialize(v) + ")";
}

TEST(HttpService, CapabilityIsRefusedLoopbackUnlessTheAllowListNamesIt) {
    FakeHttpServer server;
    server.route("GET", "/", FakeResponse::text("inside"));
    Caller cap("capability");
    const json::object params{{"url", server.url("/")}};

    json::value open = cap.call(params, list({}));
    EXPECT_EQ(open.at("error"), static_cast<int>(AHP_DENIED));
    EXPECT_EQ(message(open), "ssrf: 127.0.0.1 resolves to 127.0.0.1 (loopback)");

    json::value elsewhere = cap.call(params, list({"example.com"}));
    EXPECT_EQ(elsewhere.at("error"), static_cast<int>(AHP_DENIED));
    EXPECT_EQ(message(elsewhere), "network access: " + server.url("/") + " refused by not in allow list");

    json::value domain = cap.call(json::object{{"url", "http://localhost:" + std::to_string(server.port()) + "/"}},
                                  list({"*.localhost"}));
    EXPECT_THAT(message(domain), StartsWith("ssrf: localhost resolves to ")) << "*.domain does not lift the guard";
    EXPECT_EQ(server.request_count(), 0u) << "nothing was sent";

    json::value allowed = cap.call(params, list({"127.0.0.1"}));
    ASSERT_TRUE(allowed.as_object().contains("status")) << message(allowed);
    EXPECT_EQ(allowed.at("status"), 200);
    EXPECT_EQ(allowed.at("body"), "inside");
    EXPECT_EQ(allowed.at("final_url").as_string(), server.url("/"));
    EXPECT_EQ(allowed.at("truncated"), false);
}

TEST(HttpService, OtherSpellingsOfLoopbackAreTheSameHost) {
    FakeHttpServer server;
    server.route("GET", "/", FakeResponse::text("inside"));
    Caller cap("capability");
    const std::string port = std::to_string(server.port());
    for (const std::string host : {"2130706433", "0177.0.0.1", "0x7f.1", "[::ffff:127.0.0.1]"}) {
        const json::object params{{"url", "http://" + host + ":" + port + "/"}};
        EXPECT_EQ(message(cap.call(params, list({}))), "ssrf: 127.0.0.1 resolves to 127.0.0.1 (loopback)") << host;
        EXPECT_EQ(message(cap.call(params, list({"127.0.0.1"}, {"127.0.0.1"}))),
                  "network access: http://127.0.0.1:" + port + "/ refused by block: 127.0.0.1")
            << host;
        EXPECT_EQ(cap.call(params, list({"127.0.0.1"})).at("status"), 200) << host;
    }
}

TEST(HttpService, BlockBeatsAllow) {
    FakeHttpServer server;
    Caller cap("capability");
    json::value r = cap.call(json::object{{"url", server.url("/x")}}, list({"127.0.0.1"}, {server.url("/")}));
    EXPECT_EQ(r.at("error"), static_cast<int>(AHP_DENIED));
    EXPECT_EQ(message(r), "network access: " + server.url("/x") + " refused by block: " + server.url("/"));
    EXPECT_EQ(server.request_count(), 0u);
}

TEST(HttpService, RedirectToABlockedHostIsRefused) {
    FakeHttpServer server;
    const std::string port = std::to_string(server.port());
    server.redirect("GET", "/to-localhost", "http://localhost:" + port + "/secret");
    server.redirect("GET", "/to-blocked", "/admin/panel");
    server.redirect("GET", "/to-decimal", "http://2130706433:" + port + "/ok");
    server.route("GET", "/ok", FakeResponse::text("ok"));
    Caller cap("capability");

    json::value r = cap.call(json::object{{"url", server.url("/to-localhost")}}, list({"127.0.0.1"}));
    EXPECT_EQ(message(r), "network access: http://localhost:" + port + "/secret refused by not in allow list");
    r = cap.call(json::object{{"url", server.url("/to-blocked")}}, list({"127.0.0.1"}, {server.url("/admin/")}));
    EXPECT_EQ(message(r),
              "network access: " + server.url("/admin/panel") + " refused by block: " + server.url("/admin/"));
    EXPECT_EQ(server.request_count(), 2u) << "the refused hops were never requested";

    r = cap.call(json::object{{"url", server.url("/to-decimal")}}, list({"127.0.0.1"}));
    EXPECT_EQ(r.at("status"), 200) << message(r);
    EXPECT_EQ(r.at("final_url").as_string(), server.url("/ok"));
}

TEST(HttpService, DriversAreNotSubjectToTheListOrTheGuard) {
    FakeHttpServer server;
    server.route("POST", "/v1/messages", FakeResponse::sse({"event: ping\n\n", "event: done\n\n"}));
    Caller driver("driver");
    json::value r = driver.call(json::object{{"url", server.url("/v1/messages")},
                                             {"method", "POST"},
                                             {"body", "{}"},
                                             {"headers", json::object{{"content-type", "application/json"}}},
                                             {"stream", true}},
                                list({"example.com"}, {"127.0.0.1"}));
    ASSERT_TRUE(r.as_object().contains("status")) << message(r);
    EXPECT_EQ(r.at("status"), 200);
    EXPECT_FALSE(r.as_object().contains("body")) << "a streamed body is not in the answer";
    EXPECT_EQ(r.at("headers").at("content-type"), "text/event-stream");
    std::string joined;
    for (const auto& c : driver.chunks) joined += c;
    EXPECT_EQ(joined, "event: ping\n\nevent: done\n\n");
    EXPECT_EQ(server.requests().at(0).body, "{}");
}

TEST(HttpService, StreamedBodiesAreCappedOnlyWhenAsked) {
    FakeHttpServer server;
    server.route("GET", "/big", FakeResponse::sse({std::string(1500, 'a'), std::string(1500, 'b')}));
    server.route("GET", "/page", FakeResponse::text(std::string(3000, 'c')));
    Caller driver("driver");
    auto streamed = [&] {
        std::size_t n = 0;
        for (const auto& c : driver.chunks) n += c.size();
        driver.chunks.clear();
        return n;
    };
    const NetworkAccessList open;
    json::value r = driver.call(json::object{{"url", server.url("/big")}, {"stream", true}}, open);
    EXPECT_EQ(r.at("truncated"), false);
    EXPECT_EQ(streamed(), 3000u);
    r = driver.call(json::object{{"url", server.url("/big")}, {"stream", true}, {"max_body_bytes", 1000}}, open);
    EXPECT_EQ(r.at("truncated"), true);
    EXPECT_EQ(streamed(), 1000u);
    r = driver.call(json::object{{"url", server.url("/page")}, {"max_body_bytes", 1000}}, open);
    EXPECT_EQ(r.at("truncated"), true);
    EXPECT_EQ(r.at("body").as_string().size(), 1000u);
}

TEST(HttpService, BadParamsAreInvalidArguments) {
    Caller cap("capability");
    const auto allow = list({"127.0.0.1"});
    json::value r = cap.call(json::object{{"url", "http://127.0.0.1:1/"}, {"method", "TRACE"}}, allow);
    EXPECT_EQ(r.at("error"), static_cast<int>(AHP_INVALID_ARGUMENT));
    EXPECT_THAT(message(r), StartsWith("invalid_request: 'method'"));
    EXPECT_EQ(cap.call(json::object{{"method", "GET"}}, allow).at("error"), static_cast<int>(AHP_INVALID_ARGUMENT));
    EXPECT_EQ(cap.call(json::object{{"url", "http://127.0.0.1:1/"}, {"timeout_ms", -5}}, allow).at("error"),
              static_cast<int>(AHP_INVALID_ARGUMENT));
    EXPECT_EQ(cap.call(json::object{{"url", "http://127.0.0.1:1/"}, {"bogus", 1}}, allow).at("error"),
              static_cast<int>(AHP_INVALID_ARGUMENT));
    EXPECT_EQ(cap.call(json::object{{"url", "gopher://127.0.0.1/"}}, allow).at("error"),
              static_cast<int>(AHP_INVALID_ARGUMENT));
}

TEST(HttpService, FailuresCarryTheirCategory) {
    FakeHttpServer server;
    server.never_answer();
    Caller cap("capability");
    json::value r = cap.call(json::object{{"url", server.url("/")}, {"timeout_ms", 200}}, list({"127.0.0.1"}));
    EXPECT_EQ(r.at("error"), static_cast<int>(AHP_ERROR));
    EXPECT_THAT(message(r), StartsWith("timeout: "));

    cap.cancelled = true;
    r = cap.call(json::object{{"url", server.url("/")}}, list({"127.0.0.1"}));
    EXPECT_EQ(r.at("error"), static_cast<int>(AHP_CANCELLED));
    EXPECT_THAT(message(r), StartsWith("cancelled: "));
}

}  // namespace
}  // namespace agenthost
