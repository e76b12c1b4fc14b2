// compaction: when the estimated context (the host's `estimated_tokens`: the request's size / 4)
// passes `threshold` of the window (config `context_window`, else the host's `context_window`
// param for the model, else 200 000 tokens), or on /compact, the older history is
// summarised with one tool-less call to the session's model (model.complete) and the recent
// turns are kept verbatim. The cut always falls at a user message that is not a tool result,
// so no tool call is ever separated from its result. history.compact records it: the host's
// projection shows the summary instead of the older messages from then on (also after resume),
// and the hook answers `compacted: true` so the host rebuilds this very request from it
// (docs/context-services.md).
//
// The check runs before every model call: it reads `estimated_tokens` from the params text
// without parsing the rest, and only past the threshold asks for the whole history.
#include "history_cut.hpp"

#include <ahp/ahp.hpp>
#include <ahp/config.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace {

namespace json = ahp::json;
using compaction::CutPoint;


constexpr const char* kSummarySystem =
    "You summarise the earlier part of a session between a user and an AI coding agent, so that the agent can "
    "continue the work from your summary and the most recent messages alone. Write notes for the agent, concise "
    "but complete, under these headings:\n"
    "## Goals: what the user asked for, with their constraints and preferences.\n"
    "## Decisions: what was decided, and why.\n"
    "## Files touched: each path, and what was read, created or changed in it.\n"
    "## Current state: what is done, what works, what fails (quote the error messages that still matter).\n"
    "## Open questions: what is unresolved, and the next steps.\n"
    "Keep exact names: paths, functions, commands, identifiers. If an earlier summary is included, fold it in. "
    "Never invent anything that is not in the conversation.";

std::string string_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

/// One past the end of the string or scalar at t[i] (a string skipped with memchr), or npos.
std::size_t skip_scalar(std::string_view t, std::size_t i) {
    if (i < t.size() && t[i] == '"') {
        for (std::size_t j = i + 1;;) {
            const void* q = j < t.size() ? std::memchr(t.data() + j, '"', t.size() - j) : nullptr;
            if (!q) return std::string_view::npos;
            std::size_t k = static_cast<std::size_t>(static_cast<const char*>(q) - t.data()), b = k;
            while (b > i + 1 && t[b - 1] == '\\') --b;
            if (((k - b) & 1) == 0) return k + 1;  // not escaped: the closing quote
            j = k + 1;
        }
    }
    while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ' ' && t[i] != '\n' && t[i] != '\r' && t[i] != '\t')
        ++i;
    return i;
}

/// The numbers among the leading scalar members of a JSON object text, read without parsing
/// the rest: the scan stops at the first member that is an array or object (the host sends
/// its scalars first and recent_messages last).
struct Leading {
    std::optional<double> estimated_tokens;
    std::optional<double> context_window;
};

Leading leading_numbers(std::string_view t) {
    Leading out;
    auto ws = [&](std::size_t i) {
        while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
        return i;
    };
    std::size_t i = ws(0);
    if (i >= t.size() || t[i] != '{') return out;
    i = ws(i + 1);
    while (i < t.size() && t[i] == '"') {
        std::size_t key_end = skip_scalar(t, i);
        if (key_end == std::string_view::npos) return out;
        std::string_view key = t.substr(i + 1, key_end - i - 2);
        i = ws(key_end);
        if (i >= t.size() || t[i] != ':') return out;
        i = ws(i + 1);
        if (i >= t.size() || t[i] == '{' || t[i] == '[') return out;
        std::size_t end = skip_scalar(t, i);
        if (end == std::string_view::npos) return out;
        std::optional<double>* slot = key == "estimated_tokens" ? &out.estimated_tokens
                                      : key == "context_window" ? &out.context_window
                                                                : nullptr;
        if (slot) {
            std::string number(t.substr(i, end - i));
            char* stop = nullptr;
            double v = std::strtod(number.c_str(), &stop);
            if (!number.empty() && stop == number.c_str() + number.size()) *slot = v;
        }
        i = ws(end);
        if (i >= t.size() || t[i] != ',') return out;
        i = ws(i + 1);
    }
    return out;
}

/// What one compaction did.
struct Done {
    std::size_t replaced = 0;
    std::size_t kept = 0;
    int kept_turns = 0;
};

