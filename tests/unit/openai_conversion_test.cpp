// The openai driver remembers, per session, the history it converted and converts only what a
// later call appends (plugins/openai/conversion.hpp). Whatever it remembers, every body must be
// the one a fresh driver (nothing remembered) builds for the same request: checked here call by
// call through growing turns, two sessions taking turns, edits, compaction, a changed system
// prompt and tools, an unanswered tool call, and text the raw split cannot read.
#include "unit/openai_driver_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace openai_test;

json::array text(const std::string& t) {
    return json::array{json::object{{"type", "text"}, {"text", t}}};
}

json::object user(const std::string& t) {
    return json::object{{"id", "u-" + t}, {"role", "user"}, {"content", text(t)}};
}

json::object call(int k) {
    std::string id = "call_" + std::to_string(k);
    return json::object{{"id", "m-" + id},
                        {"role", "agent"},
                        {"content", json::array{json::object{{"type", "tool_call"},
                                                             {"id", id},
                                                             {"name", "multiply"},
                                                             {"arguments", json::object{{"a", k}, {"b", "q\"uote\\"}}}}}}};
}

json::object result(int k) {
    std::string id = "call_" + std::to_string(k);
    return json::object{{"id", "r-" + id},
                        {"role", "tool_result"},
                        {"content", json::array{json::object{{"type", "tool_result"},
                                                             {"tool_call_id", id},
                                                             {"tool_name", "multiply"},
                                                             {"result", "line\nbreak \u00e9 " + std::to_string(k)},
                                                             {"is_error", k % 3 == 0}}}}};
}

json::array tools(const std::string& description = "Multiply two integers exactly.") {
    return json::array{json::object{{"name", "multiply"},
                                    {"description", description},
                                    {"parameters", json::object{{"type", "object"}, {"properties", json::object{}}}}}};
}

json::object request(const std::string& session, const json::array& messages, const std::string& system = "Be exact.",
                     const json::array& tool_list = tools()) {
    return json::object{{"model", "gpt-4.1"}, {"system", system},        {"session_id", session}, {"turn_id", "t"},
                        {"iteration", 1},     {"tools", tool_list},       {"messages", messages},
                        {"prompt_cache", json::object{{"enabled", true}}}};
}

/// One driver kept across calls, and the body a fresh driver builds for each request.
class Remembering {
public:
    explicit Remembering(const json::object& config) : config_(config), kept_(config) {
        kept_.replies = {served(reply())};
    }

    /// The kept driver's body for req equals a fresh driver's (returns it for more checks).
    json::object expect_same(const json::object& req, const std::string& what) {
        Outcome a = kept_.chat(req);
        EXPECT_TRUE(a.ok()) << what << ": " << a.error_message;
        Driver fresh(config_);
        fresh.replies = {served(reply())};
        Outcome b = fresh.chat(req);
        EXPECT_TRUE(b.ok()) << what << ": " << b.error_message;
        json::object body = kept_.body(kept_.requests.size() - 1);
        EXPECT_EQ(body, fresh.body()) << what;
        EXPECT_EQ(a.result, b.result) << what;
        return body;
    }

private:
    std::string reply() const {
        return config_.contains("api") ? "responses_stream_function_call.sse" : "chat_stream_tool_call.sse";
    }

    json::object config_;
    Driver kept_;
};

class Conversion : public ::testing::TestWithParam<bool> {
protected:
    json::object config() const { return GetParam() ? kResponses : kOfficial; }
};

TEST_P(Conversion, GrowingTurnsInTwoSessionsGiveTheBodiesOfAFreshDriver) {
    Remembering d(config());
    json::array a{user("first")}, b{user("other")};
    for (int k = 1; k <= 6; ++k) {
        d.expect_same(request("s1", a), "s1 before call " + std::to_string(k));
        d.expect_same(request("s2", b), "s2 before call " + std::to_string(k));
        a.push_back(call(k));
        a.push_back(result(k));
        b.push_back(call(100 + k));
        b.push_back(result(100 + k));
    }
    a.push_back(user("a new turn"));
    json::object body = d.expect_same(request("s1", a), "s1 next turn");
    std::string text = json::serialize(body);
    EXPECT_NE(text.find("a new turn"), std::string::npos);
    EXPECT_NE(text.find("call_6"), std::string::npos);
}

TEST_P(Conversion, ChangedSystemPromptAndToolsAreNotRemembered) {
    Remembering d(config());
    json::array m{user("q"), call(1), result(1)};
    d.expect_same(request("s1", m), "first");
    json::object body = d.expect_same(request("s1", m, "Be brief."), "another system prompt");
    EXPECT_NE(json::serialize(body).find("Be brief."), std::string::npos);
    body = d.expect_same(request("s1", m, "Be brief.", tools("Multiply, exactly.")), "another tool description");
    EXPECT_NE(json::serialize(body).find("Multiply, exactly."), std::string::npos);
    d.expect_same(request("s1", m, "Be brief.", json::array{}), "no tools");
}

TEST_P(Conversion, EditedAndCompactedHistoriesStartAgain) {
    Remembering d(config());
    json::array m{user("q"), call(1), result(1), call(2), result(2)};
    d.expect_same(request("s1", m), "whole");
    json::array compacted{user("summary of what happened"), call(2), result(2), call(3), result(3)};
    d.expect_same(request("s1", compacted), "compacted: a different first message");
    json::array edited = compacted;
    edited[2] = result(7);  // the same length, another result
    d.expect_same(request("s1", edited), "an earlier message changed");
    json::array shorter{user("summary of what happened")};
    d.expect_same(request("s1", shorter), "shorter than what was remembered");
    d.expect_same(request("s1", json::array{}), "no messages");
}

TEST_P(Conversion, AnUnansweredCallIsNotRememberedWithItsMadeUpResult) {
    Remembering d(config());
    json::array m{user("q"), call(1)};  // interrupted: the result is missing, an error one is sent
    json::object body = d.expect_same(request("s1", m), "unanswered");
    EXPECT_NE(json::serialize(body).find("no result was recorded"), std::string::npos);
    m.push_back(result(1));  // the real result arrives
    body = d.expect_same(request("s1", m), "answered");
    EXPECT_EQ(json::serialize(body).find("no result was recorded"), std::string::npos);
}

TEST_P(Conversion, ManySessionsEvictTheLeastRecentlyUsed) {
    Remembering d(config());
    std::vector<json::array> sessions(12);
    for (int round = 0; round < 3; ++round) {
        for (std::size_t s = 0; s < sessions.size(); ++s) {
            sessions[s].push_back(user("s" + std::to_string(s) + " r" + std::to_string(round)));
            d.expect_same(request("s" + std::to_string(s), sessions[s]), "session " + std::to_string(s));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(OpenAiDriver, Conversion, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Responses" : "Chat"; });

// What the raw split cannot read goes the ordinary way, which reports it.
TEST(OpenAiDriver, RequestsTheRawSplitCannotReadGoTheOrdinaryWay) {
    Driver d(kOfficial);
    d.replies = {served("chat_stream_tool_call.sse")};
    // Messages that are not an array: the ordinary path reads no history.
    json::object odd = request("s1", json::array{user("q")});
    odd["messages"] = "not an array";
    Outcome o = d.chat(odd);
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(d.body().at("messages").as_array().size(), 1u) << "only the system prompt";
    // A key with an escape.
    json::object escaped = request("s1", json::array{user("q")});
    escaped["x\ty"] = 1;
    o = d.chat(escaped);
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(d.body(1).at("messages").as_array().size(), 2u);
}

}  // namespace
