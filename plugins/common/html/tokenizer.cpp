#include "tokenizer.hpp"

#include "text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace html {
namespace {

// clang-format off
/// Element names in Tag order (index = Tag value).
constexpr std::array<std::string_view, static_cast<std::size_t>(Tag::kCount)> kNames = {
    "", "a", "abbr", "address", "applet", "area", "article", "aside", "audio", "b", "base", "basefont", "bdi",
    "bdo", "bgsound", "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code",
    "col", "colgroup", "data", "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em",
    "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "h1", "h2",
    "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "img", "input", "ins",
    "kbd", "keygen", "label", "legend", "li", "link", "listing", "main", "map", "mark", "marquee", "math",
    "menu", "meta", "nav", "nobr", "noembed", "noframes", "noscript", "object", "ol", "optgroup", "option",
    "output", "p", "param", "picture", "plaintext", "pre", "q", "rp", "rt", "ruby", "s", "samp", "script",
    "search", "section", "select", "small", "source", "span", "strike", "strong", "style", "sub", "summary",
    "sup", "svg", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "time", "title",
    "tr", "track", "tt", "u", "ul", "var", "video", "wbr", "xmp"};
// clang-format on

/// A name of at most 16 bytes as two words (zero-padded), for comparing names fast.
struct Key {
    std::uint64_t lo = 0, hi = 0;
    bool operator==(const Key& o) const { return lo == o.lo && hi == o.hi; }
};

Key key_of(const char* padded16) {
    Key k;
    std::memcpy(&k.lo, padded16, 8);
    std::memcpy(&k.hi, padded16 + 8, 8);
    return k;
}

/// Names bucketed by (first letter, length), for tag_of.
struct NameIndex {
    static constexpr std::size_t kMaxLength = 10;
    std::array<std::vector<std::pair<Key, Tag>>, 26 * (kMaxLength + 1)> buckets;
    static std::size_t bucket(char first, std::size_t size) {
        return static_cast<std::size_t>(first - 'a') * (kMaxLength + 1) + size;
    }
    NameIndex() {
        for (std::size_t i = 1; i < kNames.size(); ++i) {
            char padded[16] = {};
            std::memcpy(padded, kNames[i].data(), kNames[i].size());
            buckets[bucket(kNames[i][0], kNames[i].size())].emplace_back(key_of(padded), static_cast<Tag>(i));
        }
    }
    /// The tag for a lower-case name, zero-padded to 16 bytes.
    Tag find(const char* padded16, std::size_t size) const {
        if (size == 0 || size > kMaxLength || padded16[0] < 'a' || padded16[0] > 'z') return Tag::kOther;
        const Key k = key_of(padded16);
        for (const auto& [key, tag] : buckets[bucket(padded16[0], size)]) {
            if (key == k) return tag;
        }
        return Tag::kOther;
    }
};

const NameIndex& name_index() {
    static const NameIndex index;
    return index;
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

/// The tag for a name as written (any case).
Tag tag_for(std::string_view name) {
    char padded[16] = {};
    if (name.size() > NameIndex::kMaxLength) return Tag::kOther;
    for (std::size_t i = 0; i < name.size(); ++i) padded[i] = lower(name[i]);
    return name_index().find(padded, name.size());
}

}  // namespace

Tag tag_of(std::string_view lower_name) {
    char padded[16] = {};
    if (lower_name.size() > NameIndex::kMaxLength) return Tag::kOther;
    std::memcpy(padded, lower_name.data(), lower_name.size());
    return name_index().find(padded, lower_name.size());
}

const std::string_view* Token::attr(std::string_view lower_name) const {
    for (const Attribute& a : attrs) {
        if (iequals(a.name, lower_name)) return &a.value;
    }
    return nullptr;
}

std::size_t find_end_tag(std::string_view in, std::size_t from, std::string_view name, std::size_t limit) {
    if (from >= in.size()) return std::string_view::npos;
    std::size_t end = limit < in.size() - from ? from + limit : in.size();
    std::size_t i = from;
    while (i < end) {
        const void* lt = std::memchr(in.data() + i, '<', end - i);
        if (!lt) return std::string_view::npos;
        i = static_cast<std::size_t>(static_cast<const char*>(lt) - in.data());
        if (i + 2 + name.size() <= in.size() && in[i + 1] == '/') {
            bool match = true;
            for (std::size_t k = 0; k < name.size() && match; ++k) match = lower(in[i + 2 + k]) == name[k];
            std::size_t after = i + 2 + name.size();
            if (match && (after == in.size() || is_space(in[after]) || in[after] == '/' || in[after] == '>')) return i;
        }
        ++i;
    }
    return std::string_view::npos;
}

void Tokenizer::skip_to(std::string_view terminator, std::size_t from) {
    std::size_t at = in_.find(terminator, from);
    pos_ = at == std::string_view::npos ? in_.size() : at + terminator.size();
}

bool Tokenizer::next(Token& t) {
    for (;;) {
        if (pos_ >= in_.size()) return false;
        if (in_plaintext_) {
            t.kind = Token::Kind::kText;
            t.text = in_.substr(pos_);
            t.raw = true;
            pos_ = in_.size();
            return true;
        }
        if (in_raw_) {
            in_raw_ = false;
            std::size_t end = find_end_tag(in_, pos_, kNames[static_cast<std::size_t>(raw_tag_)]);
            if (end == std::string_view::npos) end = in_.size();
            if (end > pos_) {
                t.kind = Token::Kind::kText;
                t.text = in_.substr(pos_, end - pos_);
                t.raw = raw_tag_ != Tag::kTitle && raw_tag_ != Tag::kTextarea;
                pos_ = end;
                return true;
            }
        }
        // Text up to the next '<' that opens markup.
        std::size_t i = pos_;
        for (;;) {
            const void* lt = std::memchr(in_.data() + i, '<', in_.size() - i);
            i = lt ? static_cast<std::size_t>(static_cast<const char*>(lt) - in_.data()) : in_.size();
            if (i + 1 >= in_.size()) {
                i = in_.size();
                break;
            }
            char c = in_[i + 1];
            if (is_alpha(c) || c == '/' || c == '!' || c == '?') break;
            ++i;
        }
        if (i > pos_) {
            t.kind = Token::Kind::kText;
            t.text = in_.substr(pos_, i - pos_);
            t.raw = false;
            pos_ = i;
            return true;
        }
        char c = in_[pos_ + 1];
        if (is_alpha(c)) {
            if (start_tag(t)) return true;
        } else if (c == '/') {
            if (pos_ + 2 < in_.size() && is_alpha(in_[pos_ + 2])) {
                if (end_tag(t)) return true;
            } else {
                skip_to(">", pos_ + 2);  // "</>" and bogus comments
            }
        } else if (c == '!') {
            if (in_.compare(pos_, 4, "<!--") == 0) {
                std::size_t body = pos_ + 4;
                if (in_.compare(body, 1, ">") == 0) {
                    pos_ = body + 1;  // "<!-->"
                } else if (in_.compare(body, 2, "->") == 0) {
                    pos_ = body + 2;  // "<!--->"
                } else {
                    skip_to("-->", body);
                }
            } else {
                skip_to(">", pos_ + 2);  // doctype, CDATA, bogus comment
            }
        } else {
            skip_to(">", pos_ + 2);  // "<?…>"
        }
    }
}

bool Tokenizer::start_tag(Token& t) {
    const std::size_t n = in_.size();
    std::size_t i = pos_ + 1, name_start = i;
    while (i < n && !is_space(in_[i]) && in_[i] != '/' && in_[i] != '>') ++i;
    t.kind = Token::Kind::kStartTag;
    t.text = in_.substr(name_start, i - name_start);
    t.tag = tag_for(t.text);
    t.self_closing = false;
    t.attrs.clear();
    for (;;) {
        while (i < n && is_space(in_[i])) ++i;
        if (i >= n) {
            pos_ = n;  // EOF in a tag: the tag is dropped
            return false;
        }
        char c = in_[i];
        if (c == '>') {
            ++i;
            break;
        }
        if (c == '/') {
            if (i + 1 < n && in_[i + 1] == '>') {
                t.self_closing = true;
                i += 2;
                break;
            }
            ++i;
            continue;
        }
        std::size_t an = i++;  // the first character may be '='
        while (i < n && !is_space(in_[i]) && in_[i] != '/' && in_[i] != '>' && in_[i] != '=') ++i;
        Attribute a{in_.substr(an, i - an), {}};
        std::size_t j = i;
        while (j < n && is_space(in_[j])) ++j;
        if (j < n && in_[j] == '=') {
            ++j;
            while (j < n && is_space(in_[j])) ++j;
            if (j >= n) {
                pos_ = n;
                return false;
            }
            if (in_[j] == '"' || in_[j] == '\'') {
                const void* q = std::memchr(in_.data() + j + 1, in_[j], n - j - 1);
                if (!q) {
                    pos_ = n;
                    return false;
                }
                std::size_t close = static_cast<std::size_t>(static_cast<const char*>(q) - in_.data());
                a.value = in_.substr(j + 1, close - j - 1);
                i = close + 1;
            } else {
                std::size_t v = j;
                while (j < n && !is_space(in_[j]) && in_[j] != '>') ++j;
                a.value = in_.substr(v, j - v);
                i = j;
            }
        }
        t.attrs.push_back(a);
    }
    pos_ = i;
    switch (t.tag) {
        case Tag::kScript:
        case Tag::kStyle:
        case Tag::kXmp:
        case Tag::kIframe:
        case Tag::kNoembed:
        case Tag::kNoframes:
        case Tag::kNoscript:
        case Tag::kTitle:
        case Tag::kTextarea:
            if (!t.self_closing || t.tag == Tag::kScript) {
                in_raw_ = true;
                raw_tag_ = t.tag;
            }
            break;
        case Tag::kPlaintext:
            in_plaintext_ = true;
            break;
        default:
            break;
    }
    return true;
}

bool Tokenizer::end_tag(Token& t) {
    const std::size_t n = in_.size();
    std::size_t i = pos_ + 2, name_start = i;
    while (i < n && !is_space(in_[i]) && in_[i] != '/' && in_[i] != '>') ++i;
    t.kind = Token::Kind::kEndTag;
    t.text = in_.substr(name_start, i - name_start);
    t.tag = tag_for(t.text);
    t.self_closing = false;
    t.attrs.clear();
    // Attributes on an end tag are parsed and ignored; a quoted '>' does not end it.
    while (i < n && in_[i] != '>') {
        if (in_[i] == '"' || in_[i] == '\'') {
            const void* q = std::memchr(in_.data() + i + 1, in_[i], n - i - 1);
            if (!q) break;
            i = static_cast<std::size_t>(static_cast<const char*>(q) - in_.data());
        }
        ++i;
    }
    if (i >= n) {
        pos_ = n;
        return false;
    }
    pos_ = i + 1;
    return true;
}

}  // namespace html
