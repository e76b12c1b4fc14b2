// elements.hpp — what the HTML converter knows about each element: void, "special" (the
// standard's tree-building categories), which start tags close a <p>, scope boundaries, the
// breaks a block puts around itself, and the elements whose content never reaches the output.
#pragma once

#include "tokenizer.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace html {

/// Element categories (bits).
enum : std::uint8_t {
    kVoid = 1,     // never has content or an end tag
    kSpecial = 2,  // the standard's "special" elements: inline end tags do not cross them
    kClosesP = 4,  // a start tag that closes an open <p>
    kScope = 8,    // bounds the default element scope
    kHeading = 16,
};

constexpr std::size_t kTagCount = static_cast<std::size_t>(Tag::kCount);
/// Each element's categories.
extern const std::array<std::uint8_t, kTagCount> kElementFlags;

/// Whether element t is in category flag.
inline bool has(Tag t, std::uint8_t flag) {
    return (kElementFlags[static_cast<std::size_t>(t)] & flag) != 0;
}
/// The breaks a block element puts around itself: 2 a paragraph break, 1 a line, 0 inline.
int block_breaks(Tag t);
/// Whether t's content never reaches the output (script, style, nav, svg, form controls, …).
bool always_dropped(Tag t);

}  // namespace html
