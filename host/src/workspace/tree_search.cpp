#include "workspace/tree_search.hpp"

#include "workspace/file_content.hpp"
#include "workspace/gitignore.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <utility>

namespace agenthost {

namespace {

constexpr std::size_t kMaxLineText = 400;         // bytes of a matching line returned
constexpr std::size_t kMaxLineCarry = 64u << 20;  // a "line" longer than this ends the file's scan

std::string join(std::string_view dir, std::string_view name) {
    return dir.empty() ? std::string(name) : std::string(dir) + '/' + std::string(name);
}

std::vector<std::string> components(std::string_view path) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < path.size()) {
        std::size_t slash = path.find('/', pos);
        if (slash == std::string_view::npos) slash = path.size();
        out.emplace_back(path.substr(pos, slash - pos));
        pos = slash + 1;
    }
    return out;
}

/// A glob of GlobQuery's form, split once: a pattern without '/' matches the last segment.
class SearchGlob {
public:
    explicit SearchGlob(std::string_view pattern)
        : glob_(strip(pattern)), name_only_(!anchored(pattern) && strip(pattern).find('/') == std::string_view::npos) {
        if (pattern.size() > kMaxGlobPatternBytes) {
            throw FileStoreError("invalid_pattern", "the glob pattern has " + std::to_string(pattern.size()) +
                                                        " bytes; at most " + std::to_string(kMaxGlobPatternBytes) +
                                                        " are accepted");
        }
    }
    bool match(std::string_view relative_path, MatchBudget* budget) const {
        if (name_only_) {
            std::size_t slash = relative_path.rfind('/');
            if (slash != std::string_view::npos) relative_path.remove_prefix(slash + 1);
        }
        return glob_.match(relative_path, budget);
    }

private:
    static std::string_view lead(std::string_view p) {
        while (p.substr(0, 2) == "./") p.remove_prefix(2);
        return p;
    }
    static bool anchored(std::string_view p) { return !lead(p).empty() && lead(p)[0] == '/'; }
    static std::string_view strip(std::string_view p) { return anchored(p) ? lead(p).substr(1) : lead(p); }

    Glob glob_;
    bool name_only_;
};

/// Walks a tree depth-first, handing each file not ignored to a callback, within WalkLimits:
/// it goes no deeper than max_depth, stops after max_entries entries or when matching has
/// spent max_match_steps, and says so; it notices FileCancelScope's flag at every entry.
class Walker {
public:
    /// Gets (workspace path, path relative to the search folder, name); false stops the walk.
    using OnFile = std::function<bool(const std::string& path, const std::string& relative, const std::string& name)>;

    Walker(TreeCursor& cursor, const WalkLimits& limits, OnFile on_file)
        : cursor_(cursor), limits_(limits), budget_(limits.max_match_steps), on_file_(std::move(on_file)) {}

    /// The budget matching spends from (a callback's globs too).
    MatchBudget* budget() { return &budget_; }

    /// Walk from `start`; returns why it stopped early ("" if it saw everything).
    std::string run(const SearchStart& start) {
        std::vector<std::string> parts = components(start.path);
        std::size_t folders = start.is_dir ? parts.size() : parts.size() - 1;
        std::string dir;
        try {
            load_gitignore("");
            for (std::size_t i = 0; i < folders; ++i) {
                if (!cursor_.enter(parts[i]))
                    throw FileStoreError("not_found", "no folder '" + join(dir, parts[i]) + "'");
                dir = join(dir, parts[i]);
                load_gitignore(dir);
            }
            if (start.is_dir)
                visit(dir, "", folders);
            else
                on_file_(start.path, parts.back(), parts.back());
        } catch (const MatchBudget::Exhausted&) {
            stopped_ = "stopped at " + std::to_string(budget_.total()) +
                       " steps of pattern matching (the most one search may spend) in '" + shown(current_) +
                       "'; use a simpler pattern or a narrower path";
        }
        return stopped_;
    }

private:
    static constexpr std::size_t kMaxGitignore = 1u << 20;       // larger .gitignore files are read up to here
    static constexpr std::size_t kMaxGitignoreTotal = 8u << 20;  // .gitignore text held during one walk

    static std::string shown(const std::string& dir) { return dir.empty() ? "/" : std::string(cut_utf8(dir, 300)); }