class Compaction : public ahp::Capability {
public:
    /// hook.before_model answers "below the threshold" ({}) from the leading scalars alone.
    std::optional<std::string> invoke_raw(std::string_view method, std::string_view params, ahp::Call&) override {
        if (method == "hook.before_model" && below(params)) return std::string("{}");
        return std::nullopt;
    }

    explicit Compaction(json::object cfg) : Capability(std::move(cfg)) {
        ahp::ConfigReader c("compaction", config());
        c.only({"context_window", "threshold", "keep_recent_turns", "summary_max_tokens", "max_transcript_bytes"});
        window_ = c.integer("context_window", 1024, 100000000, window_);
        window_configured_ = config().contains("context_window");
        if (const json::value* t = config().if_contains("threshold")) {
            if (!t->is_number() || t->to_number<double>() < 0.05 || t->to_number<double>() > 1.0) {
                c.fail("threshold", "must be a number from 0.05 to 1");
            }
            threshold_ = t->to_number<double>();
        }
        keep_turns_ = static_cast<int>(c.integer("keep_recent_turns", 1, 1000, keep_turns_));
        summary_tokens_ = c.integer("summary_max_tokens", 256, 65536, summary_tokens_);
        transcript_bytes_ = static_cast<std::size_t>(
            c.integer("max_transcript_bytes", 4096, 64ll << 20, static_cast<std::int64_t>(transcript_bytes_)));

        on_hook("before_model", [this](const json::object& p, ahp::Call& call) { return before_model(p, call); });
        add_command(
            {"compact",
             "Summarise the older history to free context, keeping the recent turns verbatim "
             "(optional: what the summary should focus on)",
             json::array{json::object{
                 {"name", "focus"}, {"description", "what the summary should keep in detail"}, {"required", false}}}},
            [this](const json::object& p, ahp::Call& call) { return compact_command(p, call); });
    }

    /// Whether the params text says the request is below the threshold (false: look closer).
    bool below(std::string_view params) const noexcept {
        try {
            Leading n = leading_numbers(params);
            return n.estimated_tokens &&
                   *n.estimated_tokens < limit(window_configured_ ? std::nullopt : n.context_window);
        } catch (...) {
            return false;  // the SDK path will say what is wrong
        }
    }

private:
    /// The token count that triggers a compaction: the configured window, else the one the host
    /// reports for the model (`context_window`), else 200 000, times the threshold.
    double limit(std::optional<double> host_window) const {
        double window = static_cast<double>(window_);
        if (host_window && *host_window >= 1024) window = *host_window;
        return window * threshold_;
    }

