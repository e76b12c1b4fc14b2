#include "markdown.hpp"

#include "converter.hpp"
#include "elements.hpp"
#include "entities.hpp"
#include "text.hpp"
#include "url.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace html {
namespace detail {

Converted Converter::run() {
    Token t;
    while (tok_.next(t)) {
        if (t.kind == Token::Kind::kText) {
            on_text(t);
        } else if (t.kind == Token::Kind::kStartTag) {
            on_start(t);
        } else {
            on_end(t);
        }
    }
    pop_to(0);
    return Converted{collapse_whitespace(title_), w_.finish()};
}

void Converter::on_text(const Token& t) {
    if (dropped_ > 0) return;
    std::string_view s = t.text;
    if (!t.raw && std::memchr(s.data(), '&', s.size())) {
        scratch_.clear();
        append_decoded(scratch_, s);
        s = scratch_;
    }
    if (!stack_.empty() && stack_.back().kind == Kind::kTitle) {
        title_.append(s);
    } else if (pre_ > 0) {
        pre_text(s);
    } else {
        w_.text(s);
    }
}

void Converter::pre_text(std::string_view s) {
    if (!pre_open_) {
        if (pre_strip_) {
            if (s.substr(0, 2) == "\r\n")
                s.remove_prefix(2);
            else if (s.substr(0, 1) == "\n")
                s.remove_prefix(1);
            pre_strip_ = false;
        }
        if (s.empty()) return;
        w_.begin_pre(md_ ? fence_ + lang_ : std::string());
        pre_open_ = true;
    }
    w_.literal(s);
}

void Converter::void_element(const Token& t) {
    if (dropped_ > 0) return;
    switch (t.tag) {
        case Tag::kBr:
            if (pre_ > 0) {
                pre_text("\n");
            } else if (heading_ > 0) {
                w_.space();
            } else {
                w_.line_break();
            }
            break;
        case Tag::kHr:
            w_.block(2);
            if (md_ && !w_.is_flat() && !in_item()) {
                w_.write_line("---");
                w_.block(2);
            }
            break;
        case Tag::kImg:
            image(t);
            break;
        case Tag::kBase:
            if (const std::string_view* href = t.attr("href"); href && !base_set_) {
                base_ = resolve_url(base_, decode_entities(*href, true));
                base_set_ = true;
            }
            break;
        default:
            break;
    }
}

void Converter::image(const Token& t) {
    if (!md_) return;
    const std::string_view* src = t.attr("src");
    if (!src || trim(*src).empty() || istarts_with(trim(*src), "data:")) src = t.attr("data-src");
    if (!src || trim(*src).empty() || istarts_with(trim(*src), "data:")) return;
    const std::string_view* alt_raw = t.attr("alt");
    std::string alt = alt_raw ? collapse_whitespace(decode_entities(*alt_raw, true)) : std::string();
    if (alt.empty()) return;  // decorative
    std::string md = "![";
    for (char c : alt) {
        if (c == '[' || c == ']') md.push_back('\\');
        md.push_back(c);
    }
    md += "](" + markdown_url(resolve_url(base_, decode_entities(*src, true))) + ")";
    w_.inline_raw(md);
}

bool Converter::dropped(Tag tag, const Token& t) const {
    if (always_dropped(tag)) return true;
    if ((tag == Tag::kHeader || tag == Tag::kFooter) && article_ == 0) return true;  // page chrome
    if (tag == Tag::kForm && !stack_.empty()) return true;                           // a top-level form wraps the page
    if (t.attrs.empty()) return false;
    if (t.attr("hidden")) return true;
    if (const std::string_view* aria = t.attr("aria-hidden"); aria && iequals(trim(*aria), "true")) return true;
    if (const std::string_view* style = t.attr("style")) {
        std::string s = ascii_lower(*style);
        s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return is_space(c); }), s.end());
        if (s.find("display:none") != std::string::npos) return true;
    }
    return false;
}

