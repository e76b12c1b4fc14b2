// llmsim: the offline model driver. It plays fixed text, an echo, a cycling sequence, tool-call
// sequences, or a script ({"responses": [R, …]}, DESIGN §11): the n-th model call of a session
// gets R[n], and the last one repeats. It streams text in word-sized deltas like a real model.
#include <ahp/ahp.hpp>
#include <ahp/raw_json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <map>
#include <mutex>
#include <thread>

namespace {

namespace json = ahp::json;

constexpr const char* kOfflineNotice =
    "(llmsim) agenthost is running offline: no model provider is configured, so this answer comes from the "
    "llmsim simulator. Set ANTHROPIC_API_KEY, or OPENAI_API_KEY (with OPENAI_BASE_URL for a local "
    "OpenAI-compatible server), or pass --model provider/model to use a real model.";

/// One scripted answer.
struct Response {
    std::string text;
    json::array tool_calls;  // [{name, arguments}]
    std::string error_code;  // a simulated failure
    std::string error_message;
};

[[noreturn]] void bad_config(const std::string& where, const std::string& what) {
    throw ahp::Error("invalid_config", where + ": " + what, AHP_INVALID_ARGUMENT);
}

json::array parse_tool_calls(const json::value& v, const std::string& where) {
    if (!v.is_array()) bad_config(where, "must be an array of {name, arguments}");
    json::array out;
    std::size_t i = 0;
    for (const json::value& call : v.get_array()) {
        std::string at = where + "[" + std::to_string(i++) + "]";
        if (!call.is_object()) bad_config(at, "must be an object {name, arguments}");
        const json::object& o = call.get_object();
        const json::value* name = o.if_contains("name");
        if (!name || !name->is_string() || name->get_string().empty()) bad_config(at, "'name' must be a non-empty string");
        const json::value* args = o.if_contains("arguments");
        if (args && !args->is_object()) bad_config(at, "'arguments' must be an object");
        for (const auto& kv : o) {
            if (kv.key() != "name" && kv.key() != "arguments") bad_config(at, "unknown field '" + std::string(kv.key()) + "'");
        }
        out.push_back(json::object{{"name", *name}, {"arguments", args ? *args : json::object()}});
    }
    return out;
}

Response parse_response(const json::value& v, const std::string& where) {
    if (!v.is_object()) bad_config(where, "must be an object with \"text\" and/or \"tool_calls\"");
    Response r;
    const json::object& o = v.get_object();
    for (const auto& kv : o) {
        std::string key(kv.key());
        if (key == "text") {
            if (!kv.value().is_string()) bad_config(where + ".text", "must be a string");
            r.text = std::string(kv.value().get_string());
        } else if (key == "tool_calls") {
            r.tool_calls = parse_tool_calls(kv.value(), where + ".tool_calls");
        } else if (key == "error") {
            const json::value& e = kv.value();
            if (!e.is_object() || !e.get_object().contains("category")) {
                bad_config(where + ".error", "must be {\"category\": …, \"message\": …}");
            }
            r.error_code = json::value_to<std::string>(e.at("category"));
            const json::value* m = e.get_object().if_contains("message");
            r.error_message = m && m->is_string() ? std::string(m->get_string()) : "simulated " + r.error_code;
        } else {
            bad_config(where, "unknown field '" + key + "' (expected text, tool_calls or error)");
        }
    }
    if (r.text.empty() && r.tool_calls.empty() && r.error_code.empty()) {
        bad_config(where, "needs \"text\", \"tool_calls\" or \"error\"");
    }
    return r;
}

std::size_t count_agent_messages(const json::object& request) {
    const json::value* msgs = request.if_contains("messages");
    if (!msgs || !msgs->is_array()) return 0;
    std::size_t n = 0;
    for (const json::value& m : msgs->get_array()) {
        const json::value* role = m.is_object() ? m.get_object().if_contains("role") : nullptr;
        if (role && role->is_string() && role->get_string() == "agent") ++n;
    }
    return n;
}

/// The text of a user message with content parts, or nullopt for any other message.
std::optional<std::string> user_text(const json::value& message) {
    const json::object* m = message.if_object();
    if (!m || !m->contains("role") || m->at("role") != "user") return std::nullopt;
    const json::value* content = m->if_contains("content");
    if (!content || !content->is_array()) return std::nullopt;
    std::string text;
    for (const json::value& part : content->get_array()) {
        const json::object* p = part.if_object();
        if (p && p->contains("text") && p->at("text").is_string()) text += p->at("text").get_string();
    }
    return text;
}

std::string last_user_text(const json::object& request) {
    const json::value* msgs = request.if_contains("messages");
    if (!msgs || !msgs->is_array()) return {};
    const json::array& a = msgs->get_array();
    for (auto it = a.rbegin(); it != a.rend(); ++it) {
        if (std::optional<std::string> t = user_text(*it)) return *t;
    }
    return {};
}

/// What a call needs from its request, read from the raw text (Plugin::invoke_raw) or from a
/// parsed request (chat), so both ways answer the same.
struct Request {
    std::string session;
    std::size_t bytes = 0;  ///< the request's size as JSON text: the input-token estimate is a quarter
    std::function<std::size_t()> agent_messages;  ///< how many agent messages the history has
    std::function<std::string()> last_user;       ///< the last user message's text
};

/// The value of a raw member whose value is a string, decoded ("" if it is not one).
std::string raw_string(std::string_view value) {
    if (value.empty() || value.front() != '"') return {};
    boost::system::error_code ec;
    json::value v = json::parse(value, ec);
    return !ec && v.is_string() ? std::string(v.get_string()) : std::string();
}

class LlmSim : public ahp::Driver {
public:
    explicit LlmSim(json::object cfg) : Driver(std::move(cfg)) {
        const json::object& c = config();
        for (const auto& kv : c) {
            std::string key(kv.key());
            const json::value& v = kv.value();
            if (key == "responses") {
                if (!v.is_array() || v.get_array().empty()) bad_config("responses", "must be a non-empty array");
                std::size_t i = 0;
                for (const json::value& r : v.get_array()) {
                    responses_.push_back(parse_response(r, "responses[" + std::to_string(i++) + "]"));
                }
            } else if (key == "text") {
                if (!v.is_string()) bad_config("text", "must be a string");
                responses_.push_back(Response{std::string(v.get_string()), {}, {}, {}});
            } else if (key == "sequence") {
                if (!v.is_array() || v.get_array().empty()) bad_config("sequence", "must be a non-empty array of strings");
                for (const json::value& s : v.get_array()) {
                    if (!s.is_string()) bad_config("sequence", "must be a non-empty array of strings");
                    responses_.push_back(Response{std::string(s.get_string()), {}, {}, {}});
                }
                cycle_ = true;
            } else if (key == "tool_call_sequence") {
                if (!v.is_array()) bad_config("tool_call_sequence", "must be an array of arrays of tool calls");
                std::size_t i = 0;
                for (const json::value& calls : v.get_array()) {
                    tool_call_sequence_.push_back(parse_tool_calls(calls, "tool_call_sequence[" + std::to_string(i++) + "]"));
                }
            } else if (key == "echo") {
                echo_ = v.is_bool() && v.get_bool();
            } else if (key == "delay_ms") {
                if (!v.is_int64() || v.get_int64() < 0) bad_config("delay_ms", "must be a non-negative integer");
                delay_ms_ = v.get_int64();
            } else if (key == "model") {
                if (!v.is_string()) bad_config("model", "must be a string");
                model_ = std::string(v.get_string());
            } else if (key == "on_exhausted") {
                std::string s = v.is_string() ? std::string(v.get_string()) : "";
                if (s == "loop") cycle_ = true;
                else if (s == "error") error_when_exhausted_ = true;
                else if (s != "repeat_last") bad_config("on_exhausted", "must be repeat_last, loop or error");
            } else {
                bad_config(key, "unknown llmsim config field");
            }
        }
        if (responses_.empty() && !echo_) responses_.push_back(Response{kOfflineNotice, {}, {}, {}});
    }

