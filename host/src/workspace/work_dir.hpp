// Which folders may be a session's workspace (DESIGN §8 work_dir): one rule set for the CLI's
// --workspace and the daemon's work_dir.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace agenthost {

/// Why a folder cannot be a workspace: `rule` is one of not_absolute, not_found, not_a_folder,
/// root, home, inside_secrets, contains_secrets; `message` names the folder and the rule.
struct WorkDirProblem {
    std::string rule;
    std::string message;
};

/// How far the search for a credentials folder beneath a workspace goes: breadth first, at most
/// `max_depth` levels below it and `max_entries` entries in all; what lies beyond is not looked at.
struct WorkDirSearchBounds {
    int max_depth = 3;
    std::size_t max_entries = 20000;
};

/// The outcome of check_work_dir: the folder with every symlink resolved, or the rule it breaks.
struct WorkDirCheck {
    std::filesystem::path resolved;
    std::optional<WorkDirProblem> problem;
};

/// Check `dir` (absolute) as a workspace: it exists and is a folder once symlinks are resolved,
/// is not `/` nor `home` itself, and is neither inside nor contains `.ssh`, `.gnupg`, `.aws`,
/// `.kube`, `.docker` or `.config/gcloud` — "contains" being an entry of that name, or a symlink
/// that resolves into such a folder, within `bounds`. `home` empty: no home rule.
WorkDirCheck check_work_dir(const std::filesystem::path& dir, const std::filesystem::path& home,
                            WorkDirSearchBounds bounds = {});

}  // namespace agenthost
