// The openai driver over REAL HTTP through the host: a Runtime with the math harness and
// model openai/gpt-4.1 against a fake OpenAI server on 127.0.0.1 (no API key: a local base
// URL) that replays the recorded traffic in tests/fixtures/providers/openai. The turn really
// runs test_math's multiply(1231, 2331) and sends 2869461 back.
#include "support/fake_http_server.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <random>
#include <sstream>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::FakeChunk;
using test::FakeHttpServer;
using test::FakeRequest;
using test::FakeResponse;

std::string fixture(const std::string& name) { return test::provider_fixture("openai", name); }

/// A recorded stream served chunked, cut at random byte offsets (fixed seed), with the
/// recorded content type and request id.
FakeResponse stream(const std::string& name, unsigned seed = 1, const std::string& request_id = "req_fixture") {
    std::string body = fixture(name);
    std::vector<FakeChunk> chunks;
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> len(1, 700);
    for (std::size_t i = 0; i < body.size();) {
        std::size_t n = std::min(len(rng), body.size() - i);
        chunks.emplace_back(body.substr(i, n));
        i += n;
    }
    FakeResponse r = FakeResponse::sse(std::move(chunks));
    r.headers = {{"Content-Type", "text/event-stream; charset=utf-8"}, {"x-request-id", request_id}};
    return r;
}

/// Answers the n-th request with responses[n] (the last one repeats).
FakeHttpServer::Handler in_turn(std::vector<FakeResponse> responses) {
    auto n = std::make_shared<std::atomic<std::size_t>>(0);
    return [responses = std::move(responses), n](const FakeRequest&) {
        std::size_t i = (*n)++;
        return responses[std::min(i, responses.size() - 1)];
    };
}

/// No provider settings of the developer's leak into these tests.
class OpenAiHttp : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* n : {"OPENAI_API_KEY", "OPENAI_BASE_URL", "AGENTHOST_OPENAI_API"}) {
            if (const char* v = std::getenv(n)) saved_.emplace_back(n, v);
            ::unsetenv(n);
        }
    }
    void TearDown() override {
        for (const auto& [n, v] : saved_) ::setenv(n.c_str(), v.c_str(), 1);
    }

    /// A math-harness runtime on openai/gpt-4.1 against the fake server, without an API key.
    std::unique_ptr<Runtime> runtime(const std::string& api) {
        return test::builder()
            .harness("math")
            .model("openai/gpt-4.1")
            .driver_config("openai", json::object{{"base_url", server.url() + "/v1"}, {"api", api}})
            .build();
    }

    static json::object body(const FakeRequest& r) { return json::parse(r.body).as_object(); }

    FakeHttpServer server;

private:
    std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(OpenAiHttp, ChatToolCallTurnRunsMultiplyAndSendsTheProductBack) {
    server.route("POST", "/v1/chat/completions",
                 in_turn({stream("chat_stream_tool_call.sse", 1), stream("chat_stream_text_after_tool.sse", 2)}));
    auto rt = runtime("chat");
    TurnResult r = rt->run_turn("What is 1231 * 2331?");
    ASSERT_TRUE(r.success) << r.error->category << ": " << r.error->message;
    EXPECT_EQ(r.response, "The result of \\( 1231 \\times 2331 \\) is \\( 2,869,461 \\).");
    EXPECT_EQ(r.iterations, 2);
    EXPECT_EQ(r.tool_calls, 1);
    EXPECT_EQ(r.usage.input_tokens, 54 + 87);
    EXPECT_EQ(r.usage.output_tokens, 20 + 26);

    std::vector<FakeRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    for (const FakeRequest& q : requests) {
        EXPECT_EQ(q.header("authorization"), "") << "a local server needs no key";
        EXPECT_EQ(q.header("content-type"), "application/json");
    }
    json::object first = body(requests[0]);
    EXPECT_EQ(first.at("model"), "gpt-4.1");
    EXPECT_EQ(first.at("stream"), true);
    EXPECT_EQ(first.at("stream_options"), json::value(json::object{{"include_usage", true}}));
    const json::array& m1 = first.at("messages").as_array();
    ASSERT_EQ(m1.size(), 2u);
    EXPECT_EQ(m1[0].at("role"), "system");
    EXPECT_NE(std::string(m1[0].at("content").as_string()).find("call the add and multiply tools"), std::string::npos);
    EXPECT_EQ(m1[1], json::value(json::object{{"role", "user"}, {"content", "What is 1231 * 2331?"}}));
    std::vector<std::string> tools;
    for (const json::value& t : first.at("tools").as_array()) tools.emplace_back(t.at("function").at("name").as_string());
    EXPECT_NE(std::find(tools.begin(), tools.end(), "multiply"), tools.end());

    json::object second = body(requests[1]);
    const json::array& m2 = second.at("messages").as_array();
    ASSERT_EQ(m2.size(), 4u);
    const json::object& assistant = m2[2].as_object();
    EXPECT_EQ(assistant.at("role"), "assistant");
    EXPECT_TRUE(assistant.at("content").is_null());
    const json::value& call = assistant.at("tool_calls").at(0);
    EXPECT_EQ(call.at("id"), "call_1EYWDzueHEp8OsB8jJSEp7WB");
    EXPECT_EQ(call.at("type"), "function");
    EXPECT_EQ(call.at("function").at("name"), "multiply");
    EXPECT_EQ(json::parse(call.at("function").at("arguments").as_string()), json::parse(R"({"a":1231,"b":2331})"));
    EXPECT_EQ(m2[3], json::value(json::object{{"role", "tool"}, {"tool_call_id", "call_1EYWDzueHEp8OsB8jJSEp7WB"}, {"content", "2869461"}}))
        << "test_math really ran and its product went back";

    auto ms = rt->messages(rt->default_session_id());
    ASSERT_EQ(ms.size(), 4u);
    EXPECT_EQ(ms[2].content.at(0).at("result").to_number<std::int64_t>(), 2869461);
}

