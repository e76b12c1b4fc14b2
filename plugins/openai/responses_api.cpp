// Responses API: POST {base}/responses with "stream": true (NOTES §3.3). Typed events, no
// [DONE]: text in response.output_text.delta, function calls as output items (output_item.added
// carries call_id and name, function_call_arguments.delta/.done the arguments, output_item.done
// the whole item), reasoning items in between (ignored), and a terminal response.completed,
// response.incomplete or response.failed (after an `error` event) with usage.
#include "apis.hpp"

namespace openai {

namespace {

/// Writes the input array's elements as JSON text.
class ResponsesHistory : public HistoryVisitor {
public:
    explicit ResponsesHistory(std::string& out) : out_(out) {}

    void user(std::string_view text) override { message("user", text); }

    void agent(std::string_view text, const std::vector<const json::object*>& calls) override {
        if (!text.empty()) message("assistant", text);
        for (const json::object* c : calls) {
            if (out_.back() != '[') out_ += ',';
            out_ += R"({"type":"function_call","call_id":)";
            append_quoted(out_, str(*c, "id"));
            append_key(out_, "name");
            append_quoted(out_, str(*c, "name"));
            append_key(out_, "arguments");
            const json::value* args = c->if_contains("arguments");
            append_quoted(out_, args ? json::serialize(*args) : std::string("{}"));
            out_ += '}';
        }
    }

    void tool_result(std::string_view call_id, std::string_view output) override {
        if (out_.back() != '[') out_ += ',';
        out_ += R"({"type":"function_call_output","call_id":)";
        append_quoted(out_, call_id);
        append_key(out_, "output");
        append_quoted(out_, output);
        out_ += '}';
    }

private:
    void message(std::string_view role, std::string_view text) {
        if (out_.back() != '[') out_ += ',';
        out_ += R"({"role":)";
        append_quoted(out_, role);
        append_key(out_, "content");
        append_quoted(out_, text);
        out_ += '}';
    }

    std::string& out_;
};

class ResponsesProtocol : public Protocol {
public:
    using Protocol::Protocol;

    void on_event(const ahp::SseEvent& event) override {
        if (answer.finished) return;
        boost::system::error_code ec;
        json::monotonic_resource arena(event_buffer_, sizeof event_buffer_);
        json::value v = parse_event(event.data, arena, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        if (!o) {
            answer.fail("upstream_api_error",
                        "openai: a Responses stream event is not a JSON object: " + event.data.substr(0, 200));
            return;
        }
        std::string_view type = str(*o, "type");
        if (type.empty()) type = event.event;
        if (type == "response.output_text.delta" || type == "response.refusal.delta") {
            emit_text(call_, answer, str(*o, "delta"));
        } else if (type == "response.output_item.added" || type == "response.output_item.done") {
            if (const json::object* item = obj(*o, "item"); item && str(*item, "type") == "function_call") {
                read_call_item(*item, num(*o, "output_index"));
            }
        } else if (type == "response.function_call_arguments.delta") {
            call_for(*o).arguments += str(*o, "delta");
        } else if (type == "response.function_call_arguments.done") {
            if (const json::value* a = o->if_contains("arguments"); a && a->is_string())
                call_for(*o).arguments = std::string(a->get_string());
        } else if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
            if (const json::object* response = obj(*o, "response"))
                read_response(*response, type.substr(9));
            else
                answer.fail("upstream_api_error", "openai: " + std::string(type) + " without a response");
        } else if (type == "error") {
            // {"type":"error","code","message","param"}, or the error nested under "error".
            const json::object* e = obj(*o, "error");
            Failure f = failure_of(e ? json::value(*e) : v, 0, "", "error in the Responses stream");
            answer.fail(f);
        }
    }

    void on_body(const json::object& body) override { read_response(body, str(body, "status")); }

    void on_end() override {
        if (!answer.finished) {
            answer.fail("network_error", "openai: the Responses stream ended before response.completed");
        }
    }

private:
    static std::string key_of(const json::object& event_or_item, std::string_view id_field, std::int64_t output_index) {
        std::string_view id = str(event_or_item, id_field);
        if (!id.empty()) return std::string(id);
        std::string key(1, '#');  // (appended, not "#" + …: g++ 12 -O3 warns falsely on that, PR 105329)
        key += std::to_string(output_index);
        return key;
    }

    /// The call an arguments event addresses (made if its output_item.added was not seen).
    PendingCall& call_for(const json::object& event) {
        std::string key = key_of(event, "item_id", num(event, "output_index"));
        if (PendingCall* pc = answer.find(key)) return *pc;
        answer.calls.push_back(PendingCall{key, {}, {}, {}});
        return answer.calls.back();
    }

