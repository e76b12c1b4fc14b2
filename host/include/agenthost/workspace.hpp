// Session file stores: the host side of the fs.* services (DESIGN §2 host/src/workspace).
// Paths are workspace-relative; "a.txt", "/a.txt" and "/workspace/a.txt" name the same file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

/// A file seeded into a session's workspace.
struct InitialFileSpec {
    std::string path;
    std::string content;
    bool read_only = false;
};

/// A refused or failed file operation. `code`: invalid_path, not_found, read_only, denied,
/// is_directory, not_directory, io_error.
class FileStoreError : public std::runtime_error {
public:
    FileStoreError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
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
};

/// A session's files. Thread-safe.
class FileStore {
public:
    virtual ~FileStore() = default;
    /// A file's content, or nullopt if it does not exist. Throws FileStoreError.
    virtual std::optional<std::string> read(std::string_view path) = 0;
    /// Create or replace a file, creating parent folders. Throws FileStoreError (read_only, …).
    virtual void write(std::string_view path, std::string_view content) = 0;
    /// Delete a file or (recursive) a folder; false if it did not exist.
    virtual bool remove(std::string_view path, bool recursive) = 0;
    /// A folder's entries, sorted by name. Throws FileStoreError (not_found, not_directory).
    virtual std::vector<DirEntry> list(std::string_view path) = 0;
    /// Metadata of a path.
    virtual FileStat stat(std::string_view path) = 0;
    /// Seed a file, marking it read-only when asked; later writes and deletes of a read-only
    /// file are refused.
    virtual void seed(const InitialFileSpec& file) = 0;
};

/// Makes the file store of each session.
using FileSystemFactory = std::function<std::shared_ptr<FileStore>(const std::string& session_id)>;

/// A store that lives in memory.
std::shared_ptr<FileStore> make_memory_file_store();

/// The workspace-relative form of a path ("" for the root): strips "/" and "/workspace/",
/// folds "." and duplicate slashes. Throws FileStoreError(invalid_path) for "..", NUL bytes,
/// backslashes or an empty name.
std::string normalize_workspace_path(std::string_view path);

}  // namespace agenthost
