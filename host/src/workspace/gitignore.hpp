// Glob matching and .gitignore rules, shared by fs.glob and fs.grep.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

/// Whether '/'-separated `path` matches `pattern`: `*`, `?` and `[…]` stay inside one
/// segment, a `**` segment spans any number of segments, `\` escapes.
bool glob_match(std::string_view pattern, std::string_view path);

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
    Verdict match(std::string_view path, bool is_dir) const;
    /// Whether no rule was read.
    bool empty() const noexcept { return rules_.empty(); }

private:
    struct Rule {
        std::string pattern;
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
    bool ignored(std::string_view path, std::string_view name, bool is_dir) const;

private:
    std::vector<GitignoreRules> stack_;
};

}  // namespace agenthost