TEST_F(OpenAiHttp, ResponsesFunctionCallTurnRunsMultiplyAndSendsFunctionCallOutput) {
    server.route("POST", "/v1/responses",
                 in_turn({stream("responses_stream_function_call.sse", 3), stream("responses_stream_text_after_function_call.sse", 4)}));
    auto rt = runtime("responses");
    TurnResult r = rt->run_turn("What is 1231 * 2331? Use the multiply tool.");
    ASSERT_TRUE(r.success) << r.error->category << ": " << r.error->message;
    EXPECT_EQ(r.response, "1231 \xC3\x97 2331 = **2,869,461**");
    EXPECT_EQ(r.iterations, 2);
    EXPECT_EQ(r.usage.input_tokens, 58 + 94);
    EXPECT_EQ(r.usage.output_tokens, 23 + 18);

    std::vector<FakeRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    json::object first = body(requests[0]);
    EXPECT_NE(std::string(first.at("instructions").as_string()).find("multiply"), std::string::npos);
    EXPECT_EQ(first.at("input"), json::value(json::array{json::object{{"role", "user"}, {"content", "What is 1231 * 2331? Use the multiply tool."}}}));
    EXPECT_EQ(first.at("store"), false);
    json::object second = body(requests[1]);
    const json::array& input = second.at("input").as_array();
    ASSERT_EQ(input.size(), 3u);
    EXPECT_EQ(input[1].at("type"), "function_call");
    EXPECT_EQ(input[1].at("call_id"), "call_sVidsfFJ6zlzRpelrPkTPlpd") << "call_id, not the item id fc_…";
    EXPECT_EQ(input[1].at("name"), "multiply");
    EXPECT_EQ(json::parse(input[1].at("arguments").as_string()), json::parse(R"({"a":1231,"b":2331})"));
    EXPECT_EQ(input[2], json::value(json::object{{"type", "function_call_output"}, {"call_id", "call_sVidsfFJ6zlzRpelrPkTPlpd"}, {"output", "2869461"}}));
}

// OpenAI's documented 429 shape (not recorded, NOTES §2).
FakeResponse rate_limited() {
    FakeResponse r = FakeResponse::json(
        R"({"error":{"message":"Rate limit reached for gpt-4.1 on requests per min (RPM): Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}})",
        429);
    r.headers.emplace_back("retry-after-ms", "5");
    r.headers.emplace_back("x-request-id", "req_429");
    return r;
}

TEST_F(OpenAiHttp, RateLimitIsRetriedThenTheTurnSucceeds) {
    server.route("POST", "/v1/chat/completions",
                 in_turn({rate_limited(), stream("chat_stream_tool_call.sse"), rate_limited(), stream("chat_stream_text_after_tool.sse")}));
    auto rt = runtime("chat");
    TurnResult r = rt->run_turn("What is 1231 * 2331?");
    ASSERT_TRUE(r.success) << r.error->category << ": " << r.error->message;
    EXPECT_EQ(r.iterations, 2);
    std::vector<FakeRequest> requests = server.requests();
    ASSERT_EQ(requests.size(), 4u);
    EXPECT_EQ(requests[0].body, requests[1].body) << "the retry sends the same request";
    EXPECT_EQ(json::value(body(requests[3]).at("messages").as_array().back()),
              json::value(json::object{{"role", "tool"}, {"tool_call_id", "call_1EYWDzueHEp8OsB8jJSEp7WB"}, {"content", "2869461"}}));
}

