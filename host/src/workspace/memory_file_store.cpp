#include <agenthost/workspace.hpp>

#include <map>
#include <mutex>
#include <set>

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
        std::string_view part = path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (part == "..") throw FileStoreError("invalid_path", "path '" + std::string(path) + "' leaves the workspace ('..')");
        if (!part.empty() && part != ".") {
            if (!out.empty()) out += '/';
            out += part;
        }
        if (slash == std::string_view::npos) break;
        pos = slash + 1;
    }
    return out;
}

namespace {

/// Files in a map keyed by normalized path; folders are implied by their files, plus the ones
/// made empty by a delete of their last file.
class MemoryFileStore final : public FileStore {
public:
    std::optional<std::string> read(std::string_view path) override {
        std::string p = normalize_workspace_path(path);
        std::lock_guard<std::mutex> lock(mu_);
        auto it = files_.find(p);
        if (it == files_.end()) {
            if (is_dir_locked(p)) throw FileStoreError("is_directory", "'" + p + "' is a folder");
            return std::nullopt;
        }
        return it->second;
    }
    void write(std::string_view path, std::string_view content) override {
        std::string p = normalize_workspace_path(path);
        if (p.empty()) throw FileStoreError("is_directory", "cannot write the workspace root");
        std::lock_guard<std::mutex> lock(mu_);
        if (read_only_.count(p)) throw FileStoreError("read_only", "'" + p + "' is read-only");
        if (is_dir_locked(p)) throw FileStoreError("is_directory", "'" + p + "' is a folder");
        files_[p] = std::string(content);
    }
    bool remove(std::string_view path, bool recursive) override {
        std::string p = normalize_workspace_path(path);
        if (p.empty()) throw FileStoreError("denied", "refusing to delete the workspace root");
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = files_.find(p); it != files_.end()) {
            if (read_only_.count(p)) throw FileStoreError("read_only", "'" + p + "' is read-only");
            files_.erase(it);
            return true;
        }
        if (!is_dir_locked(p)) return false;
        if (!recursive) throw FileStoreError("is_directory", "'" + p + "' is a folder; pass recursive to delete it");
        std::string prefix = p + "/";
        for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            if (read_only_.count(it->first)) throw FileStoreError("read_only", "'" + it->first + "' is read-only");
        }
        files_.erase(files_.lower_bound(prefix), files_.lower_bound(p + "0"));  // '0' follows '/'
        return true;
    }
    std::vector<DirEntry> list(std::string_view path) override {
        std::string p = normalize_workspace_path(path);
        std::lock_guard<std::mutex> lock(mu_);
        if (files_.count(p)) throw FileStoreError("not_directory", "'" + p + "' is a file");
        if (!p.empty() && !is_dir_locked(p)) throw FileStoreError("not_found", "no folder '" + p + "'");
        std::string prefix = p.empty() ? "" : p + "/";
        std::map<std::string, DirEntry> entries;
        for (auto it = files_.lower_bound(prefix); it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            std::string rest = it->first.substr(prefix.size());
            std::size_t slash = rest.find('/');
            if (slash == std::string::npos) {
                entries[rest] = DirEntry{rest, false, it->second.size()};
            } else {
                std::string dir = rest.substr(0, slash);
                entries.try_emplace(dir, DirEntry{dir, true, 0});
            }
        }
        std::vector<DirEntry> out;
        for (auto& [name, e] : entries) out.push_back(e);
        return out;
    }
    FileStat stat(std::string_view path) override {
        std::string p = normalize_workspace_path(path);
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = files_.find(p); it != files_.end()) return FileStat{true, false, it->second.size(), read_only_.count(p) > 0};
        if (p.empty() || is_dir_locked(p)) return FileStat{true, true, 0, false};
        return FileStat{};
    }
    void seed(const InitialFileSpec& file) override {
        std::string p = normalize_workspace_path(file.path);
        if (p.empty()) throw FileStoreError("invalid_path", "an initial file needs a name");
        std::lock_guard<std::mutex> lock(mu_);
        files_[p] = file.content;
        if (file.read_only) read_only_.insert(p);
    }

private:
    bool is_dir_locked(const std::string& p) const {
        if (p.empty()) return true;
        std::string prefix = p + "/";
        auto it = files_.lower_bound(prefix);
        return it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
    }

    std::mutex mu_;
    std::map<std::string, std::string> files_;
    std::set<std::string> read_only_;
};

}  // namespace

std::shared_ptr<FileStore> make_memory_file_store() { return std::make_shared<MemoryFileStore>(); }

}  // namespace agenthost
