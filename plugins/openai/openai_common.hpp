// openai_common.hpp — what the Chat Completions and Responses halves of the openai driver
// share: settings, the answer being assembled, error categories, the HTTP exchange through the
// host's http.request service, and the canonical-message helpers.
#pragma once

#include <ahp/ahp.hpp>
#include <ahp/sse.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace openai {

namespace json = ahp::json;

/// The driver's resolved settings (config first, then the environment, then defaults).
struct Settings {
    std::string api = "chat";     ///< "chat" or "responses"
    std::string base_url;         ///< without a trailing '/'
    std::string api_key;          ///< may be empty for a local server
    std::int64_t max_tokens = 0;  ///< 0: not sent
    bool local = false;           ///< the base URL names a loopback or private host
    bool official = false;        ///< the base URL is api.openai.com
};

/// Whether a URL's host is loopback, private, link-local or a local-only name (localhost,
/// a single-label name, *.local, *.internal, *.home.arpa).
bool is_local_url(std::string_view url);
/// The host part of an http(s) URL, lower-cased, without brackets or port ("" if none).
std::string url_host(std::string_view url);

/// A failure reported by the server or the transport.
struct Failure {
    std::string category;  ///< auth_error, rate_limit, model_not_found, context_length, …
    std::string message;
    bool retryable = true;  ///< false: the host must not retry even a retryable category (a 400)
};

/// One tool call being assembled.
struct PendingCall {
    std::string key;  ///< what the stream addresses it by (chat index, responses item id)
    std::string id;   ///< the id the tool result goes back under
    std::string name;
    std::string arguments;  ///< JSON text, accumulated
};

/// The answer being assembled from a stream or a whole body.
struct Answer {
    std::string text;
    std::vector<PendingCall> calls;
    std::int64_t input_tokens = 0;  ///< all prompt tokens, cached ones included
    std::int64_t cached_tokens = 0;
    std::int64_t output_tokens = 0;
    std::string stop_reason;  ///< already in the host's vocabulary
    bool finished = false;    ///< the stream's terminal event arrived
    bool has_failure = false;
    Failure failure;

    /// Record the first failure (later ones are consequences of it).
    void fail(std::string category, std::string message);
    /// Record the first failure (later ones are consequences of it).
    void fail(Failure f);
    /// The call addressed by key, or nullptr.
    PendingCall* find(std::string_view key);
};

/// The category for an API error: HTTP status (0 inside a stream), OpenAI's error code and type,
/// and its message (compatible servers often send only a message).
std::string category_of(int http_status, std::string_view code, std::string_view type, std::string_view message);
/// Fail the call with f: a retry hint {retry_after_ms (when >= 0), retryable: false (when
/// not)} is set on the call first, then ahp::Error is thrown with f's category.
[[noreturn]] void raise(ahp::Call& call, const Failure& f, std::int64_t retry_after_ms = -1);
/// A Failure from an OpenAI error object {message, type, code, param} (or a bare string), as
/// found in an HTTP error body, a stream chunk or a failed response.
Failure failure_of(const json::value& error, int http_status, std::string_view request_id, std::string_view where);

/// A string field of an object, or "" when absent or not a string.
std::string_view str(const json::object& o, std::string_view key);
/// An integer field of an object, or 0.
std::int64_t num(const json::object& o, std::string_view key);
/// An object field, or nullptr.
const json::object* obj(const json::object& o, std::string_view key);
/// An array field, or nullptr.
const json::array* arr(const json::object& o, std::string_view key);

/// Stream one text delta to the host.
void emit_text(ahp::Call& call, Answer& answer, std::string_view text);

/// Append s to out as a quoted JSON string.
void append_quoted(std::string& out, std::string_view s);
/// Append `,"key":` (without the comma when out ends with '{' or '[').
void append_key(std::string& out, std::string_view key);
/// Append a JSON value's text.
void append_value(std::string& out, const json::value& v);

/// The text of a canonical message's text parts, joined with '\n' (in buffer when there are
/// several).
std::string_view message_text(const json::object& message, std::string& buffer);
/// A tool_result part's result as the text the model sees (in buffer when it had to be made).
std::string_view tool_result_text(const json::object& part, std::string& buffer);
/// The prompt_cache_key a request asks for ("" when prompt caching is off).
std::string prompt_cache_key(const json::object& request);
/// The request's max_tokens, else the configured one (0: none).
std::int64_t max_tokens_of(const json::object& request, const Settings& settings);
/// Append a tool's "name", "description" and "parameters" members (an object schema when it
/// has none).
void append_tool_fields(std::string& out, const json::object& tool);
/// Append the output limit (under max_key, when there is one) and the prompt_cache_key, and
/// close the body's object.
void append_limits(std::string& body, const json::object& fields, const Settings& settings, std::string_view max_key);

/// Receives the canonical history (user / agent / tool_result messages) in order.
class HistoryVisitor {
public:
    virtual ~HistoryVisitor() = default;
    /// A user message's text.
    virtual void user(std::string_view text) = 0;
    /// An agent message: its text ("" if none) and its tool_call parts {id, name, arguments}.
    virtual void agent(std::string_view text, const std::vector<const json::object*>& calls) = 0;
    /// The result of one tool call, as text.
    virtual void tool_result(std::string_view call_id, std::string_view output) = 0;
};
/// Walk the canonical messages in order. Every tool call gets a result before the next user or
/// agent message: one whose result is missing (an interrupted turn) gets an error result, since
/// both APIs refuse a call without its output. True when no result had to be made up at the
/// end (every call was answered by the last message).
bool walk_history(const json::array& messages, HistoryVisitor& visitor);

/// How one API reads its answer.
class Protocol {
public:
    explicit Protocol(ahp::Call& call) : call_(call) {}
    virtual ~Protocol() = default;
    Protocol(const Protocol&) = delete;
    Protocol& operator=(const Protocol&) = delete;

    /// One SSE event of a streamed answer.
    virtual void on_event(const ahp::SseEvent& event) = 0;
    /// A whole JSON answer (a server that did not stream).
    virtual void on_body(const json::object& body) = 0;
    /// The stream ended: record a failure if it ended early.
    virtual void on_end() = 0;

    Answer answer;

protected:
    /// One stream event's JSON, in `arena` (made on event_buffer_): an ordinary event costs no
    /// heap allocation. The value must not outlive the arena; keep parts by assignment, which
    /// copies into the target's storage.
    static json::value parse_event(std::string_view data, json::monotonic_resource& arena,
                                   boost::system::error_code& ec) {
        return json::parse(data, ec, json::storage_ptr(&arena));
    }

    ahp::Call& call_;
    alignas(16) unsigned char event_buffer_[4096];
};

/// POST body to base_url + path with streaming and feed the answer to protocol; throws
/// ahp::Error with the failure's category (after setting a retry hint on the call when the
/// server gave one), or ahp::Cancelled.
void exchange(ahp::Call& call, const Settings& settings, std::string_view path, const std::string& body,
              Protocol& protocol);

/// The driver.chat result for a finished answer; an invalid tool-argument JSON is an
/// upstream_api_error naming the tool.
json::value result_of(Answer& answer, std::int64_t iteration);

}  // namespace openai
