// Runs one command to completion on Boost.Process v2: its own session and process group,
// stdin from /dev/null, stdout and stderr drained concurrently into bounded buffers, and the
// whole group killed on timeout, interrupt, an output flood, or when the command itself ends
// (so nothing it started outlives it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bash_plugin {

/// What to run and within which limits.
struct RunSpec {
    std::string executable;                        ///< absolute path
    std::vector<std::string> args;                 ///< arguments after argv[0]
    std::string cwd;                               ///< the working directory
    std::vector<std::string> env;                  ///< the whole environment, "NAME=value"
    std::chrono::milliseconds timeout{120000};     ///< the group is killed after this
    std::size_t keep_bytes = 30 * 1024;            ///< kept per stream (head + tail)
    std::uint64_t max_output_bytes = 64ull << 20;  ///< both streams; the group is killed past it
    std::function<bool()> cancelled;               ///< polled every few ms; true kills the group
};

/// Why the command stopped.
enum class StopReason { kExited, kTimedOut, kCancelled, kOutputLimit };

/// The outcome of one run.
struct RunResult {
    int exit_code = -1;  ///< the exit status, or 128 + signal when a signal ended it
    int signal = 0;      ///< the signal that ended it, 0 when it exited
    StopReason stop = StopReason::kExited;
    std::string stdout_text;  ///< valid UTF-8, the middle cut when longer than keep_bytes
    std::string stderr_text;
    std::uint64_t stdout_bytes = 0;  ///< everything the stream produced
    std::uint64_t stderr_bytes = 0;
    bool truncated = false;  ///< either stream was cut
    std::chrono::milliseconds duration{0};
};

/// Run `spec` to completion. Throws std::runtime_error when the process cannot be started.
RunResult run_process(const RunSpec& spec);

}  // namespace bash_plugin
