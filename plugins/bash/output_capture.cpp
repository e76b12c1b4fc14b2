#include "output_capture.hpp"

#include <algorithm>

namespace bash_plugin {

namespace {

std::uint64_t count_newlines(std::string_view s) {
    return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

bool is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

/// The length of the valid UTF-8 sequence at the start of `s`, or 0 if it is invalid or cut.
std::size_t valid_sequence(std::string_view s) {
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char c = b(0);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;  // no overlong forms
        if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
    } else {
        return 0;
    }
    if (s.size() < n) return 0;
    if (b(1) < lo || b(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i) {
        if (!is_continuation(b(i))) return 0;
    }
    return n;
}

/// `s` without a UTF-8 character cut short at its end.
std::string_view drop_partial_char(std::string_view s) {
    std::size_t i = s.size(), trailing = 0;
    while (i > 0 && trailing < 4 && is_continuation(static_cast<unsigned char>(s[i - 1]))) --i, ++trailing;
    if (i == 0) return s;
    auto lead = static_cast<unsigned char>(s[i - 1]);
    std::size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return need > 1 && trailing + 1 < need ? s.substr(0, i - 1) : s;
}

}  // namespace

HeadTailBuffer::HeadTailBuffer(std::size_t limit) : head_limit_(limit / 2), tail_limit_(limit - limit / 2) {
    head_.reserve(head_limit_);
}

void HeadTailBuffer::append(std::string_view data) {
    total_bytes_ += data.size();
    total_lines_ += count_newlines(data);
    if (head_.size() < head_limit_) {
        std::size_t take = std::min(head_limit_ - head_.size(), data.size());
        head_.append(data.substr(0, take));
        data.remove_prefix(take);
    }
    if (data.empty()) return;
    if (data.size() >= tail_limit_) {
        tail_.assign(data.substr(data.size() - tail_limit_));
        return;
    }
    tail_.append(data);
    // Trim lazily: at most 2× the limit is held, and the cost stays amortized O(1) per byte.
    if (tail_.size() > 2 * tail_limit_) tail_.erase(0, tail_.size() - tail_limit_);
}

std::string HeadTailBuffer::render() const {
    std::string_view tail = tail_;
    if (tail.size() > tail_limit_) tail.remove_prefix(tail.size() - tail_limit_);
    if (!truncated()) {
        std::string all = head_;
        all.append(tail);
        return sanitize_utf8(all);
    }
    std::string_view head = head_;
    // Cut at line boundaries when one is near, so neither side shows a broken line.
    if (std::size_t nl = head.rfind('\n'); nl != std::string_view::npos && nl + 1 >= head.size() / 2) {
        head = head.substr(0, nl + 1);
    } else {
        head = drop_partial_char(head);
    }
    if (std::size_t nl = tail.find('\n'); nl != std::string_view::npos && nl < tail.size() / 2) {
        tail.remove_prefix(nl + 1);
    } else {
        for (int i = 0; i < 3 && !tail.empty() && is_continuation(static_cast<unsigned char>(tail.front())); ++i) {
            tail.remove_prefix(1);
        }
    }
    std::uint64_t cut_bytes = total_bytes_ - head.size() - tail.size();
    std::uint64_t cut_lines = total_lines_ - count_newlines(head) - count_newlines(tail);
    std::string out = sanitize_utf8(head);
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += "[... " + std::to_string(cut_bytes) + " bytes (" + std::to_string(cut_lines) +
           " lines) cut from the middle of this output ...]\n";
    out += sanitize_utf8(tail);
    return out;
}

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        // Copy runs of ASCII quickly.
        std::size_t start = i;
        while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x80) ++i;
        out.append(text.substr(start, i - start));
        if (i >= text.size()) break;
        std::size_t n = valid_sequence(text.substr(i));
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t end = max_bytes;
    // Step back over continuation bytes to the start of the character that would be split.
    while (end > 0 && is_continuation(static_cast<unsigned char>(text[end]))) --end;
    return text.substr(0, end);
}

}  // namespace bash_plugin
