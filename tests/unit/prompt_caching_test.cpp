// The prompt_caching capability (its before_model hook) and the anthropic driver's cache_control
// breakpoints, through the built plugins and ahp::fake::FakeHost; the breakpoints are also
// compared with the recorded prompt-caching requests in tests/fixtures/providers/anthropic.
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;

std::string fixture(const std::string& name) { return agenthost::test::provider_fixture("anthropic", name); }

FakeHost caching(const std::string& config = "{}") {
    return FakeHost::open(AGENTHOST_BUILD_DIR "/plugins/prompt_caching.so", config);
}

/// The anthropic driver with an http.request that records the body and answers a short stream.
class Anthropic {
public:
    Anthropic()
        : host_(FakeHost::open(AGENTHOST_BUILD_DIR "/plugins/anthropic.so",
                               R"({"api_key":"k","base_url":"http://127.0.0.1:9"})")) {
        host_.on_stream_service("http.request", [this](const json::value& p, const FakeHost::ChunkFn& chunk) {
            body_ = json::parse(p.at("body").as_string()).as_object();
            chunk(fixture("messages_stream_cache_read_sonnet45.sse"));
            return json::value{{"status", 200}, {"headers", json::object{{"content-type", "text/event-stream"}}}};
        });
    }
    /// The body the driver sends for `request`.
    json::object body_for(const json::object& request) {
        Outcome o = host_.invoke("driver.chat", request);
        EXPECT_TRUE(o.ok()) << o.error_message;
        return body_;
    }

private:
    FakeHost host_;
    json::object body_;
};

json::object text(const std::string& t) {
    return json::object{{"type", "text"}, {"text", t}};
}
json::object msg(const std::string& role, json::array content) {
    return json::object{{"role", role}, {"content", std::move(content)}};
}
json::object tool_call(const std::string& id) {
    return json::object{{"type", "tool_call"}, {"id", id}, {"name", "add"}, {"arguments", json::object{{"a", 1}}}};
}
json::object tool_result(const std::string& id) {
    return json::object{
        {"type", "tool_result"}, {"tool_call_id", id}, {"tool_name", "add"}, {"result", 2}, {"is_error", false}};
}

json::object request(json::array messages, bool cache, int volatile_suffix = 0,
                     const std::string& system = "You are terse.", bool tools = true) {
    json::object r{{"model", "claude-sonnet-4-5"},
                   {"system", system},
                   {"session_id", "sess-1"},
                   {"messages", std::move(messages)}};
    json::array t;
    if (tools) {
        for (const char* name : {"add", "multiply"}) {
            t.push_back(json::object{
                {"name", name}, {"description", "arith"}, {"parameters", json::object{{"type", "object"}}}});
        }
    }
    r["tools"] = std::move(t);
    if (cache)
        r["prompt_cache"] = json::object{{"enabled", true}, {"key", "sess-1"}, {"volatile_suffix", volatile_suffix}};
    return r;
}

/// "m<i>.b<j>" for every message block with cache_control, in order.
std::vector<std::string> marked_blocks(const json::object& body) {
    std::vector<std::string> out;
    const json::array& ms = body.at("messages").as_array();
    for (std::size_t i = 0; i < ms.size(); ++i) {
        const json::array& c = ms[i].at("content").as_array();
        for (std::size_t j = 0; j < c.size(); ++j) {
            if (c[j].as_object().contains("cache_control"))
                out.push_back("m" + std::to_string(i) + ".b" + std::to_string(j));
        }
    }
    return out;
}

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
}

const json::value kEphemeral = json::object{{"type", "ephemeral"}};

/// The before_model params the host sends (docs/context-services.md).
json::object hook_params() {
    return json::object{{"session_id", "sess-1"},
                        {"turn_id", "t1"},
                        {"iteration", 1},
                        {"model", "anthropic/claude-sonnet-4-5"},
                        {"estimated_tokens", 10},
                        {"message_count", 1},
                        {"recent_messages", json::array{msg("user", {text("hi")})}}};
}