    void load_gitignore(const std::string& dir) {
        FileCancelScope::throw_if_cancelled("the search");
        std::string text;
        std::size_t room = std::min(kMaxGitignore, kMaxGitignoreTotal - std::min(kMaxGitignoreTotal, ignore_bytes_));
        bool ok = room > 0 && cursor_.read(".gitignore", [&](std::string_view chunk) {
            text.append(chunk.substr(0, std::min(chunk.size(), room - text.size())));
            return text.size() < room;
        });
        ignore_bytes_ += text.size();
        ignore_sizes_.push_back(text.size());
        ignores_.push(GitignoreRules(dir, ok ? text : ""));
    }

    void unload_gitignore() {
        ignores_.pop();
        ignore_bytes_ -= ignore_sizes_.back();
        ignore_sizes_.pop_back();
    }

    /// Returns false once the walk should stop.
    bool visit(const std::string& dir, const std::string& relative, std::size_t depth) {
        current_ = dir;
        FileCancelScope::throw_if_cancelled("the search");
        bool more = false;
        std::vector<TreeCursor::Entry> entries = cursor_.entries(limits_.max_entries - entries_, more);
        for (const TreeCursor::Entry& e : entries) {
            FileCancelScope::throw_if_cancelled("the search");
            ++entries_;
            std::string path = join(dir, e.name);
            if (ignores_.ignored(path, e.name, e.is_dir, &budget_)) continue;
            std::string rel = join(relative, e.name);
            if (!e.is_dir) {
                if (!on_file_(path, rel, e.name)) return false;
                continue;
            }
            if (depth + 1 > limits_.max_depth) {
                if (stopped_.empty()) {
                    stopped_ = "stopped at depth " + std::to_string(limits_.max_depth) +
                               " (the deepest a search goes): '" + shown(path) + "' was not searched";
                }
                continue;
            }
            if (!cursor_.enter(e.name)) continue;  // vanished or not a plain folder: skipped
            load_gitignore(path);
            bool go_on = visit(path, rel, depth + 1);
            current_ = dir;
            unload_gitignore();
            cursor_.leave();
            if (!go_on) return false;
        }
        if (more) {
            stopped_ = "stopped at " + std::to_string(limits_.max_entries) +
                       " files and folders (the most one search visits) in '" + shown(dir) +
                       "'; search a narrower path";
            return false;
        }
        return true;
    }

    TreeCursor& cursor_;
    const WalkLimits& limits_;
    MatchBudget budget_;
    OnFile on_file_;
    IgnoreStack ignores_;
    std::vector<std::size_t> ignore_sizes_;
    std::size_t ignore_bytes_ = 0;
    std::size_t entries_ = 0;
    std::string current_;  // the folder being walked, for messages
    std::string stopped_;
};

/// Where a `{…}` repeat starting at re[i] ends (one past '}') and whether its minimum is 0;
/// npos if it is not a repeat.
std::size_t repeat_end(std::string_view re, std::size_t i, bool& optional) {
    std::size_t close = re.find('}', i);
    if (close == std::string_view::npos || close == i + 1) return std::string_view::npos;
    std::string_view body = re.substr(i + 1, close - i - 1);
    if (body.find_first_not_of("0123456789,") != std::string_view::npos ||
        !std::isdigit(static_cast<unsigned char>(body[0]))) {
        return std::string_view::npos;
    }
    optional = body.find_first_not_of('0') == std::string_view::npos || body[body.find_first_not_of('0')] == ',';
    return close + 1;
}

