#include "workspace/gitignore.hpp"

#include <algorithm>
#include <utility>

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

/// One segment (no '/') against one name: `*` and `?` with a single backtrack point (the last
/// star), so at most |p| × |s| steps, each spent from `budget`.
bool match_segment(std::string_view p, std::string_view s, MatchBudget* budget) {
    std::size_t pi = 0, si = 0, star_p = std::string_view::npos, star_s = 0;
    std::uint64_t steps = 0;
    struct Spend {  // charge the steps however the match ends
        MatchBudget* budget;
        std::uint64_t& steps;
        void flush() {
            if (budget && steps) budget->spend(std::exchange(steps, 0));
        }
    } spend{budget, steps};
    while (si < s.size()) {
        if (++steps >= 4096) spend.flush();
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
    spend.flush();
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

}  // namespace

Glob::Glob(std::string_view pattern) {
    for (std::string_view seg : split(pattern)) {
        if (seg == "**" && !segments_.empty() && segments_.back() == "**") continue;  // a/**/**/b = a/**/b
        segments_.emplace_back(seg);
    }
}

bool Glob::match(std::string_view path, MatchBudget* budget) const {
    // reach[i]: the path segments seen so far can be matched by pattern segments [0, i).
    const std::size_t n = segments_.size();
    std::vector<char> reach(n + 1, 0), next(n + 1, 0);
    auto close = [&](std::vector<char>& r) {  // a non-trailing ** may match no segment
        for (std::size_t i = 0; i + 1 < n; ++i) {
            if (r[i] && segments_[i] == "**") r[i + 1] = 1;
        }
    };
    reach[0] = 1;
    close(reach);
    std::size_t pos = 0;
    while (pos <= path.size()) {
        std::size_t slash = path.find('/', pos);
        if (slash == std::string_view::npos) slash = path.size();
        std::string_view seg = path.substr(pos, slash - pos);
        pos = slash + 1;
        std::fill(next.begin(), next.end(), 0);
        bool any = false;
        for (std::size_t i = 0; i < n; ++i) {
            if (!reach[i]) continue;
            if (budget) budget->spend(1);
            if (segments_[i] == "**") {
                next[i] = 1;                   // ** takes this segment and maybe more
                if (i + 1 == n) next[n] = 1;  // a trailing ** has taken at least one
                any = true;
            } else if (match_segment(segments_[i], seg, budget)) {
                next[i + 1] = 1;
                any = true;
            }
        }
        if (!any) return false;
        close(next);
        reach.swap(next);
    }
    return reach[n] != 0;
}

bool glob_match(std::string_view pattern, std::string_view path, MatchBudget* budget) {
    return Glob(pattern).match(path, budget);
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
        if (r.anchored) r.glob = Glob(r.pattern);
        rules_.push_back(std::move(r));
    }
}

GitignoreRules::Verdict GitignoreRules::match(std::string_view path, bool is_dir, MatchBudget* budget) const {
    std::string_view rel = path;
    if (!base_.empty()) {
        if (rel.size() <= base_.size() || rel.substr(0, base_.size()) != base_ || rel[base_.size()] != '/')
            return Verdict::kNone;
        rel.remove_prefix(base_.size() + 1);
    }
    std::string_view name = rel.substr(rel.rfind('/') == std::string_view::npos ? 0 : rel.rfind('/') + 1);
    for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
        if (it->dir_only && !is_dir) continue;
        if (it->anchored ? it->glob.match(rel, budget) : match_segment(it->pattern, name, budget)) {
            return it->negate ? Verdict::kInclude : Verdict::kIgnore;
        }
    }
    return Verdict::kNone;
}

bool IgnoreStack::ignored(std::string_view path, std::string_view name, bool is_dir, MatchBudget* budget) const {
    if (is_dir && name == ".git") return true;
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
        GitignoreRules::Verdict v = it->match(path, is_dir, budget);
        if (v != GitignoreRules::Verdict::kNone) return v == GitignoreRules::Verdict::kIgnore;
    }
    return false;
}

}  // namespace agenthost
