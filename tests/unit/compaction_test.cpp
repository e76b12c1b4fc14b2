// The compaction plugin through the fake host: the threshold, the cut (never between a tool call
// and its result), the summary request, history.compact, the rebuilt request and /compact.
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>

namespace {

namespace json = boost::json;
using ahp::fake::FakeHost;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

json::object text_msg(const std::string& id, const std::string& role, const std::string& text) {
    return json::object{
        {"id", id}, {"role", role}, {"content", json::array{json::object{{"type", "text"}, {"text", text}}}}};
}

/// A history builder in the host's canonical shape.
class History {
public:
    History& user(const std::string& text) {
        msgs_.push_back(text_msg(next(), "user", text));
        return *this;
    }
    History& answer(const std::string& text) {
        msgs_.push_back(text_msg(next(), "agent", text));
        return *this;
    }
    /// An agent message calling `tool`, then its result (`bytes` long).
    History& tool(const std::string& tool, std::size_t bytes, const std::string& marker = "") {
        std::string call_id = "call_" + std::to_string(n_);
        msgs_.push_back(
            json::object{{"id", next()},
                         {"role", "agent"},
                         {"content", json::array{json::object{{"type", "tool_call"},
                                                              {"id", call_id},
                                                              {"name", tool},
                                                              {"arguments", json::object{{"path", "f.txt"}}}}}}});
        msgs_.push_back(json::object{{"id", next()},
                                     {"role", "tool_result"},
                                     {"content", json::array{json::object{{"type", "tool_result"},
                                                                          {"tool_call_id", call_id},
                                                                          {"tool_name", tool},
                                                                          {"result", marker + std::string(bytes, 'r')},
                                                                          {"is_error", false}}}}});
        return *this;
    }
    /// An Anthropic-style tool result: a user message holding a tool_result part.
    History& tool_as_user(const std::string& tool) {
        std::string call_id = "call_" + std::to_string(n_);
        msgs_.push_back(json::object{
            {"id", next()},
            {"role", "agent"},
            {"content", json::array{json::object{
                            {"type", "tool_call"}, {"id", call_id}, {"name", tool}, {"arguments", json::object{}}}}}});
        msgs_.push_back(json::object{
            {"id", next()},
            {"role", "user"},
            {"content",
             json::array{json::object{{"type", "tool_result"}, {"tool_call_id", call_id}, {"result", "ok"}}}}});
        return *this;
    }
    json::array& messages() { return msgs_; }
    std::string id_at(std::size_t i) const { return std::string(msgs_.at(i).at("id").as_string()); }

private:
    std::string next() { return "m" + std::to_string(n_++); }
    json::array msgs_;
    int n_ = 0;
};

/// Every tool call has its result in the same list and the other way round.
void expect_paired(const json::array& messages) {
    std::multiset<std::string> calls, results;
    for (const json::value& m : messages) {
        for (const json::value& part : m.at("content").as_array()) {
            const json::object& p = part.as_object();
            if (p.at("type") == "tool_call") calls.insert(std::string(p.at("id").as_string()));
            if (p.at("type") == "tool_result") results.insert(std::string(p.at("tool_call_id").as_string()));
        }
    }
    EXPECT_EQ(calls, results);
}

/// The messages from index `from` on.
json::array slice(const json::array& messages, std::size_t from) {
    return json::array(messages.begin() + static_cast<std::ptrdiff_t>(from), messages.end());
}

/// The index of the message with this id.
std::size_t index_of(const json::array& messages, const std::string& id) {
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].at("id").as_string() == id) return i;
    }
    return messages.size();
}

