// Session file stores: the host side of the fs.* services (DESIGN §2 host/src/workspace).
// Paths are workspace-relative; "a.txt", "/a.txt" and "/workspace/a.txt" name the same file.
// A name's bytes that are not UTF-8, and the backslash, are written `\xNN` (see escape_file_name).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

/// Folder levels a path may have: deeper writes are refused, and walks (glob, grep, a
/// recursive delete) go no deeper.
inline constexpr std::size_t kMaxPathDepth = 128;
/// Files and folders one walk (glob, grep, a recursive delete) visits at most.
inline constexpr std::size_t kMaxWalkEntries = 200000;
/// Character steps of pattern matching (globs and .gitignore rules) one walk may spend.
inline constexpr std::uint64_t kMaxMatchSteps = 200000000;
/// Bytes of a glob pattern.
inline constexpr std::size_t kMaxGlobPatternBytes = 1024;

/// A file seeded into a session's workspace.
struct InitialFileSpec {
    std::string path;
    std::string content;
    bool read_only = false;
};

/// A refused or failed file operation. `code`: invalid_path, invalid_pattern, not_found,
/// read_only, denied, conflict, is_directory, not_directory, too_large, cancelled, io_error.
class FileStoreError : public std::runtime_error {
public:
    FileStoreError(std::string code, const std::string& message)
        : std::runtime_error(message), code_(std::move(code)) {}
    /// The category.
    const std::string& code() const noexcept { return code_; }

private:
    std::string code_;
};

/// One directory entry.
struct DirEntry {
    std::string name;
    bool is_dir = false;
    std::uint64_t size = 0;
};

/// What stat tells.
struct FileStat {
    bool exists = false;
    bool is_dir = false;
    std::uint64_t size = 0;
    bool read_only = false;
    std::chrono::system_clock::time_point mtime{};  ///< last modification (the epoch if unknown)
};

/// Which lines of a file to read.
struct ReadRange {
    std::uint64_t offset = 0;                ///< first line, 0-based
    std::optional<std::uint64_t> limit;      ///< number of lines; none: to the end
    std::optional<std::uint64_t> max_bytes;  ///< cap on the content returned
};

/// Some lines of a file and facts about the whole file.
struct FileContent {
    std::string content;            ///< the lines shown; "" for a binary file
    std::uint64_t total_lines = 0;  ///< lines in the whole file
    std::uint64_t lines_shown = 0;  ///< lines in `content` (a line cut by max_bytes counts)
    std::uint64_t offset = 0;       ///< the first line shown, 0-based
    std::uint64_t size = 0;         ///< bytes in the whole file
    std::string sha256;             ///< "sha256:<hex>" of the whole file
    bool binary = false;            ///< a NUL byte in the first 8 KiB, or invalid UTF-8
    bool truncated = false;         ///< max_bytes cut the requested range short
};

/// What a write did.
struct WriteResult {
    bool created = false;  ///< the file did not exist before
    std::uint64_t size = 0;
    std::string sha256;  ///< "sha256:<hex>" of the new content
};

/// A glob over the workspace: `pattern` is matched against paths relative to `path`; a
/// pattern without '/' matches a name at any depth. `*`, `?`, `[…]` and `**` as in .gitignore.
struct GlobQuery {
    std::string pattern;
    std::string path;         ///< the folder searched ("" = the workspace)
    std::size_t limit = 200;  ///< at most this many paths
};

/// Paths found by a glob, workspace-relative and sorted.
struct GlobResult {
    std::vector<std::string> paths;
    bool truncated = false;  ///< more paths matched than the limit
    std::string stopped;     ///< why the walk ended early ("stopped at …"); "" if it saw everything
};

/// A regex search (RE2 syntax) over the text files of a folder (or one file).
struct GrepQuery {
    std::string pattern;
    std::string path;  ///< a folder or a file ("" = the workspace)
    std::string glob;  ///< only files whose path (relative to `path`) matches, as in GlobQuery
    bool case_insensitive = false;
    std::size_t limit = 200;  ///< at most this many matching lines
};

/// One matching line.
struct GrepMatch {
    std::string path;        ///< workspace-relative
    std::uint64_t line = 0;  ///< 1-based
    std::string text;        ///< the line, cut to 400 bytes
};

/// What a grep found.
struct GrepResult {
    std::vector<GrepMatch> matches;
    std::uint64_t files_searched = 0;
    bool truncated = false;  ///< more lines matched than the limit
    std::string stopped;     ///< why the walk ended early ("stopped at …"); "" if it saw everything
};

/// A check run on every workspace path a delete would remove, before anything is removed;
/// it throws FileStoreError to refuse the whole delete.
using RemoveCheck = std::function<void(std::string_view path)>;

/// How to delete.
struct RemoveOptions {
    bool recursive = false;  ///< a folder and everything in it
    RemoveCheck check;       ///< none: no check beyond the store's own (read-only files)
    bool dry_run = false;    ///< check and count only; nothing changes
};

