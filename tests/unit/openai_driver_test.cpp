// The openai driver plugin (the built openai.so) against the recorded OpenAI traffic in
// tests/fixtures/providers/openai (SOURCES.md), through the SDK's fake host and a streaming
// http.request fake: every fixture replayed whole, one byte at a time, split in two at every
// byte and in random chunks (fixed seed), with the parsed result asserted in full and the
// request bodies compared with the recorded *.request.json.
#include "unit/openai_driver_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

using namespace openai_test;

/// The SSE framing of JSON lines.
std::string sse_of_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines) {
        out += "event: " + std::string(json::parse(l).at("type").as_string()) + "\ndata: " + l + "\n\n";
    }
    return out;
}

/// A .chunks.jsonl split into one SSE stream per response (at each response.created).
std::vector<std::string> jsonl_streams(const std::string& name) {
    std::vector<std::vector<std::string>> groups;
    std::istringstream in(fixture(name));
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        if (groups.empty() || json::parse(line).at("type") == "response.created") groups.emplace_back();
        groups.back().push_back(line);
    }
    std::vector<std::string> out;
    for (const auto& g : groups) out.push_back(sse_of_lines(g));
    return out;
}

std::vector<std::string_view> bytes(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size(); ++i) out.push_back(s.substr(i, 1));
    return out;
}
Chunker split_at(std::size_t at) {
    return [at](std::string_view s) { return std::vector<std::string_view>{s.substr(0, at), s.substr(at)}; };
}
Chunker random_chunks(unsigned seed) {
    return [seed](std::string_view s) {
        std::mt19937 rng(seed);
        std::uniform_int_distribution<std::size_t> len(1, 97);
        std::vector<std::string_view> out;
        for (std::size_t i = 0; i < s.size();) {
            std::size_t n = std::min(len(rng), s.size() - i);
            out.push_back(s.substr(i, n));
            i += n;
        }
        return out;
    };
}

/// A canonical driver.chat request from a recorded Chat Completions or Responses request body:
/// the inverse of what the driver builds, so the driver's body can be compared with the record.
json::object canonical_request(const json::object& recorded) {
    json::object req{{"model", recorded.at("model")}, {"session_id", "s1"}, {"turn_id", "t1"}, {"iteration", 1}};
    json::array tools, messages;
    if (const json::value* ts = recorded.if_contains("tools")) {
        for (const json::value& t : ts->as_array()) {
            const json::object& f = t.as_object().contains("function") ? t.at("function").as_object() : t.as_object();
            tools.push_back(json::object{{"name", f.at("name")}, {"description", f.at("description")}, {"parameters", f.at("parameters")}});
        }
    }
    auto text_part = [](const json::value& text) { return json::array{json::object{{"type", "text"}, {"text", text}}}; };
    auto agent = [&]() -> json::array& {
        if (messages.empty() || messages.back().at("role") != "agent") {
            messages.push_back(json::object{{"role", "agent"}, {"content", json::array()}});
        }
        return messages.back().as_object()["content"].as_array();
    };
    auto call_part = [](const json::value& id, const json::value& name, const json::value& args) {
        return json::object{{"type", "tool_call"}, {"id", id}, {"name", name}, {"arguments", json::parse(args.as_string())}};
    };
    auto result_message = [](const json::value& id, const json::value& output) {
        return json::object{{"role", "tool_result"},
                            {"content", json::array{json::object{{"type", "tool_result"}, {"tool_call_id", id}, {"tool_name", "t"},
                                                                 {"result", output}, {"is_error", false}}}}};
    };
    json::array items;
    if (const json::value* in = recorded.if_contains("input")) {
        if (in->is_string()) items.push_back(json::object{{"role", "user"}, {"content", *in}});
        else items = in->as_array();
    } else {
        items = recorded.at("messages").as_array();
    }
    if (const json::value* instr = recorded.if_contains("instructions")) req["system"] = *instr;
    for (const json::value& iv : items) {
        const json::object& m = iv.as_object();
        std::string_view role = m.contains("role") ? std::string_view(m.at("role").as_string()) : std::string_view();
        std::string_view type = m.contains("type") ? std::string_view(m.at("type").as_string()) : std::string_view();
        if (role == "system") {
            req["system"] = m.at("content");
        } else if (role == "user") {
            messages.push_back(json::object{{"role", "user"}, {"content", text_part(m.at("content"))}});
        } else if (role == "assistant") {
            json::array& parts = agent();
            if (m.contains("content") && m.at("content").is_string() && !m.at("content").as_string().empty()) {
                parts.push_back(text_part(m.at("content"))[0]);
            }
            if (m.contains("tool_calls")) {
                for (const json::value& tc : m.at("tool_calls").as_array()) {
                    const json::object& fn = tc.at("function").as_object();
                    parts.push_back(call_part(tc.at("id"), fn.at("name"), fn.at("arguments")));
                }
            }
        } else if (role == "tool") {
            messages.push_back(result_message(m.at("tool_call_id"), m.at("content")));
        } else if (type == "function_call") {
            agent().push_back(call_part(m.at("call_id"), m.at("name"), m.at("arguments")));
        } else if (type == "function_call_output") {
            messages.push_back(result_message(m.at("call_id"), m.at("output")));
        }
    }
    req["tools"] = std::move(tools);
    req["messages"] = std::move(messages);
    if (const json::value* max = recorded.if_contains("max_tokens")) req["max_tokens"] = *max;
    if (const json::value* max = recorded.if_contains("max_output_tokens")) req["max_tokens"] = *max;
    return req;
}

