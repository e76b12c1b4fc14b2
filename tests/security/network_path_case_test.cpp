// Network access lists compare URL paths case-sensitively (issue 11): an allow prefix
// "/api/" grants "/api/…" and nothing that only looks alike in another case, while scheme and
// host fold case; a block prefix folds case, so a server that ignores case cannot be reached
// around it. Through a real plugin (net_probe .so) → http.request → the fake server on 127.0.0.1.
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

/// Fetch each of `paths` on `server` (one tool call each) under `network_access`; the tool
/// results in order.
std::vector<json::object> fetch_all(FakeHttpServer& server, const std::vector<std::string>& paths,
                                    json::object network_access) {
    json::array script;
    for (const std::string& p : paths) script.push_back(call("fetch", {{"url", server.url(p)}}));
    script.push_back(say("done"));
    auto rt = test::builder(script)
                  .plugin_dir(test::fixture_dir("net_probe"))
                  .capability("net_probe")
                  .session_network_access(std::move(network_access))
                  .build();
    TurnResult r = rt->run_turn("fetch them");
    EXPECT_TRUE(r.success) << (r.error ? r.error->message : "");
    std::vector<json::object> out;
    for (const Message& m : rt->messages(rt->default_session_id())) {
        for (const json::value& part : m.content) {
            if (part.as_object().at("type") == "tool_result") out.push_back(part.as_object());
        }
    }
    EXPECT_EQ(out.size(), paths.size());
    return out;
}

TEST(NetworkPathCase, AnAllowPrefixGrantsItsPathInItsCaseOnly) {
    FakeHttpServer server;
    for (const char* p : {"/api/x", "/API/x", "/Api/x", "/aPI/x"}) server.route("GET", p, FakeResponse::text("secret"));
    const std::string base = server.url("");  // http://127.0.0.1:PORT
    auto results = fetch_all(server, {"/api/x", "/API/x", "/Api/x", "/aPI/x", "/%61pi/x"},
                             json::object{{"allow", json::array{json::string(base + "/api/")}}});
    ASSERT_EQ(results.size(), 5u);
    EXPECT_FALSE(results[0].at("is_error").as_bool()) << json::serialize(results[0]);
    for (std::size_t i : {1u, 2u, 3u}) {
        EXPECT_TRUE(results[i].at("is_error").as_bool()) << json::serialize(results[i]);
        EXPECT_THAT(json::serialize(results[i]), HasSubstr("not in allow list"));
    }
    // %61 is "a": the same path, allowed.
    EXPECT_FALSE(results[4].at("is_error").as_bool()) << json::serialize(results[4]);
    EXPECT_EQ(server.request_count(), 2u) << "only the allowed path reached the server";
    for (const auto& req : server.requests()) {
        EXPECT_THAT(req.target, ::testing::Not(::testing::AnyOf("/API/x", "/Api/x", "/aPI/x")));
    }

    // Scheme and host still fold case: the entry written in upper case grants the same path.
    FakeHttpServer second;
    second.route("GET", "/api/y", FakeResponse::text("ok"));
    std::string shouted = second.url("");
    for (char& c : shouted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto folded = fetch_all(second, {"/api/y", "/API/y"}, json::object{{"allow", json::array{json::string(shouted + "/api/")}}});
    ASSERT_EQ(folded.size(), 2u);
    EXPECT_FALSE(folded[0].at("is_error").as_bool()) << json::serialize(folded[0]);
    EXPECT_TRUE(folded[1].at("is_error").as_bool()) << json::serialize(folded[1]);
}

TEST(NetworkPathCase, ABlockPrefixHoldsInEveryCase) {
    FakeHttpServer server;
    for (const char* p : {"/admin/x", "/ADMIN/x", "/Admin/x", "/public"}) server.route("GET", p, FakeResponse::text("page"));
    const std::string base = server.url("");
    auto results = fetch_all(server, {"/admin/x", "/ADMIN/x", "/Admin/x", "/public"},
                             json::object{{"allow", json::array{"127.0.0.1"}},
                                          {"block", json::array{json::string(base + "/admin/")}}});
    ASSERT_EQ(results.size(), 4u);
    for (std::size_t i : {0u, 1u, 2u}) {
        EXPECT_TRUE(results[i].at("is_error").as_bool()) << json::serialize(results[i]);
        EXPECT_THAT(json::serialize(results[i]), HasSubstr("block: "));
    }
    EXPECT_FALSE(results[3].at("is_error").as_bool()) << json::serialize(results[3]);
    EXPECT_EQ(server.request_count(), 1u);
}

}  // namespace
}  // namespace agenthost
