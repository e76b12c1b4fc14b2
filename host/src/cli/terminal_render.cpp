#include "cli/terminal_render.hpp"

#include "base/utf8.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace agenthost::cli {

namespace {

constexpr std::size_t kMaxDetailLines = 40;

/// Characters a terminal would act on or not show: C1 controls, the soft hyphen, bidi
/// overrides, embeddings, isolates and marks (they reorder what is shown), line and paragraph
/// separators, zero-width and invisible format characters, the BOM, interlinear annotations
/// and tag characters (invisible text).
bool hidden_code_point(char32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0xAD || cp == 0x61C || cp == 0x180E || cp == 0x200B ||
           cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) ||
           cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F);
}

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/// Whether `rest` starts like an escape's tail ("x1b", "u{"), so a backslash before it must
/// itself be escaped.
bool escape_like(std::string_view rest) {
    if (rest.size() >= 3 && rest[0] == 'x' && is_lower_hex(rest[1]) && is_lower_hex(rest[2])) return true;
    return rest.size() >= 2 && rest[0] == 'u' && rest[1] == '{';
}

void append_byte_escape(std::string& out, unsigned char b) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
}

/// One unit of `text` at `i`: appended to `out` as it may be shown; returns the bytes it took.
/// `squeeze`: newlines and tabs become spaces (one_line).
std::size_t append_safe_unit(std::string& out, std::string_view text, std::size_t i, TextLayout layout,
                             bool squeeze) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\t') {
        if (squeeze) out += ' ';
        else if (layout == TextLayout::kLines) out += static_cast<char>(c);
        else append_byte_escape(out, c);
        return 1;
    }
    if (c < 0x20 || c == 0x7F) {
        append_byte_escape(out, c);
        return 1;
    }
    if (c == '\\') {
        if (escape_like(text.substr(i + 1))) append_byte_escape(out, c);
        else out += '\\';
        return 1;
    }
    if (c < 0x80) {
        out += static_cast<char>(c);
        return 1;
    }
    Utf8Char ch = utf8_char_at(text.substr(i));
    if (ch.length == 0) {
        append_byte_escape(out, c);
        return 1;
    }
    if (hidden_code_point(ch.code_point)) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "\\u{%x}", static_cast<unsigned>(ch.code_point));
        out += buf;
    } else {
        out.append(text.substr(i, ch.length));
    }
    return ch.length;
}

/// Where text that may continue in the next piece must be held back: an unfinished UTF-8
/// sequence, or a backslash whose escape-likeness depends on what follows.
std::size_t held_from(std::string_view s) {
    const std::size_t n = s.size();
    std::size_t keep = n;
    for (std::size_t back = 3; back >= 1; --back) {  // fewer than 3 bytes follow a backslash
        if (back <= n && s[n - back] == '\\') {
            keep = n - back;
            break;
        }
    }
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(s[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
        std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 1;
        if (c <= 0xF4 && back < need) keep = std::min(keep, n - back);
        break;
    }
    return keep;
}

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

/// A value as text, unescaped: a string as it is, anything else as JSON.
std::string value_raw(const json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}

std::string value_text(const json::value& v, std::size_t max) {
    return one_line(value_raw(v), max);
}

/// At most `max` bytes of raw text (not splitting a character), "…" when cut; escaped later.
std::string raw_cut(std::string_view s, std::size_t max) {
    std::string_view cut = cut_utf8(s, max);
    return cut.size() < s.size() ? std::string(cut) + "…" : std::string(s);
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
            primary = raw_cut(kv.value().get_string(), 80);
            continue;
        }
        std::string v;
        if (kv.value().is_string() && kv.value().get_string().find('\n') != json::string::npos) {
            v = plural(static_cast<std::int64_t>(count_lines(kv.value().get_string())), "line", "lines");
        } else {
            v = raw_cut(value_raw(kv.value()), 40);
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

std::string terminal_safe(std::string_view text, TextLayout layout) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) i += append_safe_unit(out, text, i, layout, false);
    return out;
}

std::string TerminalSafeStream::push(std::string_view piece) {
    held_.append(piece);
    std::size_t keep = held_from(held_);
    std::string out = terminal_safe(std::string_view(held_).substr(0, keep));
    held_.erase(0, keep);
    return out;
}

std::string TerminalSafeStream::finish() {
    std::string out = terminal_safe(held_);
    held_.clear();
    return out;
}

namespace {

/// `%*` in a log pattern: the message through terminal_safe.
class SafeMessageFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        std::string safe = terminal_safe(std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(safe.data(), safe.data() + safe.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SafeMessageFlag>(); }
};

}  // namespace

