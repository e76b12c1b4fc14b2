// entities.hpp — HTML character references (&amp; &#233; &#x1F600; and the 2,125 WHATWG names).
#pragma once

#include <string>
#include <string_view>

namespace html {

/// Append raw HTML text with its character references decoded; in_attribute applies the
/// attribute-value rule (a legacy name without ';' followed by [A-Za-z0-9=] stays literal).
void append_decoded(std::string& out, std::string_view raw, bool in_attribute = false);
/// raw with its character references decoded.
std::string decode_entities(std::string_view raw, bool in_attribute = false);

}  // namespace html
