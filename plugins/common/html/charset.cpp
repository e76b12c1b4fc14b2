#include "charset.hpp"

#include "text.hpp"
#include "tokenizer.hpp"

#include <iconv.h>

#include <cerrno>
#include <memory>

namespace html {
namespace {

/// Windows-1252 bytes 0x80–0x9F (the rest of the upper half is Latin-1).
constexpr char16_t kCp1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                  0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

std::string from_cp1252(std::string_view in) {
    std::string out;
    out.reserve(in.size() + in.size() / 8);
    for (char ch : in) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(ch);
        } else {
            append_utf8(out, c < 0xA0 ? kCp1252[c - 0x80] : c);
        }
    }
    return out;
}

/// The value after "charset=" in s (quotes and whitespace removed), or "".
std::string charset_param(std::string_view s) {
    std::string lower = ascii_lower(s);
    std::size_t at = lower.find("charset");
    while (at != std::string::npos) {
        std::size_t i = at + 7;
        while (i < lower.size() && is_space(lower[i])) ++i;
        if (i < lower.size() && lower[i] == '=') {
            ++i;
            while (i < lower.size() && is_space(lower[i])) ++i;
            char quote = i < lower.size() && (lower[i] == '"' || lower[i] == '\'') ? lower[i] : 0;
            i += quote != 0;
            std::size_t end = i;
            while (end < lower.size() && lower[end] != ';' && lower[end] != quote &&
                   !(quote == 0 && is_space(lower[end])))
                ++end;
            return std::string(trim(std::string_view(lower).substr(i, end - i)));
        }
        at = lower.find("charset", at + 7);
    }
    return {};
}

struct IconvCloser {
    void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

/// in converted by iconv from `from`; false if iconv does not know the charset.
bool with_iconv(std::string_view in, const std::string& from, std::string& out) {
    iconv_t cd = iconv_open("UTF-8", from.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return false;
    std::unique_ptr<void, IconvCloser> guard(cd);
    out.clear();
    out.resize(in.size() * 2 + 16);
    char* src = const_cast<char*>(in.data());
    std::size_t src_left = in.size(), used = 0;
    while (src_left > 0) {
        char* dst = out.data() + used;
        std::size_t dst_left = out.size() - used;
        std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
        used = out.size() - dst_left;
        if (rc != static_cast<std::size_t>(-1)) break;
        if (errno == E2BIG) {
            out.resize(out.size() * 2);
        } else {  // EILSEQ or EINVAL (cut at the end): one replacement character per bad byte
            if (out.size() - used < 3) out.resize(out.size() * 2);
            out.replace(used, 3, "\xEF\xBF\xBD");
            used += 3;
            ++src;
            --src_left;
            iconv(cd, nullptr, nullptr, nullptr, nullptr);
        }
    }
    out.resize(used);
    return true;
}

}  // namespace

std::string charset_from_content_type(std::string_view content_type) {
    return charset_param(content_type);
}

std::string charset_from_meta(std::string_view html) {
    Tokenizer tok(html.substr(0, 4096));
    Token t;
    while (tok.next(t)) {
        if (t.kind != Token::Kind::kStartTag) continue;
        if (t.tag == Tag::kBody) break;
        if (t.tag != Tag::kMeta) continue;
        if (const std::string_view* cs = t.attr("charset")) return ascii_lower(trim(*cs));
        const std::string_view* equiv = t.attr("http-equiv");
        const std::string_view* content = t.attr("content");
        if (equiv && content && iequals(trim(*equiv), "content-type")) {
            std::string cs = charset_param(*content);
            if (!cs.empty()) return cs;
        }
    }
    return {};
}

std::string canonical_charset(std::string_view label_in) {
    std::string label = ascii_lower(trim(label_in));
    static const char* const kUtf8[] = {"utf-8",         "utf8",          "unicode-1-1-utf-8",
                                        "unicode11utf8", "unicode20utf8", "x-unicode20utf8"};
    static const char* const kCp1252Labels[] = {
        "windows-1252", "ansi_x3.4-1968", "ascii",     "cp1252",   "cp819",      "csisolatin1",     "ibm819",
        "iso-8859-1",   "iso-ir-100",     "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1",
        "latin1",       "us-ascii",       "x-cp1252"};
    for (const char* l : kUtf8) {
        if (label == l) return "utf-8";
    }
    for (const char* l : kCp1252Labels) {
        if (label == l) return "windows-1252";
    }
    if (label == "gb2312" || label == "gbk" || label == "x-gbk" || label == "chinese" || label == "csgb2312" ||
        label == "gb_2312-80") {
        return "gb18030";
    }
    if (label == "shift_jis" || label == "sjis" || label == "x-sjis" || label == "ms_kanji" || label == "ms932" ||
        label == "windows-31j" || label == "csshiftjis") {
        return "windows-31j";
    }
    if (label == "euc-kr" || label == "ks_c_5601-1987" || label == "windows-949" || label == "cseuckr") return "cp949";
    if (label == "iso-8859-8-i") return "iso-8859-8";
    if (label == "utf-16") return "utf-16le";
    return label;
}

Decoded to_utf8(std::string owned, std::string_view charset) {
    Decoded d;
    std::string cs = canonical_charset(charset);
    std::string_view body = owned;
    if (body.substr(0, 3) == "\xEF\xBB\xBF") {
        body.remove_prefix(3);
        cs = "utf-8";
    } else if (body.substr(0, 2) == "\xFE\xFF") {
        body.remove_prefix(2);
        cs = "utf-16be";
    } else if (body.substr(0, 2) == "\xFF\xFE") {
        body.remove_prefix(2);
        cs = "utf-16le";
    }
    if (cs.empty()) cs = "utf-8";
    d.charset = cs;
    if (cs == "utf-8") {
        if (body.size() == owned.size() && valid_utf8(body)) {
            d.text = std::move(owned);
        } else {
            d.text = repair_utf8(body);
        }
    } else if (cs == "windows-1252") {
        d.text = from_cp1252(body);
    } else if (with_iconv(body, cs, d.text)) {
        d.text = repair_utf8(d.text);
    } else {
        d.unknown = true;
        d.charset = "utf-8";
        d.text = repair_utf8(body);
    }
    return d;
}

}  // namespace html
