// The agenthost subcommands. main.cpp parses flags (CLI11 stays in that one file) and calls
// these; each returns the process exit status: 0 success, 1 failed turn, 2 bad usage/config.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agenthost {
class Runtime;
struct ApprovalRequest;
enum class ApprovalDecision;
}  // namespace agenthost

namespace agenthost::cli {

/// Flags shared by `run` and the interactive agent (DESIGN §11).
struct RunOptions {
    std::string prompt;
    std::string output_format = "text";  // text | json | stream-json
    std::optional<std::string> model;
    std::string harness = "coding";
    std::vector<std::filesystem::path> plugin_dirs;
    std::filesystem::path workspace;
    std::optional<std::string> session;
    bool continue_latest = false;
    std::optional<std::filesystem::path> data_dir;
    std::optional<std::string> approval;  // ask | auto | deny
    std::optional<std::string> sandbox;   // off | read-only | workspace-write (bash, bubblewrap)
    std::optional<int> max_iterations;
    std::optional<std::filesystem::path> llmsim_script;
    bool interactive = false;
};

/// A Runtime built from the flags.
struct BuiltRuntime {
    std::unique_ptr<Runtime> runtime;
    std::uint64_t first_new_sequence = 1;  ///< the first event sequence this process adds
    bool offline = false;                  ///< no --model and no provider key: the llmsim driver
};
/// Build the Runtime the flags describe; `ask` decides approvals under `--approval ask`.
/// Throws ConfigError, UsageError or StorageError.
BuiltRuntime build_runtime(const RunOptions& options, std::function<ApprovalDecision(const ApprovalRequest&)> ask);

/// `agenthost run -p PROMPT`.
int run_headless(const RunOptions& options);
/// `agenthost` with no subcommand: the interactive terminal agent (interactive.cpp).
int run_interactive(const RunOptions& options);
/// `agenthost plugins list`.
int plugins_list(const std::vector<std::filesystem::path>& plugin_dirs);
/// `agenthost plugins check PATH`.
int plugins_check(const std::filesystem::path& path);
/// `agenthost harnesses list`.
int harnesses_list();
/// `agenthost harnesses show NAME`.
int harnesses_show(const std::string& name);
/// `agenthost sessions list`.
int sessions_list(const std::optional<std::filesystem::path>& data_dir);
/// One line per session, newest first, at most `limit` (0: all); returns how many there are.
/// Throws StorageError.
std::size_t print_sessions(std::ostream& out, const std::optional<std::filesystem::path>& data_dir, std::size_t limit);
/// `agenthost sessions show ID`.
int sessions_show(const std::optional<std::filesystem::path>& data_dir, const std::string& id);
/// `agenthost sessions export ID`: the session's events as JSONL on stdout.
int sessions_export(const std::optional<std::filesystem::path>& data_dir, const std::string& id);

/// Format every log line with `pattern` (spdlog's), its message (`%v`) made safe for the
/// terminal: a plugin's log text cannot move the cursor or retitle the window (terminal_render).
void set_safe_log_pattern(const std::string& pattern);

/// The sessions folder: DATA_DIR/sessions, default $XDG_DATA_HOME/agenthost/sessions.
std::filesystem::path sessions_dir(const std::optional<std::filesystem::path>& data_dir);

}  // namespace agenthost::cli
