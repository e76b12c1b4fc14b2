// The real-disk store: a workspace folder on the host. Every path is resolved from a handle on
// the root, one component at a time with O_NOFOLLOW, so no symlink is ever followed — not one
// that was there at the start, nor one created mid-session by another process.
#include <agenthost/workspace.hpp>

#include "workspace/disk_fd.hpp"
#include "workspace/file_content.hpp"
#include "workspace/tree_search.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace agenthost {

namespace fs = std::filesystem;

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr int kFileFlags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
constexpr std::size_t kChunk = 1u << 20;
constexpr std::size_t kHashCacheSize = 256;

std::vector<std::string> split_path(const std::string& rel) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < rel.size()) {
        std::size_t slash = rel.find('/', pos);
        if (slash == std::string::npos) slash = rel.size();
        out.push_back(rel.substr(pos, slash - pos));
        pos = slash + 1;
    }
    return out;
}

[[noreturn]] void refuse_symlink(const std::string& display) {
    throw FileStoreError("denied", "'" + display +
                                       "' is a symbolic link: symlinks are refused in workspace paths because they "
                                       "could lead outside the workspace");
}

/// The names in an open folder (not "." and ".."), sorted. Takes the descriptor.
std::vector<std::pair<std::string, unsigned char>> read_dir(UniqueFd fd, const std::string& display) {
    DIR* dir = ::fdopendir(fd.get());
    if (!dir) throw FileStoreError("io_error", "cannot list '" + display + "': " + std::strerror(errno));
    fd.release();
    // A duplicated descriptor shares its file offset with the original (the workspace root's
    // handle): start from the first entry, not where the last listing stopped.
    ::rewinddir(dir);
    std::vector<std::pair<std::string, unsigned char>> out;
    while (dirent* e = ::readdir(dir)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        out.emplace_back(e->d_name, e->d_type);
    }
    ::closedir(dir);
    std::sort(out.begin(), out.end());
    return out;
}