/// Strings of which every match of `re` contains one — per top-level alternative, its longest
/// run of mandatory literal characters outside any group — so that only lines holding one are
/// given to the regex (what GNU grep does with its "must" strings). Empty when unsure (flags,
/// \Q, \x, …) or when an alternative has no literal of 3 bytes.
std::vector<std::string> required_literals(std::string_view re) {
    if (re.find("(?") != std::string_view::npos) return {};  // flags
    std::vector<std::string> branches;
    std::string best, run;
    auto flush = [&] {
        if (run.size() > best.size()) best = run;
        run.clear();
    };
    int depth = 0;
    std::size_t i = 0;
    while (i < re.size()) {
        char c = re[i];
        int literal = -1;  // the byte this token stands for, if it is one literal byte
        std::size_t next = i + 1;
        if (c == '\\') {
            if (i + 1 >= re.size()) return {};
            char e = re[i + 1];
            if (std::string_view("QExpPC0123456789").find(e) != std::string_view::npos) return {};
            if (std::ispunct(static_cast<unsigned char>(e))) literal = static_cast<unsigned char>(e);
            next = i + 2;
        } else if (c == '[') {
            next = i + 1;
            if (next < re.size() && re[next] == '^') ++next;
            if (next < re.size() && re[next] == ']') ++next;
            while (next < re.size() && re[next] != ']') {
                if (re[next] == '\\') {
                    next += 2;
                } else if (re.substr(next, 2) == "[:") {  // [:alpha:]
                    std::size_t close = re.find(":]", next + 2);
                    if (close == std::string_view::npos) return {};
                    next = close + 2;
                } else {
                    ++next;
                }
            }
            if (next >= re.size()) return {};
            ++next;
        } else if (c == '|') {
            if (depth == 0) {  // the next top-level alternative
                flush();
                branches.push_back(std::exchange(best, {}));
            }
        } else if (c == '(' || c == ')') {
            depth += c == '(' ? 1 : -1;
        } else if (c == '{' || c == '*' || c == '+' || c == '?') {
            return {};  // a repeat with nothing before it: not worth understanding
        } else if (c != '.' && c != '^' && c != '$' && c != '\n' && static_cast<unsigned char>(c) < 0x80) {
            literal = static_cast<unsigned char>(c);
        }
        bool optional = false, repeated = false;
        if (next < re.size() && (re[next] == '*' || re[next] == '?' || re[next] == '+')) {
            optional = re[next] != '+';
            repeated = true;
            ++next;
        } else if (next < re.size() && re[next] == '{') {
            std::size_t end = repeat_end(re, next, optional);
            if (end == std::string_view::npos) return {};
            repeated = true;
            next = end;
        }
        if (repeated && next < re.size() && re[next] == '?') ++next;  // lazy
        if (literal < 0 || depth > 0 || c == ')' || optional) {
            flush();
        } else {
            run += static_cast<char>(literal);
            if (repeated) flush();
        }
        i = next;
    }
    flush();
    branches.push_back(std::move(best));
    for (const std::string& b : branches) {
        if (b.size() < 3) return {};
    }
    return branches;
}

/// Scans files for lines matching a regex, line by line across read chunks.
class LineScanner {
public:
    LineScanner(const RE2& re, std::vector<std::string> literals, GrepResult& out, std::size_t limit)
        : re_(re), literals_(std::move(literals)), hits_(literals_.size()), out_(out), limit_(limit) {}

