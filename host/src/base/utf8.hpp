// UTF-8 checks and repair, for every text that enters an event, a log line or a JSON answer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agenthost {

/// Whether `data` is well-formed UTF-8.
bool is_valid_utf8(std::string_view data);

/// `data` with every byte that does not belong to a well-formed UTF-8 sequence replaced by
/// U+FFFD.
std::string repair_utf8(std::string_view data);

/// One character at the start of a text: its code point and how many bytes it takes.
struct Utf8Char {
    std::size_t length = 0;  ///< 1 to 4; 0 when no well-formed sequence starts there
    char32_t code_point = 0;
};

/// The well-formed UTF-8 sequence at the start of `s` (length 0: a stray byte, an overlong,
/// surrogate or out-of-range sequence, or one cut off by the end of `s`).
Utf8Char utf8_char_at(std::string_view s);

/// The longest prefix of `s` of at most `max_bytes` that does not split a UTF-8 sequence.
std::string_view cut_utf8(std::string_view s, std::size_t max_bytes);

}  // namespace agenthost
