// One JSONL file per session: `<dir>/<id>.jsonl`, mode 0600, exclusively flock'ed while open
// (DESIGN §7).
//
// Durability: append() hands each line to the kernel with one write() before it returns, so a
// crash of this process never loses an appended event. It does not fsync per event (that costs
// milliseconds per call on real disks); a power loss can lose the last events the kernel had
// not flushed yet. Closing a log that was written to (destroying its SessionLog) calls
// fdatasync() once.
#include <agenthost/storage.hpp>

#include "storage/store_common.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <string_view>
#include <system_error>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace agenthost {
namespace {

using storage_detail::check_appendable;
using storage_detail::validate_session_id;

constexpr std::string_view kExtension = ".jsonl";
constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirMode = 0700;
/// list() reads at most this much, and this many lines, of each file to find created and title.
constexpr std::size_t kListReadChunk = 64 * 1024;
constexpr std::size_t kListMaxBytes = 1024 * 1024;
constexpr std::size_t kListMaxLines = 16;

/// How log lines are parsed. append() writes whatever bytes the event's strings hold (the
/// serializer does not validate UTF-8) and nests as deep as the data does, so replay accepts
/// both instead of refusing a log this very store wrote. (Skipping the UTF-8 check is also
/// faster.)
json::parse_options log_parse_options() {
    json::parse_options options;
    options.allow_invalid_utf8 = true;
    options.max_depth = 1024;
    return options;
}

[[noreturn]] void throw_errno(const std::string& what, int err) {
    throw StorageError(what + ": " + std::generic_category().message(err));
}

/// Refuse a session log that is not a regular file, saying what it is instead: a symlink is
/// never followed (it could point anywhere), a folder or a device is not a log.
void check_log_kind(const std::string& path, const struct stat& st) {
    if (S_ISLNK(st.st_mode)) throw StorageError("session log " + path + " is a symlink; refusing to follow it");
    if (!S_ISREG(st.st_mode)) throw StorageError("session log " + path + " is not a regular file");
}

/// Why opening a session log failed: missing, a symlink (O_NOFOLLOW), or the system's reason.
[[noreturn]] void throw_open_error(const std::string& session_id, const std::string& path, int err) {
    if (err == ENOENT) throw StorageError("session " + session_id + " not found (no " + path + ")");
    struct stat st {};
    if (err == ELOOP && ::lstat(path.c_str(), &st) == 0) check_log_kind(path, st);
    throw_errno("cannot open session " + session_id + " (" + path + ")", err);
}

/// Owns a file descriptor; closing it also releases its flock.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

/// Creates `dir` (and missing parents) with mode 0700; leaves an existing directory alone.
void ensure_directory(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) throw StorageError(dir + " exists but is not a directory");
        return;
    }
    if (errno != ENOENT) throw_errno("cannot access session directory " + dir, errno);
    const auto slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) ensure_directory(dir.substr(0, slash));
    if (::mkdir(dir.c_str(), kDirMode) != 0) {
        if (errno == EEXIST) return;
        throw_errno("cannot create session directory " + dir, errno);
    }
    ::chmod(dir.c_str(), kDirMode);  // exactly 0700 whatever the umask
}

/// A read-only view of a whole file: mmap, so replay neither copies nor zero-fills the log.
/// (Only a writer that ignores our flock and truncates the file meanwhile could fault it.)
class MappedFile {
public:
    MappedFile(int fd, std::size_t size, const std::string& path) : size_(size) {
        if (size_ == 0) return;
        void* data = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (data == MAP_FAILED) throw_errno("cannot read " + path, errno);
        data_ = static_cast<const char*>(data);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile() { unmap(); }

    std::string_view view() const noexcept { return {data_ == nullptr ? "" : data_, size_}; }
    void unmap() noexcept {
        if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
        data_ = nullptr;
        size_ = 0;
    }

private:
    const char* data_ = nullptr;
    std::size_t size_;
};

class JsonlSessionLog final : public SessionLog {
public:
    JsonlSessionLog(UniqueFd fd, std::string path, std::string id, std::uint64_t last_sequence, std::uint64_t end,
                    bool needs_newline)
        : fd_(std::move(fd)),
          path_(std::move(path)),
          id_(std::move(id)),
          last_sequence_(last_sequence),
          end_(end),
          needs_newline_(needs_newline) {}

    ~JsonlSessionLog() override {
        if (dirty_) ::fdatasync(fd_.get());
    }

