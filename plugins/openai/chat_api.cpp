// Chat Completions: POST {base}/chat/completions with "stream": true (NOTES §3.2). Text arrives
// as choices[0].delta.content, tool calls as delta.tool_calls fragments addressed by index (only
// the first carries id and name), the finish_reason in the last choice chunk, usage in a chunk
// with "choices": [] (stream_options.include_usage), and "data: [DONE]" ends the stream.
#include "apis.hpp"

namespace openai {

namespace {

/// finish_reason in the host's vocabulary.
std::string stop_reason_of(std::string_view finish) {
    if (finish == "stop") return "end_turn";
    if (finish == "tool_calls" || finish == "function_call") return "tool_use";
    if (finish == "length") return "max_tokens";
    return std::string(finish);
}

/// Writes the messages array's elements as JSON text.
class ChatHistory : public HistoryVisitor {
public:
    explicit ChatHistory(std::string& out) : out_(out) {}

    void user(std::string_view text) override {
        open("user");
        append_key(out_, "content");
        append_quoted(out_, text);
        out_ += '}';
    }

    void agent(std::string_view text, const std::vector<const json::object*>& calls) override {
        open("assistant");
        append_key(out_, "content");
        if (calls.empty() || !text.empty())
            append_quoted(out_, text);
        else
            out_ += "null";
        if (!calls.empty()) {
            append_key(out_, "tool_calls");
            out_ += '[';
            for (const json::object* c : calls) {
                if (out_.back() != '[') out_ += ',';
                out_ += '{';
                append_key(out_, "id");
                append_quoted(out_, str(*c, "id"));
                out_ += R"(,"type":"function","function":{"name":)";
                append_quoted(out_, str(*c, "name"));
                append_key(out_, "arguments");
                const json::value* args = c->if_contains("arguments");
                append_quoted(out_, args ? json::serialize(*args) : std::string("{}"));
                out_ += "}}";
            }
            out_ += ']';
        }
        out_ += '}';
    }

    void tool_result(std::string_view call_id, std::string_view output) override {
        open("tool");
        append_key(out_, "tool_call_id");
        append_quoted(out_, call_id);
        append_key(out_, "content");
        append_quoted(out_, output);
        out_ += '}';
    }

private:
    void open(std::string_view role) {
        if (out_.back() != '[') out_ += ',';
        out_ += R"({"role":)";
        append_quoted(out_, role);
    }

    std::string& out_;
};

class ChatProtocol : public Protocol {
public:
    using Protocol::Protocol;