/// tool-call arguments as parsed JSON, so {"a": 1} and {"a":1} compare equal.
json::value normalized_arguments(json::value v) {
    if (json::array* a = v.if_array()) {
        for (json::value& x : *a) x = normalized_arguments(x);
    } else if (json::object* o = v.if_object()) {
        for (auto& kv : *o) {
            if (kv.key() == "arguments" && kv.value().is_string()) kv.value() = json::parse(kv.value().as_string());
            else kv.value() = normalized_arguments(kv.value());
        }
    }
    return v;
}

/// The recorded Chat Completions messages as the driver sends them: consecutive assistant
/// messages (simonw/llm sends the text and the tool calls apart) merged, content null beside
/// tool calls.
json::array expected_chat_messages(const json::array& recorded) {
    json::array out;
    for (const json::value& v : recorded) {
        json::object m = v.as_object();
        if (m.at("role") == "assistant" && !out.empty() && out.back().at("role") == "assistant") {
            json::object& prev = out.back().as_object();
            for (auto& kv : m) {
                if (kv.key() != "content" || !prev.contains("content") || prev.at("content").is_null() ||
                    prev.at("content") == "") {
                    prev[kv.key()] = kv.value();
                }
            }
            continue;
        }
        out.push_back(std::move(m));
    }
    for (json::value& v : out) {
        json::object& m = v.as_object();
        if (m.at("role") == "assistant" && m.contains("tool_calls") &&
            (!m.contains("content") || m.at("content") == "")) {
            m["content"] = nullptr;
        }
    }
    return normalized_arguments(json::value(out)).as_array();
}

/// The body fields the driver is responsible for, compared with the recorded request.
void expect_request_matches(const json::object& sent, const json::object& recorded) {
    EXPECT_EQ(sent.at("model"), recorded.at("model"));
    EXPECT_EQ(sent.at("stream"), true);
    json::array tools;
    if (const json::value* ts = recorded.if_contains("tools")) tools = ts->as_array();
    bool responses = recorded.contains("input");
    for (json::value& t : tools) {
        json::object& o = t.as_object();
        if (responses) o["strict"] = false;  // the driver asks for non-strict schemas
        else o["function"].as_object().erase("strict");
    }
    if (tools.empty()) EXPECT_FALSE(sent.contains("tools"));
    else EXPECT_EQ(sent.at("tools"), json::value(tools));
    if (responses) {
        json::value input = recorded.at("input");
        if (input.is_string()) input = json::array{json::object{{"role", "user"}, {"content", input}}};
        EXPECT_EQ(normalized_arguments(sent.at("input")), normalized_arguments(input));
        EXPECT_EQ(sent.at("store"), false);
        if (recorded.contains("max_output_tokens")) {
            EXPECT_EQ(sent.at("max_output_tokens"), recorded.at("max_output_tokens"));
        }
    } else {
        EXPECT_EQ(sent.at("stream_options"), json::value(json::object{{"include_usage", true}}));
        EXPECT_EQ(normalized_arguments(sent.at("messages")), json::value(expected_chat_messages(recorded.at("messages").as_array())));
        if (recorded.contains("max_tokens")) {
            EXPECT_EQ(sent.at("max_completion_tokens"), recorded.at("max_tokens")) << "api.openai.com's name for it";
        }
    }
}

/// What a fixture must parse to.
struct Expected {
    std::string text;
    json::array calls;  // [{id, name, arguments}]
    std::int64_t input = 0, output = 0, cache_read = 0;
    std::string stop;
};

json::object tool_call(const char* id, const char* name, json::object args) {
    return json::object{{"id", id}, {"name", name}, {"arguments", std::move(args)}};
}

void expect_result(const Outcome& o, const Expected& e, const std::string& context) {
    SCOPED_TRACE(context);
    ASSERT_TRUE(o.ok()) << o.error_code << ": " << o.error_message;
    const json::object& r = o.result.as_object();
    EXPECT_EQ(r.at("text"), e.text.c_str());
    EXPECT_EQ(r.at("tool_calls"), json::value(e.calls));
    EXPECT_EQ(r.at("usage"), json::value(json::object{{"input_tokens", e.input}, {"output_tokens", e.output},
                                                     {"cache_read_tokens", e.cache_read}, {"cache_write_tokens", 0}}));
    EXPECT_EQ(r.at("stop_reason"), e.stop.c_str());
    std::string streamed;
    for (const json::value& ev : o.events) {
        EXPECT_EQ(ev.at("type"), "text_delta");
        streamed += ev.at("text").as_string();
    }
    EXPECT_EQ(streamed, e.text) << "the deltas add up to the text";
}

