// The bounded view of a long text: its head and tail cut at line boundaries (UTF-8 safe), its
// sizes, and where the whole text is and how to read the part left out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace toolout {

/// The lines of a text: newlines, plus one for a last line without a newline.
std::uint64_t count_lines(std::string_view text);

/// Where a head and a tail of `text` end and start, each about `budget` bytes.
struct Cut {
    std::size_t head_end = 0;    ///< text[0, head_end) is shown
    std::size_t tail_begin = 0;  ///< text[tail_begin, size) is shown
    std::uint64_t total_lines = 0;
    std::uint64_t head_lines = 0;       ///< lines the head shows (the last may be partial)
    std::uint64_t head_full_lines = 0;  ///< newlines in the head: the 0-based line the rest starts at
    std::uint64_t tail_first_line = 0;  ///< the 1-based number of the tail's first line
};

/// The head and tail of `text` (which should be longer than 2 × budget): the head ends after
/// its last newline and the tail starts after its first one, unless that would keep less than
/// half the budget (a very long line), in which case the cut falls at a UTF-8 boundary.
Cut cut(std::string_view text, std::size_t budget);

/// The text the model sees instead of `text`, saved whole at `path` (empty: it could not be
/// saved, `save_error` says why).
std::string render(std::string_view text, const Cut& c, const std::string& path, const std::string& save_error);

}  // namespace toolout