TEST(PromptCachingHook, SetsPromptCacheWithTheSessionIdAsKey) {
    FakeHost host = caching();
    EXPECT_EQ(host.describe().at("hooks"), json::value(json::array{"before_model"}));
    EXPECT_TRUE(host.describe().at("tools").as_array().empty());
    Outcome o = host.invoke("hook.before_model", hook_params());
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(
        o.result,
        json::value(json::object{
            {"set", json::object{{"prompt_cache",
                                  json::object{{"enabled", true}, {"volatile_suffix", 0}, {"key", "sess-1"}}}}}}));
}

TEST(PromptCachingHook, VolatileSuffixPassesThroughAndBadConfigIsRefused) {
    FakeHost host = caching(R"({"volatile_suffix": 1})");
    Outcome o = host.invoke("hook.before_model", hook_params());
    EXPECT_EQ(o.result.at("set").at("prompt_cache").at("volatile_suffix"), 1);
    EXPECT_THROW(caching(R"({"volatile_suffix": -1})"), std::runtime_error);
    EXPECT_THROW(caching(R"({"ttl": "1h"})"), std::runtime_error);
    Outcome bare = host.invoke("hook.before_model", json::object{});
    EXPECT_FALSE(bare.result.at("set").at("prompt_cache").as_object().contains("key")) << "no session id: no key";
}

TEST(AnthropicCacheBreakpoints, SystemLastToolAndTheTwoMostRecentMessages) {
    Anthropic d;
    json::array ms{msg("user", {text("What is 1+1?")}), msg("agent", {text("Let me add."), tool_call("c1")}),
                   msg("tool_result", {tool_result("c1")}), msg("agent", {text("2")}), msg("user", {text("And 2+2?")})};
    json::object body = d.body_for(request(ms, true));
    EXPECT_EQ(body.at("system"), json::value(json::array{json::object{
                                     {"type", "text"}, {"text", "You are terse."}, {"cache_control", kEphemeral}}}));
    const json::array& tools = body.at("tools").as_array();
    EXPECT_FALSE(tools[0].as_object().contains("cache_control"));
    EXPECT_EQ(tools[1].at("cache_control"), kEphemeral);
    EXPECT_EQ(marked_blocks(body), (std::vector<std::string>{"m3.b0", "m4.b0"}));
    EXPECT_EQ(count(json::serialize(body), "cache_control"), 4u) << "Anthropic's maximum";
}

TEST(AnthropicCacheBreakpoints, VolatileSuffixMessagesAreSkippedEvenWhenMergedIntoAStableMessage) {
    Anthropic d;
    // The last message is a volatile note (a timestamp) a hook appended; after the tool result it
    // merges into the same Anthropic user message, and the breakpoint goes on the tool result.
    json::array ms{msg("user", {text("Add 1 and 1")}), msg("agent", {text("Adding."), tool_call("c1")}),
                   msg("tool_result", {tool_result("c1")}), msg("user", {text("<facts>time: 12:00:01</facts>")})};
    json::object body = d.body_for(request(ms, true, 1));
    EXPECT_EQ(marked_blocks(body), (std::vector<std::string>{"m1.b1", "m2.b0"}));
    EXPECT_EQ(body.at("messages").at(2).at("content").at(1).at("text"), "<facts>time: 12:00:01</facts>");

    json::object two =
        d.body_for(request(json::array{msg("user", {text("a")}), msg("agent", {text("b")}), msg("user", {text("c")}),
                                       msg("agent", {text("d")}), msg("user", {text("now: 12:00")})},
                           true, 1));
    EXPECT_EQ(marked_blocks(two), (std::vector<std::string>{"m2.b0", "m3.b0"}));
}