/// Replay one stream whole, one byte per chunk (a split at every byte boundary at once), in 20
/// random chunkings, and, when asked, cut in two at every offset (each boundary alone).
void replay_every_way(const json::object& config, const json::object& request, const Served& s, const Expected& e,
                      const std::string& name, bool every_two_piece_split = false) {
    Driver d(config);
    d.replies = {s};
    std::vector<std::pair<std::string, Chunker>> ways{{"whole", whole}, {"bytes", bytes}};
    for (unsigned seed = 1; seed <= 20; ++seed) ways.emplace_back("random seed " + std::to_string(seed), random_chunks(seed));
    if (every_two_piece_split) {
        for (std::size_t at = 1; at < s.body.size(); ++at) ways.emplace_back("split at " + std::to_string(at), split_at(at));
    }
    for (auto& [label, chunker] : ways) {
        d.chunker = chunker;
        d.requests.clear();
        expect_result(d.chat(request), e, name + " " + label);
        if (::testing::Test::HasFailure()) return;  // one failing way is enough to read
    }
}

const char* const kCacheReadText =
    "Structuring a database schema effectively is crucial for ensuring data integrity, performance, and scalability. "
    "Here are some general guidelines to help you design a robust database schema:\n"
    "\n"
    "1. **Understand Requirements**: \n"
    "   - Gather all necessary requirements and understand the data you need to store, how it will be accessed, and any "
    "relationships between data entities.\n"
    "\n"
    "2. **Identify Entities and Relationships**:\n"
    "   - Identify the main entities (tables) you need. For example, in an e-commerce application, entities might";

/// Every streamed Chat Completions and Responses fixture, with its recorded request.
struct StreamCase {
    const char* file;
    const char* request;  // the recorded *.request.json
    bool responses;
    Expected expected;
};

std::vector<StreamCase> stream_cases() {
    json::object ab{{"a", 1231}, {"b", 2331}};
    return {
        {"chat_stream_tool_call.sse", "chat_stream_tool_call.request.json", false,
         {"", json::array{tool_call("call_1EYWDzueHEp8OsB8jJSEp7WB", "multiply", ab)}, 54, 20, 0, "tool_use"}},
        {"chat_stream_parallel_tool_calls.sse", "chat_stream_parallel_tool_calls.request.json", false,
         {"",
          json::array{tool_call("call_q2UyBRP7eXNTzAoR8lEhjc9Z", "get_country", {}),
                      tool_call("call_b51ijcpFkDiTQG1bQzsrmtW5", "get_product_name", {})},
          364, 40, 0, "tool_use"}},
        {"chat_stream_text_after_tool.sse", "chat_stream_text_after_tool.request.json", false,
         {"The result of \\( 1231 \\times 2331 \\) is \\( 2,869,461 \\).", {}, 87, 26, 0, "end_turn"}},
        {"chat_stream_cache_read.sse", "chat_stream_cache_read.request.json", false,
         {kCacheReadText, {}, 1420 - 1280, 100, 1280, "max_tokens"}},
        {"responses_stream_function_call.sse", "responses_stream_function_call.request.json", true,
         {"", json::array{tool_call("call_sVidsfFJ6zlzRpelrPkTPlpd", "multiply", ab)}, 58, 23, 0, "tool_use"}},
        {"responses_stream_function_call_gpt41.sse", "responses_stream_function_call_gpt41.request.json", true,
         {"",
          json::array{tool_call("call_lGe2JKQEBSP15opZ3KfxtEUC", "get_current_weather",
                                {{"location", "Boston, MA"}, {"unit", "celsius"}})},
          75, 23, 0, "tool_use"}},
        {"responses_stream_text_after_function_call.sse", "responses_stream_text_after_function_call.request.json", true,
         {"1231 \xC3\x97 2331 = **2,869,461**", {}, 94, 18, 0, "end_turn"}},
        {"responses_stream_cache_read.sse", "responses_stream_cache_read.request.json", true,
         {"2, 3, 4", {}, 1515 - 1390, 8, 1390, "end_turn"}},
    };
}

void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.file; }

class StreamFixture : public ::testing::TestWithParam<StreamCase> {};

TEST_P(StreamFixture, ParsesInFullHoweverItIsSplitAndTheRequestMatchesTheRecord) {
    const StreamCase& c = GetParam();
    json::object recorded = fixture_json(c.request);
    json::object request = canonical_request(recorded);
    {
        Driver d(c.responses ? kResponses : kOfficial);
        d.replies = {served(c.file)};
        expect_result(d.chat(request), c.expected, c.file);
        ASSERT_EQ(d.requests.size(), 1u);
        EXPECT_EQ(d.requests[0].at("url"), c.responses ? "https://api.openai.com/v1/responses"
                                                       : "https://api.openai.com/v1/chat/completions");
        SCOPED_TRACE(c.request);
        expect_request_matches(d.body(), recorded);
    }
    // The issue's conversation (multiply(1231, 2331)) is also cut in two at every offset.
    std::string file = c.file;
    bool two_piece = file == "chat_stream_tool_call.sse" || file == "responses_stream_function_call.sse";
    replay_every_way(c.responses ? kResponses : kOfficial, request, served(c.file), c.expected, c.file, two_piece);
}

