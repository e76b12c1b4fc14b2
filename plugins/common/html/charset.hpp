// charset.hpp — finding a document's character encoding (BOM, Content-Type, <meta>) and
// converting it to UTF-8 (Windows-1252 built in, everything else through iconv).
#pragma once

#include <string>
#include <string_view>

namespace html {

/// The charset parameter of a Content-Type value, lower case ("" if none).
std::string charset_from_content_type(std::string_view content_type);
/// The charset a <meta charset> or <meta http-equiv="content-type"> near the start declares ("" if none).
std::string charset_from_meta(std::string_view html);
/// The WHATWG canonical name of a charset label ("latin1" → "windows-1252", "utf8" → "utf-8").
std::string canonical_charset(std::string_view label);

/// A body converted to UTF-8.
struct Decoded {
    std::string text;      // well-formed UTF-8 (undecodable bytes became U+FFFD)
    std::string charset;   // the charset applied
    bool unknown = false;  // the declared charset was unknown; read as UTF-8
};
/// body decoded: a BOM wins, then `charset` (a label; empty means UTF-8). Valid UTF-8 is
/// moved through without a copy.
Decoded to_utf8(std::string body, std::string_view charset);

}  // namespace html