    void on_event(const ahp::SseEvent& event) override {
        if (answer.finished) return;
        if (event.data == "[DONE]") {
            answer.finished = true;
            return;
        }
        boost::system::error_code ec;
        json::monotonic_resource arena(event_buffer_, sizeof event_buffer_);
        json::value v = parse_event(event.data, arena, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        if (!o) {
            answer.fail("upstream_api_error",
                        "openai: a Chat Completions stream chunk is not a JSON object: " + event.data.substr(0, 200));
            return;
        }
        if (const json::value* e = o->if_contains("error"); e && !e->is_null()) {
            Failure f = failure_of(*e, 0, "", "error in the Chat Completions stream");
            answer.fail(f);
            return;
        }
        if (const json::object* usage = obj(*o, "usage")) read_usage(*usage);
        const json::array* choices = arr(*o, "choices");
        if (!choices) return;
        for (const json::value& cv : *choices) {
            const json::object* c = cv.if_object();
            if (!c || num(*c, "index") != 0) continue;
            if (const json::object* delta = obj(*c, "delta")) read_delta(*delta);
            if (std::string_view finish = str(*c, "finish_reason"); !finish.empty())
                answer.stop_reason = stop_reason_of(finish);
        }
    }

    void on_body(const json::object& body) override {
        if (const json::object* usage = obj(body, "usage")) read_usage(*usage);
        const json::array* choices = arr(body, "choices");
        const json::object* choice = choices && !choices->empty() ? choices->front().if_object() : nullptr;
        const json::object* message = choice ? obj(*choice, "message") : nullptr;
        if (!message) {
            answer.fail("upstream_api_error", "openai: a chat.completion without choices[0].message");
            return;
        }
        emit_text(call_, answer, str(*message, "content"));
        emit_text(call_, answer, str(*message, "refusal"));
        if (const json::array* calls = arr(*message, "tool_calls")) {
            std::size_t i = 0;
            for (const json::value& tv : *calls) {
                const json::object* t = tv.if_object();
                if (!t) continue;
                const json::object* fn = obj(*t, "function");
                answer.calls.push_back(PendingCall{std::to_string(i++), std::string(str(*t, "id")),
                                                   fn ? std::string(str(*fn, "name")) : std::string(),
                                                   fn ? arguments_text(*fn) : std::string()});
            }
        }
        answer.stop_reason = stop_reason_of(str(*choice, "finish_reason"));
        answer.finished = true;
    }

    void on_end() override {
        // Some servers end without [DONE]; a finish_reason is enough to know the answer is whole.
        if (!answer.finished && answer.stop_reason.empty()) {
            answer.fail("network_error", "openai: the Chat Completions stream ended before a finish_reason or [DONE]");
        }
    }

private:
    /// A function's arguments as JSON text (a few servers send an object instead of a string).
    static std::string arguments_text(const json::object& fn) {
        const json::value* a = fn.if_contains("arguments");
        if (!a || a->is_null()) return {};
        if (const json::string* s = a->if_string()) return std::string(*s);
        return json::serialize(*a);
    }

    void read_usage(const json::object& usage) {
        answer.input_tokens = num(usage, "prompt_tokens");
        answer.output_tokens = num(usage, "completion_tokens");
        const json::object* details = obj(usage, "prompt_tokens_details");
        answer.cached_tokens = details ? num(*details, "cached_tokens") : 0;
    }

    void read_delta(const json::object& delta) {
        emit_text(call_, answer, str(delta, "content"));
        emit_text(call_, answer, str(delta, "refusal"));
        const json::array* calls = arr(delta, "tool_calls");
        if (!calls) return;
        for (const json::value& tv : *calls) {
            const json::object* t = tv.if_object();
            if (!t) continue;
            std::string_view id = str(*t, "id");
            std::string key;
            if (const json::value* index = t->if_contains("index"); index && index->is_number()) {
                key = std::to_string(num(*t, "index"));
            } else if (!id.empty() && !answer.find("id:" + std::string(id))) {
                key = "id:" + std::string(id);  // a server that sends no index: a new id is a new call
            } else {
                key = answer.calls.empty() ? "0" : answer.calls.back().key;
            }
            PendingCall* pc = answer.find(key);
            if (!pc) {
                answer.calls.push_back(PendingCall{key, {}, {}, {}});
                pc = &answer.calls.back();
            }
            if (pc->id.empty()) pc->id = std::string(id);
            if (const json::object* fn = obj(*t, "function")) {
                if (std::string_view name = str(*fn, "name"); !name.empty() && pc->name.empty())
                    pc->name = std::string(name);
                pc->arguments += arguments_text(*fn);
            }
        }
    }
};

bool chat_history(const json::array& messages, std::string& out) {
    ChatHistory history(out);
    return walk_history(messages, history);
}

void chat_tools(const json::array& tools, std::string& out) {
    for (const json::value& tv : tools) {
        const json::object* t = tv.if_object();
        if (!t) continue;
        if (out.back() != '[') out += ',';
        out += R"({"type":"function","function":{)";
        append_tool_fields(out, *t);
        out += "}}";
    }
}

std::string chat_body(const json::object& fields, std::string_view history, std::string_view tools,
                      const Settings& settings) {
    std::string_view model = str(fields, "model");
    std::string body;
    body.reserve(history.size() + tools.size() + 512);
    body += '{';
    append_key(body, "model");
    append_quoted(body, model.empty() ? std::string_view("gpt-4.1") : model);
    append_key(body, "messages");
    body += '[';
    if (std::string_view system = str(fields, "system"); !system.empty()) {
        body += R"({"role":"system","content":)";
        append_quoted(body, system);
        body += '}';
    }
    if (!history.empty()) {
        if (body.back() != '[') body += ',';
        body += history;
    }
    body += ']';
    if (!tools.empty()) {
        append_key(body, "tools");
        body += '[';
        body += tools;
        body += ']';
    }
    body += R"(,"stream":true,"stream_options":{"include_usage":true})";
    // api.openai.com wants max_completion_tokens (reasoning models refuse max_tokens);
    // compatible servers know max_tokens.
    append_limits(body, fields, settings, settings.official ? "max_completion_tokens" : "max_tokens");
    return body;
}

std::unique_ptr<Protocol> make_chat_protocol(ahp::Call& call) {
    return std::make_unique<ChatProtocol>(call);
}

}  // namespace

const Api& chat_api() {
    static const Api api{"/chat/completions", &chat_history, &chat_tools, &chat_body, &make_chat_protocol};
    return api;
}

}  // namespace openai
