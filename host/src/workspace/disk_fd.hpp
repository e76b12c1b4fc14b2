// File descriptors for the real-disk store: an owning handle and the reads that use it.
#pragma once

#include <agenthost/workspace.hpp>

#include <sys/stat.h>

#include <optional>
#include <string>
#include <utility>

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

/// A timespec as a system_clock time point.
std::chrono::system_clock::time_point to_time_point(const timespec& ts);

/// FileStoreError for a failed open of `display` (errno `err`, `dirfd`/`name` its location):
/// a symlink → denied, a file where a folder was expected → not_directory, and so on.
[[noreturn]] void throw_open_error(int dirfd, const std::string& name, const std::string& display, int err);

}  // namespace agenthost
