// btw: the command `/btw QUESTION` answers a side question from the conversation so far with
// one tool-less model call (the host service model.complete) and changes nothing: the
// question and the answer never enter the history.
#include <ahp/ahp.hpp>

#include <algorithm>
#include <set>

namespace {

namespace json = ahp::json;

constexpr std::int64_t kDefaultMaxTokens = 1024;
constexpr std::string_view kSystem =
    "Answer the user's side question briefly from the conversation so far. This is an aside: it will not be "
    "added to the conversation. You cannot use tools.";
constexpr std::string_view kUsage = "usage: /btw QUESTION";

std::string trim(std::string_view s) {
    std::size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    std::size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

/// The ids of the tool calls in an agent message.
std::set<std::string> tool_call_ids(const json::object& message) {
    std::set<std::string> ids;
    const json::value* content = message.if_contains("content");
    if (!content || !content->is_array()) return ids;
    for (const json::value& part : content->get_array()) {
        const json::object* p = part.if_object();
        if (!p) continue;
        const json::value* type = p->if_contains("type");
        const json::value* id = p->if_contains("id");
        if (type && *type == "tool_call" && id && id->is_string()) ids.insert(std::string(id->get_string()));
    }
    return ids;
}

/// The history a side call may send: without a last agent message whose tool calls have no
/// results yet (a turn in progress), since a dangling tool call makes the request invalid.
json::array usable_history(const json::value* messages) {
    json::array history = messages && messages->is_array() ? messages->get_array() : json::array();
    for (std::size_t i = history.size(); i-- > 0;) {
        const json::object* m = history[i].if_object();
        if (!m || !m->contains("role") || m->at("role") != "agent") continue;
        std::set<std::string> open = tool_call_ids(*m);
        for (std::size_t j = i + 1; j < history.size(); ++j) {
            const json::object* r = history[j].if_object();
            const json::value* content = r ? r->if_contains("content") : nullptr;
            if (!content || !content->is_array()) continue;
            for (const json::value& part : content->get_array()) {
                const json::object* p = part.if_object();
                const json::value* id = p ? p->if_contains("tool_call_id") : nullptr;
                if (id && id->is_string()) open.erase(std::string(id->get_string()));
            }
        }
        if (!open.empty()) history.erase(history.begin() + static_cast<std::ptrdiff_t>(i), history.end());
        break;  // only the last agent message can be waiting for results
    }
    return history;
}

/// The category of a failed model.complete: the host words it "<category>: <message>".
std::pair<std::string, std::string> failure(const ahp::Error& e) {
    std::string_view msg = e.what();
    std::size_t colon = msg.find(": ");
    if (colon != std::string_view::npos && colon > 0 && colon <= 40) {
        std::string_view code = msg.substr(0, colon);
        bool word = std::all_of(code.begin(), code.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
        if (word) return {std::string(code), std::string(msg.substr(colon + 2))};
    }
    return {e.code(), std::string(msg)};
}

class Btw : public ahp::Capability {
public:
    explicit Btw(json::object cfg) : Capability(std::move(cfg)) {
        if (const json::value* v = config().if_contains("max_tokens")) max_tokens_ = v->to_number<std::int64_t>();
        add_command(
            {"btw", "Ask a side question about the conversation; neither it nor the answer is added to the history",
             json::array{
                 json::object{{"name", "question"}, {"description", "what you want to know"}, {"required", true}}}},
            [this](const json::object& params, ahp::Call& call) -> json::value { return ask(params, call); });
    }

private:
    json::value ask(const json::object& params, ahp::Call& call) const {
        std::string question;
        if (const json::value* a = params.if_contains("arguments"); a && a->is_string())
            question = trim(a->get_string());
        if (question.empty()) {
            return json::object{{"success", false}, {"error_code", "invalid_arguments"}, {"message", kUsage}};
        }
        json::array messages = usable_history(params.if_contains("messages"));
        messages.push_back(json::object{{"id", "btw-question"},
                                        {"role", "user"},
                                        {"content", json::array{json::object{{"type", "text"}, {"text", question}}}}});
        json::value answer;
        try {
            answer = call.request(
                "model.complete",
                json::object{{"system", kSystem}, {"messages", std::move(messages)}, {"max_tokens", max_tokens_}});
        } catch (const ahp::Cancelled&) {
            return json::object{
                {"success", false}, {"error_code", "cancelled"}, {"message", "the side question was interrupted"}};
        } catch (const ahp::Error& e) {
            auto [code, message] = failure(e);
            return json::object{
                {"success", false}, {"error_code", code}, {"message", "the side question failed: " + message}};
        }
        const json::object* o = answer.if_object();
        const json::value* text = o ? o->if_contains("text") : nullptr;
        std::string reply = text && text->is_string() ? trim(text->get_string()) : std::string();
        if (reply.empty()) {
            return json::object{
                {"success", false}, {"error_code", "empty_answer"}, {"message", "the model gave no answer"}};
        }
        return json::object{{"success", true}, {"message", std::move(reply)}};
    }

    std::int64_t max_tokens_ = kDefaultMaxTokens;
};

}  // namespace

AHP_PLUGIN(Btw, "btw", "1.0.0")