INSTANTIATE_TEST_SUITE_P(OpenAiDriver, StreamFixture, ::testing::ValuesIn(stream_cases()),
                         [](const ::testing::TestParamInfo<StreamCase>& info) {
                             std::string name = info.param.file;
                             name = name.substr(0, name.find('.'));
                             std::replace_if(name.begin(), name.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
                             return name;
                         });

TEST(OpenAiDriver, ChatToolCallRequestIsTheRecordedBodyExactly) {
    Driver d;
    d.replies = {served("chat_stream_tool_call.sse")};
    json::object recorded = fixture_json("chat_stream_tool_call.request.json");
    ASSERT_TRUE(d.chat(canonical_request(recorded)).ok());
    EXPECT_EQ(d.body(), recorded);
    const json::object& headers = d.requests[0].at("headers").as_object();
    EXPECT_EQ(headers.at("authorization"), "Bearer sk-test");
    EXPECT_EQ(headers.at("content-type"), "application/json");
    EXPECT_EQ(d.requests[0].at("method"), "POST");
    EXPECT_EQ(d.requests[0].at("stream"), true);
}

// On a 1.0 host (no request_with_body slot) the SDK puts the body into the params instead.
TEST(OpenAiDriver, AHostWithoutRequestWithBodyGetsTheSameBodyInTheParams) {
    Driver d({{"base_url", "https://api.openai.com/v1"}, {"api_key", "sk-test"}}, 0);
    d.replies = {served("chat_stream_tool_call.sse")};
    json::object recorded = fixture_json("chat_stream_tool_call.request.json");
    Outcome out = d.chat(canonical_request(recorded));
    ASSERT_TRUE(out.ok()) << out.error_message;
    EXPECT_EQ(d.body(), recorded);
    EXPECT_EQ(out.result.at("tool_calls").as_array().size(), 1u);
}

TEST(OpenAiDriver, ToolResultGoesBackAsToolMessageAndFunctionCallOutput) {
    json::object recorded = fixture_json("chat_stream_text_after_tool.request.json");
    json::object request = canonical_request(recorded);
    request["messages"].as_array()[2].as_object()["content"].as_array()[0].as_object()["result"] = 2869461;  // test_math's number
    Driver chat;
    chat.replies = {served("chat_stream_text_after_tool.sse")};
    ASSERT_TRUE(chat.chat(request).ok());
    json::object body = chat.body();
    const json::array& messages = body.at("messages").as_array();
    EXPECT_EQ(messages.back(), recorded.at("messages").as_array().back());  // {"role":"tool",…,"content":"2869461"}
    Driver responses(kResponses);
    responses.replies = {served("responses_stream_text_after_function_call.sse")};
    ASSERT_TRUE(responses.chat(request).ok());
    EXPECT_EQ(responses.body().at("input").as_array().back(),
              json::value(json::object{{"type", "function_call_output"}, {"call_id", "call_1EYWDzueHEp8OsB8jJSEp7WB"}, {"output", "2869461"}}));
}

TEST(OpenAiDriver, NonStreamedJsonAnswersAreReadToo) {
    struct Case {
        const char* file;
        const char* request;
        bool responses;
        Expected expected;
    };
    std::vector<Case> cases{
        {"chat_tool_call.json", "chat_tool_call.request.json", false,
         {"", json::array{tool_call("call_TTY8UFNo7rNCaOBUNtlRSvMG", "lookup_population", {{"country", "Crumpet"}})}, 92, 17, 0, "tool_use"}},
        {"chat_tool_call_2.json", "chat_tool_call_2.request.json", false,
         {"", json::array{tool_call("call_aq9UyiSFkzX6W8Ydc33DoI9Y", "can_have_dragons", {{"population", 123124}})}, 0, 0, 0, "tool_use"}},
        {"chat_text.json", "chat_text.request.json", false, {"YES", {}, 0, 0, 0, "end_turn"}},
        {"responses_function_call.json", "responses_function_call.request.json", true,
         {"", json::array{tool_call("call_nJmCK7SJe3ajdYYplIbH0KgL", "multiply", {{"a", 1231}, {"b", 2331}})}, 58, 23, 0, "tool_use"}},
        {"responses_text.json", "responses_text.request.json", true, {"", {}, 0, 0, 0, "end_turn"}},
    };
    for (Case& c : cases) {
        json::object body = fixture_json(c.file);
        json::object usage = body.at("usage").as_object();
        c.expected.input = usage.at(c.responses ? "input_tokens" : "prompt_tokens").as_int64();
        c.expected.output = usage.at(c.responses ? "output_tokens" : "completion_tokens").as_int64();
        if (c.responses && c.expected.calls.empty()) {
            for (const json::value& item : body.at("output").as_array()) {
                if (item.at("type") == "message") c.expected.text = item.at("content").at(0).at("text").as_string();
            }
        }
        json::object recorded = fixture_json(c.request);
        Driver d(c.responses ? kResponses : kOfficial);
        d.replies = {served(c.file)};
        d.chunker = random_chunks(7);
        expect_result(d.chat(canonical_request(recorded)), c.expected, c.file);
        SCOPED_TRACE(c.request);
        expect_request_matches(d.body(), recorded);
    }
}

TEST(OpenAiDriver, RecordedReasoningAgentRunParsesResponseByResponse) {
    std::vector<std::string> streams = jsonl_streams("vercel_openai-reasoning-encrypted-content.1.chunks.jsonl");
    ASSERT_EQ(streams.size(), 4u);
    std::vector<Expected> expected{
        {"", json::array{tool_call("call_AB6AaRZ1FYZB2RwS6A5vbdqn", "calculator", {{"a", 12}, {"b", 7}, {"op", "add"}})}, 134, 28, 0, "tool_use"},
        {"", json::array{tool_call("call_Q6pW65MUgW9vF59BmItYGos3", "calculator", {{"a", 19}, {"b", 3}, {"op", "multiply"}})}, 221, 26, 0, "tool_use"},
        {"", json::array{tool_call("call_Zl5vIMnD7dVAjgU6FkhmiCZh", "calculator", {{"a", 57}, {"b", 10}, {"op", "multiply"}})}, 260, 26, 0, "tool_use"},
        {"The final result is **570**.", {}, 299, 12, 0, "end_turn"},
    };
    json::object request{{"model", "gpt-5-nano"}, {"messages", json::array{json::object{{"role", "user"}, {"content", json::array{json::object{{"type", "text"}, {"text", "calc"}}}}}}}};
    for (std::size_t i = 0; i < streams.size(); ++i) {
        replay_every_way(kResponses, request, Served{200, {}, streams[i]}, expected[i], "reasoning response " + std::to_string(i));
    }
}

/// A minimal canonical request.
json::object ask(const std::string& text = "What is 1231 * 2331?") {
    return json::object{{"model", "gpt-4.1"},
                        {"session_id", "s1"},
                        {"iteration", 1},
                        {"messages", json::array{json::object{{"role", "user"}, {"content", json::array{json::object{{"type", "text"}, {"text", text}}}}}}}};
}

Outcome fail_with(const Served& s, const json::object& config = kOfficial) {
    Driver d(config);
    d.replies = {s};
    return d.chat(ask());
}

TEST(OpenAiDriver, RecordedHttpErrorsGetTheirCategoryMessageAndRequestId) {
    struct Case {
        const char* file;
        int status;  // when manifest.json has none
        const char* category;
        const char* message_part;
    };
    for (const Case& c : {Case{"chat_error_401_invalid_api_key.json", 0, "auth_error", "Incorrect API key provided: bad-key-"},
                          Case{"chat_error_404_model_not_found.json", 0, "model_not_found", "The model `non-existent-model` does not exist"},
                          Case{"responses_error_401_invalid_api_key.json", 0, "auth_error", "Incorrect API key provided: <not-a-r"},
                          Case{"vercel_openai-error.1.json", 429, "auth_error", "You exceeded your current quota"}}) {
        SCOPED_TRACE(c.file);
        Served s = served(c.file);
        if (c.status) s.status = c.status;
        Outcome o = fail_with(s);
        EXPECT_FALSE(o.ok());
        EXPECT_EQ(o.error_code, c.category);
        EXPECT_NE(o.error_message.find(c.message_part), std::string::npos) << o.error_message;
        EXPECT_NE(o.error_message.find("HTTP " + std::to_string(s.status)), std::string::npos) << o.error_message;
        if (s.headers.contains("x-request-id")) {
            EXPECT_NE(o.error_message.find(std::string(s.headers.at("x-request-id").as_string())), std::string::npos) << o.error_message;
        }
        EXPECT_TRUE(o.events.empty());
    }
    EXPECT_NE(fail_with({429, {}, fixture("vercel_openai-error.1.json")}).error_message.find("quota or credit"), std::string::npos)
        << "insufficient_quota says why it is not a retried rate limit";
}

// Not recorded (NOTES §2): built from OpenAI's documented error shape {"error":{message,type,param,code}}.
std::string error_body(const char* message, const char* type, const char* code) {
    return json::serialize(json::object{{"error", json::object{{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}});
}

TEST(OpenAiDriver, SynthesizedErrorsMapToCategoriesWithRetryHints) {
    Outcome rate = fail_with({429, {{"retry-after-ms", "1500"}, {"x-request-id", "req_rl"}},
                              error_body("Rate limit reached for gpt-4.1 on tokens per min (TPM): Limit 30000, Used 30000, Requested 1200.",
                                         "tokens", "rate_limit_exceeded")});
    EXPECT_EQ(rate.error_code, "rate_limit");
    EXPECT_EQ(rate.result, json::value(json::object{{"retry_after_ms", 1500}})) << "the retry hint is set before failing";
    EXPECT_NE(rate.error_message.find("req_rl"), std::string::npos);

    Outcome seconds = fail_with({429, {{"retry-after", "2"}}, error_body("slow down", "requests", "rate_limit_exceeded")});
    EXPECT_EQ(seconds.error_code, "rate_limit");
    EXPECT_EQ(seconds.result, json::value(json::object{{"retry_after_ms", 2000}}));

    Outcome context = fail_with({400, {}, error_body("This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.",
                                                     "invalid_request_error", "context_length_exceeded")});
    EXPECT_EQ(context.error_code, "context_length");
    EXPECT_TRUE(context.result.is_null()) << "no retry hint for what retrying cannot fix";

    Outcome server = fail_with({500, {{"retry-after", "1"}}, error_body("The server had an error while processing your request.", "server_error", "")});
    EXPECT_EQ(server.error_code, "upstream_api_error");
    EXPECT_EQ(server.result, json::value(json::object{{"retry_after_ms", 1000}}));
    EXPECT_EQ(fail_with({503, {}, "<html>upstream connect error</html>"}).error_code, "upstream_api_error");
    Outcome invalid = fail_with({400, {}, error_body("Invalid value for 'tools'", "invalid_request_error", "invalid_value")});
    EXPECT_EQ(invalid.error_code, "upstream_api_error");
    EXPECT_EQ(invalid.result, json::value(json::object{{"retryable", false}})) << "a refused request is not retried";
    Outcome told = fail_with({500, {{"x-should-retry", "false"}}, error_body("no", "server_error", "")});
    EXPECT_EQ(told.result, json::value(json::object{{"retryable", false}})) << "x-should-retry: false";
    // A compatible server's shapes: Ollama {"error":"…"} and vLLM {"object":"error","message":…}.
    Outcome ollama = fail_with({404, {}, R"({"error":"model \"llama9\" not found, try pulling it first"})"}, {{"base_url", "http://localhost:11434/v1"}});
    EXPECT_EQ(ollama.error_code, "model_not_found");
    EXPECT_NE(ollama.error_message.find("llama9"), std::string::npos);
    Outcome vllm = fail_with({400, {}, R"({"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","code":400})"},
                             {{"base_url", "http://10.0.0.7:8000/v1"}});
    EXPECT_EQ(vllm.error_code, "context_length");
}

TEST(OpenAiDriver, RecordedInStreamErrorFailsWithItsCode) {
    std::vector<std::string> streams = jsonl_streams("vercel_openai-error.1.chunks.jsonl");
    ASSERT_EQ(streams.size(), 1u);
    Driver d(kResponses);
    d.replies = {Served{200, {}, streams[0]}};
    for (const Chunker& chunker : std::vector<Chunker>{whole, bytes, random_chunks(3)}) {
        d.chunker = chunker;
        Outcome o = d.chat(ask());
        EXPECT_EQ(o.error_code, "auth_error");
        EXPECT_NE(o.error_message.find("You exceeded your current quota"), std::string::npos) << o.error_message;
        EXPECT_NE(o.error_message.find("insufficient_quota"), std::string::npos) << o.error_message;
    }
    // response.failed alone (no error event before it) carries the code too.
    std::string failed = sse_of_lines({R"({"type":"response.failed","response":{"status":"failed","error":{"code":"rate_limit_exceeded","message":"Rate limit reached"},"output":[]}})"});
    d.replies = {Served{200, {}, failed}};
    EXPECT_EQ(d.chat(ask()).error_code, "rate_limit");
    // A Chat Completions error chunk mid-stream.
    Driver chat;
    chat.replies = {Served{200, {}, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                                    "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"code\":null}}\n\n"}};
    Outcome o = chat.chat(ask());
    EXPECT_EQ(o.error_code, "upstream_api_error");
    ASSERT_EQ(o.events.size(), 1u) << "what streamed before the error was emitted";
}

TEST(OpenAiDriver, IncompleteResponseStopsAtMaxTokensWithItsText) {
    Driver d(kResponses);
    d.replies = {Served{200, {}, sse_of_lines({R"({"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"delta":"Once upon"})",
                                               R"({"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":10,"output_tokens":2}}})"})}};
    expect_result(d.chat(ask()), {"Once upon", {}, 10, 2, 0, "max_tokens"}, "incomplete");
}

TEST(OpenAiDriver, BrokenStreamsAreNetworkErrorsAndBadArgumentsNameTheTool) {
    std::string body = fixture("chat_stream_tool_call.sse");
    Driver cut;
    cut.replies = {Served{200, {}, body.substr(0, body.size() / 2)}};
    EXPECT_EQ(cut.chat(ask()).error_code, "network_error") << "a stream that ends before finish_reason/[DONE]";
    Driver refused;
    refused.fail_with = ahp::Error("error", "network_error: connect to api.openai.com:443: connection refused");
    Outcome o = refused.chat(ask());
    EXPECT_EQ(o.error_code, "network_error");
    EXPECT_NE(o.error_message.find("connection refused"), std::string::npos);
    Driver mid;
    mid.replies = {Served{200, {}, fixture("chat_stream_text_after_tool.sse").substr(0, 2000)}};
    mid.cut_with = ahp::Error("error", "network_error: connection reset mid-body");
    o = mid.chat(ask());
    EXPECT_EQ(o.error_code, "network_error");
    EXPECT_FALSE(o.events.empty()) << "chunks before the break were streamed";

    std::string bad = body;
    const std::string last_fragment = R"("arguments":"}")";
    bad.replace(bad.find(last_fragment), last_fragment.size(), R"("arguments":"]")");
    Driver args;
    args.replies = {Served{200, {}, bad}};
    o = args.chat(ask());
    EXPECT_EQ(o.error_code, "upstream_api_error");
    EXPECT_NE(o.error_message.find("'multiply'"), std::string::npos) << o.error_message;
    EXPECT_NE(o.error_message.find(R"({"a":1231,"b":2331])"), std::string::npos) << o.error_message;
}

