// What every store shares: path normalization and the FileStore defaults.
#include <agenthost/workspace.hpp>

#include "workspace/file_content.hpp"

namespace agenthost {

std::string normalize_workspace_path(std::string_view path) {
    if (path.find('\0') != std::string_view::npos) throw FileStoreError("invalid_path", "path contains a NUL byte");
    if (path.find('\\') != std::string_view::npos) {
        throw FileStoreError("invalid_path", "path '" + std::string(path) + "' contains a backslash");
    }
    constexpr std::string_view kPrefix = "/workspace";
    if (path.substr(0, kPrefix.size()) == kPrefix && (path.size() == kPrefix.size() || path[kPrefix.size()] == '/')) {
        path.remove_prefix(kPrefix.size());
    }
    std::string out;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        std::size_t slash = path.find('/', pos);
        std::string_view part =
            path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (part == "..")
            throw FileStoreError("invalid_path", "path '" + std::string(path) + "' leaves the workspace ('..')");
        if (!part.empty() && part != ".") {
            if (!out.empty()) out += '/';
            out += part;
        }
        if (slash == std::string_view::npos) break;
        pos = slash + 1;
    }
    return out;
}

std::optional<FileContent> FileStore::read_range(std::string_view path, const ReadRange& range) {
    std::optional<std::string> data = read(path);
    if (!data) return std::nullopt;
    return slice_lines(*data, range);
}

std::string FileStore::resolve_path(std::string_view path) const {
    return normalize_workspace_path(path);
}

void FileStore::check_writable(std::string_view path) {
    if (resolve_path(path).empty())
        throw FileStoreError("denied", "the workspace root itself cannot be written or deleted");
    if (stat(path).read_only) throw FileStoreError("read_only", "'" + resolve_path(path) + "' is read-only");
}

}  // namespace agenthost