class Compaction : public ::testing::Test {
protected:
    /// 4096-token window, threshold 0.5: compacts from 2048 estimated tokens.
    void SetUp() override { open("{\"context_window\": 4096, \"threshold\": 0.5}"); }
    void open(const std::string& config) {
        host_ = std::make_unique<FakeHost>(
            FakeHost::open((agenthost::test::plugins_dir() / "compaction.so").string(), config));
        host_->on_service("model.complete", [this](const json::value& p) -> json::value {
            summary_requests_.push_back(p);
            if (fail_model_) throw ahp::Error("rate_limit", "slow down");
            return json::object{{"text", "## Goals\nfix f.txt\n"}, {"usage", json::object{{"input_tokens", 10}}}};
        });
        host_->on_service("history.compact", [this](const json::value& p) -> json::value {
            compactions_.push_back(p);
            std::size_t cut = index_of(history_, std::string(p.at("keep_from_message_id").as_string()));
            return json::object{{"replaced_messages", cut}, {"kept_messages", history_.size() - cut}};
        });
        host_->on_service("history.messages", [this](const json::value&) -> json::value {
            ++history_reads_;
            return json::object{{"messages", history_}};
        });
    }
    /// The hook with the host's params: the size estimate and the messages since the last user one.
    json::object hook(History& h, std::optional<std::size_t> tokens = std::nullopt) {
        history_ = h.messages();
        std::size_t from = history_.size();
        while (from > 0 && history_[from - 1].at("role") != "user") --from;
        if (from > 0) --from;
        json::object params{{"session_id", "s1"},
                            {"turn_id", "t1"},
                            {"iteration", 1},
                            {"model", "llmsim"},
                            {"estimated_tokens", tokens ? *tokens : (json::serialize(history_).size() + 3) / 4},
                            {"message_count", history_.size()},
                            {"recent_messages", slice(history_, from)}};
        auto out = host_->invoke("hook.before_model", params);
        EXPECT_TRUE(out.ok()) << out.error_message;
        return out.result.as_object();
    }
    json::object command(History& h, json::value arguments = "") {
        history_ = h.messages();
        auto out = host_->invoke(
            "command.execute",
            json::object{
                {"name", "compact"}, {"arguments", arguments}, {"session_id", "s1"}, {"messages", h.messages()}});
        EXPECT_TRUE(out.ok()) << out.error_message;
        return out.result.as_object();
    }
    std::string summary_ask(std::size_t i = 0) const {
        return std::string(summary_requests_.at(i).at("messages").at(0).at("content").at(0).at("text").as_string());
    }
    /// The cut of compaction i: every call paired with its result on each side of it.
    void expect_clean_cut(std::size_t i = 0) {
        std::size_t cut = index_of(history_, std::string(compactions_.at(i).at("keep_from_message_id").as_string()));
        ASSERT_LT(cut, history_.size());
        EXPECT_EQ(history_[cut].at("role"), "user");
        expect_paired(json::array(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(cut)));
        expect_paired(slice(history_, cut));
    }

    std::unique_ptr<FakeHost> host_;
    json::array history_;
    int history_reads_ = 0;
    std::vector<json::value> summary_requests_;
    std::vector<json::value> compactions_;
    bool fail_model_ = false;
};

TEST_F(Compaction, BelowTheThresholdNothingHappens) {
    History h;
    h.user("fix f.txt").tool("read_file", 1000).answer("done").user("again").tool("read_file", 1000);
    EXPECT_TRUE(hook(h).empty());
    EXPECT_TRUE(hook(h, 2047).empty());
    EXPECT_EQ(history_reads_, 0);  // answered from estimated_tokens alone
    EXPECT_TRUE(summary_requests_.empty());
    EXPECT_TRUE(compactions_.empty());
}

