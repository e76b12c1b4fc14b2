// The built btw plugin through ahp::fake::FakeHost with a fake model.complete
// (docs/context-services.md).
#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

namespace json = boost::json;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;
using ::testing::HasSubstr;

std::string plugin_path() {
    return std::string(AGENTHOST_BUILD_DIR) + "/plugins/btw.so";
}

json::object text_message(const std::string& id, const std::string& role, const std::string& text) {
    return json::object{
        {"id", id}, {"role", role}, {"content", json::array{json::object{{"type", "text"}, {"text", text}}}}};
}

json::array history() {
    return json::array{
        text_message("m1", "user", "fix the build"),
        json::object{{"id", "m2"},
                     {"role", "agent"},
                     {"content", json::array{json::object{{"type", "tool_call"},
                                                          {"id", "c1"},
                                                          {"name", "bash"},
                                                          {"arguments", json::object{{"command", "make"}}}}}}},
        json::object{
            {"id", "m3"},
            {"role", "tool_result"},
            {"content", json::array{json::object{
                            {"type", "tool_result"}, {"tool_call_id", "c1"}, {"result", "ok"}, {"is_error", false}}}}},
        text_message("m4", "agent", "The build passes now.")};
}

Outcome btw(FakeHost& host, const std::string& question, const json::array& messages = history()) {
    return host.invoke(
        "command.execute",
        json::object{{"name", "btw"}, {"arguments", question}, {"session_id", "s1"}, {"messages", messages}});
}

TEST(BtwPlugin, DescribesTheCommand) {
    FakeHost host = FakeHost::open(plugin_path());
    json::object d = host.describe();
    EXPECT_EQ(d.at("id"), "btw");
    ASSERT_EQ(d.at("commands").as_array().size(), 1u);
    EXPECT_EQ(d.at("commands").as_array()[0].at("name"), "btw");
    EXPECT_TRUE(d.at("tools").as_array().empty());
}

TEST(BtwPlugin, AsksTheModelOnceWithTheHistoryAndTheQuestionAndNoTools) {
    FakeHost host = FakeHost::open(plugin_path());
    std::vector<json::value> requests;
    host.on_service("model.complete", [&](const json::value& p) -> json::value {
        requests.push_back(p);
        return json::object{{"text", "  We fixed the build with make.\n"}, {"usage", json::object{}}};
    });
    Outcome o = btw(host, "  what did we do?  ");
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(o.result.at("success"), true);
    EXPECT_EQ(o.result.at("message"), "We fixed the build with make.");

    ASSERT_EQ(requests.size(), 1u);
    const json::object& r = requests[0].as_object();
    EXPECT_FALSE(r.contains("tools"));
    EXPECT_EQ(r.at("system"),
              "Answer the user's side question briefly from the conversation so far. This is an aside: it will not be "
              "added to the conversation. You cannot use tools.");
    const json::array& ms = r.at("messages").as_array();
    ASSERT_EQ(ms.size(), history().size() + 1);
    for (std::size_t i = 0; i < history().size(); ++i) EXPECT_EQ(ms[i], history()[i]) << i;
    EXPECT_EQ(ms.back().at("role"), "user");
    EXPECT_EQ(ms.back().at("content").as_array()[0].at("text"), "what did we do?");
    EXPECT_TRUE(r.at("max_tokens").is_number());
}

TEST(BtwPlugin, AnEmptyQuestionIsAUsageError) {
    FakeHost host = FakeHost::open(plugin_path());
    int calls = 0;
    host.on_service("model.complete", [&](const json::value&) -> json::value {
        ++calls;
        return json::object{{"text", "x"}};
    });
    for (const char* q : {"", "   ", "\n"}) {
        Outcome o = btw(host, q);
        ASSERT_TRUE(o.ok()) << o.error_message;
        EXPECT_EQ(o.result.at("success"), false);
        EXPECT_EQ(o.result.at("error_code"), "invalid_arguments");
        EXPECT_EQ(o.result.at("message"), "usage: /btw QUESTION");
    }
    EXPECT_EQ(calls, 0);
}

TEST(BtwPlugin, AFailedModelCallGivesItsCategory) {
    FakeHost host = FakeHost::open(plugin_path());
    host.on_service("model.complete", [](const json::value&) -> json::value {
        throw ahp::Error("error", "rate_limit: slow down", AHP_ERROR);  // how the host words a driver failure
    });
    Outcome o = btw(host, "what now?");
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(o.result.at("success"), false);
    EXPECT_EQ(o.result.at("error_code"), "rate_limit");
    EXPECT_THAT(std::string(o.result.at("message").as_string()), HasSubstr("slow down"));

    host.on_service("model.complete", [](const json::value&) -> json::value {
        throw ahp::Error("denied", "plugin 'btw' lacks the permission 'model'", AHP_DENIED);
    });
    o = btw(host, "what now?");
    EXPECT_EQ(o.result.at("success"), false);
    EXPECT_EQ(o.result.at("error_code"), "denied");
}

TEST(BtwPlugin, WithoutTheServiceItFailsCleanly) {
    FakeHost host = FakeHost::open(plugin_path());
    Outcome o = btw(host, "anything?");
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(o.result.at("success"), false);
    EXPECT_EQ(o.result.at("error_code"), "not_found");
}

TEST(BtwPlugin, AToolCallStillWaitingForItsResultIsLeftOut) {
    FakeHost host = FakeHost::open(plugin_path());
    json::array sent;
    host.on_service("model.complete", [&](const json::value& p) -> json::value {
        sent = p.at("messages").as_array();
        return json::object{{"text", "busy"}};
    });
    json::array h = history();
    h.pop_back();  // the last agent message is gone...
    h.pop_back();  // ...and so is the tool result: m2's call is still running
    ASSERT_TRUE(btw(host, "status?", h).ok());
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].at("id"), "m1");
    EXPECT_EQ(sent[1].at("content").as_array()[0].at("text"), "status?");
}

}  // namespace
