#include "preview.hpp"

#include <algorithm>

namespace toolout {

namespace {

bool continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::uint64_t newlines(std::string_view s) {
    return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

std::string num(std::uint64_t n) {
    return std::to_string(n);
}

std::string lines_of(std::uint64_t n) {
    return num(n) + (n == 1 ? " line" : " lines");
}

}  // namespace

std::uint64_t count_lines(std::string_view text) {
    if (text.empty()) return 0;
    return newlines(text) + (text.back() == '\n' ? 0 : 1);
}

Cut cut(std::string_view text, std::size_t budget) {
    Cut c;
    budget = std::min(budget, text.size() / 2);
    // Head: up to and including the last newline within the budget.
    std::string_view head = text.substr(0, budget);
    std::size_t nl = head.rfind('\n');
    if (nl != std::string_view::npos && nl + 1 >= budget / 2) {
        c.head_end = nl + 1;
    } else {
        c.head_end = budget;
        while (c.head_end > 0 && continuation(text[c.head_end])) --c.head_end;
    }
    // Tail: from just after the first newline within the last `budget` bytes.
    std::size_t start = text.size() - budget;
    std::string_view tail = text.substr(start);
    std::size_t first_nl = tail.find('\n');
    if (first_nl != std::string_view::npos && first_nl < budget / 2 && start + first_nl + 1 < text.size()) {
        c.tail_begin = start + first_nl + 1;
    } else {
        c.tail_begin = start;
        while (c.tail_begin < text.size() && continuation(text[c.tail_begin])) ++c.tail_begin;
    }
    c.tail_begin = std::max(c.tail_begin, c.head_end);

    std::uint64_t head_nl = newlines(text.substr(0, c.head_end));
    std::uint64_t middle_nl = newlines(text.substr(c.head_end, c.tail_begin - c.head_end));
    std::uint64_t tail_nl = newlines(text.substr(c.tail_begin));
    bool last_open = !text.empty() && text.back() != '\n';
    c.total_lines = head_nl + middle_nl + tail_nl + (last_open ? 1 : 0);
    c.head_full_lines = head_nl;
    c.head_lines = head_nl + (c.head_end > 0 && text[c.head_end - 1] != '\n' ? 1 : 0);
    c.tail_first_line = head_nl + middle_nl + 1;
    return c;
}

std::string render(std::string_view text, const Cut& c, const std::string& path, const std::string& save_error) {
    std::string_view head = text.substr(0, c.head_end);
    std::string_view tail = text.substr(c.tail_begin);
    std::uint64_t omitted_bytes = c.tail_begin - c.head_end;
    std::uint64_t first_omitted = c.head_full_lines + 1;                             // 1-based
    std::uint64_t last_omitted = c.tail_first_line > 0 ? c.tail_first_line - 1 : 0;  // 1-based
    bool by_lines = c.tail_first_line > c.head_lines && last_omitted >= first_omitted;

    std::string out;
    out.reserve(head.size() + tail.size() + 512);
    out +=
        "[output too long for the context: " + num(text.size()) + " bytes, " + lines_of(c.total_lines) + "; showing ";
    out += by_lines ? "lines 1-" + num(c.head_lines) + " and " + num(c.tail_first_line) + "-" + num(c.total_lines)
                    : "the first " + num(head.size()) + " and the last " + num(tail.size()) + " bytes";
    out += "]\n";
    out.append(head);
    if (!head.empty() && head.back() != '\n') out += "…\n";
    out += "[… " + num(omitted_bytes) + " bytes omitted";
    if (by_lines) out += " (lines " + num(first_omitted) + "-" + num(last_omitted) + ")";
    out += " …]\n";
    if (!tail.empty() && c.tail_begin > 0 && text[c.tail_begin - 1] != '\n') out += "…";
    out.append(tail);
    if (!tail.empty() && tail.back() != '\n') out += '\n';
    if (path.empty()) {
        out += "[the full output could not be saved (" + save_error + "), so the omitted part is lost]";
        return out;
    }
    out += "[full output saved to " + path + " (" + lines_of(c.total_lines) + ", " + num(text.size()) +
           " bytes); read it with read_file path=" + path + " offset=" + num(c.head_full_lines) + " limit=200";
    if (by_lines) {
        out += " (offset is the 0-based line to start at; the omitted lines are offsets " + num(first_omitted - 1) +
               " to " + num(last_omitted - 1) + ")";
    }
    out += "]";
    return out;
}

}  // namespace toolout
