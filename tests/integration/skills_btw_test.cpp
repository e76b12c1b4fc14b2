// The skills and btw capabilities in a real Runtime: a workspace folder with .agents/skills,
// a user skills folder ($XDG_CONFIG_HOME/agenthost/skills), scripted llmsim sessions, and
// /btw through Runtime::execute_command.
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace agenthost {
namespace {

namespace json = boost::json;
using test::call;
using test::say;
using ::testing::HasSubstr;
using ::testing::Not;

std::string skill_md(const std::string& name, const std::string& description, const std::string& body) {
    return "---\nname: " + name + "\ndescription: " + description + "\n---\n" + body;
}

class SkillsAndBtw : public ::testing::Test {
protected:
    void SetUp() override {
        if (const char* old = std::getenv("XDG_CONFIG_HOME")) saved_xdg_ = old;
        ::setenv("XDG_CONFIG_HOME", config_.path().c_str(), 1);
        test::write_file(ws_ / ".agents/skills/review/SKILL.md",
                         skill_md("review", "Review a change against the team checklist.",
                                  "# Review\nReview $ARGUMENTS using checklist.md in this skill.\n"));
        test::write_file(ws_ / ".agents/skills/review/checklist.md", "1. Tests pass\n2. No TODOs\n");
        test::write_file(ws_ / ".agents/skills/broken/SKILL.md", "---\nname: broken\n---\nno description\n");
        test::write_file(config_ / "agenthost/skills/release/SKILL.md",
                         skill_md("release", "Cut a release of any project.", "Tag it.\n"));
        test::write_file(config_ / "agenthost/skills/review/SKILL.md",
                         skill_md("review", "The user's own review skill.", "USER REVIEW BODY\n"));
    }
    void TearDown() override {
        if (saved_xdg_)
            ::setenv("XDG_CONFIG_HOME", saved_xdg_->c_str(), 1);
        else
            ::unsetenv("XDG_CONFIG_HOME");
    }
    std::unique_ptr<Runtime> runtime(const json::array& script) {
        return test::builder(script)
            .capability("filesystem")
            .capability("skills")
            .capability("btw")
            .workspace(ws_.path())
            .approvals(ApprovalPolicy::kAuto)
            .build();
    }
    /// What the model read of a tool result.
    static std::string text_of(const Message& m) {
        const json::value& r = m.content.at(0).as_object().at("result");
        if (r.is_string()) return std::string(r.as_string());
        if (const json::value* c = r.as_object().if_contains("content"); c && c->is_string())
            return std::string(c->as_string());
        return json::serialize(r);
    }
    static bool is_error(const Message& m) { return m.content.at(0).as_object().at("is_error").as_bool(); }
    static std::string serialized(const std::vector<Message>& ms) {
        std::string out;
        for (const Message& m : ms) out += m.id + " " + m.role + " " + json::serialize(m.content) + "\n";
        return out;
    }

    test::TempDir ws_;
    test::TempDir config_;
    std::optional<std::string> saved_xdg_;
};

TEST_F(SkillsAndBtw, TheModelListsActivatesAndReadsASkill) {
    auto rt = runtime({call("list_skills"), call("activate_skill", {{"name", "review"}, {"arguments", "src/main.cpp"}}),
                       call("read_file", {{"path", ".agents/skills/review/checklist.md"}}),
                       call("activate_skill", {{"name", "../review"}}), call("activate_skill", {{"name", "nope"}}),
                       say("reviewed")});
    TurnResult r = rt->run_turn("review my change");
    ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    auto ms = rt->messages(rt->default_session_id());
    ASSERT_EQ(ms.size(), 12u) << serialized(ms);

    std::string listing = text_of(ms[2]);
    EXPECT_FALSE(is_error(ms[2]));
    json::object l = json::parse(listing).as_object();
    ASSERT_EQ(l.at("skills").as_array().size(), 2u) << listing;
    EXPECT_EQ(l.at("skills").as_array()[0].at("name"), "review");
    EXPECT_EQ(l.at("skills").as_array()[0].at("source"), "workspace");
    EXPECT_THAT(std::string(l.at("skills").as_array()[0].at("overrides").as_string()),
                HasSubstr("agenthost/skills/review/SKILL.md"));
    EXPECT_EQ(l.at("skills").as_array()[1].at("name"), "release");
    EXPECT_EQ(l.at("skills").as_array()[1].at("source"), "user");
    ASSERT_EQ(l.at("invalid").as_array().size(), 1u) << listing;
    EXPECT_EQ(l.at("invalid").as_array()[0].at("path"), ".agents/skills/broken/SKILL.md");
    EXPECT_THAT(std::string(l.at("invalid").as_array()[0].at("error").as_string()), HasSubstr("description"));

    std::string body = text_of(ms[4]);
    EXPECT_FALSE(is_error(ms[4])) << body;
    EXPECT_THAT(body, HasSubstr("Review src/main.cpp using checklist.md"));
    EXPECT_THAT(body, Not(HasSubstr("USER REVIEW BODY")));
    EXPECT_THAT(body, HasSubstr("- .agents/skills/review/checklist.md"));

    EXPECT_FALSE(is_error(ms[6]));
    EXPECT_THAT(text_of(ms[6]), HasSubstr("No TODOs"));

    EXPECT_TRUE(is_error(ms[8]));
    EXPECT_THAT(text_of(ms[8]), HasSubstr("not a skill name"));
    EXPECT_TRUE(is_error(ms[10]));
    EXPECT_THAT(text_of(ms[10]), HasSubstr("known skills: review, release"));
}

TEST_F(SkillsAndBtw, TheSystemPromptNamesTheSkillsAndSeesNewOnes) {
    auto rt = runtime({say("ok")});
    const std::string sid = rt->default_session_id();
    std::string prompt = rt->load_context(sid).system_prompt;
    EXPECT_THAT(prompt, HasSubstr("- review: Review a change against the team checklist.\n"));
    EXPECT_THAT(prompt, HasSubstr("- release: Cut a release of any project.\n"));
    EXPECT_THAT(prompt, HasSubstr("activate_skill"));
    EXPECT_THAT(prompt, Not(HasSubstr("broken")));
    EXPECT_THAT(prompt, Not(HasSubstr("checklist.md")));  // bodies stay out

    test::write_file(ws_ / ".agents/skills/late/SKILL.md", skill_md("late", "Added mid-session.", "x\n"));
    EXPECT_THAT(rt->load_context(sid).system_prompt, HasSubstr("- late: Added mid-session."));
}

TEST_F(SkillsAndBtw, NoSkillsNoPromptSection) {
    std::filesystem::remove_all(ws_ / ".agents");
    std::filesystem::remove_all(config_ / "agenthost");
    auto rt = runtime({say("ok")});
    EXPECT_THAT(rt->load_context(rt->default_session_id()).system_prompt, Not(HasSubstr("# Skills")));
}

TEST_F(SkillsAndBtw, BtwAnswersWithoutChangingTheHistory) {
    auto rt = runtime({say("I renamed foo to bar in util.cpp."), say("We renamed foo to bar.")});
    const std::string sid = rt->default_session_id();
    ASSERT_TRUE(rt->run_turn("rename foo to bar").success);
    const std::string before = serialized(rt->messages(sid));
    const std::uint64_t last_seq = rt->events(sid).back().sequence;
    const Usage usage_before = rt->session_usage(sid);

    CommandResult r = rt->execute_command(sid, "btw", "what did we do?");
    EXPECT_TRUE(r.success) << r.error_code << ": " << r.message;
    EXPECT_EQ(r.message, "We renamed foo to bar.");
    EXPECT_EQ(serialized(rt->messages(sid)), before);

    // The side call is recorded with what it cost, and the session's usage counts it.
    std::vector<Event> after = rt->events(sid, last_seq);
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(after[0].type, "llm.generation");
    EXPECT_EQ(after[0].data.at("plugin"), "btw");
    EXPECT_EQ(after[0].data.at("purpose"), "side_call");
    const Usage side = Usage::from_json(after[0].data.at("usage"));
    EXPECT_GT(side.input_tokens, 0);
    EXPECT_GT(side.output_tokens, 0);
    EXPECT_EQ(rt->session_usage(sid).input_tokens, usage_before.input_tokens + side.input_tokens);
    EXPECT_EQ(rt->session_usage(sid).output_tokens, usage_before.output_tokens + side.output_tokens);
    EXPECT_EQ(after[1].type, "command.executed");
    EXPECT_EQ(after[1].data.at("name"), "btw");
    EXPECT_EQ(after[1].data.at("success"), true);

    // the next turn goes on from the unchanged history
    ASSERT_TRUE(rt->run_turn("thanks").success);
    EXPECT_EQ(rt->messages(sid).size(), 4u);
}

TEST_F(SkillsAndBtw, BtwErrorsAndUnknownCommands) {
    auto rt = runtime(
        {say("hello"), json::object{{"error", json::object{{"category", "rate_limit"}, {"message", "slow down"}}}}});
    const std::string sid = rt->default_session_id();
    ASSERT_TRUE(rt->run_turn("hi").success);
    const std::string before = serialized(rt->messages(sid));

    CommandResult empty = rt->execute_command(sid, "/btw", "   ");
    EXPECT_FALSE(empty.success);
    EXPECT_EQ(empty.error_code, "invalid_arguments");
    EXPECT_EQ(empty.message, "usage: /btw QUESTION");

    CommandResult failed = rt->execute_command(sid, "btw", "why?");
    EXPECT_FALSE(failed.success);
    EXPECT_EQ(failed.error_code, "rate_limit");
    EXPECT_THAT(failed.message, HasSubstr("slow down"));

    CommandResult unknown = rt->execute_command(sid, "frobnicate", "");
    EXPECT_FALSE(unknown.success);
    EXPECT_EQ(unknown.error_code, "unknown_command");
    EXPECT_THAT(unknown.message, HasSubstr("/btw"));

    EXPECT_EQ(serialized(rt->messages(sid)), before);
    bool listed = false;
    for (const CommandInfo& c : rt->list_commands(sid)) listed |= c.name == "btw" && c.source == "btw";
    EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace agenthost