TEST(AnthropicCacheBreakpoints, NoSystemNoToolsOnlyMessagesAndNothingWithoutPromptCache) {
    Anthropic d;
    json::array ms{msg("user", {text("a")}), msg("agent", {text("b")}), msg("user", {text("c")})};
    json::object body = d.body_for(request(ms, true, 0, "", false));
    EXPECT_FALSE(body.contains("system"));
    EXPECT_FALSE(body.contains("tools"));
    EXPECT_EQ(marked_blocks(body), (std::vector<std::string>{"m1.b0", "m2.b0"}));
    EXPECT_EQ(count(json::serialize(d.body_for(request(ms, false))), "cache_control"), 0u);
    json::object first = d.body_for(request(json::array{msg("user", {text("only")})}, true));
    EXPECT_EQ(marked_blocks(first), (std::vector<std::string>{"m0.b0"}));
    EXPECT_EQ(count(json::serialize(first), "cache_control"), 3u);
}

TEST(AnthropicCacheBreakpoints, TheHookAndTheDriverTogether) {
    FakeHost hook = caching(R"({"volatile_suffix": 0})");
    json::object set = hook.invoke("hook.before_model", hook_params()).result.at("set").as_object();
    json::object req = request(json::array{msg("user", {text("hi")})}, false);
    for (const auto& kv : set) req[kv.key()] = kv.value();  // what the host does with `set`
    Anthropic d;
    json::object body = d.body_for(req);
    EXPECT_EQ(count(json::serialize(body), "cache_control"), 3u);
    EXPECT_FALSE(body.contains("prompt_cache")) << "agenthost's field is not sent to Anthropic";
}

/// The recorded prompt-caching requests: the system prompt (as one text block) and the user
/// message carry cache_control exactly as the driver places it.
TEST(AnthropicCacheBreakpoints, MatchTheRecordedCachingRequests) {
    Anthropic d;
    for (const char* name :
         {"messages_stream_cache_write", "messages_stream_cache_read", "messages_cache_write", "messages_cache_read",
          "messages_stream_cache_read_sonnet45", "messages_tool_use_cache_read"}) {
        SCOPED_TRACE(name);
        json::object rec = json::parse(fixture(std::string(name) + ".request.json")).as_object();
        std::string system;
        if (rec.at("system").is_string())
            system = rec.at("system").as_string();
        else
            system = rec.at("system").at(0).at("text").as_string();
        json::array ms;
        for (const json::value& m : rec.at("messages").as_array()) {
            const json::value& c = m.at("content");
            ms.push_back(
                msg("user", {text(std::string(c.is_string() ? c.as_string() : c.at(0).at("text").as_string()))}));
        }
        json::object req = request(ms, true, 0, system, false);
        req["model"] = rec.at("model");
        req["max_tokens"] = rec.at("max_tokens");
        if (const json::value* tools = rec.if_contains("tools")) {
            json::array t;
            for (const json::value& tool : tools->as_array()) {
                t.push_back(json::object{{"name", tool.at("name")},
                                         {"description", tool.at("description")},
                                         {"parameters", tool.at("input_schema")}});
            }
            req["tools"] = t;
        }
        json::object body = d.body_for(req);
        json::value want_system =
            json::array{json::object{{"type", "text"}, {"text", system}, {"cache_control", kEphemeral}}};
        if (rec.at("system").is_array()) {
            EXPECT_EQ(rec.at("system"), want_system) << "recorded system block";
        }
        EXPECT_EQ(body.at("system"), want_system);
        const json::value& user = body.at("messages").at(0).at("content").at(0);
        EXPECT_EQ(user.at("cache_control"), kEphemeral);
        if (!rec.at("messages").at(0).at("content").is_string()) {
            EXPECT_EQ(user, rec.at("messages").at(0).at("content").at(0)) << "recorded user block with cache_control";
        }
        if (rec.contains("tools")) {
            json::value last = rec.at("tools").as_array().back();
            last.as_object()["cache_control"] = kEphemeral;
            EXPECT_EQ(body.at("tools").as_array().back(), last);
        }
        EXPECT_EQ(body.at("model"), rec.at("model"));
        EXPECT_EQ(body.at("max_tokens"), rec.at("max_tokens"));
    }
}

}  // namespace
