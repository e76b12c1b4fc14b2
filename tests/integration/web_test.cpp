// web_search and web_fetch end to end: the real plugins loaded from .so files, the host's real
// http.request (network access lists, SSRF guard, limits) over real HTTP to a local server on
// 127.0.0.1, driven by llmsim scripts. No test sends traffic anywhere but 127.0.0.1: hosts
// outside the allow list are refused before any lookup.
#include "support/fake_http_server.hpp"
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
using test::call;
using test::FakeHttpServer;
using test::FakeResponse;
using test::say;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const char* const kPage =
    "<html><head><title>Local page</title></head><body><nav>menu</nav>"
    "<h1>Hello</h1><p>From <a href=\"/other\">127.0.0.1</a>.</p></body></html>";

/// The outcome of the one tool call a scripted turn made.
struct ToolOutcome {
    bool is_error = true;
    std::string text;
};

ToolOutcome run(RuntimeBuilder& b) {
    auto rt = b.build();
    TurnResult r = rt->run_turn("go");
    EXPECT_TRUE(r.success) << (r.error ? r.error->message : "");
    for (const Message& m : rt->messages(rt->default_session_id())) {
        if (m.role != "tool_result") continue;
        const json::object& part = m.content.at(0).as_object();
        const json::value& result = part.at("result");
        return {part.at("is_error").as_bool(),
                result.is_string() ? std::string(result.get_string()) : json::serialize(result)};
    }
    ADD_FAILURE() << "no tool result";
    return {};
}

json::object allow_loopback() {
    return json::object{{"allow", json::array{"127.0.0.1"}}};
}

RuntimeBuilder fetching(const std::string& url, json::object config = {}) {
    RuntimeBuilder b = test::builder({call("web_fetch", {{"url", url}}), say("done")});
    b.capability("web_fetch", std::move(config));
    return b;
}

std::string ddg_page() {
    return test::web_fixture("duckduckgo_html_foo.html");
}

TEST(Web, SearchReadsTheDuckDuckGoPageServedLocally) {
    FakeHttpServer server;
    server.route("POST", "/html/", FakeResponse::text(ddg_page(), 200, "text/html; charset=UTF-8"));
    RuntimeBuilder b = test::builder({call("web_search", {{"query", "foo"}}), say("done")});
    b.capability("web_search", {{"endpoint", server.url("/html/")}}).session_network_access(allow_loopback());
    ToolOutcome o = run(b);
    ASSERT_FALSE(o.is_error) << o.text;
    EXPECT_THAT(o.text, StartsWith("1. Foo Fighters - Wikipedia\n   https://en.wikipedia.org/wiki/Foo_Fighters\n   "));
    EXPECT_THAT(
        o.text,
        HasSubstr(
            "\n\n10. Foo Tokyo｜Official Website（フートウキョウ公式）\n   https://footokyo.jp/\n   シルクパジャマ"));
    EXPECT_THAT(o.text, ::testing::Not(HasSubstr("\n11. ")));
    ASSERT_EQ(server.request_count(), 1u);
    const test::FakeRequest req = server.requests().at(0);
    EXPECT_EQ(req.body, "q=foo");
    EXPECT_EQ(req.header("content-type"), "application/x-www-form-urlencoded");
}

TEST(Web, FetchReadsALocalPageWhenTheAllowListNamesLoopback) {
    FakeHttpServer server;
    server.route("GET", "/page", FakeResponse::text(kPage, 200, "text/html"));
    RuntimeBuilder b = fetching(server.url("/page"));
    b.session_network_access(allow_loopback());
    ToolOutcome o = run(b);
    ASSERT_FALSE(o.is_error) << o.text;
    EXPECT_EQ(o.text, "Title: Local page\nURL: " + server.url("/page") + "\n\n# Hello\n\nFrom [127.0.0.1](" +
                          server.url("/other") + ").");
}