    json::object driver_info() const override {
        return json::object{{"models", json::array{"llmsim"}}, {"default_model", model_}, {"context_window", 200000}};
    }

    json::value chat(const json::object& request, ahp::Call& call) override {
        Request r;
        if (const json::value* s = request.if_contains("session_id"); s && s->is_string()) r.session = std::string(s->get_string());
        r.bytes = json::serialize(request).size();
        r.agent_messages = [&request] { return count_agent_messages(request); };
        r.last_user = [&request] { return last_user_text(request); };
        return answer(r, call);
    }

    /// driver.chat without parsing the history: llmsim needs the session, the size, and (rarely)
    /// the number of agent messages or the last user text, which it finds in the raw text.
    std::optional<std::string> invoke_raw(std::string_view method, std::string_view params, ahp::Call& call) override {
        if (method != "driver.chat") return std::nullopt;
        std::optional<std::vector<ahp::raw::Member>> members = ahp::raw::members(params);
        if (!members) return std::nullopt;
        std::string_view messages_text = "[]";
        Request r;
        r.bytes = params.size();
        for (const ahp::raw::Member& m : *members) {
            if (m.key == "session_id") r.session = raw_string(m.value);
            if (m.key == "messages") messages_text = m.value;
        }
        // The history's elements are found only when needed: a session's first call, or echo.
        std::optional<std::vector<std::string_view>> messages;
        auto elements = [&]() -> const std::vector<std::string_view>& {
            if (!messages) messages = ahp::raw::elements(messages_text).value_or(std::vector<std::string_view>());
            return *messages;
        };
        r.agent_messages = [&elements] {
            std::size_t n = 0;
            for (std::string_view text : elements()) {
                std::optional<std::vector<ahp::raw::Member>> fields = ahp::raw::members(text);
                if (!fields) continue;
                for (const ahp::raw::Member& f : *fields) {
                    if (f.key == "role" && f.value == "\"agent\"") ++n;
                }
            }
            return n;
        };
        r.last_user = [&elements] {
            const std::vector<std::string_view>& all = elements();
            for (auto it = all.rbegin(); it != all.rend(); ++it) {
                boost::system::error_code ec;
                json::value m = json::parse(*it, ec);
                if (ec) continue;
                if (std::optional<std::string> t = user_text(m)) return *t;
            }
            return std::string();
        };
        return json::serialize(answer(r, call));
    }

private:
    json::value answer(const Request& request, ahp::Call& call) {
        std::size_t n = next_index(request);
        Response r;
        if (echo_) {
            r.text = "Echo: " + request.last_user();
        } else if (n >= responses_.size() && error_when_exhausted_) {
            throw ahp::Error("upstream_api_error", "llmsim script exhausted after " + std::to_string(responses_.size()) + " responses");
        } else {
            r = responses_[cycle_ ? n % responses_.size() : std::min(n, responses_.size() - 1)];
        }
        if (!tool_call_sequence_.empty()) r.tool_calls = tool_call_sequence_[n % tool_call_sequence_.size()];
        if (!r.error_code.empty()) throw ahp::Error(r.error_code, r.error_message);

        stream_text(r.text, call);
        json::array calls;
        std::size_t i = 0;
        for (const json::value& tc : r.tool_calls) {
            json::object c = tc.get_object();
            c["id"] = "call_" + std::to_string(n) + "_" + std::to_string(i++);
            calls.push_back(std::move(c));
        }
        json::object usage{{"input_tokens", static_cast<std::int64_t>(request.bytes / 4)},
                           {"output_tokens", static_cast<std::int64_t>((r.text.size() + 3) / 4 + calls.size() * 8)},
                           {"cache_read_tokens", 0},
                           {"cache_write_tokens", 0}};
        bool has_calls = !calls.empty();
        return json::object{{"text", r.text},
                            {"tool_calls", std::move(calls)},
                            {"usage", std::move(usage)},
                            {"stop_reason", has_calls ? "tool_use" : "end_turn"},
                            {"model", model_}};
    }

