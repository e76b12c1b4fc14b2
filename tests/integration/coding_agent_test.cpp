// The coding harness end to end: the real filesystem, bash and instructions plugins on a real
// workspace folder, driven by scripted llmsim sessions.
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::call;
using test::say;
using ::testing::HasSubstr;

class CodingAgent : public ::testing::Test {
protected:
    void SetUp() override {
        test::write_file(ws_ / "greet.sh", "#!/bin/sh\nname=\"${1:-world}\"\necho \"Hello $name\"\n");
        test::write_file(ws_ / "test.sh", "out=\"$(sh greet.sh Ada)\"\n[ \"$out\" = \"Hello, Ada!\" ] && echo PASS || { echo FAIL; exit 1; }\n");
        test::write_file(ws_ / "AGENTS.md", "Always run sh test.sh after editing.\n");
    }
    RuntimeBuilder coding(const json::array& script, ApprovalPolicy policy = ApprovalPolicy::kAuto) {
        RuntimeBuilder b = test::builder(script);
        b.harness("coding").workspace(ws_.path()).approvals(policy);
        return b;
    }
    static const json::object& result_of(const Message& m) { return m.content.at(0).as_object(); }
    /// What the model reads of a tool result: its text, or a file's content, or a command's output.
    static std::string text_of(const Message& m) {
        const json::value& r = result_of(m).at("result");
        if (r.is_string()) return std::string(r.as_string());
        for (const char* key : {"content", "stdout"}) {
            if (const json::value* v = r.as_object().if_contains(key); v && v->is_string()) return std::string(v->as_string());
        }
        return json::serialize(r);
    }

    test::TempDir ws_;
};

TEST_F(CodingAgent, ListsReadsEditsAndRunsACommand) {
    auto rt = coding({call("list_directory"), call("read_file", {{"path", "greet.sh"}}),
                      call("edit_file", {{"path", "/workspace/greet.sh"},
                                         {"edits", json::array{json::object{{"old_text", "echo \"Hello $name\""},
                                                                            {"new_text", "echo \"Hello, $name!\""}}}}}),
                      call("bash", {{"command", "sh test.sh"}}), say("done")})
                  .build();
    TurnResult r = rt->run_turn("fix greet.sh");
    ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    auto ms = rt->messages(rt->default_session_id());
    ASSERT_EQ(ms.size(), 10u);
    EXPECT_THAT(text_of(ms[2]), HasSubstr("greet.sh"));
    EXPECT_THAT(text_of(ms[4]), HasSubstr("echo \"Hello $name\""));
    EXPECT_FALSE(result_of(ms[6]).at("is_error").as_bool()) << text_of(ms[6]);
    EXPECT_THAT(text_of(ms[8]), HasSubstr("PASS"));
    EXPECT_THAT(test::read_file(ws_ / "greet.sh"), HasSubstr("echo \"Hello, $name!\""));
}

TEST_F(CodingAgent, AgentsMdReachesTheSystemPromptEveryTurn) {
    auto rt = coding({say("ok")}).build();
    const std::string sid = rt->default_session_id();
    EXPECT_THAT(rt->load_context(sid).system_prompt, HasSubstr("Always run sh test.sh after editing."));
    test::write_file(ws_ / "AGENTS.md", "New rule: be brief.\n");
    std::string prompt = rt->load_context(sid).system_prompt;
    EXPECT_THAT(prompt, HasSubstr("New rule: be brief."));
    EXPECT_THAT(prompt, HasSubstr("<agent-instructions"));
}

TEST_F(CodingAgent, DenyPolicyRefusesWritesAndCommandsAndTellsTheModel) {
    auto rt = coding({call("write_file", {{"path", "new.txt"}, {"content", "x"}}),
                      call("bash", {{"command", "touch made-by-bash"}}), say("ok")},
                     ApprovalPolicy::kDeny)
                  .build();
    ASSERT_TRUE(rt->run_turn("try").success);
    auto ms = rt->messages(rt->default_session_id());
    EXPECT_TRUE(result_of(ms[2]).at("is_error").as_bool());
    EXPECT_THAT(text_of(ms[2]), HasSubstr("denied"));
    EXPECT_TRUE(result_of(ms[4]).at("is_error").as_bool());
    EXPECT_THAT(text_of(ms[4]), HasSubstr("denied"));
    EXPECT_FALSE(fs::exists(ws_ / "new.txt"));
    EXPECT_FALSE(fs::exists(ws_ / "made-by-bash"));
}

TEST_F(CodingAgent, AStaleEditIsRefused) {
    auto rt = coding({call("read_file", {{"path", "greet.sh"}}), call("bash", {{"command", "echo '# changed' >> greet.sh"}}),
                      call("edit_file", {{"path", "greet.sh"},
                                         {"edits", json::array{json::object{{"old_text", "world"}, {"new_text", "there"}}}}}),
                      say("ok")})
                  .build();
    ASSERT_TRUE(rt->run_turn("edit").success);
    auto ms = rt->messages(rt->default_session_id());
    EXPECT_TRUE(result_of(ms[6]).at("is_error").as_bool());
    EXPECT_THAT(text_of(ms[6]), HasSubstr("changed since"));
    EXPECT_THAT(test::read_file(ws_ / "greet.sh"), HasSubstr("world"));
}

TEST_F(CodingAgent, ApprovalAskShowsADiffAndAlwaysIsRemembered) {
    std::vector<ApprovalRequest> asked;
    RuntimeBuilder b = coding({call("write_file", {{"path", "a.txt"}, {"content", "one\n"}}),
                               call("write_file", {{"path", "a.txt"}, {"content", "two\n"}}),
                               call("bash", {{"command", "true"}}), call("bash", {{"command", "true"}}), say("ok")},
                              ApprovalPolicy::kAsk);
    b.approvals(ApprovalPolicy::kAsk, [&](const ApprovalRequest& r) {
        asked.push_back(r);
        return ApprovalDecision::kApproveAlways;
    });
    auto rt = b.build();
    ASSERT_TRUE(rt->run_turn("go").success);
    ASSERT_EQ(asked.size(), 2u) << "one ask for a.txt, one for the command; 'always' covers the repeats";
    EXPECT_EQ(asked[0].action, "write");
    EXPECT_THAT(asked[0].details, HasSubstr("+one"));
    EXPECT_EQ(asked[1].action, "exec");
    EXPECT_EQ(test::read_file(ws_ / "a.txt"), "two\n");
}

TEST_F(CodingAgent, FirstRequestStaysSmall) {
    auto rt = coding({say("ok")}).build();
    AssembledContext ctx = rt->load_context(rt->default_session_id());
    json::array tools;
    for (const ToolInfo& t : ctx.tools) tools.push_back(json::object{{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}});
    json::object request{{"model", ctx.model},
                         {"system", ctx.system_prompt},
                         {"tools", tools},
                         {"messages", json::array{json::object{{"role", "user"}, {"content", "fix the bug in greet.sh"}}}}};
    std::size_t bytes = json::serialize(request).size();
    RecordProperty("first_request_bytes", static_cast<int>(bytes));
    std::cout << "coding harness first request: " << bytes << " bytes (" << ctx.tools.size() << " tools)\n";
    EXPECT_LE(bytes, 15u * 1024u) << "every byte of the first request is paid on every turn";
}

}  // namespace
}  // namespace agenthost
