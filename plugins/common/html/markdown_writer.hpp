// markdown_writer.hpp — the output side of the HTML converter: collapses whitespace, places
// paragraph breaks, prefixes lines inside block quotes and list items, and writes inline
// markers only around content (an empty <em> or <a> leaves nothing behind).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace html {

/// Builds markdown (or plain text) from inline text and block boundaries.
class Writer {
public:
    /// A pending inline opener (from open_inline), for close_inline.
    struct Mark {
        std::size_t flushes = 0;
        std::size_t pending = 0;
    };

    /// markdown: escape '|' in table cells and brackets in link text.
    explicit Writer(bool markdown) : markdown_(markdown) {}

    /// Inline text; whitespace runs become one space.
    void text(std::string_view s);
    /// A collapsible space.
    void space() { ln_->space = true; }
    /// Preformatted text, kept as is (inside begin_pre/end_pre).
    void literal(std::string_view s);
    /// Inline markup written as is ("![alt](src)").
    void inline_raw(std::string_view s);
    /// An inline opener ("**", "[", "## ") written before the next content, if any comes.
    Mark open_inline(std::string_view marker);
    /// Close an opener: writes closer and returns true if content followed it, else drops it.
    bool close_inline(const Mark& m, std::string_view closer);
    /// A block boundary: 2 = paragraph break, 1 = line break (a space when flat).
    void block(int breaks);
    /// A <br>.
    void line_break();
    /// Start a code block with its opening fence line ("```cpp"; empty: no fence line).
    void begin_pre(std::string_view fence_line);
    /// End a code block with its closing fence (empty: none).
    void end_pre(std::string_view fence);
    /// One whole line of a block (a table row), on a line of its own.
    void write_line(std::string_view line);
    /// Enter a block quote: lines get "> ".
    void push_quote();
    /// Enter a list item: its first line gets marker, the others its width in spaces; a
    /// following item (not the list's first) starts on the next line, without a blank one.
    void push_item(const std::string& marker, bool following = false);
    /// Leave the innermost quote or list item.
    void pop_container();
    /// Send output to *into (a table cell), flat; nullptr: back to the document.
    void capture(std::string* into);
    /// Whether output is in a capture.
    bool capturing() const { return capture_ != nullptr; }
    /// Nest (+1) or unnest (-1) an inline element that keeps its content on one line (links, code).
    void flat(int delta) { flat_ += delta; }
    /// Whether blocks currently degrade to spaces.
    bool is_flat() const { return capture_ != nullptr || flat_ > 0; }
    /// Nest (+1) or unnest (-1) link text, where '[' and ']' are escaped.
    void link_text(int delta) { brackets_ += delta; }
    /// The output, trailing whitespace removed.
    std::string finish();

private:
    struct Line {
        bool start = true;     // nothing written on this line yet (prefix pending)
        bool space = false;    // a space is pending
        int breaks = 0;        // newlines pending
        int emitted = 0;       // newlines written since the last content
        bool content = false;  // anything written to this sink yet
    };
    struct Container {
        bool quote = false;
        std::string indent;
        std::string marker;  // the list marker, until the item's first line is written
    };

    void flush();
    void flush_block();
    void newlines(int n);
    void settle_breaks();
    void write_prefix();
    void write_blank_prefix();
    void pre_newline();

    bool markdown_;
    std::string out_;
    std::string* sink_ = &out_;
    std::string* capture_ = nullptr;
    Line main_, cap_;
    Line* ln_ = &main_;
    std::string pending_, saved_pending_;
    std::size_t flushes_ = 0;
    int flat_ = 0;
    int brackets_ = 0;
    std::vector<Container> containers_;
};

}  // namespace html
