// The loop_detection plugin through the fake host: the three loop kinds on constructed
// histories, what they are not triggered by, the note in the system prompt, and the stop after
// max_notes notes in a turn.
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace {

namespace json = boost::json;
using ahp::fake::FakeHost;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

/// One tool call of a batch and its result.
struct Step {
    std::string name;
    json::object args;
    json::value result;
    bool is_error = false;
};

/// A history in the host's canonical shape.
class History {
public:
    History& user(const std::string& text) {
        msgs_.push_back(json::object{{"id", "m" + std::to_string(n_++)},
                                     {"role", "user"},
                                     {"content", json::array{json::object{{"type", "text"}, {"text", text}}}}});
        return *this;
    }
    /// An agent message with these calls, then one tool_result message per call.
    History& batch(const std::vector<Step>& steps) {
        json::array parts;
        std::vector<std::string> ids;
        for (const Step& s : steps) {
            ids.push_back("call_" + std::to_string(n_++));
            parts.push_back(
                json::object{{"type", "tool_call"}, {"id", ids.back()}, {"name", s.name}, {"arguments", s.args}});
        }
        msgs_.push_back(
            json::object{{"id", "m" + std::to_string(n_++)}, {"role", "agent"}, {"content", std::move(parts)}});
        for (std::size_t i = 0; i < steps.size(); ++i) {
            msgs_.push_back(json::object{{"id", "m" + std::to_string(n_++)},
                                         {"role", "tool_result"},
                                         {"content", json::array{json::object{{"type", "tool_result"},
                                                                              {"tool_call_id", ids[i]},
                                                                              {"tool_name", steps[i].name},
                                                                              {"result", steps[i].result},
                                                                              {"is_error", steps[i].is_error}}}}});
        }
        return *this;
    }
    History& call(const Step& s) { return batch({s}); }
    History& text(const std::string& t) {
        msgs_.push_back(json::object{{"id", "m" + std::to_string(n_++)},
                                     {"role", "agent"},
                                     {"content", json::array{json::object{{"type", "text"}, {"text", t}}}}});
        return *this;
    }
    const json::array& messages() const { return msgs_; }

private:
    json::array msgs_;
    int n_ = 0;
};

Step failed_edit(const std::string& path = "a.txt", const std::string& error = "old_text not found in a.txt") {
    return Step{
        "edit_file",
        json::object{{"path", path}, {"edits", json::array{json::object{{"old_text", "x"}, {"new_text", "y"}}}}},
        json::string(error), true};
}
Step read(const std::string& path, const std::string& content) {
    return Step{"read_file", json::object{{"path", path}}, json::object{{"path", path}, {"content", content}}, false};
}

class LoopDetection : public ::testing::Test {
protected:
    void SetUp() override { open("{}"); }
    void open(const std::string& config) {
        host_ = std::make_unique<FakeHost>(
            FakeHost::open((agenthost::test::plugins_dir() / "loop_detection.so").string(), config));
        host_->on_service("storage.get", [this](const json::value& p) -> json::value {
            auto it = storage_.find(std::string(p.at("key").as_string()));
            return json::object{{"value", it == storage_.end() ? json::value() : json::value(it->second)}};
        });
        host_->on_service("storage.set", [this](const json::value& p) -> json::value {
            storage_[std::string(p.at("key").as_string())] = std::string(p.at("value").as_string());
            return json::object{};
        });
    }
    /// The hook's answer for a history (docs/context-services.md params).
    json::object hook(const History& h, const std::string& turn = "t1") {
        auto out = host_->invoke("hook.before_model", json::object{{"session_id", "s1"},
                                                                   {"turn_id", turn},
                                                                   {"iteration", 3},
                                                                   {"model", "llmsim"},
                                                                   {"estimated_tokens", 12000},
                                                                   {"message_count", 40},
                                                                   {"recent_messages", h.messages()}});
        EXPECT_TRUE(out.ok()) << out.error_message;
        json::object answer = out.result.as_object();
        EXPECT_FALSE(answer.contains("request"));
        if (answer.contains("append_system")) {
            EXPECT_THAT(note_of(answer), StartsWith("Loop warning ("));
        }
        return answer;
    }
    static std::string note_of(const json::object& answer) {
        return std::string(answer.at("append_system").as_string());
    }
    static const json::object& data_of(const json::object& answer) {
        EXPECT_EQ(answer.at("event").at("type").as_string(), "loop.detected");
        return answer.at("event").at("data").as_object();
    }

    std::unique_ptr<FakeHost> host_;
    std::map<std::string, std::string> storage_;
};

TEST_F(LoopDetection, TheSameFailingEditTwiceIsALoop) {
    History h;
    h.user("fix a.txt").call(read("a.txt", "hello")).call(failed_edit()).call(failed_edit());
    json::object a = hook(h);
    const json::object& d = data_of(a);
    EXPECT_EQ(d.at("kind").as_string(), "mutating_failure");
    EXPECT_EQ(d.at("tool").as_string(), "edit_file");
    EXPECT_EQ(d.at("count").as_int64(), 2);
    EXPECT_EQ(d.at("note_number").as_int64(), 1);
    std::string sys = note_of(a);
    EXPECT_THAT(sys,
                HasSubstr("Loop warning (1 of 3): you have called edit_file on a.txt with the same arguments 2 times "
                          "in a row, and it failed the same way each time."));
    EXPECT_THAT(sys, HasSubstr("Change your approach"));
    EXPECT_THAT(sys, Not(HasSubstr("old_text not found")));  // the error text is not repeated
    EXPECT_FALSE(a.contains("stop"));
}

TEST_F(LoopDetection, ReadsBetweenTheFailingEditsDoNotHideTheLoop) {
    History h;
    h.user("fix").call(failed_edit()).call(read("a.txt", "v1")).call(failed_edit());
    EXPECT_EQ(data_of(hook(h)).at("kind").as_string(), "mutating_failure");
}

TEST_F(LoopDetection, DifferentArgumentsErrorsOrOutcomesAreNotALoop) {
    History args;
    args.user("fix").call(failed_edit("a.txt")).call(failed_edit("b.txt"));
    EXPECT_TRUE(hook(args).empty());
    History errors;
    errors.user("fix")
        .call(failed_edit("a.txt", "old_text not found"))
        .call(failed_edit("a.txt", "a.txt is read-only"));
    EXPECT_TRUE(hook(errors).empty());
    History once;
    once.user("fix").call(failed_edit());
    EXPECT_TRUE(hook(once).empty());
    History moved_on;  // the latest batch did something else
    moved_on.user("fix").call(failed_edit()).call(failed_edit()).call(read("a.txt", "hello"));
    EXPECT_TRUE(hook(moved_on).empty());
    History succeeded;
    Step ok = failed_edit();
    ok.is_error = false;
    ok.result = "edited a.txt";
    succeeded.user("fix").call(ok).call(ok);
    EXPECT_TRUE(hook(succeeded).empty());
}

TEST_F(LoopDetection, OnlyTheCurrentTurnCounts) {
    History h;
    h.user("fix")
        .call(failed_edit())
        .call(failed_edit())
        .text("I could not fix it.")
        .user("try again")
        .call(failed_edit());
    EXPECT_TRUE(hook(h).empty());
    History steered;
    steered.user("fix").call(failed_edit()).user("(steer) look at b.txt").call(failed_edit());
    EXPECT_TRUE(hook(steered).empty());
}

TEST_F(LoopDetection, TheSameCallWithTheSameResultThreeTimes) {
    History two;
    two.user("look").call(read("a.txt", "hello")).call(read("a.txt", "hello"));
    EXPECT_TRUE(hook(two).empty());
    History h;
    h.user("look").call(read("a.txt", "hello")).call(read("a.txt", "hello")).call(read("a.txt", "hello"));
    json::object a = hook(h);
    const json::object& d = data_of(a);
    EXPECT_EQ(d.at("kind").as_string(), "repeated_call");
    EXPECT_EQ(d.at("tool").as_string(), "read_file");
    EXPECT_EQ(d.at("count").as_int64(), 3);
    EXPECT_THAT(note_of(a), HasSubstr("you have called read_file on a.txt with the same arguments 3 times in a row and "
                                      "got the same result each time"));
    History changing;
    changing.user("look").call(read("a.txt", "v1")).call(read("a.txt", "v2")).call(read("a.txt", "v3"));
    EXPECT_TRUE(hook(changing).empty());
}

TEST_F(LoopDetection, BashTimingsAndSavedOutputPathsDoNotMakeResultsDifferent) {
    auto bash = [](int ms, const std::string& id) {
        return Step{"bash", json::object{{"command", "make test"}},
                    json::object{{"exit_code", 2},
                                 {"stdout", "[full output saved to /@session/outputs/" + id + ".txt (900 lines)]"},
                                 {"stderr", "make: *** [test] Error 2\n"},
                                 {"duration_ms", ms}},
                    true};
    };
    // The History numbers the calls call_1, call_4: the same ids the results name.
    History h;
    h.user("test").call(bash(120, "call_1")).call(bash(97, "call_4"));
    json::object a = hook(h);
    EXPECT_EQ(data_of(a).at("kind").as_string(), "mutating_failure");
    EXPECT_THAT(note_of(a), HasSubstr("you have called bash `make test` with the same arguments 2 times"));
    History different_output;
    Step other = bash(97, "call_4");
    other.result.as_object()["stderr"] = "make: *** [build] Error 1\n";
    different_output.user("test").call(bash(120, "call_1")).call(other);
    EXPECT_TRUE(hook(different_output).empty());
}

TEST_F(LoopDetection, TheSameBatchThreeTimesInAnyOrder) {
    Step grep{"grep_files", json::object{{"pattern", "TODO"}}, json::string("3 matches"), false};
    History h;
    h.user("look")
        .batch({read("a.txt", "v1"), grep})
        .batch({grep, read("a.txt", "v2")})
        .batch({read("a.txt", "v3"), grep});
    json::object a = hook(h);
    const json::object& d = data_of(a);
    EXPECT_EQ(d.at("kind").as_string(), "repeated_batch");
    EXPECT_EQ(d.at("tool").as_string(), "grep_files, read_file");
    EXPECT_EQ(d.at("count").as_int64(), 3);
    EXPECT_THAT(note_of(a), HasSubstr("the same batch of tool calls (grep_files, read_file) 3 times in a row"));

    History different;
    different.user("look")
        .batch({read("a.txt", "v1"), grep})
        .batch({grep, read("b.txt", "v2")})
        .batch({read("a.txt", "v3"), grep});
    EXPECT_TRUE(hook(different).empty());
}

TEST_F(LoopDetection, StopsTheTurnAfterMaxNotes) {
    History h;
    h.user("fix").call(failed_edit()).call(failed_edit());
    for (int n = 1; n <= 3; ++n) {
        json::object a = hook(h);
        EXPECT_EQ(data_of(a).at("note_number").as_int64(), n);
        EXPECT_THAT(note_of(a), HasSubstr("Loop warning (" + std::to_string(n) + " of 3)"));
        if (n == 3) {
            EXPECT_THAT(note_of(a), EndsWith("If you repeat it once more, the turn will be stopped."));
        }
        h.call(failed_edit());
    }
    json::object stop = hook(h);
    EXPECT_FALSE(stop.contains("append_system"));
    EXPECT_EQ(stop.at("stop").at("category").as_string(), "loop_detected");
    EXPECT_EQ(stop.at("stop").at("message").as_string(),
              "stopped: the model kept repeating a failing edit_file on a.txt call after 3 warnings");
    EXPECT_TRUE(data_of(stop).at("stopped").as_bool());
    EXPECT_EQ(data_of(stop).at("count").as_int64(), 5);
    // A new turn starts counting again.
    EXPECT_EQ(data_of(hook(h, "t2")).at("note_number").as_int64(), 1);
}

TEST_F(LoopDetection, WithoutStorageTheCountIsKeptInMemory) {
    host_ = std::make_unique<FakeHost>(
        FakeHost::open((agenthost::test::plugins_dir() / "loop_detection.so").string(), "{\"max_notes\": 1}"));
    History h;
    h.user("fix").call(failed_edit()).call(failed_edit());
    EXPECT_EQ(data_of(hook(h)).at("note_number").as_int64(), 1);
    EXPECT_TRUE(hook(h).contains("stop"));
}

TEST_F(LoopDetection, ThresholdsAreConfigurable) {
    open("{\"threshold\": 2, \"mutating_failure_threshold\": 3}");
    History h;
    h.user("fix").call(failed_edit()).call(failed_edit());
    // Two failing edits: under the mutating threshold of 3, but the same call and result twice.
    EXPECT_EQ(data_of(hook(h)).at("kind").as_string(), "repeated_call");
    EXPECT_THROW(FakeHost::open((agenthost::test::plugins_dir() / "loop_detection.so").string(), "{\"treshold\": 2}"),
                 std::runtime_error);
}

TEST_F(LoopDetection, QuotesBracketsAndBackslashesInTextsDoNotConfuseTheScanner) {
    const std::string nasty = "he wrote \"]}, {\" and [\"x\"]\\ then \\\" and a trailing backslash \\";
    History h;
    h.user("fix " + nasty)
        .call(failed_edit("a\\b\".txt", "no match for " + nasty))
        .call(failed_edit("a\\b\".txt", "no match for " + nasty));
    json::object a = hook(h);
    EXPECT_EQ(data_of(a).at("kind").as_string(), "mutating_failure");
    EXPECT_THAT(note_of(a), HasSubstr("edit_file on a\\b\".txt"));
    History differs;
    differs.user("fix").call(failed_edit("a.txt", nasty)).call(failed_edit("a.txt", nasty + "\\"));
    EXPECT_TRUE(hook(differs).empty());
}

TEST_F(LoopDetection, OtherLayoutsOfTheParamsAreReadToo) {
    // The messages first and an object member last: the backward fast path cannot read this,
    // and the full scan takes over.
    History h;
    h.user("fix").call(failed_edit()).call(failed_edit());
    json::object params{
        {"recent_messages", h.messages()}, {"session_id", "s"}, {"turn_id", "t"}, {"extra", json::object{{"a", 1}}}};
    auto out = host_->invoke("hook.before_model", params);
    ASSERT_TRUE(out.ok()) << out.error_message;
    EXPECT_EQ(out.result.at("event").at("data").at("kind").as_string(), "mutating_failure");
    EXPECT_THAT(std::string(out.result.at("append_system").as_string()), StartsWith("Loop warning (1 of 3)"));
    History fine;
    fine.user("fix").call(failed_edit());
    params["recent_messages"] = fine.messages();
    out = host_->invoke("hook.before_model", params);
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out.result.as_object().empty());
}

TEST_F(LoopDetection, NothingToLookAtIsFine) {
    EXPECT_TRUE(hook(History()).empty());
    History h;
    h.user("hello");
    EXPECT_TRUE(hook(h).empty());
    auto out = host_->invoke("hook.before_model", json::object{{"session_id", "s1"}});
    EXPECT_TRUE(out.ok());
    EXPECT_TRUE(out.result.as_object().empty());
}

}  // namespace
