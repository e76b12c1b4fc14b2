// loop_detection: before each model call, look at the current turn's tool calls for the model
// going in circles (see detector.hpp). On a match, record a `loop.detected` event and append a
// warning to this call's system prompt (`append_system`; never a message, which could separate
// a tool call from its result); after `max_notes` warnings in one turn, stop the turn as
// `loop_detected` (docs/context-services.md).
//
// The hook runs before every model call, so it reads the params text directly (history.hpp):
// backward from the end, only the newest batches, no document built. A detection is checked
// again on a full scan, and only then is storage touched.
#include "detector.hpp"
#include "history.hpp"

#include <ahp/ahp.hpp>
#include <ahp/config.hpp>

#include <algorithm>
#include <map>
#include <mutex>

namespace {

namespace json = ahp::json;
using loopdet::Detection;

constexpr const char* kNotesKey = "loop_detection.notes";

loopdet::Settings parse_settings(const json::object& config) {
    ahp::ConfigReader c("loop_detection", config);
    c.only({"threshold", "mutating_failure_threshold", "max_notes", "mutating_tools", "batch_min_calls",
            "ignored_result_fields"});
    loopdet::Settings s;
    s.threshold = static_cast<int>(c.integer("threshold", 2, 100, s.threshold));
    s.mutating_failure_threshold =
        static_cast<int>(c.integer("mutating_failure_threshold", 2, 100, s.mutating_failure_threshold));
    s.max_notes = static_cast<int>(c.integer("max_notes", 0, 100, s.max_notes));
    s.batch_min_calls = static_cast<std::size_t>(
        c.integer("batch_min_calls", 1, 100, static_cast<std::int64_t>(s.batch_min_calls)));
    s.mutating_tools = c.strings("mutating_tools", s.mutating_tools);
    s.ignored_result_fields = c.strings("ignored_result_fields", s.ignored_result_fields);
    return s;
}

/// The first line of s, cut to at most n bytes (at a UTF-8 boundary).
std::string short_text(std::string_view s, std::size_t n) {
    s = s.substr(0, s.find('\n'));
    if (s.size() <= n) return std::string(s);
    std::size_t cut = n;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return std::string(s.substr(0, cut)) + "…";
}

/// "edit_file on src/a.cpp", "bash `make test`": the tool and its most telling argument.
std::string describe_call(const loopdet::RawCall& c) {
    std::string out(c.name);
    json::value args;
    try {
        args = json::parse(c.args);
    } catch (const std::exception&) {
        return out;
    }
    const json::object* o = args.if_object();
    if (!o) return out;
    for (const char* key : {"path", "command", "url", "query", "pattern", "name"}) {
        const json::value* v = o->if_contains(key);
        if (!v || !v->is_string()) continue;
        std::string value = short_text(v->get_string(), 80);
        return out + (std::string_view(key) == "command" ? " `" + value + "`" : " on " + value);
    }
    return out;
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

/// The warning for the model, naming what repeats without quoting its output.
std::string note_text(const Detection& d, int number, int max_notes) {
    std::string head = "Loop warning (" + std::to_string(number) + " of " + std::to_string(max_notes) + "): ";
    std::string body;
    switch (d.kind) {
        case Detection::kMutatingFailure:
            body = "you have called " + describe_call(d.call) + " with the same arguments " + std::to_string(d.count) +
                   " times in a row, and it failed the same way each time. Repeating it will fail again. Change your "
                   "approach: check the current state first (re-read the file, look at the error), then try something "
                   "different, or stop and tell the user what blocks you.";
            break;
        case Detection::kRepeatedCall:
            body = "you have called " + describe_call(d.call) + " with the same arguments " + std::to_string(d.count) +
                   " times in a row and got the same result each time. Calling it again will not tell you anything "
                   "new: use the result you already have, or change your approach.";
            break;
        default:
            body = "you have made the same batch of tool calls (" + join(d.tools) + ") " + std::to_string(d.count) +
                   " times in a row. Repeating it will not make progress: use the results you already have, or "
                   "change your approach.";
            break;
    }
    std::string tail = number >= max_notes ? " If you repeat it once more, the turn will be stopped." : "";
    return head + body + tail;
}

/// What repeats, for the stop message.
std::string what_repeats(const Detection& d) {
    switch (d.kind) {
        case Detection::kMutatingFailure:
            return "a failing " + describe_call(d.call) + " call";
        case Detection::kRepeatedCall:
            return "the same " + describe_call(d.call) + " call";
        default:
            return "the same batch of calls (" + join(d.tools) + ")";
    }
}

class LoopDetection : public ahp::Capability {
public:
    /// hook.before_model straight from the params text (no parse of the history).
    std::optional<std::string> invoke_raw(std::string_view method, std::string_view params, ahp::Call& call) override {
        if (method != "hook.before_model") return std::nullopt;
        return before_model(params, call);
    }

    explicit LoopDetection(json::object cfg) : Capability(std::move(cfg)), settings_(parse_settings(config())) {
        on_hook("before_model", [this](const json::object& params, ahp::Call& call) -> json::value {
            return json::parse(before_model(json::serialize(params), call));
        });
    }

    /// The hook on the params text; answers JSON text.
    std::string before_model(std::string_view params, ahp::Call& call) {
        {  // The fast path: the newest messages, read backward from the end of the text.
            loopdet::MessageCursor tail = loopdet::MessageCursor::from_tail(params);
            loopdet::TurnReader reader(params, tail);
            Detection d = loopdet::detect(reader, settings_);
            if (d.kind == Detection::kNone && !reader.malformed()) return "{}";
        }
        // A loop, or a text the fast path could not read: locate everything and check again.
        loopdet::Located at;
        if (!loopdet::locate(params, at)) return "{}";
        loopdet::MessageCursor all(at.messages);
        loopdet::TurnReader reader(params, all);
        Detection d = loopdet::detect(reader, settings_);
        if (d.kind == Detection::kNone) return "{}";

        std::string session(at.session_id), turn(at.turn_id);
        int given = notes_given(session, turn, call);
        json::object data{{"kind", loopdet::kind_name(d.kind)},
                          {"tool", d.kind == Detection::kRepeatedBatch ? join(d.tools) : std::string(d.call.name)},
                          {"count", d.count}};
        if (given >= settings_.max_notes) {
            data["note_number"] = given;
            data["stopped"] = true;
            std::string message = "stopped: the model kept repeating " + what_repeats(d) + " after " +
                                  std::to_string(given) + " warning" + (given == 1 ? "" : "s");
            json::object answer{{"event", json::object{{"type", "loop.detected"}, {"data", std::move(data)}}},
                                {"stop", json::object{{"category", "loop_detected"}, {"message", message}}}};
            return json::serialize(answer);
        }
        int number = given + 1;
        set_notes_given(session, turn, number, call);
        data["note_number"] = number;
        return json::serialize(
            json::object{{"append_system", note_text(d, number, settings_.max_notes)},
                         {"event", json::object{{"type", "loop.detected"}, {"data", std::move(data)}}}});
    }

private:
    /// Notes already given in this turn: storage (per session), else memory.
    int notes_given(const std::string& session, const std::string& turn, ahp::Call& call) {
        try {
            json::value v = call.request("storage.get", json::object{{"key", kNotesKey}});
            const json::value* value = v.is_object() ? v.get_object().if_contains("value") : nullptr;
            if (!value || !value->is_string()) return 0;
            std::string_view s = value->get_string();
            std::size_t tab = s.rfind('\t');
            if (tab == std::string_view::npos || s.substr(0, tab) != turn) return 0;
            return std::stoi(std::string(s.substr(tab + 1)));
        } catch (const ahp::Error& e) {
            if (e.status() == AHP_CANCELLED) throw;
            std::lock_guard<std::mutex> lock(mu_);
            auto it = memory_.find(session);
            return it != memory_.end() && it->second.first == turn ? it->second.second : 0;
        }
    }

    void set_notes_given(const std::string& session, const std::string& turn, int n, ahp::Call& call) {
        try {
            call.request("storage.set", json::object{{"key", kNotesKey}, {"value", turn + "\t" + std::to_string(n)}});
        } catch (const ahp::Error& e) {
            if (e.status() == AHP_CANCELLED) throw;
            std::lock_guard<std::mutex> lock(mu_);
            memory_[session] = {turn, n};
        }
    }

    loopdet::Settings settings_;
    std::mutex mu_;
    std::map<std::string, std::pair<std::string, int>> memory_;  // session → (turn, notes)
};

}  // namespace

AHP_PLUGIN(LoopDetection, "loop_detection", "1.0.0")