void Converter::begin(Open& o, const Token& t) {
    const bool svg = o.tag == Tag::kSvg || o.tag == Tag::kMath;
    if (dropped_ > 0 || dropped(o.tag, t)) {
        if (dropped_ == 0 || svg) {
            o.kind = Kind::kDropped;
            ++dropped_;
        }
        if (svg) {
            o.foreign = true;
            ++foreign_;
        }
        return;
    }
    const bool flat = w_.is_flat();
    o.breaks = static_cast<std::uint8_t>(block_breaks(o.tag));
    if (o.breaks) w_.block(o.breaks);
    switch (o.tag) {
        case Tag::kTitle:
            if (title_seen_) {
                o.kind = Kind::kDropped;
                ++dropped_;
            } else {
                o.kind = Kind::kTitle;
                title_seen_ = true;
            }
            break;
        case Tag::kH1:
        case Tag::kH2:
        case Tag::kH3:
        case Tag::kH4:
        case Tag::kH5:
        case Tag::kH6:
            add_role(o, kHead);
            if (md_ && !flat) {
                int level = static_cast<int>(o.tag) - static_cast<int>(Tag::kH1) + 1;
                inline_open(o, std::string(static_cast<std::size_t>(level), '#') + " ", "");
            }
            break;
        case Tag::kUl:
        case Tag::kOl:
        case Tag::kMenu:
        case Tag::kDir:
            o.kind = Kind::kList;
            o.ordered = o.tag == Tag::kOl;
            o.counter = 1;
            if (const std::string_view* start = o.ordered ? t.attr("start") : nullptr) {
                o.counter = std::atoi(std::string(trim(*start)).c_str());
            }
            break;
        case Tag::kLi:
        case Tag::kDd:
            if (!flat && (o.tag == Tag::kLi || md_)) {
                bool following = false;
                std::string marker = o.tag == Tag::kDd ? ": " : item_marker(following);
                w_.push_item(marker, following);
                o.kind = Kind::kItem;
            }
            break;
        case Tag::kBlockquote:
            if (md_ && !flat) {
                w_.push_quote();
                o.kind = Kind::kQuote;
            }
            break;
        case Tag::kPre:
        case Tag::kListing:
        case Tag::kXmp:
        case Tag::kPlaintext:
            if (!flat && pre_ == 0) begin_pre(o, t);
            break;
        case Tag::kCode:
        case Tag::kKbd:
        case Tag::kSamp:
        case Tag::kTt:
            if (pre_ > 0) {
                if (!pre_open_ && lang_.empty()) lang_ = language(t);
            } else if (md_ && code_ == 0) {
                begin_code(o);
            }
            break;
        case Tag::kEm:
        case Tag::kI:
            emphasis(o, kEm, "*");
            break;
        case Tag::kStrong:
        case Tag::kB:
            emphasis(o, kStrong, "**");
            break;
        case Tag::kDel:
        case Tag::kS:
        case Tag::kStrike:
            emphasis(o, kDel, "~~");
            break;
        case Tag::kA:
            begin_link(o, t);
            break;
        case Tag::kArticle:
        case Tag::kMain:
            add_role(o, kArticle);
            break;
        case Tag::kTable:
        case Tag::kTr:
        case Tag::kTd:
        case Tag::kTh:
            begin_table_part(o);
            break;
        default:
            break;
    }
}

void Converter::add_role(Open& o, Role r) {
    o.roles |= r;
    if (r == kLink) ++link_;
    if (r == kCode) ++code_;
    if (r == kEm) ++em_;
    if (r == kStrong) ++strong_;
    if (r == kDel) ++del_;
    if (r == kHead) ++heading_;
    if (r == kArticle) ++article_;
}

void Converter::drop_roles(const Open& o) {
    if (o.roles & kLink) --link_;
    if (o.roles & kCode) --code_;
    if (o.roles & kEm) --em_;
    if (o.roles & kStrong) --strong_;
    if (o.roles & kDel) --del_;
    if (o.roles & kHead) --heading_;
    if (o.roles & kArticle) --article_;
}

void Converter::inline_open(Open& o, const std::string& opener, std::string closer) {
    o.kind = Kind::kInline;
    o.mark = w_.open_inline(opener);
    o.closer = std::move(closer);
}

void Converter::emphasis(Open& o, Role role, const char* marker) {
    int depth = role == kEm ? em_ : role == kStrong ? strong_ : del_;
    if (!md_ || pre_ > 0 || code_ > 0 || depth > 0) return;
    add_role(o, role);
    inline_open(o, marker, marker);
}

std::string Converter::item_marker(bool& following) {
    for (std::size_t i = stack_.size(); i-- > 0;) {
        Open& list = stack_[i];
        if (list.kind != Kind::kList) continue;
        following = list.items++ > 0;
        return list.ordered ? std::to_string(list.counter++) + ". " : "- ";
    }
    return "- ";
}

bool Converter::in_item() const {
    for (std::size_t i = stack_.size(); i-- > 0;) {
        if (stack_[i].kind == Kind::kItem) return true;
    }
    return false;
}

std::string Converter::language(const Token& t) {
    const std::string_view* cls = t.attr("class");
    if (!cls) return {};
    std::string_view rest = *cls;
    while (!rest.empty()) {
        std::size_t sp = 0;
        while (sp < rest.size() && !is_space(rest[sp])) ++sp;
        std::string_view word = rest.substr(0, sp);
        rest.remove_prefix(sp);
        while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
        for (std::string_view p : {"language-", "lang-", "highlight-source-", "highlight-"}) {
            if (istarts_with(word, p) && word.size() > p.size()) {
                std::string lang = ascii_lower(word.substr(p.size()));
                if (lang.find_first_of("`~") == std::string::npos) return lang;
            }
        }
    }
    return {};
}

