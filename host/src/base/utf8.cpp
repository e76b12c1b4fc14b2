#include "base/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace agenthost {

namespace {

/// The well-formed UTF-8 sequence at p (length 0 if none starts there).
Utf8Char utf8_sequence_at(const unsigned char* p, const unsigned char* end) {
    const unsigned char c = *p;
    if (c < 0x80) return {1, c};
    int extra = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF)
        extra = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        extra = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        extra = 3, cp = c & 0x07;
    else
        return {};
    if (end - p <= extra) return {};
    for (int i = 1; i <= extra; ++i) {
        if ((p[i] & 0xC0) != 0x80) return {};
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return {};  // overlong, surrogate or out of range
    }
    return {static_cast<std::size_t>(extra) + 1, static_cast<char32_t>(cp)};
}

/// The length of the well-formed UTF-8 sequence at p (1 to 4), or 0 if none starts there.
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
    return utf8_sequence_at(p, end).length;
}

/// Eight ASCII bytes at p (the fast path).
bool ascii8(const unsigned char* p) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    return (word & 0x8080808080808080ULL) == 0;
}

}  // namespace

Utf8Char utf8_char_at(std::string_view s) {
    if (s.empty()) return {};
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    return utf8_sequence_at(p, p + s.size());
}

bool is_valid_utf8(std::string_view data) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const auto* end = p + data.size();
    while (p < end) {
        if (end - p >= 8 && ascii8(p)) {
            p += 8;
            continue;
        }
        const std::size_t n = utf8_sequence(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

std::string repair_utf8(std::string_view data) {
    std::string out;
    out.reserve(data.size());
    const auto* begin = reinterpret_cast<const unsigned char*>(data.data());
    const auto* p = begin;
    const auto* end = p + data.size();
    const unsigned char* run = p;  // start of the well-formed bytes not yet copied
    while (p < end) {
        if (end - p >= 8 && ascii8(p)) {
            p += 8;
            continue;
        }
        const std::size_t n = utf8_sequence(p, end);
        if (n != 0) {
            p += n;
            continue;
        }
        out.append(data.data() + (run - begin), static_cast<std::size_t>(p - run));
        out += "\xEF\xBF\xBD";  // U+FFFD
        run = ++p;
    }
    out.append(data.data() + (run - begin), static_cast<std::size_t>(end - run));
    return out;
}

std::string_view cut_utf8(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return s;
    std::size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] continues a sequence
    return s.substr(0, n);
}

}  // namespace agenthost
