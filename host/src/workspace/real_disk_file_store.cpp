// The real-disk store: a workspace folder on the host. Every path is resolved from a handle on
// the root, one component at a time with O_NOFOLLOW, so no symlink is ever followed — not one
// that was there at the start, nor one created mid-session by another process. Names on disk
// that are not UTF-8 are shown escaped (escape_file_name) and unescaped on the way back.
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
constexpr std::size_t kHashCacheSize = 256;

/// The components of a resolved path, as the bytes of the names on disk.
std::vector<std::string> split_path(const std::string& rel) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < rel.size()) {
        std::size_t slash = rel.find('/', pos);
        if (slash == std::string::npos) slash = rel.size();
        out.push_back(unescape_file_name(std::string_view(rel).substr(pos, slash - pos)));
        pos = slash + 1;
    }
    return out;
}

std::string join(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : dir + "/" + name;
}

/// Whether a directory entry is a folder (never following a symlink).
bool entry_is_dir(int dirfd, const RawEntry& e, const std::string& display) {
    if (e.type != DT_UNKNOWN) return e.type == DT_DIR;
    std::optional<struct stat> st = lstat_at(dirfd, e.name, display);
    return st && S_ISDIR(st->st_mode);
}

[[noreturn]] void refuse_symlink(const std::string& display) {
    throw FileStoreError("denied", "'" + display +
                                       "' is a symbolic link: symlinks are refused in workspace paths because they "
                                       "could lead outside the workspace");
}

