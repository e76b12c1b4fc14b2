#include "url.hpp"

#include "text.hpp"

namespace html {
namespace {

struct Parts {
    std::string_view scheme, authority, path, query, fragment;
    bool has_scheme = false, has_authority = false, has_query = false, has_fragment = false;
};

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Parts split(std::string_view s) {
    Parts p;
    if (std::size_t hash = s.find('#'); hash != std::string_view::npos) {
        p.fragment = s.substr(hash + 1);
        p.has_fragment = true;
        s = s.substr(0, hash);
    }
    if (std::size_t q = s.find('?'); q != std::string_view::npos) {
        p.query = s.substr(q + 1);
        p.has_query = true;
        s = s.substr(0, q);
    }
    if (!s.empty() && is_alpha(s[0])) {
        std::size_t i = 1;
        while (i < s.size() &&
               (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.'))
            ++i;
        if (i < s.size() && s[i] == ':') {
            p.scheme = s.substr(0, i);
            p.has_scheme = true;
            s = s.substr(i + 1);
        }
    }
    if (s.size() >= 2 && s[0] == '/' && s[1] == '/') {
        std::size_t end = s.find('/', 2);
        if (end == std::string_view::npos) end = s.size();
        p.authority = s.substr(2, end - 2);
        p.has_authority = true;
        s = s.substr(end);
    }
    p.path = s;
    return p;
}

/// RFC 3986 §5.2.4.
std::string remove_dot_segments(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    while (!in.empty()) {
        if (in.substr(0, 3) == "../") {
            in.remove_prefix(3);
        } else if (in.substr(0, 2) == "./") {
            in.remove_prefix(2);
        } else if (in.substr(0, 3) == "/./") {
            in.remove_prefix(2);
        } else if (in == "/.") {
            in = "/";
        } else if (in.substr(0, 4) == "/../" || in == "/..") {
            in = in.size() == 3 ? std::string_view("/") : in.substr(3);
            std::size_t slash = out.rfind('/');
            out.resize(slash == std::string::npos ? 0 : slash);
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            std::size_t next = in.find('/', in[0] == '/' ? 1 : 0);
            if (next == std::string_view::npos) next = in.size();
            out.append(in.substr(0, next));
            in.remove_prefix(next);
        }
    }
    return out;
}

std::string merge(const Parts& base, std::string_view ref_path) {
    if (base.has_authority && base.path.empty()) return "/" + std::string(ref_path);
    std::size_t slash = base.path.rfind('/');
    if (slash == std::string_view::npos) return std::string(ref_path);
    return std::string(base.path.substr(0, slash + 1)) + std::string(ref_path);
}

std::string join(const Parts& p, const std::string& path) {
    std::string out;
    out.reserve(p.scheme.size() + p.authority.size() + path.size() + p.query.size() + p.fragment.size() + 8);
    if (p.has_scheme) out.append(ascii_lower(p.scheme)).push_back(':');
    if (p.has_authority) out.append("//").append(p.authority);
    out.append(path);
    if (p.has_query) out.append("?").append(p.query);
    if (p.has_fragment) out.append("#").append(p.fragment);
    return out;
}

/// ref without surrounding whitespace, embedded tabs and newlines; '\' as '/' when asked.
std::string clean(std::string_view ref, bool backslash) {
    ref = trim(ref);
    if (ref.find_first_of(backslash ? "\t\n\r\\" : "\t\n\r") == std::string_view::npos) return std::string(ref);
    std::string out;
    out.reserve(ref.size());
    for (char c : ref) {
        if (c == '\t' || c == '\n' || c == '\r') continue;
        out.push_back(backslash && c == '\\' ? '/' : c);
    }
    return out;
}

bool http_scheme(std::string_view scheme) {
    return iequals(scheme, "http") || iequals(scheme, "https");
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string resolve_url(std::string_view base_text, std::string_view ref_text) {
    Parts base = split(base_text);
    std::string ref_clean = clean(ref_text, base.has_scheme && http_scheme(base.scheme));
    if (!base.has_scheme) return ref_clean;
    Parts r = split(ref_clean);
    if (r.has_scheme && r.has_authority) {
        bool plain = r.path.find("/.") == std::string_view::npos && (r.scheme == "http" || r.scheme == "https");
        return plain ? ref_clean : join(r, remove_dot_segments(r.path));
    }
    if (r.has_scheme && !iequals(r.scheme, base.scheme)) return ref_clean;  // mailto:, data:, …
    Parts t;
    t.scheme = base.scheme;
    t.has_scheme = true;
    t.fragment = r.fragment;
    t.has_fragment = r.has_fragment;
    std::string path;
    if (r.has_authority) {
        t.authority = r.authority;
        t.has_authority = true;
        path = remove_dot_segments(r.path);
        t.query = r.query;
        t.has_query = r.has_query;
    } else {
        t.authority = base.authority;
        t.has_authority = base.has_authority;
        if (r.path.empty()) {
            path = std::string(base.path);
            t.query = r.has_query ? r.query : base.query;
            t.has_query = r.has_query || base.has_query;
        } else {
            path = remove_dot_segments(r.path[0] == '/' ? std::string(r.path) : merge(base, r.path));
            t.query = r.query;
            t.has_query = r.has_query;
        }
    }
    if (t.has_authority && path.empty() && http_scheme(t.scheme)) path = "/";
    return join(t, path);
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string form_encode(std::string_view s) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (is_alpha(ch) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '*') {
            out.push_back(ch);
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

bool query_param(std::string_view url, std::string_view name, std::string& value) {
    std::size_t q = url.find('?');
    if (q == std::string_view::npos) return false;
    std::string_view query = url.substr(q + 1);
    query = query.substr(0, query.find('#'));
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            value = std::string(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
            return true;
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return false;
}

bool is_http_url(std::string_view url) {
    return (istarts_with(url, "http://") && url.size() > 7) || (istarts_with(url, "https://") && url.size() > 8);
}

std::string markdown_url(std::string_view url) {
    std::string out;
    out.reserve(url.size() + 8);
    std::size_t i = 0;
    while (i < url.size()) {
        std::size_t run = i;
        while (run < url.size()) {
            auto c = static_cast<unsigned char>(url[run]);
            if (c <= 0x20 || c == 0x7F || c == '(' || c == ')' || c == '<' || c == '>' || c == '|' || c == '"') break;
            ++run;
        }
        out.append(url.data() + i, run - i);
        if (run >= url.size()) break;
        switch (url[run]) {
            case ' ':
                out.append("%20");
                break;
            case '(':
                out.append("%28");
                break;
            case ')':
                out.append("%29");
                break;
            case '<':
                out.append("%3C");
                break;
            case '>':
                out.append("%3E");
                break;
            case '|':
                out.append("%7C");
                break;
            case '"':
                out.append("%22");
                break;
            default:
                break;  // control characters are dropped
        }
        i = run + 1;
    }
    return out;
}

}  // namespace html
