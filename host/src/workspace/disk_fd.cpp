#include "workspace/disk_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace agenthost {

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

UniqueFd dup_fd(int fd) {
    UniqueFd out(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!out.valid())
        throw FileStoreError("io_error", std::string("cannot duplicate a folder handle: ") + std::strerror(errno));
    return out;
}

std::optional<struct stat> lstat_at(int dirfd, const std::string& name, const std::string& display) {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
    if (errno == ENOENT) return std::nullopt;
    if (errno == ENAMETOOLONG) throw FileStoreError("invalid_path", "'" + display + "': a name in it is too long");
    throw FileStoreError("io_error", "cannot inspect '" + display + "': " + std::strerror(errno));
}

std::string read_fd(int fd, std::size_t size_hint, const std::string& display) {
    std::string out;
    out.resize(size_hint + 1);  // one more byte tells whether the file grew
    std::size_t got = 0;
    for (;;) {
        if (got == out.size()) out.resize(out.size() * 2);
        ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw FileStoreError("io_error", "cannot read '" + display + "': " + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return out;
}

void stream_fd(int fd, std::unique_ptr<char[]>& buffer, const std::function<bool(std::string_view)>& sink,
               const std::string& display) {
    constexpr std::size_t kChunk = 1u << 20;
    if (!buffer) buffer = std::make_unique<char[]>(kChunk);
    for (;;) {
        FileCancelScope::throw_if_cancelled("reading '" + display + "'");
        ssize_t n = ::read(fd, buffer.get(), kChunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw FileStoreError("io_error", "cannot read '" + display + "': " + std::strerror(errno));
        if (n == 0 || !sink(std::string_view(buffer.get(), static_cast<std::size_t>(n)))) return;
    }
}

std::vector<RawEntry> read_dir(UniqueFd fd, const std::string& display, std::size_t max, bool& more) {
    more = false;
    DIR* dir = ::fdopendir(fd.get());
    if (!dir) throw FileStoreError("io_error", "cannot list '" + display + "': " + std::strerror(errno));
    fd.release();
    std::vector<RawEntry> out;
    while (dirent* e = ::readdir(dir)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        if (out.size() >= max) {
            more = true;
            break;
        }
        out.push_back(RawEntry{e->d_name, e->d_type});
    }
    ::closedir(dir);
    std::sort(out.begin(), out.end());
    return out;
}

std::chrono::system_clock::time_point to_time_point(const timespec& ts) {
    using namespace std::chrono;
    return system_clock::time_point(
        duration_cast<system_clock::duration>(seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec)));
}

void throw_open_error(int dirfd, const std::string& name, const std::string& display, int err) {
    struct stat st {};
    bool known = ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (known && S_ISLNK(st.st_mode)) {
        throw FileStoreError("denied", "'" + display +
                                           "' is a symbolic link: paths through symlinks are refused because they "
                                           "could lead outside the workspace");
    }
    if (err == ENOTDIR) {
        throw FileStoreError("not_directory", "'" + display + "' is a file, not a folder");
    }
    if (err == ENOENT) throw FileStoreError("not_found", "no file or folder '" + display + "'");
    if (err == ENAMETOOLONG) throw FileStoreError("invalid_path", "'" + display + "': a name in it is too long");
    if (err == EACCES || err == EPERM)
        throw FileStoreError("denied", "'" + display + "': permission denied by the system");
    throw FileStoreError("io_error", "cannot open '" + display + "': " + std::strerror(err));
}

}  // namespace agenthost