TEST_F(OpenAiHttp, ConnectionDroppedBeforeAnyOutputIsRetried) {
    FakeResponse cut = stream("chat_stream_tool_call.sse");
    cut.chunks.resize(cut.chunks.size() / 2);
    cut.close_after = true;
    server.route("POST", "/v1/chat/completions",
                 in_turn({cut, stream("chat_stream_tool_call.sse"), stream("chat_stream_text_after_tool.sse")}));
    auto rt = runtime("chat");
    TurnResult r = rt->run_turn("What is 1231 * 2331?");
    ASSERT_TRUE(r.success) << r.error->category << ": " << r.error->message;
    EXPECT_EQ(server.request_count(), 3u);
}

// A proxy in front of a local server answers with its own error page, in Latin-1: the host
// sends those bytes as body_base64 (its JSON answer stays valid), the failure is an
// upstream_api_error that is retried, and the page's text reaches the message repaired.
FakeResponse latin1_gateway_page() {
    FakeResponse r = FakeResponse::text("<html><h1>Passerelle d\xE9" "faillante</h1></html>", 502,
                                        "text/html; charset=iso-8859-1");
    r.headers.emplace_back("retry-after-ms", "5");
    return r;
}

TEST_F(OpenAiHttp, ALatin1GatewayPageIsAnUpstreamErrorThatIsRetried) {
    server.route("POST", "/v1/chat/completions",
                 in_turn({latin1_gateway_page(), stream("chat_stream_tool_call.sse"), stream("chat_stream_text_after_tool.sse")}));
    auto rt = runtime("chat");
    TurnResult r = rt->run_turn("What is 1231 * 2331?");
    ASSERT_TRUE(r.success) << r.error->category << ": " << r.error->message;
    EXPECT_EQ(server.request_count(), 3u);
}

TEST_F(OpenAiHttp, ALatin1GatewayPageThatStaysFailsTheTurnWithItsTextRepaired) {
    server.route("POST", "/v1/chat/completions", latin1_gateway_page());
    auto rt = runtime("chat");
    TurnResult r = rt->run_turn("What is 1231 * 2331?");
    ASSERT_FALSE(r.success);
    EXPECT_EQ(r.error->category, "upstream_api_error");
    EXPECT_NE(r.error->message.find("HTTP 502"), std::string::npos) << r.error->message;
    EXPECT_NE(r.error->message.find("Passerelle d\xEF\xBF\xBD" "faillante"), std::string::npos) << r.error->message;
    EXPECT_GT(server.request_count(), 1u) << "retried";
    for (const Event& e : rt->events(rt->default_session_id())) {
        EXPECT_NO_THROW(json::parse(to_json_line(e))) << e.type;  // every stored event is valid JSON
    }
}

TEST_F(OpenAiHttp, AuthModelAndInvalidRequestErrorsAreNotRetried) {
    struct Case {
        const char* file;
        int status;
        const char* category;
        const char* api;
        const char* path;
    };
    for (const Case& c : {Case{"chat_error_401_invalid_api_key.json", 401, "auth_error", "chat", "/v1/chat/completions"},
                          Case{"chat_error_404_model_not_found.json", 404, "model_not_found", "chat", "/v1/chat/completions"},
                          Case{"responses_error_401_invalid_api_key.json", 401, "auth_error", "responses", "/v1/responses"},
                          Case{"", 400, "upstream_api_error", "chat", "/v1/chat/completions"}}) {
        SCOPED_TRACE(c.file);
        server.clear_requests();
        // The 400 is OpenAI's documented shape (not recorded): a refused request is not retried either.
        FakeResponse r = FakeResponse::json(
            *c.file ? fixture(c.file)
                    : R"({"error":{"message":"Invalid schema for function 'multiply'","type":"invalid_request_error","param":"tools[0].function.parameters","code":"invalid_function_parameters"}})",
            c.status);
        r.headers.emplace_back("x-request-id", "req_recorded");
        server.route("POST", c.path, r);
        auto rt = runtime(c.api);
        TurnResult t = rt->run_turn("What is 1231 * 2331?");
        EXPECT_FALSE(t.success);
        ASSERT_TRUE(t.error);
        EXPECT_EQ(t.error->category, c.category);
        EXPECT_NE(t.error->message.find("req_recorded"), std::string::npos) << t.error->message;
        EXPECT_EQ(server.request_count(), 1u) << "never retried";
    }
}

TEST_F(OpenAiHttp, InStreamQuotaErrorFailsTheTurnAsAuthError) {
    std::string sse;
    std::istringstream in(fixture("vercel_openai-error.1.chunks.jsonl"));
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) sse += "event: " + std::string(json::parse(line).at("type").as_string()) + "\ndata: " + line + "\n\n";
    }
    server.route("POST", "/v1/responses", FakeResponse::sse({FakeChunk(sse)}));
    auto rt = runtime("responses");
    TurnResult r = rt->run_turn("hi");
    ASSERT_FALSE(r.success);
    EXPECT_EQ(r.error->category, "auth_error");
    EXPECT_NE(r.error->message.find("insufficient_quota"), std::string::npos);
    EXPECT_EQ(server.request_count(), 1u);
}

}  // namespace
}  // namespace agenthost
