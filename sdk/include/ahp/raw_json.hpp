// raw_json.hpp — find the parts of a JSON text without parsing it: the members of an object,
// the elements of an array, each as its raw text. For Plugin::invoke_raw, where a plugin wants a
// few fields of a large request (a driver.chat request carries the whole history) and parses
// only those. Not a validator: strings and brackets are matched, nothing else is checked; what
// is found is parsed afterwards, and anything not shaped as expected gives nullopt, so the
// caller can fall back to an ordinary parse, which reports what is wrong. C++17.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace ahp {
inline namespace v1 {
namespace raw {

constexpr std::size_t npos = std::string_view::npos;

inline bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// The first position at or after i that is not JSON whitespace.
inline std::size_t skip_space(std::string_view t, std::size_t i) noexcept {
    while (i < t.size() && is_space(t[i])) ++i;
    return i;
}

/// t without leading and trailing JSON whitespace.
inline std::string_view trim(std::string_view t) noexcept {
    std::size_t b = skip_space(t, 0), e = t.size();
    while (e > b && is_space(t[e - 1])) --e;
    return t.substr(b, e - b);
}

/// One past the closing quote of the string that starts at t[i] == '"', or npos. memchr finds
/// each quote; an odd run of backslashes before it escapes it.
inline std::size_t skip_string(std::string_view t, std::size_t i) noexcept {
    for (std::size_t from = i + 1; from < t.size();) {
        const void* hit = std::memchr(t.data() + from, '"', t.size() - from);
        if (!hit) return npos;
        const std::size_t q = static_cast<std::size_t>(static_cast<const char*>(hit) - t.data());
        std::size_t slashes = 0;
        while (q - slashes > i + 1 && t[q - slashes - 1] == '\\') ++slashes;
        if (slashes % 2 == 0) return q + 1;
        from = q + 1;
    }
    return npos;
}

/// One past the end of the value that starts at t[i], or npos. Strings and brackets are
/// matched; a scalar runs to the next delimiter.
inline std::size_t skip_value(std::string_view t, std::size_t i) noexcept {
    if (i >= t.size()) return npos;
    const char c = t[i];
    if (c == '"') return skip_string(t, i);
    if (c == '{' || c == '[') {
        static constexpr std::array<bool, 256> kStop = [] {
            std::array<bool, 256> a{};
            for (unsigned char s : {'"', '{', '}', '[', ']'}) a[s] = true;
            return a;
        }();
        std::size_t depth = 0;
        while (i < t.size()) {
            const char d = t[i];
            if (!kStop[static_cast<unsigned char>(d)]) {
                ++i;
            } else if (d == '"') {
                i = skip_string(t, i);
                if (i == npos) return npos;
            } else if (d == '{' || d == '[') {
                ++depth;
                ++i;
            } else {
                if (--depth == 0) return i + 1;
                ++i;
            }
        }
        return npos;
    }
    std::size_t j = i;
    while (j < t.size() && t[j] != ',' && t[j] != '}' && t[j] != ']' && !is_space(t[j])) ++j;
    return j == i ? npos : j;
}

/// One member of an object: its key as written (without quotes, escapes not decoded), its
/// value's text, and the whole `"key":value` text.
struct Member {
    std::string_view key;
    std::string_view value;
    std::string_view text;
};

/// The members of an object's text, in order; nullopt when it is not shaped like an object.
inline std::optional<std::vector<Member>> members(std::string_view t) {
    std::vector<Member> out;
    std::size_t i = skip_space(t, 0);
    if (i >= t.size() || t[i] != '{') return std::nullopt;
    i = skip_space(t, i + 1);
    if (i < t.size() && t[i] == '}') {
        if (skip_space(t, i + 1) != t.size()) return std::nullopt;
        return out;
    }
    for (;;) {
        if (i >= t.size() || t[i] != '"') return std::nullopt;
        const std::size_t start = i;
        const std::size_t key_end = skip_string(t, i);
        if (key_end == npos) return std::nullopt;
        const std::string_view key = t.substr(i + 1, key_end - i - 2);
        i = skip_space(t, key_end);
        if (i >= t.size() || t[i] != ':') return std::nullopt;
        i = skip_space(t, i + 1);
        const std::size_t value_end = skip_value(t, i);
        if (value_end == npos) return std::nullopt;
        out.push_back(Member{key, t.substr(i, value_end - i), t.substr(start, value_end - start)});
        i = skip_space(t, value_end);
        if (i < t.size() && t[i] == ',') {
            i = skip_space(t, i + 1);
            continue;
        }
        if (i < t.size() && t[i] == '}' && skip_space(t, i + 1) == t.size()) return out;
        return std::nullopt;
    }
}

/// The elements of an array's text, in order; nullopt when it is not shaped like an array.
inline std::optional<std::vector<std::string_view>> elements(std::string_view t) {
    std::vector<std::string_view> out;
    std::size_t i = skip_space(t, 0);
    if (i >= t.size() || t[i] != '[') return std::nullopt;
    i = skip_space(t, i + 1);
    if (i < t.size() && t[i] == ']') {
        if (skip_space(t, i + 1) != t.size()) return std::nullopt;
        return out;
    }
    for (;;) {
        const std::size_t end = skip_value(t, i);
        if (end == npos) return std::nullopt;
        out.push_back(t.substr(i, end - i));
        i = skip_space(t, end);
        if (i < t.size() && t[i] == ',') {
            i = skip_space(t, i + 1);
            continue;
        }
        if (i < t.size() && t[i] == ']' && skip_space(t, i + 1) == t.size()) return out;
        return std::nullopt;
    }
}

/// What is between an array's brackets, trimmed ("" for []); nullopt when t is not bracketed.
inline std::optional<std::string_view> array_content(std::string_view t) {
    t = trim(t);
    if (t.size() < 2 || t.front() != '[' || t.back() != ']') return std::nullopt;
    return trim(t.substr(1, t.size() - 2));
}

}  // namespace raw
}  // namespace v1
}  // namespace ahp
