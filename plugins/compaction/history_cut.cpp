#include "history_cut.hpp"

#include <string_view>
#include <vector>

namespace compaction {

namespace {

constexpr std::size_t kUserTextBytes = 8 * 1024;
constexpr std::size_t kAgentTextBytes = 4 * 1024;
constexpr std::size_t kArgumentsBytes = 600;
constexpr std::size_t kResultHeadBytes = 1200;
constexpr std::size_t kResultTailBytes = 400;

std::string_view str_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

std::size_t char_floor(std::string_view s, std::size_t n) {
    if (n >= s.size()) return s.size();
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return n;
}

std::size_t char_ceil(std::string_view s, std::size_t n) {
    while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) ++n;
    return n;
}

/// s with its middle left out when longer than head + tail bytes.
std::string shorten(std::string_view s, std::size_t head, std::size_t tail) {
    if (s.size() <= head + tail + 64) return std::string(s);
    std::size_t h = char_floor(s, head);
    std::size_t t = char_ceil(s, s.size() - tail);
    return std::string(s.substr(0, h)) + "\n[… " + std::to_string(t - h) + " bytes left out …]\n" +
           std::string(s.substr(t));
}

/// A tool result's text: a string as is, bash's output members, anything else as JSON.
std::string result_text(const json::value& r) {
    if (r.is_string()) return std::string(r.get_string());
    if (const json::object* o = r.if_object()) {
        std::string out;
        if (const json::value* code = o->if_contains("exit_code")) out += "exit_code " + json::serialize(*code) + "\n";
        for (const char* key : {"content", "stdout", "stderr", "note", "error"}) {
            std::string_view v = str_of(*o, key);
            if (!v.empty()) out += std::string(key) + ":\n" + std::string(v) + "\n";
        }
        if (!out.empty()) return out;
    }
    return json::serialize(r);
}

}  // namespace

bool is_turn_start(const json::value& message) {
    const json::object* m = message.if_object();
    if (!m || str_of(*m, "role") != "user") return false;
    const json::value* content = m->if_contains("content");
    if (content && content->is_array()) {
        for (const json::value& part : content->get_array()) {
            const json::object* p = part.if_object();
            if (p && str_of(*p, "type") == "tool_result") return false;
        }
    }
    return true;
}

bool is_summary(const json::value& message) {
    const json::object* m = message.if_object();
    if (!m || str_of(*m, "role") != "user") return false;
    if (const json::value* flag = m->if_contains("compaction"); flag && flag->is_bool() && flag->get_bool())
        return true;
    const json::value* content = m->if_contains("content");
    if (!content || !content->is_array() || content->get_array().empty()) return false;
    const json::object* p = content->get_array().front().if_object();
    return p && str_of(*p, "text").substr(0, std::string_view(kSummaryPrefix).size()) == kSummaryPrefix;
}

std::optional<CutPoint> find_cut(const json::array& messages, int keep_turns) {
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (is_turn_start(messages[i])) starts.push_back(i);
    }
    for (int keep = keep_turns; keep >= 1; --keep) {
        if (starts.size() < static_cast<std::size_t>(keep)) continue;
        std::size_t index = starts[starts.size() - static_cast<std::size_t>(keep)];
        if (index == 0) continue;
        if (index == 1 && is_summary(messages[0])) continue;  // only the last summary: nothing new
        return CutPoint{index, keep};
    }
    return std::nullopt;
}

std::string transcript(const json::array& messages, std::size_t end, std::size_t max_bytes) {
    std::string out;
    for (std::size_t i = 0; i < end && i < messages.size(); ++i) {
        const json::object* m = messages[i].if_object();
        if (!m) continue;
        std::string_view role = str_of(*m, "role");
        const json::value* content = m->if_contains("content");
        if (!content || !content->is_array()) continue;
        std::string text, calls, results;
        for (const json::value& part : content->get_array()) {
            const json::object* p = part.if_object();
            if (!p) continue;
            std::string_view type = str_of(*p, "type");
            if (type == "text") {
                text += str_of(*p, "text");
            } else if (type == "tool_call") {
                const json::value* args = p->if_contains("arguments");
                calls += "[tool call " + std::string(str_of(*p, "name")) + " " +
                         shorten(args ? json::serialize(*args) : "{}", kArgumentsBytes, 0) + "]\n";
            } else if (type == "tool_result") {
                const json::value* r = p->if_contains("result");
                const json::value* err = p->if_contains("is_error");
                bool failed = err && err->is_bool() && err->get_bool();
                results += "<tool_result tool=\"" + std::string(str_of(*p, "tool_name")) + "\"" +
                           (failed ? " error=\"true\"" : "") + ">\n" +
                           shorten(r ? result_text(*r) : "", kResultHeadBytes, kResultTailBytes) + "\n</tool_result>\n";
            }
        }
        if (!results.empty()) {
            out += results;
            continue;
        }
        if (is_summary(messages[i])) {
            out += "<earlier_summary>\n" + text + "\n</earlier_summary>\n";
            continue;
        }
        bool user = role == "user";
        out += user ? "<user>\n" : "<assistant>\n";
        out += user ? shorten(text, kUserTextBytes, 1024) : shorten(text, kAgentTextBytes, 512);
        if (!text.empty() && text.back() != '\n') out += '\n';
        out += calls;
        out += user ? "</user>\n" : "</assistant>\n";
    }
    if (out.size() > max_bytes) {
        std::size_t head = max_bytes / 5;  // the start (the task) and the most recent part matter most
        out = shorten(out, head, max_bytes - head);
    }
    return out;
}

}  // namespace compaction
