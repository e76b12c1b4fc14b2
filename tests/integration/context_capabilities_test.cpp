// The context capabilities end to end through a Runtime with the real plugins and scripted
// llmsim sessions: tool_output (a 1 MB bash output bounded in the model's view, read back in
// ranges from /@session/, also after resume), loop_detection (repeated failing edits noted,
// then the turn stopped) and compaction (older turns summarised, every tool call still paired
// with its result, follow-up turns and resume on the compacted history).
#include "support/test_env.hpp"

#include <agenthost/storage.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::call;
using test::say;
using ::testing::HasSubstr;
using ::testing::Not;

/// The data of the session's events of one type, in order.
std::vector<json::object> events_of(Runtime& rt, const std::string& sid, std::string_view type) {
    std::vector<json::object> out;
    for (const Event& e : rt.events(sid)) {
        if (e.type == type) out.push_back(e.data);
    }
    return out;
}

/// What the model read of a tool result: a string, or a file's numbered content.
std::string model_view(const json::value& result) {
    if (result.is_string()) return std::string(result.get_string());
    if (const json::value* c = result.as_object().if_contains("content"); c && c->is_string())
        return std::string(c->get_string());
    return json::serialize(result);
}

/// Every tool call in the history has its result, and every result its call.
void expect_paired(const std::vector<Message>& messages) {
    std::multiset<std::string> calls, results;
    for (const Message& m : messages) {
        for (const json::value& part : m.content) {
            const json::object& p = part.as_object();
            if (p.at("type") == "tool_call") calls.insert(std::string(p.at("id").as_string()));
            if (p.at("type") == "tool_result") results.insert(std::string(p.at("tool_call_id").as_string()));
        }
    }
    EXPECT_EQ(calls, results);
}

/// 20 000 lines of exactly 52 bytes: "line 000001 xxx…x\n" (1 040 000 bytes).
constexpr const char* kMegabyteCommand =
    "awk 'BEGIN { for (i = 1; i <= 20000; i++) printf \"line %06d %s\\n\", i, "
    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" }'";

class ContextCapabilities : public ::testing::Test {
protected:
    /// The coding harness on a real workspace with tool_output, a bash that keeps 2 MiB of
    /// output, JSONL sessions and an on-disk session data folder.
    RuntimeBuilder coding(const json::array& script, bool resume = false) {
        RuntimeBuilder b = test::builder(script);
        b.harness("coding").workspace(ws_.path()).approvals(ApprovalPolicy::kAuto);
        b.capability("bash", json::object{{"keep_bytes", 2 << 20}});
        b.capability("tool_output");
        b.session_id("ctx-1").session_store(make_jsonl_session_store((dir_ / "sessions").string()));
        b.session_data_dir(dir_ / "data");
        if (resume) b.resume();
        return b;
    }

    test::TempDir ws_;
    test::TempDir dir_;
};

TEST_F(ContextCapabilities, AMegabyteOfBashOutputIsBoundedAndReadBackInRangesAlsoAfterResume) {
    const std::string saved = "/@session/outputs/call_0_0.txt";
    json::array script{call("bash", {{"command", kMegabyteCommand}}),
                       call("read_file", {{"path", saved}, {"offset", 10000}, {"limit", 5}}), say("I read the middle."),
                       call("read_file", {{"path", saved}, {"offset", 19995}, {"limit", 10}}), say("I read the end.")};
    {
        auto rt = coding(script).build();
        TurnResult r = rt->run_turn("run the generator");
        ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
        auto done = events_of(*rt, "ctx-1", event_type::kToolCompleted);
        ASSERT_EQ(done.size(), 2u);

        // What the model saw of bash: exit code kept, stdout a bounded head/tail preview.
        const json::object& bash = done[0].at("result").as_object();
        EXPECT_EQ(bash.at("exit_code").as_int64(), 0);
        std::string preview(bash.at("stdout").as_string());
        EXPECT_LT(preview.size(), 6u * 1024);
        EXPECT_THAT(preview, HasSubstr("1040000 bytes, 20000 lines; showing lines 1-39 and 19962-20000"));
        EXPECT_THAT(preview, HasSubstr("line 000001 "));
        EXPECT_THAT(preview, HasSubstr("line 020000 "));
        EXPECT_THAT(preview, Not(HasSubstr("line 010001 ")));
        EXPECT_THAT(preview, HasSubstr("full output saved to " + saved + " (20000 lines"));
        EXPECT_THAT(preview, HasSubstr("read_file path=" + saved + " offset=39 limit=200"));
        // The history holds the same bounded view.
        auto ms = rt->messages("ctx-1");
        ASSERT_GE(ms.size(), 3u);
        EXPECT_LT(json::serialize(ms[2].content).size(), 7u * 1024);

        // The range read from the saved file.
        std::string middle = model_view(done[1].at("result"));
        EXPECT_THAT(middle, HasSubstr("line 010001 "));
        EXPECT_THAT(middle, HasSubstr("line 010005 "));
        EXPECT_THAT(middle, Not(HasSubstr("line 010006 ")));
    }
    // Saved in the session's data folder, never in the workspace.
    EXPECT_EQ(fs::file_size(dir_ / "data" / "ctx-1" / "outputs" / "call_0_0.txt"), 1040000u);
    EXPECT_FALSE(fs::exists(ws_ / "outputs"));
    EXPECT_FALSE(fs::exists(ws_ / "@session"));

    auto rt = coding(script, /*resume=*/true).build();
    TurnResult r = rt->run_turn("now the end");
    ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    EXPECT_EQ(r.response, "I read the end.");
    auto done = events_of(*rt, "ctx-1", event_type::kToolCompleted);
    ASSERT_EQ(done.size(), 3u);
    std::string end = model_view(done[2].at("result"));
    EXPECT_THAT(end, HasSubstr("line 019996 "));
    EXPECT_THAT(end, HasSubstr("line 020000 "));
    EXPECT_THAT(end, Not(HasSubstr("line 019995 ")));
}

