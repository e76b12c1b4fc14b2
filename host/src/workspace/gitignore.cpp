#include "workspace/gitignore.hpp"

namespace agenthost {

namespace {

/// Match a `[…]` class at pattern[pi] against c; sets `next` past the class. False and
/// next = npos if the class is unterminated (the '[' is then a literal).
bool match_class(std::string_view p, std::size_t pi, char c, std::size_t& next) {
    std::size_t i = pi + 1;
    bool negate = i < p.size() && (p[i] == '!' || p[i] == '^');
    if (negate) ++i;
    bool matched = false;
    bool first = true;
    while (i < p.size() && (p[i] != ']' || first)) {
        first = false;
        char lo = p[i];
        if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
        char hi = lo;
        if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
            hi = p[i + 2];
            if (hi == '\\' && i + 3 < p.size()) hi = p[++i + 2];
            i += 2;
        }
        if (static_cast<unsigned char>(c) >= static_cast<unsigned char>(lo) &&
            static_cast<unsigned char>(c) <= static_cast<unsigned char>(hi)) {
            matched = true;
        }
        ++i;
    }
    if (i >= p.size()) {
        next = std::string_view::npos;
        return false;
    }
    next = i + 1;
    return matched != negate;
}

/// One segment (no '/') against one name: `*` and `?` with a single backtrack point, which
/// is linear for `*` since segments cannot contain '/'.
bool match_segment(std::string_view p, std::string_view s) {
    std::size_t pi = 0, si = 0, star_p = std::string_view::npos, star_s = 0;
    while (si < s.size()) {
        if (pi < p.size() && p[pi] == '*') {
            while (pi < p.size() && p[pi] == '*') ++pi;
            star_p = pi;
            star_s = si;
            continue;
        }
        bool ok = false;
        std::size_t next = pi + 1;
        if (pi < p.size()) {
            char pc = p[pi];
            if (pc == '?') {
                ok = true;
            } else if (pc == '[') {
                ok = match_class(p, pi, s[si], next);
                if (next == std::string_view::npos) ok = s[si] == '[', next = pi + 1;
            } else if (pc == '\\' && pi + 1 < p.size()) {
                ok = s[si] == p[pi + 1];
                next = pi + 2;
            } else {
                ok = s[si] == pc;
            }
        }
        if (ok) {
            pi = next;
            ++si;
        } else if (star_p != std::string_view::npos) {
            pi = star_p;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t slash = s.find('/', pos);
        if (slash == std::string_view::npos) slash = s.size();
        out.push_back(s.substr(pos, slash - pos));
        pos = slash + 1;
    }
    return out;
}

bool match_segments(const std::vector<std::string_view>& p, std::size_t pi, const std::vector<std::string_view>& s,
                    std::size_t si) {
    while (pi < p.size()) {
        if (p[pi] == "**") {
            while (pi + 1 < p.size() && p[pi + 1] == "**") ++pi;  // a/**/**/b = a/**/b
            if (pi + 1 == p.size()) return si < s.size();         // trailing **: anything below
            for (std::size_t k = si; k <= s.size(); ++k) {
                if (match_segments(p, pi + 1, s, k)) return true;
            }
            return false;
        }
        if (si >= s.size() || !match_segment(p[pi], s[si])) return false;
        ++pi;
        ++si;
    }
    return si == s.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
    return match_segments(split(pattern), 0, split(path), 0);
}

bool has_glob_syntax(std::string_view pattern) {
    return pattern.find_first_of("*?[\\") != std::string_view::npos;
}

GitignoreRules::GitignoreRules(std::string base, std::string_view text) : base_(std::move(base)) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        while (!line.empty() && line.back() == ' ' && !(line.size() >= 2 && line[line.size() - 2] == '\\')) {
            line.remove_suffix(1);  // trailing spaces, unless escaped
        }
        if (line.empty() || line[0] == '#') continue;
        Rule r;
        if (line[0] == '!') {
            r.negate = true;
            line.remove_prefix(1);
        } else if (line[0] == '\\' && line.size() > 1 && (line[1] == '#' || line[1] == '!')) {
            line.remove_prefix(1);
        }
        if (!line.empty() && line.back() == '/') {
            r.dir_only = true;
            line.remove_suffix(1);
        }
        if (line.empty()) continue;
        r.anchored = line.find('/') != std::string_view::npos;
        if (line[0] == '/') line.remove_prefix(1);
        if (line.empty()) continue;
        r.pattern = std::string(line);
        rules_.push_back(std::move(r));
    }
}

GitignoreRules::Verdict GitignoreRules::match(std::string_view path, bool is_dir) const {
    std::string_view rel = path;
    if (!base_.empty()) {
        if (rel.size() <= base_.size() || rel.substr(0, base_.size()) != base_ || rel[base_.size()] != '/')
            return Verdict::kNone;
        rel.remove_prefix(base_.size() + 1);
    }
    std::string_view name = rel.substr(rel.rfind('/') == std::string_view::npos ? 0 : rel.rfind('/') + 1);
    for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
        if (it->dir_only && !is_dir) continue;
        if (it->anchored ? glob_match(it->pattern, rel) : match_segment(it->pattern, name)) {
            return it->negate ? Verdict::kInclude : Verdict::kIgnore;
        }
    }
    return Verdict::kNone;
}

bool IgnoreStack::ignored(std::string_view path, std::string_view name, bool is_dir) const {
    if (is_dir && name == ".git") return true;
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
        GitignoreRules::Verdict v = it->match(path, is_dir);
        if (v != GitignoreRules::Verdict::kNone) return v == GitignoreRules::Verdict::kIgnore;
    }
    return false;
}

}  // namespace agenthost
