// Glob matching and .gitignore rules, shared by fs.glob and fs.grep.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

/// The pattern-matching work a walk may still spend, in character steps; matching throws
/// MatchBudget::Exhausted once it is spent.
class MatchBudget {
public:
    /// Thrown by a match that ran out of steps.
    struct Exhausted {};
    /// A budget of `steps`.
    explicit MatchBudget(std::uint64_t steps) : left_(steps), total_(steps) {}
    /// Spend `n` steps; throws Exhausted when there are not that many left.
    void spend(std::uint64_t n) {
        if (n > left_) throw Exhausted{};
        left_ -= n;
    }
    /// The steps it started with.
    std::uint64_t total() const noexcept { return total_; }
    /// The steps not yet spent.
    std::uint64_t left() const noexcept { return left_; }

private:
    std::uint64_t left_;
    std::uint64_t total_;
};

/// A glob split into '/'-separated segments once: `*`, `?` and `[…]` stay inside one segment,
/// a `**` segment spans any number of segments (a trailing one at least one), `\` escapes.
/// Matching is a DP over (pattern segment, path segment) — at most segments × segments
/// single-segment matches, each linear-time with one backtrack point — never a backtracking
/// search over `**`; consecutive `**` segments are folded into one.
class Glob {
public:
    /// Split `pattern`.
    explicit Glob(std::string_view pattern);
    /// Whether `path` matches, spending from `budget` (none: unlimited).
    bool match(std::string_view path, MatchBudget* budget = nullptr) const;

private:
    std::vector<std::string> segments_;
};

/// Whether '/'-separated `path` matches glob `pattern` (Glob(pattern).match(path)).
bool glob_match(std::string_view pattern, std::string_view path, MatchBudget* budget = nullptr);

/// Whether a glob pattern has a wildcard (`*`, `?`, `[`) or an escape.
bool has_glob_syntax(std::string_view pattern);

/// The rules of one .gitignore file.
class GitignoreRules {
public:
    /// What the last matching rule says about a path.
    enum class Verdict { kNone, kIgnore, kInclude };

    /// Parse `text`, the .gitignore of folder `base` (workspace-relative, "" = the root).
    GitignoreRules(std::string base, std::string_view text);
    /// The verdict for `path` (workspace-relative, inside `base`), a folder when `is_dir`.
    Verdict match(std::string_view path, bool is_dir, MatchBudget* budget = nullptr) const;
    /// Whether no rule was read.
    bool empty() const noexcept { return rules_.empty(); }
    /// How many rules were read.
    std::size_t size() const noexcept { return rules_.size(); }

private:
    struct Rule {
        std::string pattern;
        Glob glob{""};  // the pattern split, for anchored rules
        bool negate = false;
        bool dir_only = false;
        bool anchored = false;  // contains '/': matched against the path below base
    };
    std::string base_;
    std::vector<Rule> rules_;
};

/// The .gitignore files in force while walking down a tree, outermost first; deeper files
/// take precedence, and `.git` folders are always ignored.
class IgnoreStack {
public:
    /// Add the rules of a folder being entered.
    void push(GitignoreRules rules) { stack_.push_back(std::move(rules)); }
    /// Drop the innermost rules.
    void pop() { stack_.pop_back(); }
    /// Whether `path` (workspace-relative; `name` is its last segment) is ignored.
    bool ignored(std::string_view path, std::string_view name, bool is_dir, MatchBudget* budget = nullptr) const;

private:
    std::vector<GitignoreRules> stack_;
};

}  // namespace agenthost
