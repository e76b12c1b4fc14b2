// A structural JSON scanner over raw text: find members, elements and value spans without
// building a document. Strings are skipped with memchr, so a large history is walked at
// memory speed; nothing is validated (the host sends valid JSON), and every function reports a
// malformed text as npos so the caller can fall back to a real parser.
#pragma once

#include <string.h>  // memrchr
#include <cstddef>
#include <cstring>
#include <string_view>

namespace loopdet::scan {

constexpr std::size_t kBad = std::string_view::npos;

/// A value's text: [begin, end) of the scanned document.
struct Span {
    std::size_t begin = kBad;
    std::size_t end = kBad;
    bool ok() const { return begin != kBad && end != kBad; }
};

/// The first position at or after i that is not JSON whitespace.
inline std::size_t skip_ws(std::string_view t, std::size_t i) {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
    return i;
}

/// One past the closing quote of the string whose opening quote is t[i].
inline std::size_t skip_string(std::string_view t, std::size_t i) {
    const char* base = t.data();
    const char* first = base + i + 1;
    const char* end = base + t.size();
    const char* p = first;
    for (;;) {
        if (p >= end) return kBad;
        const void* q = std::memchr(p, '"', static_cast<std::size_t>(end - p));
        if (!q) return kBad;
        const char* quote = static_cast<const char*>(q);
        const char* b = quote;
        while (b > first && b[-1] == '\\') --b;
        if (((quote - b) & 1) == 0) return static_cast<std::size_t>(quote + 1 - base);
        p = quote + 1;  // an escaped quote
    }
}

/// One past the end of the value starting at t[i] (after whitespace).
inline std::size_t skip_value(std::string_view t, std::size_t i) {
    i = skip_ws(t, i);
    if (i >= t.size()) return kBad;
    char c = t[i];
    if (c == '"') return skip_string(t, i);
    if (c != '{' && c != '[') {
        while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n' &&
               t[i] != '\r' && t[i] != '\t') {
            ++i;
        }
        return i;
    }
    int depth = 0;
    while (i < t.size()) {
        c = t[i];
        if (c == '"') {
            i = skip_string(t, i);
            if (i == kBad) return kBad;
            continue;
        }
        if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
        }
        ++i;
    }
    return kBad;
}

/// Call fn(raw_key, value_span) for each member of the object at t[i] (after whitespace); fn
/// returns false to stop early. Returns one past the closing brace (or the stop point), kBad
/// when malformed. Keys are compared raw: the callers' keys need no escaping.
template <class Fn>
std::size_t members(std::string_view t, std::size_t i, Fn&& fn) {
    i = skip_ws(t, i);
    if (i >= t.size() || t[i] != '{') return kBad;
    i = skip_ws(t, i + 1);
    if (i < t.size() && t[i] == '}') return i + 1;
    for (;;) {
        if (i >= t.size() || t[i] != '"') return kBad;
        std::size_t key_end = skip_string(t, i);
        if (key_end == kBad) return kBad;
        std::string_view key = t.substr(i + 1, key_end - i - 2);
        i = skip_ws(t, key_end);
        if (i >= t.size() || t[i] != ':') return kBad;
        std::size_t vb = skip_ws(t, i + 1);
        std::size_t ve = skip_value(t, vb);
        if (ve == kBad) return kBad;
        if (!fn(key, Span{vb, ve})) return ve;
        i = skip_ws(t, ve);
        if (i >= t.size()) return kBad;
        if (t[i] == '}') return i + 1;
        if (t[i] != ',') return kBad;
        i = skip_ws(t, i + 1);
    }
}

/// Call fn(value_span) for each element of the array at t[i]; like members().
template <class Fn>
std::size_t elements(std::string_view t, std::size_t i, Fn&& fn) {
    i = skip_ws(t, i);
    if (i >= t.size() || t[i] != '[') return kBad;
    i = skip_ws(t, i + 1);
    if (i < t.size() && t[i] == ']') return i + 1;
    for (;;) {
        std::size_t ve = skip_value(t, i);
        if (ve == kBad) return kBad;
        if (!fn(Span{i, ve})) return ve;
        i = skip_ws(t, ve);
        if (i >= t.size()) return kBad;
        if (t[i] == ']') return i + 1;
        if (t[i] != ',') return kBad;
        i = skip_ws(t, i + 1);
    }
}

/// The last position at or before i that is not JSON whitespace (kBad if none).
inline std::size_t rskip_ws(std::string_view t, std::size_t i) {
    if (i == kBad || i >= t.size()) return kBad;
    for (;;) {
        char c = t[i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return i;
        if (i == 0) return kBad;
        --i;
    }
}

/// The opening quote of the string whose closing quote is t[i]: the nearest quote before it
/// that no odd run of backslashes escapes (an opening quote never follows a backslash).
inline std::size_t rskip_string(std::string_view t, std::size_t i) {
    const char* base = t.data();
    std::size_t p = i;
    for (;;) {
        if (p == 0) return kBad;
        const void* q = ::memrchr(base, '"', p);
        if (!q) return kBad;
        std::size_t k = static_cast<std::size_t>(static_cast<const char*>(q) - base);
        std::size_t b = k;
        while (b > 0 && base[b - 1] == '\\') --b;
        if (((k - b) & 1) == 0) return k;
        p = k;
    }
}

/// The first position of the value whose last character is t[i].
inline std::size_t rskip_value(std::string_view t, std::size_t i) {
    if (i == kBad || i >= t.size()) return kBad;
    char c = t[i];
    if (c == '"') return rskip_string(t, i);
    if (c != '}' && c != ']') {
        while (i > 0 && t[i - 1] != ',' && t[i - 1] != ':' && t[i - 1] != '[' && t[i - 1] != '{' && t[i - 1] != ' ' &&
               t[i - 1] != '\n' && t[i - 1] != '\r' && t[i - 1] != '\t') {
            --i;
        }
        return i;
    }
    int depth = 0;
    for (;;) {
        c = t[i];
        if (c == '"') {
            i = rskip_string(t, i);
            if (i == kBad || i == 0) return kBad;
            --i;
            continue;
        }
        if (c == '}' || c == ']') {
            ++depth;
        } else if ((c == '{' || c == '[') && --depth == 0) {
            return i;
        }
        if (i == 0) return kBad;
        --i;
    }
}

/// The raw contents of a string value (without quotes, escapes left as they are), or empty.
inline std::string_view raw_string(std::string_view t, Span s) {
    if (!s.ok() || s.end - s.begin < 2 || t[s.begin] != '"') return {};
    return t.substr(s.begin + 1, s.end - s.begin - 2);
}

/// The text of a span.
inline std::string_view text(std::string_view t, Span s) {
    return s.ok() ? t.substr(s.begin, s.end - s.begin) : std::string_view();
}

}  // namespace loopdet::scan