std::unique_ptr<spdlog::formatter> safe_log_formatter(const std::string& pattern) {
    std::string with_flag = pattern;
    for (std::size_t at = with_flag.find("%v"); at != std::string::npos; at = with_flag.find("%v", at + 2))
        with_flag[at + 1] = '*';
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SafeMessageFlag>('*').set_pattern(with_flag);
    return formatter;
}

void set_safe_log_pattern(const std::string& pattern) {
    spdlog::set_formatter(safe_log_formatter(pattern));
}

std::string one_line(std::string_view text, std::size_t max) {
    std::string s;
    s.reserve(std::min(text.size(), max) + 4);
    std::size_t i = 0;
    while (i < text.size()) {
        std::string unit;
        std::size_t took = append_safe_unit(unit, text, i, TextLayout::kOneLine, true);
        if (s.size() + unit.size() > max) break;
        s += unit;
        i += took;
    }
    if (i < text.size()) s += "…";
    return s;
}

std::string tool_call_label(const json::object& tool_call) {
    std::string name;
    if (const json::value* n = field(tool_call, "name"); n && n->is_string()) name = n->get_string();
    const json::value* args = field(tool_call, "arguments");
    return one_line(name, 60) + "(" + (args ? arguments_label(*args) : "") + ")";
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
    if (stream_.holding()) text_ << stream_.finish();
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
    std::string text = (last_started_ == tool_call_id && !tool_call_id.empty()) ? "" : one_line(tool_name, 60) + ": ";
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
        std::string shown = stream_.push(d->get_string());
        text_ << shown << std::flush;
        if (!shown.empty()) mid_line_ = shown.back() != '\n';
        mid_line_ = mid_line_ || stream_.holding();
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

void TerminalPrinter::styled_line(const std::string& markup) {
    std::lock_guard<std::mutex> lock(mu_);
    end_text_locked();
    ui_ << markup << "\n" << std::flush;
    last_started_.clear();
}

void TerminalPrinter::line(const std::string& text) {
    styled_line(terminal_safe(text));
}

void TerminalPrinter::note(const std::string& text) {
    styled_line(dim(terminal_safe(text)));
}

void TerminalPrinter::error(const std::string& text) {
    styled_line(red(terminal_safe(text)));
}

void TerminalPrinter::turn_ended(const TurnResult& r) {
    if (r.cancelled) {
        styled_line("⏹ interrupted " + dim("· " + turn_status(r)));
    } else if (!r.success) {
        std::string why = r.error ? " (" + one_line(r.error->category, 40) + "): " + terminal_safe(r.error->message)
                                  : std::string();
        styled_line(red("✗ turn failed" + why) + " " + dim("· " + turn_status(r)));
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

void TerminalPrinter::request_locked(const ApprovalRequest& r) {
    end_text_locked();
    // Exactly what would happen, every byte shown (terminal_safe): the summary names it on the
    // question's line; the details (the whole command, the diff) follow unless the summary
    // already holds them.
    ui_ << bold("? approve " + one_line(r.action, 40) + ": ") << terminal_safe(r.summary, TextLayout::kOneLine)
        << "\n";
    std::string_view details = r.details;
    if (details.find('\n') == std::string_view::npos && r.summary.find(details) != std::string::npos) details = {};
    const bool whole = r.action == "exec";  // a command is shown whole: every line of it runs
    std::size_t shown = 0, total = count_lines(details);
    while (!details.empty() && (whole || shown < kMaxDetailLines)) {
        std::size_t nl = details.find('\n');
        std::string l = terminal_safe(details.substr(0, nl));
        details = nl == std::string_view::npos ? std::string_view() : details.substr(nl + 1);
        ++shown;
        if (!whole && !l.empty() && l[0] == '+' && l.rfind("+++", 0) != 0)
            l = green(l);
        else if (!whole && !l.empty() && l[0] == '-' && l.rfind("---", 0) != 0)
            l = red(l);
        else if (!whole && l.rfind("@@", 0) == 0)
            l = dim(l);
        ui_ << "  " << l << "\n";
    }
    if (total > shown) ui_ << dim("  … " + std::to_string(total - shown) + " more lines") << "\n";
}

void TerminalPrinter::approval_question(const ApprovalRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    request_locked(r);
    ui_ << "  [y]es / [n]o" << (r.key.empty() ? "" : " / [a]lways for this in this session") << " › " << std::flush;
    question_open_ = true;
    last_started_.clear();
}

void TerminalPrinter::approval_unasked(const ApprovalRequest& r, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    request_locked(r);
    ui_ << red("  " + terminal_safe(why)) << "\n" << std::flush;
    last_started_.clear();
}

void TerminalPrinter::approval_decided(const std::string& decision, bool answered) {
    std::lock_guard<std::mutex> lock(mu_);
    if (answered) question_open_ = false;  // the terminal echoed the Enter
    end_text_locked();
    ui_ << dim("  " + decision) << "\n" << std::flush;
}

}  // namespace agenthost::cli