    json::value before_model(const json::object& params, ahp::Call& call) {
        const json::value* estimate = params.if_contains("estimated_tokens");
        if (!estimate || !estimate->is_number()) return json::object{};
        double tokens = estimate->to_number<double>();
        std::optional<double> host_window;
        if (const json::value* w = params.if_contains("context_window"); w && w->is_number() && !window_configured_) {
            host_window = w->to_number<double>();
        }
        if (tokens < limit(host_window)) return json::object{};

        std::string session = string_of(params, "session_id"), turn = string_of(params, "turn_id");
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = given_up_.find(session);
            if (it != given_up_.end() && it->second == turn) return json::object{};  // tried in this turn already
        }
        std::string at = "context at ~" + std::to_string(static_cast<std::int64_t>(tokens)) + " tokens, past " +
                         std::to_string(static_cast<std::int64_t>(limit(host_window)));
        std::string why;
        try {
            json::value history = call.request("history.messages", json::object{});
            const json::value* m = history.is_object() ? history.get_object().if_contains("messages") : nullptr;
            if (!m || !m->is_array()) throw ahp::Error("invalid_history", "history.messages sent no messages");
            const json::array& messages = m->get_array();
            if (std::optional<CutPoint> cut = compaction::find_cut(messages, keep_turns_)) {
                Done done = compact(messages, *cut, "", call);
                call.log(AHP_LOG_INFO, at + ": " + std::to_string(done.replaced) + " messages summarised, the last " +
                                           std::to_string(done.kept_turns) + " turns kept");
                return json::object{{"compacted", true}};
            }
            why = "no earlier turn to summarise (the current turn alone fills the context)";
        } catch (const ahp::Error& e) {
            if (e.status() == AHP_CANCELLED) throw;
            why = std::string("the compaction failed: ") + e.what();
        }
        call.log(AHP_LOG_WARN, at + ", but it cannot be compacted: " + why);
        std::lock_guard<std::mutex> lock(mu_);
        given_up_[session] = turn;
        return json::object{};
    }

    json::value compact_command(const json::object& params, ahp::Call& call) {
        const json::value* m = params.if_contains("messages");
        if (!m || !m->is_array()) {
            return json::object{{"success", false},
                                {"message", "the host sent no messages to compact"},
                                {"error_code", "invalid_arguments"}};
        }
        std::string focus;
        if (const json::value* a = params.if_contains("arguments")) {
            if (a->is_string())
                focus = a->get_string();
            else if (a->is_object())
                focus = string_of(a->get_object(), "focus");
        }
        const json::array& messages = m->get_array();
        std::optional<CutPoint> cut = compaction::find_cut(messages, keep_turns_);
        if (!cut) {
            return json::object{{"success", false},
                                {"message",
                                 "nothing to compact: there is no earlier turn to summarise before the "
                                 "current one (" +
                                     std::to_string(messages.size()) + " messages)"},
                                {"error_code", "nothing_to_compact"}};
        }
        try {
            Done done = compact(messages, *cut, focus, call);
            return json::object{
                {"success", true},
                {"message", "compacted: " + std::to_string(done.replaced) +
                                " earlier messages replaced by a summary; kept the last " +
                                std::to_string(done.kept_turns) + " turn" + (done.kept_turns == 1 ? "" : "s") + " (" +
                                std::to_string(done.kept) + " messages) verbatim"}};
        } catch (const ahp::Error& e) {
            if (e.status() == AHP_CANCELLED) throw;
            return json::object{{"success", false},
                                {"message", std::string("compaction failed: ") + e.what()},
                                {"error_code", "compaction_failed"}};
        }
    }

    /// Summarise messages[0, cut) and record the compaction.
    Done compact(const json::array& messages, const CutPoint& cut, const std::string& focus, ahp::Call& call) {
        std::string keep_id;
        if (const json::object* first_kept = messages[cut.index].if_object()) keep_id = string_of(*first_kept, "id");
        if (keep_id.empty()) throw ahp::Error("invalid_history", "the first kept message has no id");

        std::string ask = "Summarise this conversation, the earlier part of the session:\n\n<conversation>\n" +
                          compaction::transcript(messages, cut.index, transcript_bytes_) + "</conversation>";
        if (!focus.empty()) ask += "\n\nThe user asks the summary to keep this in detail: " + focus;
        json::object params{{"system", kSummarySystem},
                            {"messages", json::array{json::object{
                                             {"id", "compaction-request"},
                                             {"role", "user"},
                                             {"content", json::array{json::object{{"type", "text"}, {"text", ask}}}}}}},
                            {"max_tokens", summary_tokens_}};
        json::value answer = call.request("model.complete", params);
        std::string text = answer.is_object() ? string_of(answer.get_object(), "text") : "";
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        if (text.empty()) throw ahp::Error("compaction_failed", "the model returned an empty summary");

        json::value recorded =
            call.request("history.compact", json::object{{"summary", text}, {"keep_from_message_id", keep_id}});
        Done done;
        done.replaced = cut.index;
        done.kept = messages.size() - cut.index;
        done.kept_turns = cut.kept_turns;
        if (const json::object* rec = recorded.if_object()) {  // the host's own counts, if it says
            if (const json::value* r = rec->if_contains("replaced_messages"); r && r->is_number()) {
                done.replaced = r->to_number<std::size_t>();
            }
            if (const json::value* k = rec->if_contains("kept_messages"); k && k->is_number())
                done.kept = k->to_number<std::size_t>();
        }
        return done;
    }

    std::int64_t window_ = 200000;
    double threshold_ = 0.8;
    int keep_turns_ = 2;
    std::int64_t summary_tokens_ = 4096;
    std::size_t transcript_bytes_ = 400000;
    bool window_configured_ = false;
    std::mutex mu_;
    std::map<std::string, std::string> given_up_;  // session → the turn in which no compaction was possible
};

}  // namespace

AHP_PLUGIN(Compaction, "compaction", "1.0.0")