TEST_F(Compaction, PastTheThresholdTheOlderTurnsAreSummarised) {
    History h;
    h.user("OLDEST: fix f.txt").tool("read_file", 3000, "OLD-RESULT").answer("OLD-ANSWER");
    h.user("second turn").tool("bash", 3000).answer("ok");
    h.user("third turn").tool("read_file", 2000, "KEPT-RESULT").answer("fine");
    h.user("KEPT-LAST: now test it").tool("bash", 1000);
    const std::string keep_id = h.id_at(8);  // "third turn": the last two turns are kept
    EXPECT_EQ(hook(h), (json::object{{"compacted", true}}));

    ASSERT_EQ(compactions_.size(), 1u);
    EXPECT_EQ(compactions_[0].at("keep_from_message_id").as_string(), keep_id);
    EXPECT_EQ(compactions_[0].at("summary").as_string(), "## Goals\nfix f.txt");
    expect_clean_cut();

    // The summary request: a tool-less call with the summarising prompt and the older part only.
    ASSERT_EQ(summary_requests_.size(), 1u);
    const json::object& req = summary_requests_[0].as_object();
    std::string system(req.at("system").as_string());
    for (const char* heading : {"Goals", "Decisions", "Files touched", "Current state", "Open questions"}) {
        EXPECT_THAT(system, HasSubstr(heading));
    }
    EXPECT_FALSE(req.contains("tools"));
    EXPECT_EQ(req.at("messages").as_array().size(), 1u);
    std::string ask = summary_ask();
    EXPECT_THAT(ask, HasSubstr("<user>\nOLDEST: fix f.txt\n</user>"));
    EXPECT_THAT(ask, HasSubstr("[tool call read_file {\"path\":\"f.txt\"}]"));
    EXPECT_THAT(ask, HasSubstr("<tool_result tool=\"read_file\">\nOLD-RESULT"));
    EXPECT_THAT(ask, HasSubstr("bytes left out"));  // long results are shortened
    EXPECT_THAT(ask, HasSubstr("OLD-ANSWER"));
    EXPECT_THAT(ask, Not(HasSubstr("KEPT-RESULT")));
    EXPECT_THAT(ask, Not(HasSubstr("KEPT-LAST")));
}

TEST_F(Compaction, TheCutNeverSeparatesAToolCallFromItsResult) {
    // Two turns only, the last one long: keeping two turns leaves nothing to summarise, so the
    // cut falls at the last turn's start, never inside its run of calls and results (where a
    // cut by message count would land); Anthropic-style tool results (user messages holding a
    // tool_result) are never a cut point either.
    History h;
    h.user("first").tool_as_user("list_directory").tool("read_file", 3000).tool_as_user("glob");
    h.user("second");
    for (int i = 0; i < 6; ++i) h.tool("bash", 900);
    EXPECT_TRUE(hook(h).at("compacted").as_bool());
    ASSERT_EQ(compactions_.size(), 1u);
    EXPECT_EQ(compactions_[0].at("keep_from_message_id").as_string(), h.id_at(7));
    expect_clean_cut();
}

TEST_F(Compaction, OneLongTurnCannotBeCompacted) {
    History h;
    h.user("do it all");
    for (int i = 0; i < 10; ++i) h.tool("bash", 1000);
    EXPECT_TRUE(hook(h).empty());
    EXPECT_TRUE(summary_requests_.empty());
    EXPECT_EQ(history_reads_, 1);
    EXPECT_TRUE(hook(h).empty());  // and it does not try again in the same turn
    EXPECT_EQ(history_reads_, 1);
    json::object c = command(h);
    EXPECT_FALSE(c.at("success").as_bool());
    EXPECT_EQ(c.at("error_code").as_string(), "nothing_to_compact");
    EXPECT_THAT(std::string(c.at("message").as_string()), StartsWith("nothing to compact"));
    EXPECT_TRUE(compactions_.empty());
}

TEST_F(Compaction, OnlyAnEarlierSummaryBeforeTheTurnIsNothingNew) {
    History h;
    json::object summary =
        text_msg("s0", "user", "[Summary of the earlier conversation, compacted to save context]\n…");
    summary["compaction"] = true;
    h.messages().push_back(summary);
    h.user("go on").tool("bash", 100);
    json::object c = command(h);
    EXPECT_EQ(c.at("error_code").as_string(), "nothing_to_compact");
    EXPECT_TRUE(summary_requests_.empty());
}