void Converter::begin_pre(Open& o, const Token& t) {
    o.kind = Kind::kPre;
    ++pre_;
    pre_open_ = false;
    pre_strip_ = true;
    lang_ = language(t);
    // A fence longer than any backtick run inside.
    std::string_view in = tok_.input();
    std::size_t from = tok_.position();
    std::string_view name = o.tag == Tag::kPre ? "pre" : o.tag == Tag::kXmp ? "xmp" : "listing";
    std::size_t end = find_end_tag(in, from, name, 1 << 20);
    std::string_view body =
        in.substr(from, end == std::string_view::npos ? std::min<std::size_t>(in.size() - from, 1 << 20) : end - from);
    std::size_t longest = 0, run = 0;
    for (char c : body) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    fence_.assign(std::max<std::size_t>(3, longest + 1), '`');
}

void Converter::begin_code(Open& o) {
    std::string_view in = tok_.input();
    std::size_t from = tok_.position();
    std::string_view name = o.tag == Tag::kCode   ? "code"
                            : o.tag == Tag::kKbd  ? "kbd"
                            : o.tag == Tag::kSamp ? "samp"
                                                  : "tt";
    std::size_t end = find_end_tag(in, from, name, 8192);
    std::string_view body =
        in.substr(from, end == std::string_view::npos ? std::min<std::size_t>(in.size() - from, 8192) : end - from);
    bool ticks = body.find('`') != std::string_view::npos;
    add_role(o, kCode);
    inline_open(o, ticks ? "`` " : "`", ticks ? " ``" : "`");
    w_.flat(+1);
}

void Converter::begin_link(Open& o, const Token& t) {
    if (!md_ || link_ > 0 || pre_ > 0) return;
    const std::string_view* href = t.attr("href");
    if (!href) return;
    std::string target = std::string(trim(decode_entities(*href, true)));
    if (target.empty() || target[0] == '#' || istarts_with(target, "javascript:")) return;
    add_role(o, kLink);
    inline_open(o, "[", "](" + markdown_url(resolve_url(base_, target)) + ")");
    w_.flat(+1);
    w_.link_text(+1);
}

const Open* Converter::innermost_table() const {
    for (std::size_t i = stack_.size(); i-- > 0;) {
        if (stack_[i].tag == Tag::kTable) return &stack_[i];
    }
    return nullptr;
}

void Converter::begin_table_part(Open& o) {
    if (o.tag == Tag::kTable) {
        if (w_.is_flat()) {
            o.kind = Kind::kFlat;
            w_.space();
            return;
        }
        o.kind = Kind::kTable;
        tables_.emplace_back();
        w_.capture(&tables_.back().stray);
        return;
    }
    const Open* table = innermost_table();
    if (!table || table->kind != Kind::kTable) {
        o.kind = Kind::kFlat;
        w_.space();
        return;
    }
    TableBuffer& tb = tables_.back();
    if (o.tag == Tag::kTr) {
        tb.row_open = false;
        o.kind = Kind::kRow;
        return;
    }
    if (!tb.row_open) {
        tb.rows.emplace_back();
        tb.row_open = true;
    }
    tb.rows.back().emplace_back();
    w_.capture(&tb.rows.back().back());
    o.kind = Kind::kCell;
}

void Converter::end(Open& o) {
    switch (o.kind) {
        case Kind::kDropped:
            --dropped_;
            break;
        case Kind::kInline:
            w_.close_inline(o.mark, o.closer);
            if (o.roles & (kLink | kCode)) w_.flat(-1);
            if (o.roles & kLink) w_.link_text(-1);
            break;
        case Kind::kItem:
        case Kind::kQuote:
            w_.pop_container();
            break;
        case Kind::kPre:
            if (pre_open_) w_.end_pre(md_ ? fence_ : std::string());
            pre_open_ = false;
            --pre_;
            break;
        case Kind::kTable:
            end_table();
            break;
        case Kind::kCell:
            w_.capture(&tables_.back().stray);
            break;
        case Kind::kRow:
            tables_.back().row_open = false;
            break;
        case Kind::kFlat:
            w_.space();
            break;
        default:
            break;
    }
    if (o.foreign) --foreign_;
    drop_roles(o);
    if (o.breaks) w_.block(o.breaks);
}

void Converter::end_table() {
    TableBuffer tb = std::move(tables_.back());
    tables_.pop_back();
    w_.capture(tables_.empty() ? nullptr : &tables_.back().stray);
    write_table(w_, std::move(tb), md_);
}

}  // namespace detail

Converted convert_html(std::string_view html, Format format, std::string_view base_url) {
    return detail::Converter(html, format, base_url).run();
}

}  // namespace html