/// A session's files. Thread-safe. Searches skip `.git`, `.gitignore`d paths and, for grep,
/// binary files.
class FileStore {
public:
    virtual ~FileStore() = default;
    /// A file's content, or nullopt if it does not exist. Throws FileStoreError.
    virtual std::optional<std::string> read(std::string_view path) = 0;
    /// Some lines of a file and the whole file's size, line count, hash and binary flag, or
    /// nullopt if it does not exist.
    virtual std::optional<FileContent> read_range(std::string_view path, const ReadRange& range);
    /// Create or replace a file atomically, creating parent folders. With `expected_sha256`
    /// it is compare-and-swap: FileStoreError(conflict) unless the file exists with that hash.
    virtual WriteResult write(std::string_view path, std::string_view content,
                              std::optional<std::string_view> expected_sha256) = 0;
    /// write() without a compare-and-swap.
    WriteResult write(std::string_view path, std::string_view content) { return write(path, content, std::nullopt); }
    /// Delete a file or (recursive) a folder: every path it would remove is checked (the
    /// options' check, read-only files, kMaxPathDepth, kMaxWalkEntries) before anything is
    /// removed, so a refused delete removes nothing. Returns how many files and folders it
    /// removed (or would, in a dry run); 0 if nothing was there.
    virtual std::uint64_t remove(std::string_view path, const RemoveOptions& options) = 0;
    /// remove() without a check; false if nothing was there.
    bool remove(std::string_view path, bool recursive) { return remove(path, RemoveOptions{recursive, {}, false}) > 0; }
    /// A folder's entries, sorted by name (names escaped as escape_file_name says). Throws
    /// FileStoreError (not_found, not_directory).
    virtual std::vector<DirEntry> list(std::string_view path) = 0;
    /// Metadata of a path.
    virtual FileStat stat(std::string_view path) = 0;
    /// Seed a file, marking it read-only when asked; later writes and deletes of a read-only
    /// file are refused.
    virtual void seed(const InitialFileSpec& file) = 0;
    /// Paths matching a glob. Throws FileStoreError (invalid_pattern, not_found).
    virtual GlobResult glob(const GlobQuery& query) = 0;
    /// Lines matching a regex. Throws FileStoreError (invalid_pattern, not_found).
    virtual GrepResult grep(const GrepQuery& query) = 0;
    /// The workspace-relative form of `path` as this store resolves it ("" = the root).
    /// Throws FileStoreError(invalid_path).
    virtual std::string resolve_path(std::string_view path) const;
    /// Throw the FileStoreError that a write or delete of `path` would be refused with for
    /// policy reasons (bad path, symlink, blocklist, read-only), changing nothing.
    virtual void check_writable(std::string_view path);
    /// The absolute host folder the store lives in; empty for stores not on disk.
    virtual std::filesystem::path root() const { return {}; }
};

/// Makes the file store of each session.
using FileSystemFactory = std::function<std::shared_ptr<FileStore>(const std::string& session_id)>;

/// A store that lives in memory.
std::shared_ptr<FileStore> make_memory_file_store();

/// A store over a real folder (canonicalized). Every path is resolved inside it one component
/// at a time from a handle on the root, never following a symlink; `..`, NUL bytes and
/// symlinks are refused. Writes are atomic (a temporary file renamed over the target).
/// Throws FileStoreError(not_found) if `root` is not a folder.
std::shared_ptr<FileStore> make_real_disk_file_store(const std::filesystem::path& root);

/// The workspace-relative form of a path ("" for the root): strips "/" and "/workspace/",
/// folds "." and duplicate slashes, writes `\xnn` escapes as `\xNN`. Throws
/// FileStoreError(invalid_path) for "..", NUL bytes, a backslash that is not an escape of
/// escape_file_name's form, an escape of a byte that is written plainly, bytes that are not
/// UTF-8, or more than kMaxPathDepth components.
std::string normalize_workspace_path(std::string_view path);

/// A file name as the stores show it: valid UTF-8 is kept, the backslash and every byte that
/// is not part of a well-formed UTF-8 sequence become `\xNN` (two upper-case hex digits).
/// Reversible: unescape_file_name gives the bytes back, and each name has one escaped form.
std::string escape_file_name(std::string_view raw);

/// The bytes of a name escaped by escape_file_name (the input must be in that form).
std::string unescape_file_name(std::string_view shown);

/// While alive, this thread's file-store walks (glob, grep, a recursive delete, a streamed
/// read) watch `flag` and stop with FileStoreError(cancelled) once it is true.
class FileCancelScope {
public:
    /// Watch `flag` (null: nothing to watch).
    explicit FileCancelScope(const std::atomic<bool>* flag);
    /// Restore the previous flag.
    ~FileCancelScope();
    FileCancelScope(const FileCancelScope&) = delete;
    FileCancelScope& operator=(const FileCancelScope&) = delete;
    /// Whether the current flag is set.
    static bool cancelled();
    /// Throw FileStoreError(cancelled) naming `what` if the current flag is set.
    static void throw_if_cancelled(std::string_view what);

private:
    const std::atomic<bool>* previous_;
};

}  // namespace agenthost