TEST(Web, LoopbackIsRefusedUnlessTheAllowListNamesIt) {
    FakeHttpServer server;
    server.route("GET", "/page", FakeResponse::text(kPage, 200, "text/html"));
    struct Case {
        json::object access;
        const char* refusal;  // nullptr: allowed
    } cases[] = {
        {json::object{}, "ssrf: 127.0.0.1"},  // open list, but loopback needs naming
        {json::object{{"allow", json::array{"localhost"}}}, "refused by"},
        {json::object{{"allow", json::array{"*.example.com", "127.0.0.1"}}}, nullptr},
    };
    for (const Case& c : cases) {
        RuntimeBuilder b = fetching(server.url("/page"));
        b.session_network_access(c.access);
        ToolOutcome o = run(b);
        EXPECT_EQ(o.is_error, c.refusal != nullptr) << json::serialize(c.access) << ": " << o.text;
        if (c.refusal) {
            EXPECT_THAT(o.text, StartsWith("could not fetch " + server.url("/page") + ": "));
            EXPECT_THAT(o.text, HasSubstr(c.refusal));
        }
    }
    EXPECT_EQ(server.request_count(), 1u) << "only the allowed fetch reached the server";
}

TEST(Web, ARedirectToAHostOutsideTheAllowListIsRefused) {
    FakeHttpServer server;
    server.redirect("GET", "/go", "http://elsewhere.example/steal");
    server.redirect("GET", "/local", "/page");
    server.route("GET", "/page", FakeResponse::text(kPage, 200, "text/html"));
    RuntimeBuilder out = fetching(server.url("/go"));
    out.session_network_access(allow_loopback());
    ToolOutcome o = run(out);
    EXPECT_TRUE(o.is_error);
    EXPECT_THAT(o.text, HasSubstr("network access: http://elsewhere.example/steal refused by"));
    // A redirect that stays inside the list is followed, and the final URL heads the result.
    RuntimeBuilder in = fetching(server.url("/local"));
    in.session_network_access(allow_loopback());
    ToolOutcome ok = run(in);
    ASSERT_FALSE(ok.is_error) << ok.text;
    EXPECT_THAT(ok.text, StartsWith("Title: Local page\nURL: " + server.url("/page") + "\n"));
}

TEST(Web, BlockBeatsAllow) {
    FakeHttpServer server;
    server.route("GET", "/page", FakeResponse::text(kPage, 200, "text/html"));
    RuntimeBuilder b = fetching(server.url("/page"));
    b.session_network_access(json::object{{"allow", json::array{"127.0.0.1"}}, {"block", json::array{"127.0.0.1"}}});
    ToolOutcome o = run(b);
    EXPECT_TRUE(o.is_error);
    EXPECT_THAT(o.text, HasSubstr("refused by block"));
    EXPECT_EQ(server.request_count(), 0u);
}

TEST(Web, HarnessAgentAndSessionCanOnlyNarrow) {
    FakeHttpServer server;
    server.route("GET", "/page", FakeResponse::text(kPage, 200, "text/html"));
    test::TempDir dir;
    test::write_file(dir / "local-web.json",
                     R"({"name":"local-web","capabilities":["web_fetch"],"network_access":{"allow":["127.0.0.1"]}})");
    auto with_harness = [&](RuntimeBuilder b) {
        b.harness_dir(dir.path()).harness("local-web");
        return b;
    };
    RuntimeBuilder harness_only =
        with_harness(test::builder({call("web_fetch", {{"url", server.url("/page")}}), say("done")}));
    EXPECT_FALSE(run(harness_only).is_error) << "the harness allows 127.0.0.1";

    RuntimeBuilder session_blocks =
        with_harness(test::builder({call("web_fetch", {{"url", server.url("/page")}}), say("done")}));
    session_blocks.session_network_access(json::object{{"block", json::array{"127.0.0.1"}}});
    ToolOutcome blocked = run(session_blocks);
    EXPECT_TRUE(blocked.is_error);
    EXPECT_THAT(blocked.text, HasSubstr("refused by block"));

    AgentConfig agent;
    agent.name = "elsewhere";
    agent.network_access = json::object{{"allow", json::array{"docs.example.com"}}};
    RuntimeBuilder agent_narrows =
        with_harness(test::builder({call("web_fetch", {{"url", server.url("/page")}}), say("done")}));
    agent_narrows.agent(agent);
    EXPECT_TRUE(run(agent_narrows).is_error) << "the agent's allow list does not widen the harness's";

    RuntimeBuilder session_widens =
        with_harness(test::builder({call("web_fetch", {{"url", server.url("/page")}}), say("done")}));
    session_widens.session_network_access(json::object{{"allow", json::array{"127.0.0.1", "localhost"}}});
    EXPECT_FALSE(run(session_widens).is_error) << "an allow the harness has survives";
    EXPECT_EQ(server.request_count(), 2u);
}