/// Walks the workspace for searches with a stack of folder handles.
class DiskCursor final : public TreeCursor {
public:
    explicit DiskCursor(int root_fd) { stack_.push_back(dup_fd(root_fd)); }
    std::vector<Entry> entries() override {
        UniqueFd self(::openat(top(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!self.valid()) return {};
        std::vector<Entry> out;
        for (auto& [name, type] : read_dir(std::move(self), "a folder being searched")) {
            if (type == DT_UNKNOWN) {
                struct stat st {};
                if (::fstatat(top(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
                type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
            }
            if (type == DT_DIR || type == DT_REG) out.push_back(Entry{name, type == DT_DIR});
        }
        return out;
    }
    bool enter(const std::string& name) override {
        UniqueFd fd(::openat(top(), name.c_str(), kDirFlags));
        if (!fd.valid()) return false;
        stack_.push_back(std::move(fd));
        return true;
    }
    void leave() override { stack_.pop_back(); }
    bool read(const std::string& name, const Sink& sink) override {
        UniqueFd fd(::openat(top(), name.c_str(), kFileFlags));
        struct stat st {};
        if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
        if (!buffer_) buffer_ = std::make_unique<char[]>(kChunk);
        std::uint64_t total = 0;
        for (;;) {
            ssize_t n = ::read(fd.get(), buffer_.get(), kChunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            total += static_cast<std::uint64_t>(n);
            if (!sink(std::string_view(buffer_.get(), static_cast<std::size_t>(n)))) break;
            if (total >= static_cast<std::uint64_t>(st.st_size)) break;  // saves a read that would return 0
        }
        return true;
    }

private:
    int top() const { return stack_.back().get(); }
    std::vector<UniqueFd> stack_;
    std::unique_ptr<char[]> buffer_;
};

class RealDiskFileStore final : public FileStore {
public:
    explicit RealDiskFileStore(const fs::path& root) {
        std::error_code ec;
        root_ = fs::canonical(root, ec);
        if (ec || !fs::is_directory(root_, ec)) {
            throw FileStoreError("not_found", "workspace '" + root.string() + "' is not a folder");
        }
        root_str_ = root_.string();
        root_fd_ = UniqueFd(::open(root_str_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root_fd_.valid()) {
            throw FileStoreError("io_error", "cannot open workspace '" + root_str_ + "': " + std::strerror(errno));
        }
    }

    std::string resolve_path(std::string_view path) const override {
        if (root_str_ != "/" && path.substr(0, root_str_.size()) == root_str_ &&
            (path.size() == root_str_.size() || path[root_str_.size()] == '/')) {
            path.remove_prefix(root_str_.size());  // the workspace's own absolute host path
        }
        return normalize_workspace_path(path);
    }

    fs::path root() const override { return root_; }

    std::optional<std::string> read(std::string_view path) override {
        std::string rel = resolve_path(path);
        if (rel.empty()) throw FileStoreError("is_directory", "the workspace root is a folder");
        std::optional<Located> at = locate(rel, false);
        if (!at) return std::nullopt;
        UniqueFd fd = open_file(*at);
        if (!fd.valid()) return std::nullopt;
        struct stat st {};
        ::fstat(fd.get(), &st);
        return read_fd(fd.get(), static_cast<std::size_t>(st.st_size), rel);
    }

    std::optional<FileContent> read_range(std::string_view path, const ReadRange& range) override {
        std::string rel = resolve_path(path);
        if (rel.empty()) throw FileStoreError("is_directory", "the workspace root is a folder");
        std::optional<Located> at = locate(rel, false);
        if (!at) return std::nullopt;
        UniqueFd fd = open_file(*at);
        if (!fd.valid()) return std::nullopt;
        struct stat st {};
        ::fstat(fd.get(), &st);
        std::string data = read_fd(fd.get(), static_cast<std::size_t>(st.st_size), rel);
        HashKey key = hash_key(st);
        std::optional<std::string> known = cached_hash(key);
        FileContent content = slice_lines(data, range, known);
        if (!known && data.size() == static_cast<std::size_t>(st.st_size)) remember_hash(st, key, content.sha256);
        return content;
    }

    WriteResult write(std::string_view path, std::string_view content,
                      std::optional<std::string_view> expected) override {
        std::string rel = resolve_path(path);
        if (rel.empty()) throw FileStoreError("is_directory", "cannot write the workspace root");
        std::lock_guard<std::mutex> lock(mu_);
        if (read_only_.count(rel)) throw FileStoreError("read_only", "'" + rel + "' is read-only");
        Located at = *locate(rel, true);
        std::optional<struct stat> old = lstat_at(at.dir.get(), at.name, rel);
        if (old && S_ISLNK(old->st_mode)) refuse_symlink(rel);
        if (old && S_ISDIR(old->st_mode)) throw FileStoreError("is_directory", "'" + rel + "' is a folder");
        if (old && !S_ISREG(old->st_mode)) throw FileStoreError("invalid_path", "'" + rel + "' is not a regular file");
        if (expected) {
            UniqueFd fd = old ? open_file(at) : UniqueFd();
            if (!fd.valid())
                throw FileStoreError("conflict", "conflict: " + rel + " no longer exists since it was read");
            if (sha256_tag(read_fd(fd.get(), static_cast<std::size_t>(old->st_size), rel)) != *expected) {
                throw FileStoreError("conflict", "conflict: " + rel + " changed since it was read");
            }
        }
        replace_file(at, content, old ? std::optional<mode_t>(old->st_mode & 07777) : std::nullopt);
        return WriteResult{!old, content.size(), sha256_tag(content)};
    }

    bool remove(std::string_view path, bool recursive) override {
        std::string rel = resolve_path(path);
        if (rel.empty()) throw FileStoreError("denied", "refusing to delete the workspace root");
        std::lock_guard<std::mutex> lock(mu_);
        std::optional<Located> at = locate(rel, false);
        if (!at) return false;
        std::optional<struct stat> st = lstat_at(at->dir.get(), at->name, rel);
        if (!st) return false;
        if (!S_ISDIR(st->st_mode)) {  // a file, or a symlink itself (never its target)
            if (read_only_.count(rel)) throw FileStoreError("read_only", "'" + rel + "' is read-only");
            if (::unlinkat(at->dir.get(), at->name.c_str(), 0) != 0 && errno != ENOENT) {
                throw FileStoreError("io_error", "cannot delete '" + rel + "': " + std::strerror(errno));
            }
            return true;
        }
        if (!recursive) throw FileStoreError("is_directory", "'" + rel + "' is a folder; pass recursive to delete it");
        if (auto it = read_only_.lower_bound(rel + "/"); it != read_only_.end() && it->rfind(rel + "/", 0) == 0) {
            throw FileStoreError("read_only",
                                 "'" + *it + "' is read-only, so its folder '" + rel + "' cannot be deleted");
        }
        remove_tree(at->dir.get(), at->name, rel);
        return true;
    }

    std::vector<DirEntry> list(std::string_view path) override {
        std::string rel = resolve_path(path);
        UniqueFd dir = open_dir(rel);
        int fd = dir.get();
        std::vector<DirEntry> out;
        UniqueFd self = dup_fd(fd);
        for (auto& [name, type] : read_dir(std::move(self), rel.empty() ? "/" : rel)) {
            std::optional<struct stat> st = lstat_at(fd, name, name);
            if (!st) continue;  // deleted meanwhile
            bool is_dir = S_ISDIR(st->st_mode);
            out.push_back(DirEntry{name, is_dir, is_dir ? 0 : static_cast<std::uint64_t>(st->st_size)});
        }
        return out;
    }

    FileStat stat(std::string_view path) override {
        std::string rel = resolve_path(path);
        struct stat st {};
        if (rel.empty()) {
            ::fstat(root_fd_.get(), &st);
            return FileStat{true, true, 0, false, to_time_point(st.st_mtim)};
        }
        std::optional<Located> at = locate(rel, false);
        std::optional<struct stat> found = at ? lstat_at(at->dir.get(), at->name, rel) : std::nullopt;
        if (!found) return FileStat{};
        if (S_ISLNK(found->st_mode)) refuse_symlink(rel);
        bool is_dir = S_ISDIR(found->st_mode);
        std::lock_guard<std::mutex> lock(mu_);
        return FileStat{true, is_dir, is_dir ? 0 : static_cast<std::uint64_t>(found->st_size),
                        read_only_.count(rel) > 0, to_time_point(found->st_mtim)};
    }

    void seed(const InitialFileSpec& file) override {
        std::string rel = resolve_path(file.path);
        if (rel.empty()) throw FileStoreError("invalid_path", "an initial file needs a name");
        if (!stat(rel).exists) write(rel, file.content, std::nullopt);  // on disk a seed never replaces the user's file
        std::lock_guard<std::mutex> lock(mu_);
        if (file.read_only) read_only_.insert(rel);
    }

    GlobResult glob(const GlobQuery& query) override {
        SearchStart start = search_start(query.path);
        DiskCursor cursor(root_fd_.get());
        return tree_glob(cursor, start, query);
    }

    GrepResult grep(const GrepQuery& query) override {
        SearchStart start = search_start(query.path);
        DiskCursor cursor(root_fd_.get());
        return tree_grep(cursor, start, query);
    }

private:
    /// A path's parent folder, open, and its last component.
    struct Located {
        UniqueFd dir;
        std::string name;
        std::string rel;  // the whole path, for messages
    };

    /// Open the parent folder of `rel` component by component without following symlinks,
    /// creating missing folders when asked; nullopt if one is missing (and not created).
    std::optional<Located> locate(const std::string& rel, bool create) const {
        std::vector<std::string> parts = split_path(rel);
        UniqueFd held;
        std::string shown;
        for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
            int cur = held.valid() ? held.get() : root_fd_.get();
            shown += (shown.empty() ? "" : "/") + parts[i];
            UniqueFd next(::openat(cur, parts[i].c_str(), kDirFlags));
            if (!next.valid() && errno == ENOENT && create) {
                if (::mkdirat(cur, parts[i].c_str(), 0777) != 0 && errno != EEXIST) {
                    throw FileStoreError("io_error", "cannot create folder '" + shown + "': " + std::strerror(errno));
                }
                next = UniqueFd(::openat(cur, parts[i].c_str(), kDirFlags));
            }
            if (!next.valid()) {
                if (errno == ENOENT) return std::nullopt;
                throw_open_error(cur, parts[i], shown, errno);
            }
            held = std::move(next);
        }
        return Located{held.valid() ? std::move(held) : dup_fd(root_fd_.get()), parts.back(), rel};
    }

    /// Open a regular file for reading; invalid if it does not exist.
    UniqueFd open_file(const Located& at) const {
        std::optional<struct stat> st = lstat_at(at.dir.get(), at.name, at.rel);
        if (!st) return UniqueFd();
        if (S_ISLNK(st->st_mode)) refuse_symlink(at.rel);
        if (S_ISDIR(st->st_mode)) throw FileStoreError("is_directory", "'" + at.rel + "' is a folder, not a file");
        if (!S_ISREG(st->st_mode)) throw FileStoreError("invalid_path", "'" + at.rel + "' is not a regular file");
        UniqueFd fd(::openat(at.dir.get(), at.name.c_str(), kFileFlags));
        if (!fd.valid()) {
            if (errno == ENOENT) return UniqueFd();
            throw_open_error(at.dir.get(), at.name, at.rel, errno);
        }
        return fd;
    }

    /// Open a folder of the workspace. Throws not_found, not_directory, denied.
    UniqueFd open_dir(const std::string& rel) const {
        if (rel.empty()) return dup_fd(root_fd_.get());
        std::optional<Located> at = locate(rel, false);
        if (!at) throw FileStoreError("not_found", "no folder '" + rel + "'");
        UniqueFd fd(::openat(at->dir.get(), at->name.c_str(), kDirFlags));
        if (!fd.valid()) throw_open_error(at->dir.get(), at->name, rel, errno);
        return fd;
    }

    /// Write `content` to a new temporary file beside the target, then rename it over.
    void replace_file(const Located& at, std::string_view content, std::optional<mode_t> mode) {
        static std::atomic<unsigned> counter{0};
        std::string tmp;
        UniqueFd fd;
        for (int attempt = 0; attempt < 16 && !fd.valid(); ++attempt) {
            tmp = ".agenthost-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".tmp";
            fd = UniqueFd(
                ::openat(at.dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
            if (!fd.valid() && errno != EEXIST) break;
        }
        if (!fd.valid()) {
            throw FileStoreError("io_error",
                                 "cannot create a temporary file for '" + at.rel + "': " + std::strerror(errno));
        }
        auto fail = [&](const std::string& what) {
            int err = errno;
            ::unlinkat(at.dir.get(), tmp.c_str(), 0);
            throw FileStoreError("io_error", what + " '" + at.rel + "': " + std::strerror(err));
        };
        std::size_t done = 0;
        while (done < content.size()) {
            ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail("cannot write");
            done += static_cast<std::size_t>(n);
        }
        if (mode && ::fchmod(fd.get(), *mode) != 0) fail("cannot keep the permissions of");
        if (::close(fd.release()) != 0) fail("cannot write");
        if (::renameat(at.dir.get(), tmp.c_str(), at.dir.get(), at.name.c_str()) != 0) fail("cannot replace");
    }

    /// Delete a folder and everything in it without following any symlink.
    void remove_tree(int parent, const std::string& name, const std::string& shown) {
        UniqueFd dir(::openat(parent, name.c_str(), kDirFlags));
        if (!dir.valid()) throw_open_error(parent, name, shown, errno);
        for (auto& [child, type] : read_dir(dup_fd(dir.get()), shown)) {
            bool is_dir = type == DT_DIR;
            if (type == DT_UNKNOWN) {
                std::optional<struct stat> st = lstat_at(dir.get(), child, shown + "/" + child);
                is_dir = st && S_ISDIR(st->st_mode);
            }
            if (is_dir)
                remove_tree(dir.get(), child, shown + "/" + child);
            else if (::unlinkat(dir.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
                throw FileStoreError("io_error",
                                     "cannot delete '" + shown + "/" + child + "': " + std::strerror(errno));
            }
        }
        if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
            throw FileStoreError("io_error", "cannot delete folder '" + shown + "': " + std::strerror(errno));
        }
    }

    /// What identifies one version of a file for the hash cache.
    struct HashKey {
        dev_t dev;
        ino_t ino;
        off_t size;
        std::int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
        auto operator<=>(const HashKey&) const = default;
    };

    static HashKey hash_key(const struct stat& st) {
        return HashKey{st.st_dev,          st.st_ino,         st.st_size,        st.st_mtim.tv_sec,
                       st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
    }

    std::optional<std::string> cached_hash(const HashKey& key) {
        std::lock_guard<std::mutex> lock(hash_mu_);
        auto it = hashes_.find(key);
        return it == hashes_.end() ? std::nullopt : std::optional<std::string>(it->second);
    }

    /// Remember a file's hash, unless it changed within the last second: a change within the
    /// same timestamp tick could then keep the key (the "racy git" rule).
    void remember_hash(const struct stat& st, const HashKey& key, const std::string& sha256) {
        auto settled = std::chrono::system_clock::now() - std::chrono::seconds(1);
        if (to_time_point(st.st_mtim) > settled || to_time_point(st.st_ctim) > settled) return;
        std::lock_guard<std::mutex> lock(hash_mu_);
        if (hashes_.size() >= kHashCacheSize) hashes_.clear();
        hashes_.emplace(key, sha256);
    }

    SearchStart search_start(std::string_view path) {
        std::string rel = resolve_path(path);
        FileStat st = stat(rel);
        if (!st.exists) throw FileStoreError("not_found", "no file or folder '" + rel + "'");
        return SearchStart{rel, st.is_dir};
    }

    fs::path root_;
    std::string root_str_;
    UniqueFd root_fd_;
    std::mutex mu_;  // read_only_, and one mutation at a time (compare-and-swap)
    std::set<std::string> read_only_;
    std::mutex hash_mu_;                     // hashes_
    std::map<HashKey, std::string> hashes_;  // whole-file hashes of settled files, for read_range
};

}  // namespace

std::shared_ptr<FileStore> make_real_disk_file_store(const fs::path& root) {
    return std::make_shared<RealDiskFileStore>(root);
}

}  // namespace agenthost
