// File descriptors for the real-disk store: an owning handle and the reads that use it.
#pragma once

#include <agenthost/workspace.hpp>

#include <sys/stat.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agenthost {

/// An owned file descriptor, closed on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    /// Take ownership of `fd` (-1: none).
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    ~UniqueFd();
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    /// The descriptor (-1 if none).
    int get() const noexcept { return fd_; }
    /// Whether it holds a descriptor.
    bool valid() const noexcept { return fd_ >= 0; }
    /// Give up ownership.
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_ = -1;
};

/// A close-on-exec duplicate of `fd`. Throws FileStoreError(io_error).
UniqueFd dup_fd(int fd);

/// lstat of `name` inside folder `dirfd`; nullopt if it does not exist. Throws
/// FileStoreError(io_error) for other failures.
std::optional<struct stat> lstat_at(int dirfd, const std::string& name, const std::string& display);

/// The rest of the file from its current position. Throws FileStoreError(io_error).
std::string read_fd(int fd, std::size_t size_hint, const std::string& display);

/// Feed the rest of the file to `sink` in chunks of `buffer` (1 MiB, allocated on first use)
/// until it returns false or the file ends, checking FileCancelScope before each chunk.
/// Throws FileStoreError (io_error, cancelled).
void stream_fd(int fd, std::unique_ptr<char[]>& buffer, const std::function<bool(std::string_view)>& sink,
               const std::string& display);

/// A raw directory entry: its name's bytes and d_type.
struct RawEntry {
    std::string name;
    unsigned char type = 0;  ///< DT_DIR, DT_REG, DT_LNK, …, or DT_UNKNOWN
    bool operator<(const RawEntry& other) const { return name < other.name; }
};

/// The entries of an open folder (not "." and ".."), sorted by name: at most `max` of them,
/// with `more` set when it holds more. Takes the descriptor. Throws FileStoreError(io_error).
std::vector<RawEntry> read_dir(UniqueFd fd, const std::string& display, std::size_t max, bool& more);

/// A timespec as a system_clock time point.
std::chrono::system_clock::time_point to_time_point(const timespec& ts);

/// FileStoreError for a failed open of `display` (errno `err`, `dirfd`/`name` its location):
/// a symlink → denied, a file where a folder was expected → not_directory, and so on.
[[noreturn]] void throw_open_error(int dirfd, const std::string& name, const std::string& display, int err);

}  // namespace agenthost