TEST_F(ContextCapabilities, RepeatedFailingEditsAreNotedThenTheTurnIsStopped) {
    test::write_file(ws_ / "a.txt", "hello\n");
    json::array script{
        call("read_file", {{"path", "a.txt"}}),
        call("edit_file",
             {{"path", "a.txt"}, {"edits", json::array{json::object{{"old_text", "goodbye"}, {"new_text", "x"}}}}})};
    RuntimeBuilder b = coding(script);
    b.capability("loop_detection");
    auto rt = b.build();
    TurnResult r = rt->run_turn("change goodbye to x in a.txt");
    EXPECT_FALSE(r.success);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->category, "loop_detected");
    EXPECT_THAT(r.error->message,
                HasSubstr("stopped: the model kept repeating a failing edit_file on a.txt call after 3 warnings"));

    auto loops = events_of(*rt, "ctx-1", event_type::kLoopDetected);
    ASSERT_EQ(loops.size(), 4u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(loops[i].at("kind").as_string(), "mutating_failure");
        EXPECT_EQ(loops[i].at("tool").as_string(), "edit_file");
        EXPECT_EQ(loops[i].at("count").as_int64(), i + 2);
        EXPECT_EQ(loops[i].at("note_number").as_int64(), i + 1);
    }
    EXPECT_TRUE(loops[3].at("stopped").as_bool());
    // read, then five failing edits: the warnings came before model calls 4, 5 and 6; the 7th was never made.
    EXPECT_EQ(events_of(*rt, "ctx-1", event_type::kOutputCompleted).size(), 6u);
    auto failed = events_of(*rt, "ctx-1", event_type::kTurnFailed);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].at("error_code").as_string(), "loop_detected");
    expect_paired(rt->messages("ctx-1"));
    EXPECT_EQ(test::read_file(ws_ / "a.txt"), "hello\n");
}

TEST_F(ContextCapabilities, DifferentEditsAreNotALoop) {
    test::write_file(ws_ / "a.txt", "one two three\n");
    auto edit = [](const char* from, const char* to) {
        return call("edit_file",
                    {{"path", "a.txt"}, {"edits", json::array{json::object{{"old_text", from}, {"new_text", to}}}}});
    };
    RuntimeBuilder b = coding(
        {call("read_file", {{"path", "a.txt"}}), edit("four", "4"), edit("five", "5"), edit("one", "1"), say("done")});
    b.capability("loop_detection");
    auto rt = b.build();
    TurnResult r = rt->run_turn("edit");
    ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    EXPECT_TRUE(events_of(*rt, "ctx-1", event_type::kLoopDetected).empty());
}

/// A long user message (2.4 KB) so that three turns pass the small test window.
std::string long_text(const std::string& tag) {
    return tag + " " + std::string(2400, 'z');
}