TEST(OpenAiDriver, CancelledWhileStreamingStops) {
    Driver d;
    d.replies = {served("chat_stream_text_after_tool.sse")};
    d.host().set_cancelled(true);
    Outcome o = d.chat(ask());
    EXPECT_EQ(o.status, AHP_CANCELLED);
}

struct EnvGuard {
    EnvGuard() {
        for (const char* n : {"OPENAI_API_KEY", "OPENAI_BASE_URL", "AGENTHOST_OPENAI_API"}) {
            if (const char* v = std::getenv(n)) saved.emplace_back(n, v);
            ::unsetenv(n);
        }
    }
    ~EnvGuard() {
        for (const char* n : {"OPENAI_API_KEY", "OPENAI_BASE_URL", "AGENTHOST_OPENAI_API"}) ::unsetenv(n);
        for (const auto& [n, v] : saved) ::setenv(n.c_str(), v.c_str(), 1);
    }
    std::vector<std::pair<std::string, std::string>> saved;
};

TEST(OpenAiDriver, KeyIsNeededOnlyForNonLocalServers) {
    EnvGuard env;
    Outcome o = fail_with(served("chat_stream_text_after_tool.sse"), json::object{});
    EXPECT_EQ(o.error_code, "auth_error");
    EXPECT_NE(o.error_message.find("OPENAI_API_KEY"), std::string::npos) << o.error_message;
    for (const char* url : {"http://127.0.0.1:11434/v1", "http://localhost:8080/v1", "http://[::1]:8000/v1", "http://10.1.2.3/v1",
                            "http://192.168.1.20:11434/v1", "http://172.20.0.2:8000/v1", "http://ollama:11434/v1",
                            "http://gpu-box.local:8000/v1"}) {
        SCOPED_TRACE(url);
        Driver d({{"base_url", url}});
        d.replies = {served("chat_stream_text_after_tool.sse")};
        EXPECT_TRUE(d.chat(ask()).ok());
        EXPECT_FALSE(d.requests.at(0).at("headers").as_object().contains("authorization"));
        EXPECT_EQ(d.requests.at(0).at("url").as_string(), std::string(url) + "/chat/completions");
    }
    for (const char* url : {"https://api.together.xyz/v1", "http://8.8.8.8/v1", "http://172.32.0.1/v1"}) {
        EXPECT_EQ(fail_with(served("chat_stream_text_after_tool.sse"), {{"base_url", url}}).error_code, "auth_error") << url;
    }
}

