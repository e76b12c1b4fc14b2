// markdown.hpp — HTML to markdown (or plain text) for the model: headings, paragraphs, links
// resolved against the page's URL, nested lists, fenced code blocks, inline code, emphasis,
// block quotes, tables and images; scripts, styles, navigation, page headers and footers,
// forms and SVG dropped; whitespace collapsed. One pass over the tokens, no DOM.
#pragma once

#include <string>
#include <string_view>

namespace html {

/// What convert_html writes.
enum class Format { kMarkdown, kText };

/// A converted document.
struct Converted {
    std::string title;  // the first <title>, whitespace collapsed
    std::string text;   // markdown or plain text
};

/// Convert a UTF-8 HTML document; links and images resolve against base_url (and <base href>).
Converted convert_html(std::string_view html, Format format, std::string_view base_url);

}  // namespace html