    void append(const Event& event) override {
        std::lock_guard lock(mutex_);
        check_appendable(event, id_, last_sequence_);
        std::string line;
        if (needs_newline_) line.push_back('\n');  // the kept last line had none
        line += to_json_line(event);
        line.push_back('\n');

        // One write() for the whole line; loop only if the kernel takes part of it.
        std::size_t done = 0;
        while (done < line.size()) {
            const ssize_t n = ::write(fd_.get(), line.data() + done, line.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                const int err = errno;
                // Leave no torn line behind: cut back to the last complete one.
                if (done > 0 && ::ftruncate(fd_.get(), static_cast<off_t>(end_)) != 0) {
                    throw_errno("cannot append to " + path_ + " (and cannot cut the partial line)", err);
                }
                throw_errno("cannot append to " + path_, err);
            }
            done += static_cast<std::size_t>(n);
        }
        end_ += line.size();
        last_sequence_ = event.sequence;
        needs_newline_ = false;
        dirty_ = true;
    }

private:
    std::mutex mutex_;
    UniqueFd fd_;
    std::string path_;
    std::string id_;
    std::uint64_t last_sequence_;
    std::uint64_t end_;  ///< file size after the last complete line
    bool needs_newline_;
    bool dirty_ = false;
};

/// What replaying a file found.
struct Replay {
    std::vector<Event> events;
    std::vector<std::string> warnings;
    std::uint64_t end = 0;       ///< bytes to keep (less than the file: cut a torn last line)
    bool needs_newline = false;  ///< the last line is complete but has no '\n'
};

Replay replay(std::string_view buffer, const std::string& path, const std::string& id) {
    Replay out;
    // Exact reserve: one pass of memchr costs far less than regrowing the vector.
    std::size_t lines = 0;
    for (const char* p = buffer.data(); p < buffer.data() + buffer.size(); ++lines) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(buffer.data() + buffer.size() - p));
        p = nl == nullptr ? buffer.data() + buffer.size() : static_cast<const char*>(nl) + 1;
    }
    out.events.reserve(lines);

    json::parser parser(json::storage_ptr(), log_parse_options());
    const char* const begin = buffer.data();
    const char* const end = begin + buffer.size();
    const char* p = begin;
    std::uint64_t line_number = 0;
    auto fail = [&](const std::string& what) -> StorageError {
        return StorageError(path + ":" + std::to_string(line_number) + ": " + what);
    };
    while (p < end) {
        ++line_number;
        const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        const bool terminated = nl != nullptr;
        const char* line_end = terminated ? nl : end;

        parser.reset();
        json::error_code ec;
        parser.write(p, static_cast<std::size_t>(line_end - p), ec);
        if (ec) {
            if (terminated) throw fail("not valid JSON (" + ec.message() + ")");
            // A crash mid-write: the caller cuts this torn tail so the next append starts clean.
            out.end = static_cast<std::uint64_t>(p - begin);
            out.warnings.push_back("cut a torn last line (" + std::to_string(end - p) + " bytes) at line " +
                                   std::to_string(line_number) + " of " + path);
            return out;
        }

        Event event;
        try {
            event = event_from_json(parser.release());
        } catch (const EventFormatError& error) {
            throw fail(std::string("not an event envelope: ") + error.what());
        }
        if (event.session_id != id) {
            throw fail("event of session \"" + event.session_id + "\" in the log of session " + id);
        }
        if (!is_stored_event(event.type)) throw fail("a live-only " + event.type + " event");
        const std::uint64_t expected = out.events.empty() ? 1 : out.events.back().sequence + 1;
        if (event.sequence != expected) {
            throw fail("sequence " + std::to_string(event.sequence) + " where " + std::to_string(expected) +
                       " was expected");
        }
        out.events.push_back(std::move(event));
        out.needs_newline = !terminated;
        p = terminated ? nl + 1 : end;
    }
    out.end = buffer.size();
    return out;
}

/// What list() learns from the first lines of a file.
struct Head {
    std::string created;
    std::string title;
};