TEST(OpenAiDriver, TheConfigChoosesApiBaseUrlAndKeyAndTheEnvironmentIsNotRead) {
    // The host takes these variables out of its environment and passes them as config
    // (docs/security.md); the plugin reads none of them itself.
    EnvGuard env;
    ::setenv("OPENAI_BASE_URL", "https://proxy.example.com/openai/v1/", 1);
    ::setenv("OPENAI_API_KEY", "sk-env", 1);
    ::setenv("AGENTHOST_OPENAI_API", "responses", 1);
    EXPECT_EQ(fail_with(served("chat_stream_text_after_tool.sse"), json::object{}).error_code, "auth_error")
        << "the environment's key is not the plugin's to read";
    Driver d({{"base_url", "https://proxy.example.com/openai/v1/"}, {"api_key", "sk-env"}, {"api", "responses"}});
    d.replies = {served("responses_stream_cache_read.sse")};
    EXPECT_TRUE(d.chat(ask()).ok());
    EXPECT_EQ(d.requests.at(0).at("url"), "https://proxy.example.com/openai/v1/responses");
    EXPECT_EQ(d.requests.at(0).at("headers").at("authorization"), "Bearer sk-env");
    Driver chat({{"api", "chat"}, {"api_key", "sk-config"}});
    chat.replies = {served("chat_stream_text_after_tool.sse")};
    EXPECT_TRUE(chat.chat(ask()).ok());
    EXPECT_EQ(chat.requests.at(0).at("url"), "https://api.openai.com/v1/chat/completions");
    EXPECT_EQ(chat.requests.at(0).at("headers").at("authorization"), "Bearer sk-config");
    EXPECT_THROW(Driver({{"api", "soap"}}), std::runtime_error);
    EXPECT_THROW(Driver({{"base_url", "ftp://x"}}), std::runtime_error);
    EXPECT_THROW(Driver({{"temperature", 1}}), std::runtime_error);
}