TEST_F(ContextCapabilities, CompactionKeepsToolCallsPairedAndTheSessionGoesOn) {
    // Model calls, in order: T1 add + answer, T2 add + answer, the T3 summary (model.complete),
    // T3 add + answer, T4 answer, the /compact summary, then answers.
    json::array script{call("add", {{"a", 1}, {"b", 2}}),
                       say("T1 done"),
                       call("add", {{"a", 3}, {"b", 4}}),
                       say("T2 done"),
                       say("## Goals\nSUMMARY-ONE: the user sent T1"),
                       call("add", {{"a", 5}, {"b", 6}}),
                       say("T3 done"),
                       say("T4 done"),
                       say("## Goals\nSUMMARY-TWO"),
                       say("after resume")};
    auto make = [&](bool resume) {
        RuntimeBuilder b = test::builder(script);
        b.harness("math").capability("compaction", json::object{{"context_window", 4000}, {"threshold", 0.5}});
        b.session_id("ctx-2").session_store(make_jsonl_session_store((dir_ / "sessions").string()));
        if (resume) b.resume();
        return b.build();
    };
    auto rt = make(false);
    for (const char* t : {"T1", "T2"}) {
        TurnResult r = rt->run_turn(long_text(t));
        ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    }
    EXPECT_TRUE(events_of(*rt, "ctx-2", event_type::kCompaction).empty());
    auto before = rt->messages("ctx-2");
    ASSERT_EQ(before.size(), 8u);
    const std::string t2_id = before[4].id;

    const Usage session_before = rt->session_usage("ctx-2");
    TurnResult r3 = rt->run_turn(long_text("T3"));
    ASSERT_TRUE(r3.success) << (r3.error ? r3.error->message : "");
    EXPECT_EQ(r3.response, "T3 done");
    // The summary was a model call too: its llm.generation is counted in the turn's usage, which
    // is what the turn's two loop calls and the summary cost, and in the session's.
    Usage spent;
    int side_calls = 0;
    for (const Event& e : rt->events("ctx-2")) {
        if (e.turn_id != r3.turn_id) continue;
        spent += Usage::of_event(e);
        if (e.type == event_type::kLlmGeneration) ++side_calls;
    }
    EXPECT_EQ(side_calls, 1);
    EXPECT_GT(spent.input_tokens, 0);
    EXPECT_EQ(r3.usage.input_tokens, spent.input_tokens);
    EXPECT_EQ(r3.usage.output_tokens, spent.output_tokens);
    EXPECT_EQ(rt->session_usage("ctx-2").input_tokens, session_before.input_tokens + spent.input_tokens);
    auto compactions = events_of(*rt, "ctx-2", event_type::kCompaction);
    ASSERT_EQ(compactions.size(), 1u);
    EXPECT_EQ(compactions[0].at("keep_from_message_id").as_string(), t2_id);
    EXPECT_THAT(std::string(compactions[0].at("summary").as_string()), HasSubstr("SUMMARY-ONE"));

    auto after = rt->messages("ctx-2");
    ASSERT_GE(after.size(), 2u);
    EXPECT_EQ(after[0].role, "user");
    EXPECT_THAT(after[0].text(), HasSubstr("SUMMARY-ONE"));
    EXPECT_EQ(after[1].id, t2_id);
    EXPECT_EQ(after.size(), 1u + 4u + 4u);  // the summary, T2 and T3 (user, call, result, answer)
    expect_paired(after);
    for (const Message& m : after) EXPECT_THAT(m.text(), Not(HasSubstr("T1 ")));

    TurnResult r4 = rt->run_turn("and now?");
    ASSERT_TRUE(r4.success) << (r4.error ? r4.error->message : "");
    EXPECT_EQ(r4.response, "T4 done");
    EXPECT_EQ(events_of(*rt, "ctx-2", event_type::kCompaction).size(), 1u);

    CommandResult c = rt->execute_command("ctx-2", "compact", "");
    EXPECT_TRUE(c.success) << c.message;
    EXPECT_THAT(c.message, HasSubstr("kept the last 2 turns"));
    auto compacted = rt->messages("ctx-2");
    EXPECT_THAT(compacted[0].text(), HasSubstr("SUMMARY-TWO"));
    EXPECT_THAT(compacted[1].text(), HasSubstr("T3 "));
    expect_paired(compacted);
    rt.reset();

    // Resume replays the compactions: the same history, and a turn on it works.
    auto resumed = make(true);
    auto replayed = resumed->messages("ctx-2");
    ASSERT_EQ(replayed.size(), compacted.size());
    for (std::size_t i = 0; i < replayed.size(); ++i) EXPECT_EQ(replayed[i].text(), compacted[i].text());
    TurnResult r5 = resumed->run_turn("still there?");
    ASSERT_TRUE(r5.success) << (r5.error ? r5.error->message : "");
}

TEST_F(ContextCapabilities, CompactWithNothingToCutSaysSo) {
    RuntimeBuilder b = test::builder({say("hi")});
    b.harness("math").capability("compaction");
    auto rt = b.build();
    ASSERT_TRUE(rt->run_turn("hello").success);
    CommandResult c = rt->execute_command(rt->default_session_id(), "compact", "");
    EXPECT_FALSE(c.success);
    EXPECT_EQ(c.error_code, "nothing_to_compact");
    EXPECT_THAT(c.message, HasSubstr("nothing to compact"));
    EXPECT_EQ(rt->messages(rt->default_session_id()).size(), 2u);
}

}  // namespace
}  // namespace agenthost
