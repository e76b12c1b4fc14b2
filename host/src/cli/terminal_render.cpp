#include "cli/terminal_render.hpp"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>

namespace agenthost::cli {

namespace {

constexpr std::size_t kMaxDetailLines = 40;

std::size_t count_lines(std::string_view s) {
    if (s.empty()) return 0;
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return s.back() == '\n' ? n : n + 1;
}

std::string plural(std::int64_t n, const std::string& one, const std::string& many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string tokens(std::int64_t n) {
    if (n < 10000) return std::to_string(n);
    std::string s = std::to_string(n / 1000) + "." + std::to_string((n % 1000) / 100) + "k";
    return s;
}

std::string value_text(const json::value& v, std::size_t max) {
    if (v.is_string()) return one_line(v.get_string(), max);
    return one_line(json::serialize(v), max);
}

/// The argument that names what a tool acts on, shown bare: read_file(src/main.cpp).
bool is_primary(std::string_view key) {
    static constexpr std::array<std::string_view, 7> kPrimary = {"path", "file_path", "command", "pattern",
                                                                 "url",  "query",     "name"};
    for (std::string_view k : kPrimary) {
        if (k == key) return true;
    }
    return false;
}

std::string arguments_label(const json::value& args) {
    if (!args.is_object()) return value_text(args, 80);
    const json::object& o = args.get_object();
    std::string primary, rest;
    for (const auto& kv : o) {
        if (primary.empty() && is_primary(kv.key()) && kv.value().is_string()) {
            primary = one_line(kv.value().get_string(), 80);
            continue;
        }
        std::string v;
        if (kv.value().is_string() && kv.value().get_string().find('\n') != json::string::npos) {
            v = plural(static_cast<std::int64_t>(count_lines(kv.value().get_string())), "line", "lines");
        } else {
            v = value_text(kv.value(), 40);
        }
        rest += (rest.empty() ? "" : ", ") + std::string(kv.key()) + ": " + v;
    }
    std::string all = primary.empty() ? rest : rest.empty() ? primary : primary + ", " + rest;
    return one_line(all, 100);
}

const json::value* field(const json::object& o, std::string_view key) {
    return o.if_contains(key);
}

}  // namespace

std::string one_line(std::string_view text, std::size_t max) {
    std::string s;
    s.reserve(std::min(text.size(), max + 4));
    for (char c : text) {
        if (s.size() >= max) break;
        s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    if (s.size() < text.size()) {
        while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
        if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
        s += "…";
    }
    return s;
}

std::string tool_call_label(const json::object& tool_call) {
    std::string name;
    if (const json::value* n = field(tool_call, "name"); n && n->is_string()) name = n->get_string();
    const json::value* args = field(tool_call, "arguments");
    return name + "(" + (args ? arguments_label(*args) : "") + ")";
}

std::string tool_outcome(const json::value& result) {
    if (result.is_string()) {
        std::string_view s = result.get_string();
        if (s.empty()) return "(empty)";
        std::size_t lines = count_lines(s);
        return lines > 1 ? plural(static_cast<std::int64_t>(lines), "line", "lines") : one_line(s, 100);
    }
    if (result.is_array()) return plural(static_cast<std::int64_t>(result.get_array().size()), "item", "items");
    if (!result.is_object()) return value_text(result, 100);
    const json::object& o = result.get_object();
    auto number = [&](std::string_view key) -> std::optional<std::int64_t> {
        const json::value* v = field(o, key);
        if (!v || !v->is_number()) return std::nullopt;
        return v->to_number<std::int64_t>();
    };
    auto flag = [&](std::string_view key) {
        const json::value* v = field(o, key);
        return v && v->is_bool() && v->get_bool();
    };
    if (auto code = number("exit_code")) {
        std::string s = "exit " + std::to_string(*code);
        std::size_t out_lines = 0;
        for (std::string_view k : {"stdout", "stderr", "output"}) {
            if (const json::value* v = field(o, k); v && v->is_string()) out_lines += count_lines(v->get_string());
        }
        if (out_lines > 0) s += ", " + plural(static_cast<std::int64_t>(out_lines), "line", "lines") + " of output";
        return s;
    }
    if (flag("binary")) return "binary file";
    if (auto shown = number("lines_shown")) {
        std::string s = plural(*shown, "line", "lines");
        if (auto total = number("total_lines"); total && *total > *shown) s += " of " + std::to_string(*total);
        return s;
    }
    for (std::string_view k : {"entries", "paths", "matches", "files", "results", "items"}) {
        const json::value* v = field(o, k);
        if (!v || !v->is_array()) continue;
        std::string s = std::to_string(v->get_array().size()) + " " + std::string(k);
        if (flag("truncated")) s += " (more not shown)";
        return s;
    }
    if (const json::value* c = field(o, "content"); c && c->is_string()) {
        return plural(static_cast<std::int64_t>(count_lines(c->get_string())), "line", "lines");
    }
    if (field(o, "created") && number("size")) {
        return std::string(flag("created") ? "created, " : "wrote ") + plural(*number("size"), "byte", "bytes");
    }
    if (const json::value* d = field(o, "deleted"); d && d->is_bool())
        return d->get_bool() ? "deleted" : "nothing to delete";
    return value_text(result, 100);
}

std::string turn_status(const TurnResult& r) {
    return plural(r.iterations, "iteration", "iterations") + " · " + plural(r.tool_calls, "tool call", "tool calls") +
           " · " + tokens(r.usage.input_tokens) + " in / " + tokens(r.usage.output_tokens) + " out tokens";
}

TerminalPrinter::TerminalPrinter(std::ostream& text, std::ostream& ui, bool color)
    : text_(text), ui_(ui), color_(color) {}

bool TerminalPrinter::color_for(int fd) {
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return ::isatty(fd) && !(no_color && *no_color) && !(term && std::strcmp(term, "dumb") == 0);
}

std::string TerminalPrinter::bold(const std::string& s) const {
    return color_ ? "\033[1m" + s + "\033[0m" : s;
}
std::string TerminalPrinter::dim(const std::string& s) const {
    return color_ ? "\033[2m" + s + "\033[0m" : s;
}
std::string TerminalPrinter::red(const std::string& s) const {
    return color_ ? "\033[31m" + s + "\033[0m" : s;
}
std::string TerminalPrinter::green(const std::string& s) const {
    return color_ ? "\033[32m" + s + "\033[0m" : s;
}

void TerminalPrinter::end_text_locked() {
    if (question_open_) ui_ << "\n" << std::flush;
    question_open_ = false;
    if (!mid_line_) return;
    text_ << "\n" << std::flush;
    mid_line_ = false;
}

void TerminalPrinter::end_text() {
    std::lock_guard<std::mutex> lock(mu_);
    end_text_locked();
}

void TerminalPrinter::tool_line_locked(const json::object& tool_call) {
    end_text_locked();
    ui_ << (color_ ? "\033[36m⏺\033[0m " : "⏺ ") << tool_call_label(tool_call) << "\n" << std::flush;
    const json::value* id = tool_call.if_contains("id");
    last_started_ = id && id->is_string() ? std::string(id->get_string()) : std::string();
}

void TerminalPrinter::outcome_line_locked(const std::string& tool_name, const std::string& tool_call_id, bool ok,
                                          const json::value& result) {
    end_text_locked();
    std::string text = (last_started_ == tool_call_id && !tool_call_id.empty()) ? "" : tool_name + ": ";
    if (ok) {
        text = dim(text + tool_outcome(result));
    } else {
        text = red(text + "error: " + value_text(result, 160));
    }
    ui_ << "  ⎿ " << text << "\n" << std::flush;
    last_started_.clear();
}

void TerminalPrinter::on_event(const Event& e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.type == event_type::kOutputDelta) {
        const json::value* d = e.data.if_contains("delta");
        if (!d || !d->is_string() || d->get_string().empty()) return;
        std::string_view s = d->get_string();
        text_ << s << std::flush;
        mid_line_ = s.back() != '\n';
        last_started_.clear();
    } else if (e.type == event_type::kToolStarted) {
        if (const json::value* tc = e.data.if_contains("tool_call"); tc && tc->is_object())
            tool_line_locked(tc->get_object());
    } else if (e.type == event_type::kToolCompleted) {
        auto str = [&](std::string_view k) {
            const json::value* v = e.data.if_contains(k);
            return v && v->is_string() ? std::string(v->get_string()) : std::string();
        };
        const json::value* ok = e.data.if_contains("success");
        const json::value* result = e.data.if_contains("result");
        outcome_line_locked(str("tool_name"), str("tool_call_id"), ok && ok->is_bool() && ok->get_bool(),
                            result ? *result : json::value());
    }
}

void TerminalPrinter::line(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    end_text_locked();
    ui_ << text << "\n" << std::flush;
    last_started_.clear();
}

void TerminalPrinter::note(const std::string& text) {
    line(dim(text));
}

void TerminalPrinter::error(const std::string& text) {
    line(red(text));
}

void TerminalPrinter::turn_ended(const TurnResult& r) {
    if (r.cancelled) {
        line("⏹ interrupted " + dim("· " + turn_status(r)));
    } else if (!r.success) {
        line(red("✗ turn failed" + (r.error ? " (" + r.error->category + "): " + r.error->message : std::string())) +
             " " + dim("· " + turn_status(r)));
    } else {
        note("✻ " + turn_status(r));
    }
}

void TerminalPrinter::replay(const std::vector<Message>& messages, std::size_t count) {
    if (messages.empty()) return;
    std::size_t start = messages.size() > count ? messages.size() - count : 0;
    note("resumed: " + plural(static_cast<std::int64_t>(messages.size()), "message", "messages") +
         (start > 0 ? ", the last " + std::to_string(messages.size() - start) + ":" : ":"));
    std::lock_guard<std::mutex> lock(mu_);
    end_text_locked();
    for (std::size_t i = start; i < messages.size(); ++i) {
        const Message& m = messages[i];
        for (const json::value& part : m.content) {
            if (!part.is_object()) continue;
            const json::object& p = part.get_object();
            const json::value* type = p.if_contains("type");
            if (!type || !type->is_string()) continue;
            if (*type == "text") {
                const json::value* t = p.if_contains("text");
                if (!t || !t->is_string()) continue;
                std::string text = one_line(t->get_string(), 200);
                ui_ << (m.role == "user" ? bold("> " + text) : text) << "\n";
            } else if (*type == "tool_call") {
                tool_line_locked(p);
            } else if (*type == "tool_result") {
                auto str = [&](std::string_view k) {
                    const json::value* v = p.if_contains(k);
                    return v && v->is_string() ? std::string(v->get_string()) : std::string();
                };
                const json::value* err = p.if_contains("is_error");
                const json::value* result = p.if_contains("result");
                outcome_line_locked(str("tool_name"), str("tool_call_id"), !(err && err->is_bool() && err->get_bool()),
                                    result ? *result : json::value());
            }
        }
    }
    ui_ << std::flush;
}

void TerminalPrinter::approval_question(const ApprovalRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    end_text_locked();
    ui_ << bold("? approve " + r.action + ": ") << r.summary << "\n";
    std::string_view details = r.details;
    if (details.find('\n') == std::string_view::npos && r.summary.find(details) != std::string::npos) details = {};
    std::size_t shown = 0, total = count_lines(details);
    while (!details.empty() && shown < kMaxDetailLines) {
        std::size_t nl = details.find('\n');
        std::string l(details.substr(0, nl));
        details = nl == std::string_view::npos ? std::string_view() : details.substr(nl + 1);
        ++shown;
        if (!l.empty() && l[0] == '+' && l.rfind("+++", 0) != 0)
            l = green(l);
        else if (!l.empty() && l[0] == '-' && l.rfind("---", 0) != 0)
            l = red(l);
        else if (l.rfind("@@", 0) == 0)
            l = dim(l);
        ui_ << "  " << l << "\n";
    }
    if (total > shown) ui_ << dim("  … " + std::to_string(total - shown) + " more lines") << "\n";
    ui_ << "  [y]es / [n]o" << (r.key.empty() ? "" : " / [a]lways for this in this session") << " › " << std::flush;
    question_open_ = true;
    last_started_.clear();
}

void TerminalPrinter::approval_decided(const std::string& decision, bool answered) {
    std::lock_guard<std::mutex> lock(mu_);
    if (answered) question_open_ = false;  // the terminal echoed the Enter
    end_text_locked();
    ui_ << dim("  " + decision) << "\n" << std::flush;
}

}  // namespace agenthost::cli
