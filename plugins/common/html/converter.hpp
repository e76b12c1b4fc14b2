// converter.hpp — the HTML → markdown converter behind convert_html (internal to ahp_html):
// one pass over the tokens with a stack of open elements. tree.cpp keeps the stack the way
// the HTML standard's tree builder would (implied end tags, scopes); markdown.cpp decides
// what each element writes.
#pragma once

#include "markdown.hpp"
#include "markdown_writer.hpp"
#include "table.hpp"
#include "tokenizer.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace html::detail {

/// What an open element did when it started, so its end can undo it.
enum class Kind : std::uint8_t {
    kPlain,
    kDropped,
    kTitle,
    kInline,
    kItem,
    kQuote,
    kList,
    kPre,
    kTable,
    kRow,
    kCell,
    kFlat
};

/// Counters an open element holds (bits).
enum Role : std::uint8_t {
    kNoRole = 0,
    kLink = 1,
    kCode = 2,
    kEm = 4,
    kStrong = 8,
    kDel = 16,
    kHead = 32,
    kArticle = 64
};

/// One open element.
struct Open {
    Tag tag = Tag::kOther;
    Kind kind = Kind::kPlain;
    std::uint8_t roles = kNoRole;
    std::uint8_t breaks = 0;  // written around it (block_breaks)
    bool foreign = false;     // <svg> or <math>: self-closing tags inside are honoured
    bool ordered = false;     // kList: <ol>
    int counter = 0;          // kList: the next item number
    int items = 0;            // kList: items so far
    Writer::Mark mark;        // kInline
    std::string name;         // kOther: the lower-case name
    std::string closer;       // kInline
};

/// The standard's element scopes, for finding an open element to close.
enum class Scope { kDefault, kButton, kListItem, kTable };

/// Converts one document.
class Converter {
public:
    Converter(std::string_view html, Format format, std::string_view base)
        : tok_(html), w_(format == Format::kMarkdown), md_(format == Format::kMarkdown), base_(base) {}

    /// Convert the whole document.
    Converted run();

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    /// The deepest nesting kept; deeper elements replace the innermost one.
    static constexpr std::size_t kMaxDepth = 256;

    // tree.cpp: the stack of open elements.
    void on_start(const Token& t);
    void on_end(const Token& t);
    void push_plain(const Token& t);
    void implied_ends(Tag tag);
    void close_item(std::initializer_list<Tag> tags);
    bool close_in_table(std::initializer_list<Tag> tags);
    std::size_t find_scope(Tag tag, Scope scope) const;
    void end_in(Tag tag, Scope scope);
    void pop_to(std::size_t depth);

    // markdown.cpp: what elements write.
    void on_text(const Token& t);
    void pre_text(std::string_view s);
    void void_element(const Token& t);
    void image(const Token& t);
    bool dropped(Tag tag, const Token& t) const;
    void begin(Open& o, const Token& t);
    void end(Open& o);
    void add_role(Open& o, Role r);
    void drop_roles(const Open& o);
    void inline_open(Open& o, const std::string& opener, std::string closer);
    void emphasis(Open& o, Role role, const char* marker);
    /// The marker of a new item of the innermost list; following: the list had items before.
    std::string item_marker(bool& following);
    bool in_item() const;
    /// The language of a code block from class="language-x" / "lang-x" / "highlight-x".
    static std::string language(const Token& t);
    void begin_pre(Open& o, const Token& t);
    void begin_code(Open& o);
    void begin_link(Open& o, const Token& t);
    /// The innermost open <table>, or nullptr.
    const Open* innermost_table() const;
    void begin_table_part(Open& o);
    void end_table();

    Tokenizer tok_;
    Writer w_;
    bool md_;
    std::string base_;
    bool base_set_ = false;
    std::vector<Open> stack_;
    std::vector<TableBuffer> tables_;
    std::string scratch_, title_;
    bool title_seen_ = false;
    int dropped_ = 0, foreign_ = 0, pre_ = 0, code_ = 0, link_ = 0, em_ = 0, strong_ = 0, del_ = 0, heading_ = 0,
        article_ = 0;
    bool pre_open_ = false, pre_strip_ = false;
    std::string fence_, lang_;
};

}  // namespace html::detail