TEST(OpenAiDriver, PromptCacheKeyMaxTokensAndSystemPrompt) {
    json::object request = ask("quotes \" backslash \\ newline \n tab \t control \x01 UTF-8 \xC3\xA9 \xE2\x9C\x93");
    request["system"] = "You are terse.";
    request["prompt_cache"] = json::object{{"enabled", true}, {"key", "sess-42"}};
    Driver chat({{"base_url", "https://api.openai.com/v1"}, {"api_key", "k"}, {"max_tokens", 256}});
    chat.replies = {served("chat_stream_text_after_tool.sse")};
    ASSERT_TRUE(chat.chat(request).ok());
    json::object body = chat.body();
    EXPECT_EQ(body.at("prompt_cache_key"), "sess-42");
    EXPECT_EQ(body.at("max_completion_tokens"), 256);
    EXPECT_EQ(body.at("messages").at(0), json::value(json::object{{"role", "system"}, {"content", "You are terse."}}));
    EXPECT_EQ(body.at("messages").at(1).at("content"), request.at("messages").at(0).at("content").at(0).at("text")) << "escaped and back";
    Driver responses({{"base_url", "http://localhost:1/v1"}, {"api", "responses"}, {"max_tokens", 256}});
    responses.replies = {served("responses_stream_cache_read.sse")};
    request["prompt_cache"] = json::object{{"enabled", true}};
    ASSERT_TRUE(responses.chat(request).ok());
    body = responses.body();
    EXPECT_EQ(body.at("prompt_cache_key"), "s1") << "no key: the session id";
    EXPECT_EQ(body.at("instructions"), "You are terse.");
    EXPECT_EQ(body.at("input").at(0).at("content"), request.at("messages").at(0).at("content").at(0).at("text"));
    EXPECT_EQ(body.at("max_output_tokens"), 256);
    Driver local({{"base_url", "http://localhost:1/v1"}, {"max_tokens", 64}});
    local.replies = {served("chat_stream_text_after_tool.sse")};
    ASSERT_TRUE(local.chat(ask()).ok());
    EXPECT_EQ(local.body().at("max_tokens"), 64) << "compatible servers know max_tokens";
    EXPECT_FALSE(local.body().contains("prompt_cache_key"));
}