/// Walks the workspace for searches with a stack of folder handles; names are escaped.
class DiskCursor final : public TreeCursor {
public:
    explicit DiskCursor(int root_fd) { stack_.push_back(dup_fd(root_fd)); }
    std::vector<Entry> entries(std::size_t max, bool& more) override {
        more = false;
        UniqueFd self(::openat(top(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!self.valid()) return {};
        std::vector<Entry> out;
        for (RawEntry& e : read_dir(std::move(self), "a folder being searched", max, more)) {
            unsigned char type = e.type;
            if (type == DT_UNKNOWN) {
                struct stat st {};
                if (::fstatat(top(), e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
                type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
            }
            if (type == DT_DIR || type == DT_REG) out.push_back(Entry{escape_file_name(e.name), type == DT_DIR});
        }
        return out;
    }
    bool enter(const std::string& name) override {
        UniqueFd fd(::openat(top(), unescape_file_name(name).c_str(), kDirFlags));
        if (!fd.valid()) return false;
        stack_.push_back(std::move(fd));
        return true;
    }
    void leave() override { stack_.pop_back(); }
    bool read(const std::string& name, const Sink& sink) override {
        UniqueFd fd(::openat(top(), unescape_file_name(name).c_str(), kFileFlags));
        struct stat st {};
        if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
        try {
            stream_fd(fd.get(), buffer_, sink, name);
        } catch (const FileStoreError& e) {
            if (e.code() == "cancelled") throw;
            return false;  // unreadable: skipped as if it were not there
        }
        return true;
    }

private:
    int top() const { return stack_.back().get(); }
    std::vector<UniqueFd> stack_;
    std::unique_ptr<char[]> buffer_;
};

/// What a recursive delete will remove, found before anything is removed.
struct RemovalNode {
    std::string name;  // bytes on disk
    bool is_dir = false;
    std::vector<RemovalNode> children;
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
        HashKey key = hash_key(st);
        std::optional<std::string> known = cached_hash(key);
        LineSlicer slicer(range, !known);  // one pass, keeping only the lines asked for
        std::unique_ptr<char[]> buffer;
        stream_fd(fd.get(), buffer, [&](std::string_view chunk) { return slicer.feed(chunk), true; }, rel);
        FileContent content = slicer.finish(known);
        if (!known && content.size == static_cast<std::uint64_t>(st.st_size)) remember_hash(st, key, content.sha256);
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
            Sha256 hash;
            std::unique_ptr<char[]> buffer;
            stream_fd(fd.get(), buffer, [&](std::string_view chunk) { return hash.update(chunk), true; }, rel);
            if (hash.tag() != *expected) {
                throw FileStoreError("conflict", "conflict: " + rel + " changed since it was read");
            }
        }
        replace_file(at, content, old ? std::optional<mode_t>(old->st_mode & 07777) : std::nullopt);
        return WriteResult{!old, content.size(), sha256_tag(content)};
    }

    std::uint64_t remove(std::string_view path, const RemoveOptions& options) override {
        std::string rel = resolve_path(path);
        if (rel.empty()) throw FileStoreError("denied", "refusing to delete the workspace root");
        std::lock_guard<std::mutex> lock(mu_);
        std::optional<Located> at = locate(rel, false);
        if (!at) return 0;
        std::optional<struct stat> st = lstat_at(at->dir.get(), at->name, rel);
        if (!st) return 0;
        if (!S_ISDIR(st->st_mode)) {  // a file, or a symlink itself (never its target)
            check_removable(rel, options);
            if (options.dry_run) return 1;
            if (::unlinkat(at->dir.get(), at->name.c_str(), 0) != 0 && errno != ENOENT) {
                throw FileStoreError("io_error", "cannot delete '" + rel + "': " + std::strerror(errno));
            }
            return 1;
        }
        if (!options.recursive)
            throw FileStoreError("is_directory", "'" + rel + "' is a folder; pass recursive to delete it");
        RemovalNode root{at->name, true, {}};
        std::uint64_t count = 1;
        check_removable(rel, options);
        plan_removal(at->dir.get(), root, rel, split_path(rel).size(), options, count);
        if (options.dry_run) return count;
        std::uint64_t done = 0;
        try {
            remove_planned(at->dir.get(), root, rel, done);
        } catch (const FileStoreError& e) {
            throw FileStoreError(e.code(), std::string(e.what()) + " (" + std::to_string(done) + " of " +
                                               std::to_string(count) + " files and folders of '" + rel +
                                               "' were deleted; the rest remain)");
        }
        return count;
    }

    std::vector<DirEntry> list(std::string_view path) override {
        std::string rel = resolve_path(path);
        UniqueFd dir = open_dir(rel);
        int fd = dir.get();
        std::vector<DirEntry> out;
        UniqueFd self = dup_fd(fd);
        bool more = false;
        for (RawEntry& e : read_dir(std::move(self), rel.empty() ? "/" : rel, SIZE_MAX, more)) {
            std::string name = escape_file_name(e.name);
            std::optional<struct stat> st = lstat_at(fd, e.name, name);
            if (!st) continue;  // deleted meanwhile
            bool is_dir = S_ISDIR(st->st_mode);
            out.push_back(DirEntry{std::move(name), is_dir, is_dir ? 0 : static_cast<std::uint64_t>(st->st_size)});
        }
        std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
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
            shown = join(shown, escape_file_name(parts[i]));
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

    /// Refuse the delete of `rel` if the options' check or a read-only file says so.
    void check_removable(const std::string& rel, const RemoveOptions& options) const {
        if (options.check) options.check(rel);
        if (read_only_.count(rel)) throw FileStoreError("read_only", "'" + rel + "' is read-only, so it cannot be deleted");
    }

    /// Find and check everything in folder `node` (inside `parent`) before anything is removed:
    /// the options' check and read-only files for every path, kMaxPathDepth and
    /// kMaxWalkEntries for the whole. Never follows a symlink.
    void plan_removal(int parent, RemovalNode& node, const std::string& shown, std::size_t depth,
                      const RemoveOptions& options, std::uint64_t& count) const {
        FileCancelScope::throw_if_cancelled("the delete");
        UniqueFd dir(::openat(parent, node.name.c_str(), kDirFlags));
        if (!dir.valid()) throw_open_error(parent, node.name, shown, errno);
        bool more = false;
        for (RawEntry& e : read_dir(dup_fd(dir.get()), shown, kMaxWalkEntries + 1 - count, more)) {
            std::string child = join(shown, escape_file_name(e.name));
            bool is_dir = entry_is_dir(dir.get(), e, child);
            if (++count > kMaxWalkEntries) more = true;
            if (more) break;
            check_removable(child, options);
            node.children.push_back(RemovalNode{std::move(e.name), is_dir, {}});
            if (!is_dir) continue;
            if (depth + 1 > kMaxPathDepth) {
                throw FileStoreError("too_large", "'" + std::string(cut_utf8(child, 300)) + "…' is more than " +
                                                      std::to_string(kMaxPathDepth) +
                                                      " folder levels deep, deeper than a delete goes; nothing was "
                                                      "deleted");
            }
            plan_removal(dir.get(), node.children.back(), child, depth + 1, options, count);
        }
        if (more) {
            throw FileStoreError("too_large", "'" + shown + "' holds more than " + std::to_string(kMaxWalkEntries) +
                                                  " files and folders, the most one delete removes; nothing was "
                                                  "deleted");
        }
    }

    /// Remove what plan_removal found, deepest first; an entry added meanwhile makes its folder's
    /// removal fail rather than be deleted unchecked.
    void remove_planned(int parent, const RemovalNode& node, const std::string& shown, std::uint64_t& done) const {
        FileCancelScope::throw_if_cancelled("the delete of '" + shown + "'");
        if (node.is_dir) {
            UniqueFd dir(::openat(parent, node.name.c_str(), kDirFlags));
            if (!dir.valid()) throw_open_error(parent, node.name, shown, errno);
            for (const RemovalNode& child : node.children) {
                remove_planned(dir.get(), child, join(shown, escape_file_name(child.name)), done);
            }
        }
        if (::unlinkat(parent, node.name.c_str(), node.is_dir ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT) {
            int err = errno;
            if (err == ENOTEMPTY || err == EEXIST) {
                throw FileStoreError("conflict", "'" + shown + "' changed while it was being deleted (something was "
                                                               "added to it), so it was kept");
            }
            throw FileStoreError("io_error", "cannot delete '" + shown + "': " + std::strerror(err));
        }
        ++done;
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
