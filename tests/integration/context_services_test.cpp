// The host services of the context capabilities (docs/context-services.md) through the probe
// fixture plugin: session data readable at /@session/, model.complete, history.compact.
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
using test::call;
using test::say;
using ::testing::HasSubstr;

const json::object& result_of(const Message& m) { return m.content.at(0).as_object(); }

/// A script for a resumed session: llmsim's n-th call starts at the number of agent messages
/// the history already has, so the new responses go after that many placeholders.
json::array after(std::size_t agent_messages, json::array script) {
    json::array out(agent_messages, say("(placeholder)"));
    for (auto& r : script) out.push_back(std::move(r));
    return out;
}

TEST(ContextServices, SessionDataIsReadableAtTheSessionPathOutsideTheWorkspaceAlsoAfterResume) {
    test::TempDir dir;
    test::TempDir ws;
    auto make = [&](bool resume, const json::array& script) {
        RuntimeBuilder b = test::builder(script);
        b.capability("probe").workspace(ws.path()).session_id("data-1").resume(resume).approvals(ApprovalPolicy::kAuto);
        b.session_store(make_jsonl_session_store((dir / "sessions").string())).session_data_dir(dir / "sessions");
        return b.build();
    };
    {
        auto rt = make(false, {call("data_write", {{"name", "outputs/call_1.txt"}, {"content", "line 1\nline 2\n"}}),
                               call("fs_read", {{"path", "/@session/outputs/call_1.txt"}}),
                               call("fs_write", {{"path", "/@session/outputs/call_1.txt"}, {"content", "x"}}), say("ok")});
        ASSERT_TRUE(rt->run_turn("save").success);
        auto ms = rt->messages("data-1");
        EXPECT_EQ(result_of(ms[2]).at("result").at("path"), "/@session/outputs/call_1.txt");
        EXPECT_EQ(result_of(ms[4]).at("result").at("content"), "line 1\nline 2\n");
        EXPECT_TRUE(result_of(ms[6]).at("is_error").as_bool()) << "tools cannot change session data";
    }
    EXPECT_FALSE(std::filesystem::exists(ws / "@session")) << "never in the user's workspace";
    EXPECT_EQ(test::read_file(dir / "sessions/data-1/outputs/call_1.txt"), "line 1\nline 2\n");
    auto rt = make(true, after(4, {call("fs_read", {{"path", "/@session/outputs/call_1.txt"}}), say("ok")}));
    ASSERT_TRUE(rt->run_turn("again").success);
    auto ms = rt->messages("data-1");
    ASSERT_EQ(ms.size(), 12u);
    EXPECT_EQ(result_of(ms[10]).at("result").at("content"), "line 1\nline 2\n");
}

TEST(ContextServices, ModelCompleteIsOneToolLessCallThatChangesNoHistory) {
    RuntimeBuilder b = test::builder({call("complete", {{"question", "side?"}}), say("main answer")});
    b.capability("probe");
    auto rt = b.build();
    ASSERT_TRUE(rt->run_turn("go").success);
    auto ms = rt->messages(rt->default_session_id());
    ASSERT_EQ(ms.size(), 4u) << "the side call added no message";
    // llmsim answers the side call with the next scripted response: the text of the second one.
    EXPECT_EQ(result_of(ms[2]).at("result").at("text"), "main answer");
}

TEST(ContextServices, CompactionReplacesOlderMessagesKeepsPairsAndSurvivesResume) {
    test::TempDir dir;
    std::string keep_id, split_id;
    json::array script{say("first answer"), say("second answer"), call("add", {{"a", 1}, {"b", 2}}), say("third answer")};
    auto make = [&](bool resume, json::array s) {
        RuntimeBuilder b = test::builder(std::move(s));
        b.harness("math").capability("probe").session_id("cmp-1").resume(resume);
        b.session_store(make_jsonl_session_store((dir / "sessions").string()));
        return b.build();
    };
    {
        auto rt = make(false, script);
        ASSERT_TRUE(rt->run_turn("one").success);
        ASSERT_TRUE(rt->run_turn("two").success);
        ASSERT_TRUE(rt->run_turn("three").success);
        auto ms = rt->messages("cmp-1");
        ASSERT_EQ(ms.size(), 8u);  // u a u a u a(tc) tr a
        keep_id = ms[4].id;        // the third user message
        split_id = ms[6].id;       // a tool result: a cut there would split a pair
    }
    auto rt = make(true, after(4, {call("compact", {{"summary", "x"}, {"keep_from_message_id", split_id}}),
                                   call("compact", {{"summary", "The user asked one and two."}, {"keep_from_message_id", keep_id}}),
                                   say("after compaction")}));
    TurnResult r = rt->run_turn("compact please");
    ASSERT_TRUE(r.success);
    auto ms = rt->messages("cmp-1");
    ASSERT_FALSE(ms.empty());
    auto refused = std::find_if(ms.begin(), ms.end(), [](const Message& m) {
        return m.role == "tool_result" && json::serialize(m.content).find("tool call") != std::string::npos;
    });
    EXPECT_NE(refused, ms.end()) << "the cut at a tool result was refused, saying why";
    EXPECT_EQ(ms[0].role, "user");
    EXPECT_THAT(ms[0].text(), HasSubstr("The user asked one and two."));
    EXPECT_EQ(ms[1].id, keep_id);
    for (std::size_t i = 0; i < ms.size(); ++i) {
        for (const json::value& part : ms[i].content) {
            if (part.at("type") != "tool_call") continue;
            ASSERT_LT(i + 1, ms.size());
            EXPECT_EQ(ms[i + 1].role, "tool_result") << "every kept tool call is followed by its result";
        }
    }
    auto es = rt->events("cmp-1");
    EXPECT_EQ(std::count_if(es.begin(), es.end(), [](const Event& e) { return e.type == "compaction"; }), 1);
    std::size_t compacted = ms.size();
    rt.reset();
    std::size_t agents = static_cast<std::size_t>(
        std::count_if(ms.begin(), ms.end(), [](const Message& m) { return m.role == "agent"; }));
    auto again = make(true, after(agents, {say("follow-up works")}));
    EXPECT_EQ(again->messages("cmp-1").size(), compacted) << "resume sees the compacted history";
    EXPECT_EQ(again->run_turn("and now?").response, "follow-up works");
}

}  // namespace
}  // namespace agenthost
