// Runs one command to completion on Boost.Process v2: its own session and process group,
// stdin from /dev/null, stdout and stderr drained concurrently into bounded buffers, and the
// whole group killed on timeout, interrupt, an output flood, or when the command itself ends.
// When the command is bwrap with a PID namespace (RunSpec::namespace_info_fd), the namespace's
// init is killed too and waited for: when it is gone, so is every process inside, whatever
// session or group they moved to, and RunResult::contained says so.
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
    std::vector<int> inherit_fds;                  ///< passed to the child under the same numbers
    int namespace_info_fd = -1;      ///< read end of bwrap's --info-fd: its PID namespace is awaited
    std::function<void()> on_started;  ///< called once the child runs (to close the child's pipe ends)
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
    bool contained = false;  ///< every process the command started is known to be gone
};

/// An owned file descriptor, closed when destroyed.
class UniqueFd {
public:
    /// Own `fd` (-1: none).
    explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }
    /// The descriptor, or -1.
    int get() const noexcept { return fd_; }
    /// Give up ownership.
    int release() noexcept;
    /// Close it now.
    void reset() noexcept;

private:
    int fd_;
};

/// Both ends of a close-on-exec pipe. Throws std::runtime_error when the pipe cannot be made.
struct Pipe {
    UniqueFd read;
    UniqueFd write;
    /// A new pipe.
    static Pipe make();
};

/// Run `spec` to completion. Throws std::runtime_error when the process cannot be started.
RunResult run_process(const RunSpec& spec);

}  // namespace bash_plugin