Head read_head(int fd) {
    Head head;
    std::string buffer;
    std::size_t scanned = 0;  // bytes of `buffer` already split into lines
    std::size_t lines = 0;
    json::parser parser(json::storage_ptr(), log_parse_options());
    while (lines < kListMaxLines && buffer.size() < kListMaxBytes) {
        const std::size_t old_size = buffer.size();
        buffer.resize(old_size + kListReadChunk);
        ssize_t n;
        do {
            n = ::pread(fd, buffer.data() + old_size, kListReadChunk, static_cast<off_t>(old_size));
        } while (n < 0 && errno == EINTR);
        buffer.resize(old_size + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
        if (n <= 0) break;
        std::size_t nl;
        while (lines < kListMaxLines && (nl = buffer.find('\n', scanned)) != std::string::npos) {
            const std::string_view line(buffer.data() + scanned, nl - scanned);
            scanned = nl + 1;
            ++lines;
            parser.reset();
            json::error_code ec;
            parser.write(line.data(), line.size(), ec);
            if (ec) continue;  // replay reports it; a listing stays best effort
            const json::value value = parser.release();
            const auto* object = value.if_object();
            if (object == nullptr) continue;
            const auto* type = object->if_contains("type");
            const auto* ts = object->if_contains("ts");
            if (head.created.empty() && ts != nullptr && ts->is_string()) {
                head.created = std::string(ts->get_string());
            }
            const auto* data = object->if_contains("data");
            if (type != nullptr && type->is_string() && type->get_string() == event_type::kInputMessage &&
                data != nullptr && data->is_object()) {
                head.title = storage_detail::title_of_input(data->get_object());
                return head;
            }
        }
    }
    return head;
}

class JsonlSessionStore final : public SessionStore {
public:
    explicit JsonlSessionStore(std::string dir) : dir_(std::move(dir)) {
        while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
        if (dir_.empty()) dir_ = ".";
    }

    OpenedSession open(const std::string& session_id, bool create) override {
        validate_session_id(session_id);
        const std::string path = path_of(session_id);
        if (create) ensure_directory(dir_);

        int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW;
        if (create) flags |= O_CREAT;
        UniqueFd fd(::open(path.c_str(), flags, kFileMode));
        if (fd.get() < 0) throw_open_error(session_id, path, errno);
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                throw StorageError("session " + session_id + " is in use by another process (lock held on " + path +
                                   ")");
            }
            throw_errno("cannot lock " + path, errno);
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat " + path, errno);
        check_log_kind(path, st);
        if ((st.st_mode & 07777) != kFileMode && ::fchmod(fd.get(), kFileMode) != 0) {
            throw_errno("cannot restrict " + path + " to mode 0600", errno);
        }

        const auto size = static_cast<std::uint64_t>(st.st_size);
        MappedFile file(fd.get(), static_cast<std::size_t>(size), path);
        Replay replayed = replay(file.view(), path, session_id);
        file.unmap();
        if (replayed.end < size && ::ftruncate(fd.get(), static_cast<off_t>(replayed.end)) != 0) {
            throw_errno("cannot cut the torn last line of " + path, errno);
        }

        OpenedSession opened;
        const std::uint64_t last = replayed.events.empty() ? 0 : replayed.events.back().sequence;
        opened.log = std::make_unique<JsonlSessionLog>(std::move(fd), path, session_id, last, replayed.end,
                                                       replayed.needs_newline);
        opened.events = std::move(replayed.events);
        opened.warnings = std::move(replayed.warnings);
        return opened;
    }

    std::vector<Event> read(const std::string& session_id) override {
        validate_session_id(session_id);
        const std::string path = path_of(session_id);
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (fd.get() < 0) throw_open_error(session_id, path, errno);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat " + path, errno);
        check_log_kind(path, st);
        MappedFile file(fd.get(), static_cast<std::size_t>(st.st_size), path);
        return replay(file.view(), path, session_id).events;  // a torn tail: being written, left out
    }

    bool exists(const std::string& session_id) override {
        validate_session_id(session_id);
        const std::string path = path_of(session_id);
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) {
            if (errno == ENOENT) return false;
            throw_errno("cannot look at session log " + path, errno);
        }
        if (S_ISLNK(st.st_mode)) check_log_kind(path, st);  // says why instead of "no such session"
        return S_ISREG(st.st_mode);
    }

    std::vector<SessionSummary> list() override {
        std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_.c_str()), &::closedir);
        if (!dir) {
            if (errno == ENOENT) return {};
            throw_errno("cannot list session directory " + dir_, errno);
        }
        std::vector<std::pair<timespec, SessionSummary>> found;
        while (const dirent* entry = ::readdir(dir.get())) {
            const std::string_view name = entry->d_name;
            if (name.size() <= kExtension.size() || !name.ends_with(kExtension)) continue;
            const std::string id(name.substr(0, name.size() - kExtension.size()));
            if (!storage_detail::is_valid_session_id(id)) continue;
            const std::string path = path_of(id);
            UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
            struct stat st {};
            if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            Head head = read_head(fd.get());
            SessionSummary summary;
            summary.id = id;
            summary.created = std::move(head.created);
            summary.updated = format_rfc3339(std::chrono::system_clock::time_point(
                std::chrono::duration_cast<std::chrono::system_clock::duration>(
                    std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec))));
            summary.size_bytes = static_cast<std::uint64_t>(st.st_size);
            summary.title = std::move(head.title);
            found.emplace_back(st.st_mtim, std::move(summary));
        }
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
            if (a.first.tv_sec != b.first.tv_sec) return a.first.tv_sec > b.first.tv_sec;
            if (a.first.tv_nsec != b.first.tv_nsec) return a.first.tv_nsec > b.first.tv_nsec;
            return a.second.id < b.second.id;
        });
        std::vector<SessionSummary> out;
        out.reserve(found.size());
        for (auto& entry : found) out.push_back(std::move(entry.second));
        return out;
    }

private:
    std::string path_of(const std::string& session_id) const {
        return dir_ + "/" + session_id + std::string(kExtension);
    }

    std::string dir_;
};

}  // namespace

std::shared_ptr<SessionStore> make_jsonl_session_store(const std::string& dir) {
    return std::make_shared<JsonlSessionStore>(dir);
}

}  // namespace agenthost