    /// Scan one file of the cursor's folder; false once the limit is passed.
    bool scan(TreeCursor& cursor, const std::string& name, const std::string& path) {
        line_ = 0;
        carry_.clear();
        bool first = true, binary = false, stop = false;
        bool readable = cursor.read(name, [&](std::string_view chunk) {
            if (first) {
                first = false;
                if (has_nul_prefix(chunk)) return !(binary = true);
            }
            std::string_view text = chunk;
            if (!carry_.empty()) text = carry_.append(chunk);
            std::size_t last_nl = text.rfind('\n');
            if (last_nl == std::string_view::npos) {
                if (carry_.empty()) carry_.assign(chunk);
                return carry_.size() < kMaxLineCarry;
            }
            if (!scan_lines(text.substr(0, last_nl + 1), path)) return !(stop = true);
            std::string rest(text.substr(last_nl + 1));
            carry_ = std::move(rest);
            return true;
        });
        if (!readable || binary) return true;
        if (!stop && !carry_.empty()) stop = !scan_lines(carry_, path);
        ++out_.files_searched;
        return !stop;
    }

private:
    /// Scan whole lines (the last may lack its '\n' at the end of a file).
    bool scan_lines(std::string_view text, const std::string& path) {
        const std::size_t n = text.size();
        const char* base = text.data();
        std::size_t pos = 0, counted = 0;
        re2::StringPiece whole(base, n), m;
        std::fill(hits_.begin(), hits_.end(), kUnknown);
        while (pos < n) {
            std::size_t at;  // somewhere in a line that matches
            if (!literals_.empty()) {
                at = next_literal(base, n, pos);
                if (at == std::string_view::npos) break;
            } else {
                if (!re_.Match(whole, pos, n, RE2::UNANCHORED, &m, 1)) break;
                at = static_cast<std::size_t>(m.data() - base);
                if (at >= n) break;  // an empty match after the last line
            }
            const void* ls = at > pos ? ::memrchr(base + pos, '\n', at - pos) : nullptr;
            std::size_t line_start = ls ? static_cast<std::size_t>(static_cast<const char*>(ls) - base) + 1 : pos;
            const void* le = std::memchr(base + at, '\n', n - at);
            std::size_t line_end = le ? static_cast<std::size_t>(static_cast<const char*>(le) - base) : n;
            if (!literals_.empty() && !re_.Match(whole, line_start, line_end, RE2::UNANCHORED, nullptr, 0)) {
                pos = std::min(line_end + 1, n);  // the literal is there, the regex is not
                continue;
            }
            line_ += count_newlines(base + counted, line_start - counted);
            if (out_.matches.size() >= limit_) {
                out_.truncated = true;
                return false;
            }
            std::string_view line = text.substr(line_start, line_end - line_start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            out_.matches.push_back(GrepMatch{path, line_ + 1, repair_utf8(cut_utf8(line, kMaxLineText))});
            ++line_;
            pos = counted = std::min(line_end + 1, n);
        }
        line_ += count_newlines(base + counted, n - counted);
        return true;
    }

    /// The first place at or after `pos` where a literal occurs; npos if none. Each literal's
    /// next occurrence is remembered, so the text is searched once per literal.
    std::size_t next_literal(const char* base, std::size_t n, std::size_t pos) {
        std::size_t first = std::string_view::npos;
        for (std::size_t k = 0; k < literals_.size(); ++k) {
            if (hits_[k] == kUnknown || (hits_[k] < pos && hits_[k] != std::string_view::npos)) {
                const void* h = ::memmem(base + pos, n - pos, literals_[k].data(), literals_[k].size());
                hits_[k] = h ? static_cast<std::size_t>(static_cast<const char*>(h) - base) : std::string_view::npos;
            }
            first = std::min(first, hits_[k]);
        }
        return first;
    }

    static constexpr std::size_t kUnknown = std::string_view::npos - 1;
    const RE2& re_;
    std::vector<std::string> literals_;  // every match holds one of them (none: no prefilter)
    std::vector<std::size_t> hits_;      // the next occurrence of each in the text being scanned
    GrepResult& out_;
    std::size_t limit_;
    std::uint64_t line_ = 0;  // lines before the text being scanned
    std::string carry_;       // a line begun in the previous chunk
};

}  // namespace

bool search_glob_match(std::string_view pattern, std::string_view relative_path) {
    return SearchGlob(pattern).match(relative_path, nullptr);
}

GlobResult tree_glob(TreeCursor& cursor, const SearchStart& start, const GlobQuery& query, const WalkLimits& limits) {
    if (query.pattern.empty()) throw FileStoreError("invalid_pattern", "the glob pattern is empty");
    if (!start.is_dir) throw FileStoreError("not_directory", "'" + start.path + "' is a file, not a folder to search");
    SearchGlob glob(query.pattern);
    GlobResult out;
    MatchBudget* budget = nullptr;
    Walker walker(cursor, limits, [&](const std::string& path, const std::string& rel, const std::string&) {
        if (!glob.match(rel, budget)) return true;
        if (out.paths.size() >= query.limit) return !(out.truncated = true);
        out.paths.push_back(path);
        return true;
    });
    budget = walker.budget();
    out.stopped = walker.run(start);
    return out;
}

GrepResult tree_grep(TreeCursor& cursor, const SearchStart& start, const GrepQuery& query, const WalkLimits& limits) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_never_nl(true);  // a match never spans lines
    options.set_case_sensitive(!query.case_insensitive);
    options.set_max_mem(64 << 20);
    RE2 re("(?m)" + query.pattern, options);
    if (!re.ok()) throw FileStoreError("invalid_pattern", "invalid regex '" + query.pattern + "': " + re.error());
    std::optional<SearchGlob> glob;
    if (!query.glob.empty()) glob.emplace(query.glob);
    GrepResult out;
    LineScanner scanner(re, query.case_insensitive ? std::vector<std::string>{} : required_literals(query.pattern), out,
                        query.limit);
    MatchBudget* budget = nullptr;
    Walker walker(cursor, limits, [&](const std::string& path, const std::string& rel, const std::string& name) {
        if (glob && !glob->match(rel, budget)) return true;
        return scanner.scan(cursor, name, path);
    });
    budget = walker.budget();
    out.stopped = walker.run(start);
    return out;
}

}  // namespace agenthost