    /// The n-th call of this session: counted here, starting from the agent messages a resumed
    /// session already has.
    std::size_t next_index(const Request& request) {
        std::lock_guard<std::mutex> lock(mu_);
        auto [it, fresh] = calls_.try_emplace(request.session, 0);
        if (fresh) it->second = request.agent_messages();
        return it->second++;
    }

    /// Emit text in word-sized deltas, honouring the delay and the interrupt.
    void stream_text(const std::string& text, ahp::Call& call) const {
        std::size_t pos = 0;
        while (pos < text.size()) {
            std::size_t end = text.find(' ', std::min(text.size(), pos + 24));
            end = end == std::string::npos ? text.size() : end + 1;
            if (delay_ms_ > 0) {
                for (std::int64_t waited = 0; waited < delay_ms_; waited += 5) {
                    call.check_cancelled();
                    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(5, delay_ms_ - waited)));
                }
            }
            call.emit(json::object{{"type", "text_delta"}, {"text", text.substr(pos, end - pos)}});
            pos = end;
        }
        call.check_cancelled();
    }

    std::vector<Response> responses_;
    std::vector<json::array> tool_call_sequence_;
    bool echo_ = false;
    bool cycle_ = false;
    bool error_when_exhausted_ = false;
    std::int64_t delay_ms_ = 0;
    std::string model_ = "llmsim";
    std::mutex mu_;
    std::map<std::string, std::size_t> calls_;
};

}  // namespace

AHP_PLUGIN(LlmSim, "llmsim", "1.0.0")