TEST(OpenAiDriver, ToolCallWithoutResultGetsAnErrorResultBeforeTheNextMessage) {
    json::object request = ask();
    json::array& messages = request["messages"].as_array();
    messages[0].as_object()["content"].as_array().push_back(json::object{{"type", "text"}, {"text", "Exactly."}});
    messages.push_back(json::object{{"role", "agent"}, {"content", json::array{json::object{{"type", "text"}, {"text", "Let me check."}},
                                                                               json::object{{"type", "tool_call"}, {"id", "call_x"}, {"name", "multiply"}, {"arguments", json::object{{"a", 1}, {"b", 2}}}}}}});
    messages.push_back(json::object{{"role", "user"}, {"content", json::array{json::object{{"type", "text"}, {"text", "go on"}}}}});
    messages.push_back(json::object{{"role", "agent"}, {"content", json::array{json::object{{"type", "tool_call"}, {"id", "call_y"}, {"name", "multiply"}, {"arguments", json::object()}}}}});
    messages.push_back(json::object{{"role", "tool_result"}, {"content", json::array{json::object{{"type", "tool_result"}, {"tool_call_id", "call_y"}, {"tool_name", "multiply"}, {"result", "missing a and b"}, {"is_error", true}}}}});
    Driver d;
    d.replies = {served("chat_stream_text_after_tool.sse")};
    ASSERT_TRUE(d.chat(request).ok());
    json::object body = d.body();
    const json::array& sent = body.at("messages").as_array();
    ASSERT_EQ(sent.size(), 6u);
    EXPECT_EQ(sent[0].at("content"), "What is 1231 * 2331?\nExactly.") << "text parts joined";
    EXPECT_EQ(sent[1].at("content"), "Let me check.");
    EXPECT_EQ(sent[1].at("tool_calls").at(0).at("function").at("arguments"), R"({"a":1,"b":2})");
    EXPECT_EQ(sent[2].at("role"), "tool");
    EXPECT_EQ(sent[2].at("tool_call_id"), "call_x");
    EXPECT_EQ(sent[3].at("role"), "user");
    EXPECT_TRUE(sent[4].at("content").is_null());
    EXPECT_EQ(sent[5], json::value(json::object{{"role", "tool"}, {"tool_call_id", "call_y"}, {"content", "Error: missing a and b"}}));
}

}  // namespace