TEST_F(Compaction, CompactCommandSummarisesWhateverTheSize) {
    History h;
    h.user("one").answer("a").user("two").answer("b").user("three").answer("c");
    json::object c = command(h, "the API names");
    EXPECT_TRUE(c.at("success").as_bool()) << c;
    EXPECT_EQ(c.at("message").as_string(),
              "compacted: 2 earlier messages replaced by a summary; kept the last 2 turns (4 messages) verbatim");
    ASSERT_EQ(compactions_.size(), 1u);
    EXPECT_EQ(compactions_[0].at("keep_from_message_id").as_string(), h.id_at(2));
    EXPECT_THAT(summary_ask(), HasSubstr("keep this in detail: the API names"));
    // A second /compact summarises the host's summary together with the next turn.
    History after;
    json::object summary =
        text_msg("s1", "user", "[Summary of the earlier conversation, compacted to save context]\nEARLIER");
    summary["compaction"] = true;
    after.messages().push_back(summary);
    after.user("two").answer("b").user("three").answer("c").user("four").answer("d");
    EXPECT_TRUE(command(after).at("success").as_bool());
    EXPECT_THAT(
        summary_ask(1),
        HasSubstr("<earlier_summary>\n[Summary of the earlier conversation, compacted to save context]\nEARLIER"));
}

TEST_F(Compaction, AFailedSummaryChangesNothing) {
    fail_model_ = true;
    History h;
    h.user("one").tool("bash", 5000).answer("a").user("two").tool("bash", 5000).user("three").tool("bash", 1000);
    EXPECT_TRUE(hook(h).empty());
    EXPECT_TRUE(compactions_.empty());
    json::object c = command(h);
    EXPECT_FALSE(c.at("success").as_bool());
    EXPECT_EQ(c.at("error_code").as_string(), "compaction_failed");
    EXPECT_THAT(std::string(c.at("message").as_string()), HasSubstr("slow down"));
}

TEST_F(Compaction, EstimatedTokensAnywhereInTheParams) {
    History h;
    h.user("one").tool("bash", 5000).user("two").tool("bash", 2000).user("three").tool("bash", 2000);
    history_ = h.messages();
    json::object params{{"recent_messages", slice(history_, 4)}, {"session_id", "s1"}, {"estimated_tokens", 3000}};
    auto out = host_->invoke("hook.before_model", params);
    ASSERT_TRUE(out.ok()) << out.error_message;
    EXPECT_TRUE(out.result.at("compacted").as_bool());
    out = host_->invoke("hook.before_model", json::object{{"session_id", "s1"}});  // no estimate: nothing to do
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out.result.as_object().empty());
}

TEST_F(Compaction, TheHostsWindowCountsUnlessConfigured) {
    open("{\"threshold\": 0.5}");
    History h;
    h.user("one").tool("bash", 5000).user("two").tool("bash", 2000).user("three").tool("bash", 2000);
    history_ = h.messages();
    auto params = [&](std::optional<int> window) {
        json::object p{{"session_id", "s1"}, {"turn_id", "t1"}, {"estimated_tokens", 3000}};
        if (window) p["context_window"] = *window;  // a scalar, before recent_messages as the host sends it
        p["recent_messages"] = slice(history_, 4);
        return p;
    };
    auto out = host_->invoke("hook.before_model", params(std::nullopt));  // the default window: 200 000 tokens
    EXPECT_TRUE(out.result.as_object().empty());
    out = host_->invoke("hook.before_model", params(4096));
    EXPECT_TRUE(out.result.at("compacted").as_bool());
    open("{\"threshold\": 0.5, \"context_window\": 100000}");  // the config wins
    out = host_->invoke("hook.before_model", params(4096));
    EXPECT_TRUE(out.result.as_object().empty());
}

TEST_F(Compaction, ConfigIsChecked) {
    std::string so = (agenthost::test::plugins_dir() / "compaction.so").string();
    EXPECT_THROW(FakeHost::open(so, "{\"threshold\": 2}"), std::runtime_error);
    EXPECT_THROW(FakeHost::open(so, "{\"keep_turns\": 2}"), std::runtime_error);
    FakeHost ok = FakeHost::open(so, "{\"keep_recent_turns\": 1, \"context_window\": 8000, \"threshold\": 0.9}");
    json::object d = ok.describe();
    EXPECT_EQ(d.at("commands").at(0).at("name").as_string(), "compact");
    EXPECT_EQ(d.at("hooks").at(0).as_string(), "before_model");
}

}  // namespace
