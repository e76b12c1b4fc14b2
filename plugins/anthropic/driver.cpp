// anthropic: the Anthropic Messages API driver. POST {base}/v1/messages with stream:true through
// the host's http.request service; SSE events are assembled into one answer while text deltas
// stream to the host. Failures carry agenthost's categories and Anthropic's message and
// request id; a retry-after header becomes the {"retry_after_ms"} hint the host honours.
#include "errors.hpp"
#include "request.hpp"
#include "stream.hpp"

#include <ahp/sse.hpp>

#include <exception>

namespace anthropic {
namespace {

constexpr const char* kDefaultBaseUrl = "https://api.anthropic.com";
constexpr const char* kApiVersion = "2023-06-01";
constexpr std::size_t kMaxPlainBody = 16u << 20;  // a 2xx JSON body instead of a stream

[[noreturn]] void bad_config(const std::string& key, const std::string& what) {
    throw ahp::Error("invalid_config", "anthropic driver config '" + key + "': " + what, AHP_INVALID_ARGUMENT);
}

std::string_view string_or_empty(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

/// Report a failure: the retry hint first (the host reads it from the result), then the error.
[[noreturn]] void fail(const Failure& f, ahp::Call& call) {
    json::object hint;
    if (f.retry_after_ms >= 0) hint["retry_after_ms"] = f.retry_after_ms;
    if (!f.retryable) hint["retryable"] = false;
    if (!hint.empty()) {
        std::string text = json::serialize(hint);
        call.host()->call_set_result(call.raw(), ahp::to_str(text));
    }
    throw ahp::Error(f.category, f.message);
}

class AnthropicDriver : public ahp::Driver {
public:
    explicit AnthropicDriver(json::object cfg) : Driver(std::move(cfg)) {
        for (const auto& kv : config()) {
            std::string key(kv.key());
            const json::value& v = kv.value();
            if (key == "api_key" || key == "base_url") {
                if (!v.is_string()) bad_config(key, "must be a string");
                (key == "api_key" ? api_key_ : base_url_) = std::string(v.get_string());
            } else if (key == "max_tokens") {
                if (!v.is_int64() || v.get_int64() < 1) bad_config(key, "must be a positive integer");
                options_.max_tokens = v.get_int64();
            } else if (key == "timeout_ms") {
                if (!v.is_int64() || v.get_int64() < 1) bad_config(key, "must be a positive integer");
                timeout_ms_ = v.get_int64();
            } else if (key == "stream") {
                if (!v.is_bool()) bad_config(key, "must be a boolean");
                options_.stream = v.get_bool();
            } else {
                bad_config(key, "unknown field (expected api_key, base_url, max_tokens, timeout_ms or stream)");
            }
        }
        // Nothing from the environment: the host takes ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL
        // out of its own at start-up and passes them here as api_key and base_url.
        if (base_url_.empty()) base_url_ = kDefaultBaseUrl;
        while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
        // A base URL that already names the API version ("…/v1") gets only the path after it.
        url_ = base_url_ + (base_url_.size() >= 3 && base_url_.compare(base_url_.size() - 3, 3, "/v1") == 0
                                ? "/messages"
                                : "/v1/messages");
    }

    json::object driver_info() const override {
        return json::object{{"models", json::array{"claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5",
                                                   "claude-3-5-haiku-latest"}},
                            {"other_models", true},  // the provider releases models without asking
                            {"default_model", "claude-sonnet-4-5"}};
    }

    json::value chat(const json::object& request, ahp::Call& call) override {
        if (api_key_.empty() && base_url_ == kDefaultBaseUrl) {
            throw ahp::Error("auth_error", "no Anthropic API key: set ANTHROPIC_API_KEY or the driver config api_key");
        }
        std::string body = json::serialize(build_body(request, options_));
        json::object headers{{"content-type", "application/json"}, {"anthropic-version", kApiVersion}};
        if (options_.stream) headers["accept"] = "text/event-stream";
        if (!api_key_.empty()) headers["x-api-key"] = api_key_;
        json::object params{{"method", "POST"}, {"url", url_}, {"headers", std::move(headers)}};  // body: beside
        if (timeout_ms_ > 0) params["timeout_ms"] = timeout_ms_;
        if (options_.stream) params["stream"] = true;

        auto emit_text = [&call](std::string_view text) {  // the event text, without building a DOM
            std::string event = "{\"type\":\"text_delta\",\"text\":" + json::serialize(json::string_view(text)) + "}";
            if (call.host()->call_emit(call.raw(), ahp::to_str(event)) == AHP_CANCELLED) throw ahp::Cancelled();
        };
        MessageAccumulator message(emit_text);
        std::string plain;  // the body while no event has arrived: a JSON answer instead of a stream
        std::exception_ptr failure;
        ahp::SseParser parser([&](const ahp::SseEvent& e) {
            message.on_event(e.event, e.data);
            return true;
        });
        auto on_chunk = [&](std::string_view bytes) {
            try {
                call.check_cancelled();
                if (!message.started() && plain.size() < kMaxPlainBody) plain.append(bytes);
                return parser.feed(bytes);
            } catch (...) {
                failure = std::current_exception();
                return false;
            }
        };

        json::value answer;
        try {
            answer = call.request_stream("http.request", params, on_chunk, body);
        } catch (const ahp::Error& e) {
            if (failure) std::rethrow_exception(failure);
            if (e.status() == AHP_CANCELLED || call.cancelled()) throw ahp::Cancelled();
            if (message.complete()) return message.result();  // the connection broke after message_stop
            std::string what = e.what();
            if (what.rfind("network_error: ", 0) == 0) what.erase(0, 15);
            if (what.find(url_) == std::string::npos) what = "POST " + url_ + ": " + what;
            throw ahp::Error("network_error", what);
        }
        const json::object* a = answer.if_object();
        if (!a) throw ahp::Error("network_error", "POST " + url_ + ": the host's http.request gave no answer");
        if (failure) rethrow_with_request_id(failure, *a);

        int status = 0;
        if (const json::value* s = a->if_contains("status"); s && s->is_number()) status = s->to_number<int>();
        if (status < 200 || status > 299) fail(http_failure(*a), call);

        if (options_.stream && !message.started() && !is_event_stream(*a, plain)) {
            return plain_answer(plain, *a, emit_text, call);
        }
        if (!options_.stream) return plain_answer(ahp::http_body(*a), *a, emit_text, call);
        parser.finish();
        if (!message.complete()) {
            throw ahp::Error("network_error",
                             "POST " + url_ + ": the stream ended before message_stop" + request_id(*a));
        }
        return message.result();
    }

private:
    static std::string request_id(const json::object& answer) {
        const json::value* h = answer.if_contains("headers");
        std::string_view id = h && h->is_object() ? string_or_empty(h->get_object(), "request-id") : std::string_view();
        return id.empty() ? std::string() : " (request_id " + std::string(id) + ")";
    }

    /// Whether a 2xx answer is (the start of) an event stream rather than one JSON document.
    static bool is_event_stream(const json::object& answer, std::string_view body) {
        const json::value* h = answer.if_contains("headers");
        std::string_view type =
            h && h->is_object() ? string_or_empty(h->get_object(), "content-type") : std::string_view();
        if (type.find("event-stream") != std::string_view::npos) return true;
        return type.empty() && body.find_first_not_of(" \t\r\n") == std::string_view::npos;
    }

    [[noreturn]] static void rethrow_with_request_id(std::exception_ptr failure, const json::object& answer) {
        try {
            std::rethrow_exception(failure);
        } catch (const ahp::Error& e) {
            if (e.status() == AHP_CANCELLED) throw;
            throw ahp::Error(e.code(), e.what() + request_id(answer), e.status());
        }
    }

    /// A 2xx answer that is one JSON document: a whole message, or an error object.
    json::value plain_answer(std::string_view body, const json::object& answer,
                             const MessageAccumulator::TextFn& on_text, ahp::Call& call) const {
        boost::system::error_code ec;
        json::value v = json::parse(body, ec);
        if (ec || !v.is_object()) {
            throw ahp::Error("upstream_api_error", "POST " + url_ +
                                                       ": the answer is neither an event stream nor a message: " +
                                                       excerpt(body) + request_id(answer));
        }
        const json::object& o = v.get_object();
        if (string_or_empty(o, "type") == "error") {
            json::object as_error = answer;
            as_error["body"] = body;
            fail(http_failure(as_error), call);
        }
        return result_of_message(o, on_text);
    }

    std::string api_key_;
    std::string base_url_;
    std::string url_;
    std::int64_t timeout_ms_ = 0;
    BodyOptions options_;
};

}  // namespace
}  // namespace anthropic

AHP_PLUGIN(anthropic::AnthropicDriver, "anthropic", "1.0.0")
