// url.hpp — the URL work the web plugins need: RFC 3986 reference resolution, percent-decoding,
// form encoding, query parameters.
#pragma once

#include <string>
#include <string_view>

namespace html {

/// ref resolved against the absolute URL base (RFC 3986 §5.2; leading/trailing whitespace and
/// embedded tabs/newlines removed, '\' read as '/' in http(s) URLs). A base without a scheme
/// leaves ref as it is.
std::string resolve_url(std::string_view base, std::string_view ref);
/// %XX sequences decoded (plus_is_space: '+' too, as in form bodies).
std::string percent_decode(std::string_view s, bool plus_is_space = false);
/// application/x-www-form-urlencoded: unreserved bytes kept, ' ' → '+', the rest %XX.
std::string form_encode(std::string_view s);
/// Whether url's query has parameter `name`; its raw (still encoded) value goes to value.
bool query_param(std::string_view url, std::string_view name, std::string& value);
/// Whether url is absolute http:// or https://.
bool is_http_url(std::string_view url);
/// The URL made safe inside markdown's "(…)": spaces, parentheses, angle brackets, '|' and
/// quotes percent-encoded, control characters removed.
std::string markdown_url(std::string_view url);

}  // namespace html
