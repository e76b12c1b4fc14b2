// tokenizer.hpp — a fast HTML tokenizer (the WHATWG tokenizer's data, tag, attribute, comment,
// raw-text and RCDATA states) over a UTF-8 buffer, without copying: tokens are views into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace html {

/// The elements the converters know; everything else is kOther (compare by name).
// clang-format off
enum class Tag : std::uint8_t {
    kOther, kA, kAbbr, kAddress, kApplet, kArea, kArticle, kAside, kAudio, kB, kBase, kBasefont, kBdi, kBdo,
    kBgsound, kBlockquote, kBody, kBr, kButton, kCanvas, kCaption, kCenter, kCite, kCode, kCol, kColgroup,
    kData, kDd, kDel, kDetails, kDfn, kDialog, kDir, kDiv, kDl, kDt, kEm, kEmbed, kFieldset, kFigcaption,
    kFigure, kFont, kFooter, kForm, kFrame, kFrameset, kH1, kH2, kH3, kH4, kH5, kH6, kHead, kHeader, kHgroup,
    kHr, kHtml, kI, kIframe, kImg, kInput, kIns, kKbd, kKeygen, kLabel, kLegend, kLi, kLink, kListing, kMain,
    kMap, kMark, kMarquee, kMath, kMenu, kMeta, kNav, kNobr, kNoembed, kNoframes, kNoscript, kObject, kOl,
    kOptgroup, kOption, kOutput, kP, kParam, kPicture, kPlaintext, kPre, kQ, kRp, kRt, kRuby, kS, kSamp,
    kScript, kSearch, kSection, kSelect, kSmall, kSource, kSpan, kStrike, kStrong, kStyle, kSub, kSummary,
    kSup, kSvg, kTable, kTbody, kTd, kTemplate, kTextarea, kTfoot, kTh, kThead, kTime, kTitle, kTr, kTrack,
    kTt, kU, kUl, kVar, kVideo, kWbr, kXmp, kCount
};
// clang-format on

/// The tag for a lower-case element name.
Tag tag_of(std::string_view lower_name);

/// One attribute as written: the name in its source case, the value still encoded.
struct Attribute {
    std::string_view name;
    std::string_view value;
};

/// One token. Views point into the tokenizer's input.
struct Token {
    enum class Kind { kText, kStartTag, kEndTag };
    Kind kind = Kind::kText;
    std::string_view text;         // kText: raw text; tags: the name as written
    Tag tag = Tag::kOther;         // tags
    bool self_closing = false;     // kStartTag: ended with "/>"
    bool raw = false;              // kText: script/style/xmp content (no character references)
    std::vector<Attribute> attrs;  // kStartTag

    /// The raw value of an attribute (ASCII case-insensitive name), or nullptr.
    const std::string_view* attr(std::string_view lower_name) const;
};

/// Splits HTML into tokens; comments, doctypes and processing instructions are skipped.
class Tokenizer {
public:
    explicit Tokenizer(std::string_view html) : in_(html) {}
    /// Read the next token into t; false at the end of the input.
    bool next(Token& t);
    /// The whole input.
    std::string_view input() const { return in_; }
    /// The offset of the next unread byte.
    std::size_t position() const { return pos_; }

private:
    bool start_tag(Token& t);
    bool end_tag(Token& t);
    void skip_to(std::string_view terminator, std::size_t from);

    std::string_view in_;
    std::size_t pos_ = 0;
    Tag raw_tag_ = Tag::kOther;  // inside script/style/…/title/textarea: the element to end
    bool in_raw_ = false;
    bool in_plaintext_ = false;
};

/// The offset of the end tag `</name` (name lower-case; matched ASCII case-insensitively,
/// followed by whitespace, '/' or '>') in in[from, from + limit), or npos.
std::size_t find_end_tag(std::string_view in, std::size_t from, std::string_view name,
                         std::size_t limit = std::string_view::npos);

}  // namespace html