    void read_call_item(const json::object& item, std::int64_t output_index) {
        std::string key = key_of(item, "id", output_index);
        PendingCall* pc = answer.find(key);
        if (!pc) {
            answer.calls.push_back(PendingCall{key, {}, {}, {}});
            pc = &answer.calls.back();
        }
        // call_id, not the item id (fc_…), is what function_call_output answers.
        if (std::string_view call_id = str(item, "call_id"); !call_id.empty()) pc->id = std::string(call_id);
        if (std::string_view name = str(item, "name"); !name.empty()) pc->name = std::string(name);
        if (const json::value* a = item.if_contains("arguments"); a && a->is_string() && !a->get_string().empty()) {
            pc->arguments = std::string(a->get_string());
        }
    }

    /// A whole response object: from a terminal event, or a server that did not stream.
    void read_response(const json::object& response, std::string_view status) {
        if (const json::object* usage = obj(response, "usage")) {
            answer.input_tokens = num(*usage, "input_tokens");
            answer.output_tokens = num(*usage, "output_tokens");
            const json::object* details = obj(*usage, "input_tokens_details");
            answer.cached_tokens = details ? num(*details, "cached_tokens") : 0;
        }
        if (status == "failed") {
            const json::value* e = response.if_contains("error");
            Failure f =
                failure_of(e && !e->is_null() ? *e : json::value("the response failed"), 0, "", "response.failed");
            answer.fail(f);
            return;
        }
        // What the stream did not deliver piecemeal (or a non-streamed body) comes from the output.
        bool had_text = !answer.text.empty();
        if (const json::array* output = arr(response, "output")) {
            std::int64_t index = 0;
            for (const json::value& iv : *output) {
                const json::object* item = iv.if_object();
                std::int64_t at = index++;
                if (!item) continue;
                std::string_view type = str(*item, "type");
                if (type == "function_call") {
                    read_call_item(*item, at);
                } else if (type == "message" && !had_text) {
                    if (const json::array* content = arr(*item, "content")) {
                        for (const json::value& cv : *content) {
                            const json::object* part = cv.if_object();
                            if (!part) continue;
                            std::string_view ptype = str(*part, "type");
                            if (ptype == "output_text")
                                emit_text(call_, answer, str(*part, "text"));
                            else if (ptype == "refusal")
                                emit_text(call_, answer, str(*part, "refusal"));
                        }
                    }
                }
            }
        }
        if (status == "incomplete") {
            const json::object* details = obj(response, "incomplete_details");
            std::string_view reason = details ? str(*details, "reason") : std::string_view();
            answer.stop_reason = reason == "max_output_tokens" || reason.empty() ? "max_tokens" : std::string(reason);
        } else {
            answer.stop_reason = answer.calls.empty() ? "end_turn" : "tool_use";
        }
        answer.finished = true;
    }
};

bool responses_history(const json::array& messages, std::string& out) {
    ResponsesHistory history(out);
    return walk_history(messages, history);
}

void responses_tools(const json::array& tools, std::string& out) {
    for (const json::value& tv : tools) {
        const json::object* t = tv.if_object();
        if (!t) continue;
        if (out.back() != '[') out += ',';
        out += R"({"type":"function")";
        append_tool_fields(out, *t);
        // strict: false, as in Chat Completions: strict mode refuses schemas with optional
        // properties, which many tools have.
        out += R"(,"strict":false})";
    }
}

std::string responses_body(const json::object& fields, std::string_view history, std::string_view tools,
                           const Settings& settings) {
    std::string_view model = str(fields, "model");
    std::string body;
    body.reserve(history.size() + tools.size() + 512);
    body += '{';
    append_key(body, "model");
    append_quoted(body, model.empty() ? std::string_view("gpt-4.1") : model);
    if (std::string_view system = str(fields, "system"); !system.empty()) {
        append_key(body, "instructions");
        append_quoted(body, system);
    }
    append_key(body, "input");
    body += '[';
    body += history;
    body += ']';
    if (!tools.empty()) {
        append_key(body, "tools");
        body += '[';
        body += tools;
        body += ']';
    }
    body += R"(,"stream":true,"store":false)";  // stateless: the whole history is sent every time
    append_limits(body, fields, settings, "max_output_tokens");
    return body;
}

std::unique_ptr<Protocol> make_responses_protocol(ahp::Call& call) {
    return std::make_unique<ResponsesProtocol>(call);
}

}  // namespace

const Api& responses_api() {
    static const Api api{"/responses", &responses_history, &responses_tools, &responses_body,
                         &make_responses_protocol};
    return api;
}

}  // namespace openai