TEST(Web, ATenMegabyteBodyIsCapped) {
    std::string big;
    big.reserve(10'000'000);
    for (int i = 0; big.size() < 10'000'000; ++i) big += "row " + std::to_string(i) + ",value\n";
    big.resize(10'000'000);
    FakeHttpServer server;
    server.route("GET", "/big.csv", FakeResponse::text(big, 200, "text/csv"));
    RuntimeBuilder b = fetching(server.url("/big.csv"));
    b.session_network_access(allow_loopback());
    ToolOutcome o = run(b);
    ASSERT_FALSE(o.is_error) << o.text.substr(0, 300);
    EXPECT_EQ(o.text, "URL: " + server.url("/big.csv") + "\nContent-Type: text/csv\n\n" + big.substr(0, 20000) +
                          "\n\n[truncated: 9,980,000 more characters]");

    // Past the download limit the host stops reading, and the answer says that too.
    RuntimeBuilder small = fetching(server.url("/big.csv"), {{"max_body_bytes", 1'000'000}, {"max_chars", 10}});
    small.session_network_access(allow_loopback());
    ToolOutcome cut = run(small);
    ASSERT_FALSE(cut.is_error) << cut.text.substr(0, 300);
    EXPECT_THAT(cut.text,
                HasSubstr("\n\n[truncated: 999,990 more characters]\n\n[the download stopped at 1,000,000 bytes"));
}

TEST(Web, AServerThatNeverAnswersIsATimeout) {
    FakeHttpServer server;
    server.route("GET", "/slow", FakeResponse::never());
    RuntimeBuilder b = fetching(server.url("/slow"), {{"timeout_ms", 300}});
    b.session_network_access(allow_loopback());
    auto start = std::chrono::steady_clock::now();
    ToolOutcome o = run(b);
    EXPECT_TRUE(o.is_error);
    EXPECT_THAT(o.text, HasSubstr("timeout"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Web, BinaryIsRefusedThroughTheRealHost) {
    FakeHttpServer server;
    std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    png += std::string(1000, '\xff');
    server.route("GET", "/logo.png", FakeResponse::text(png, 200, "image/png"));
    RuntimeBuilder b = fetching(server.url("/logo.png"));
    b.session_network_access(allow_loopback());
    ToolOutcome o = run(b);
    EXPECT_TRUE(o.is_error);
    EXPECT_THAT(o.text, HasSubstr("is image/png (1,016 bytes), which web_fetch cannot read"));
}

TEST(Web, TheResearchAndCodingHarnessesOfferBothTools) {
    for (const char* harness : {"research", "coding"}) {
        auto rt = test::builder().harness(harness).build();
        std::vector<std::string> names;
        for (const auto& t : rt->load_context(rt->default_session_id()).tools) names.push_back(t.name);
        EXPECT_THAT(names, ::testing::IsSupersetOf({"web_search", "web_fetch"})) << harness;
    }
}

TEST(Web, ALatin1PageThroughTheRealHost) {
    FakeHttpServer server;
    server.route("GET", "/fr",
                 FakeResponse::text("<title>Caf\xE9</title><p>d\xE9j\xE0 vu \x80"
                                    "5</p>",
                                    200, "text/html; charset=iso-8859-1"));
    RuntimeBuilder b = fetching(server.url("/fr"));
    b.session_network_access(allow_loopback());
    ToolOutcome o = run(b);
    ASSERT_FALSE(o.is_error) << o.text;
    EXPECT_EQ(o.text, "Title: Café\nURL: " + server.url("/fr") + "\n\ndéjà vu €5");
}

TEST(Web, ALatin1ErrorPageThroughTheRealHost) {
    // A non-2xx body comes back inside http.request's JSON answer, not streamed: the host has to
    // keep that JSON valid (UTF-8) when the page is not.
    FakeHttpServer server;
    server.route("GET", "/gone",
                 FakeResponse::text("<p>Page supprim\xE9"
                                    "e</p>",
                                    404, "text/html; charset=iso-8859-1"));
    RuntimeBuilder gone = fetching(server.url("/gone"));
    gone.session_network_access(allow_loopback());
    ToolOutcome e = run(gone);
    EXPECT_TRUE(e.is_error);
    EXPECT_THAT(e.text, StartsWith("HTTP 404 Not Found from " + server.url("/gone") + ":\n\nPage supprim\xC3\xA9" "e"));
}

}  // namespace
}  // namespace agenthost
