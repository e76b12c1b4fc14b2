// text.hpp — small UTF-8 and ASCII helpers shared by the web plugins.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace html {

/// Append the UTF-8 encoding of a code point (U+FFFD for surrogates and out-of-range values).
void append_utf8(std::string& out, char32_t cp);
/// Whether s is well-formed UTF-8.
bool valid_utf8(std::string_view s);
/// s with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string repair_utf8(std::string_view s);
/// The number of code points in (well-formed) UTF-8 s.
std::size_t count_chars(std::string_view s);
/// The byte length of the first n code points of s (all of s when it has fewer).
std::size_t prefix_bytes(std::string_view s, std::size_t n);
/// s with runs of whitespace (ASCII and U+00A0) collapsed to one space, trimmed.
std::string collapse_whitespace(std::string_view s);
/// n with thousands separators: 1234567 → "1,234,567".
std::string with_commas(std::uint64_t n);
/// ASCII lower case.
std::string ascii_lower(std::string_view s);
/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);
/// Whether s starts with prefix, ignoring ASCII case.
bool istarts_with(std::string_view s, std::string_view prefix);
/// s without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s);
/// Whether c is HTML whitespace (space, tab, LF, FF, CR).
inline bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

}  // namespace html
