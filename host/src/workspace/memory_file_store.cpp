// The in-memory store (embedding and tests): files in a map keyed by normalized path.
#include <agenthost/workspace.hpp>

#include "workspace/file_content.hpp"
#include "workspace/tree_search.hpp"

#include <map>
#include <mutex>
#include <set>

namespace agenthost {

namespace {

using Clock = std::chrono::system_clock;

struct MemoryFile {
    std::string content;
    Clock::time_point mtime;
};

using FileMap = std::map<std::string, MemoryFile, std::less<>>;

bool is_dir_in(const FileMap& files, const std::string& p) {
    if (p.empty()) return true;
    std::string prefix = p + "/";
    auto it = files.lower_bound(prefix);
    return it != files.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

/// The direct children of folder `p`, sorted by name.
std::vector<DirEntry> children_of(const FileMap& files, const std::string& p) {
    std::string prefix = p.empty() ? "" : p + "/";
    std::map<std::string, DirEntry> entries;
    for (auto it = files.lower_bound(prefix); it != files.end() && it->first.compare(0, prefix.size(), prefix) == 0;
         ++it) {
        std::string rest = it->first.substr(prefix.size());
        std::size_t slash = rest.find('/');
        if (slash == std::string::npos) {
            entries[rest] = DirEntry{rest, false, it->second.content.size()};
        } else {
            std::string dir = rest.substr(0, slash);
            entries.try_emplace(dir, DirEntry{dir, true, 0});
        }
    }
    std::vector<DirEntry> out;
    for (auto& [name, e] : entries) out.push_back(std::move(e));
    return out;
}

/// Walks the map as a folder tree (the store's lock is held meanwhile).
class MemoryCursor final : public TreeCursor {
public:
    explicit MemoryCursor(const FileMap& files) : files_(files) {}
    std::vector<Entry> entries(std::size_t max, bool& more) override {
        std::vector<Entry> out;
        std::vector<DirEntry> all = children_of(files_, dir_);
        more = all.size() > max;
        if (more) all.resize(max);
        for (DirEntry& e : all) out.push_back(Entry{std::move(e.name), e.is_dir});
        return out;
    }
    bool enter(const std::string& name) override {
        std::string p = child(name);
        if (!is_dir_in(files_, p)) return false;
        stack_.push_back(dir_);
        dir_ = std::move(p);
        return true;
    }
    void leave() override {
        dir_ = stack_.back();
        stack_.pop_back();
    }
    bool read(const std::string& name, const Sink& sink) override {
        auto it = files_.find(child(name));
        if (it == files_.end()) return false;
        sink(it->second.content);
        return true;
    }

private:
    std::string child(const std::string& name) const { return dir_.empty() ? name : dir_ + "/" + name; }

    const FileMap& files_;
    std::string dir_;
    std::vector<std::string> stack_;
};

class MemoryFileStore final : public FileStore {
public:
    std::optional<std::string> read(std::string_view path) override {
        std::string p = normalize_workspace_path(path);
        std::lock_guard<std::mutex> lock(mu_);
        auto it = files_.find(p);
        if (it == files_.end()) {
            if (is_dir_in(files_, p)) throw FileStoreError("is_directory", "'" + p + "' is a folder");
            return std::nullopt;
        }
        return it->second.content;
    }
    WriteResult write(std::string_view path, std::string_view content,
                      std::optional<std::string_view> expected) override {
        std::string p = normalize_workspace_path(path);
        if (p.empty()) throw FileStoreError("is_directory", "cannot write the workspace root");
        std::lock_guard<std::mutex> lock(mu_);
        if (read_only_.count(p)) throw FileStoreError("read_only", "'" + p + "' is read-only");
        if (is_dir_in(files_, p)) throw FileStoreError("is_directory", "'" + p + "' is a folder");
        auto it = files_.find(p);
        if (expected && (it == files_.end() || sha256_tag(it->second.content) != *expected)) {
            throw FileStoreError(
                "conflict",
                "conflict: " + p + (it == files_.end() ? " no longer exists" : " changed") + " since it was read");
        }
        for (std::size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
            if (files_.count(p.substr(0, slash))) {
                throw FileStoreError("not_directory", "'" + p.substr(0, slash) + "' is a file, not a folder");
            }
        }
        bool created = it == files_.end();
        files_[p] = MemoryFile{std::string(content), Clock::now()};
        return WriteResult{created, content.size(), sha256_tag(content)};
    }
    std::uint64_t remove(std::string_view path, const RemoveOptions& options) override {
        std::string p = normalize_workspace_path(path);
        if (p.empty()) throw FileStoreError("denied", "refusing to delete the workspace root");
        std::lock_guard<std::mutex> lock(mu_);
        auto check = [&](const std::string& q) {
            if (options.check) options.check(q);
            if (read_only_.count(q)) throw FileStoreError("read_only", "'" + q + "' is read-only, so it cannot be deleted");
        };
        if (auto it = files_.find(p); it != files_.end()) {
            check(p);
            if (!options.dry_run) files_.erase(it);
            return 1;
        }
        if (!is_dir_in(files_, p)) return 0;
        if (!options.recursive)
            throw FileStoreError("is_directory", "'" + p + "' is a folder; pass recursive to delete it");
        std::string prefix = p + "/";
        std::set<std::string> removed{p};  // every file and folder, each checked before any is removed
        check(p);
        for (auto it = files_.lower_bound(prefix);
             it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            for (std::size_t slash = it->first.find('/', prefix.size()); slash != std::string::npos;
                 slash = it->first.find('/', slash + 1)) {
                if (removed.insert(it->first.substr(0, slash)).second) check(it->first.substr(0, slash));
            }
            removed.insert(it->first);
            check(it->first);
            if (removed.size() > kMaxWalkEntries) {
                throw FileStoreError("too_large", "'" + p + "' holds more than " + std::to_string(kMaxWalkEntries) +
                                                      " files and folders, the most one delete removes; nothing was "
                                                      "deleted");
            }
        }
        if (!options.dry_run) files_.erase(files_.lower_bound(prefix), files_.lower_bound(p + "0"));  // '0' follows '/'
        return removed.size();
    }
    std::vector<DirEntry> list(std::string_view path) override {
        std::string p = normalize_workspace_path(path);
        std::lock_guard<std::mutex> lock(mu_);
        if (files_.count(p)) throw FileStoreError("not_directory", "'" + p + "' is a file");
        if (!is_dir_in(files_, p)) throw FileStoreError("not_found", "no folder '" + p + "'");
        return children_of(files_, p);
    }
    FileStat stat(std::string_view path) override {
        std::string p = normalize_workspace_path(path);
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = files_.find(p); it != files_.end()) {
            return FileStat{true, false, it->second.content.size(), read_only_.count(p) > 0, it->second.mtime};
        }
        if (is_dir_in(files_, p)) return FileStat{true, true, 0, false, {}};
        return FileStat{};
    }
    void seed(const InitialFileSpec& file) override {
        std::string p = normalize_workspace_path(file.path);
        if (p.empty()) throw FileStoreError("invalid_path", "an initial file needs a name");
        std::lock_guard<std::mutex> lock(mu_);
        files_[p] = MemoryFile{file.content, Clock::now()};
        if (file.read_only) read_only_.insert(p);
    }
    GlobResult glob(const GlobQuery& query) override {
        std::lock_guard<std::mutex> lock(mu_);
        MemoryCursor cursor(files_);
        return tree_glob(cursor, start_locked(query.path), query);
    }
    GrepResult grep(const GrepQuery& query) override {
        std::lock_guard<std::mutex> lock(mu_);
        MemoryCursor cursor(files_);
        return tree_grep(cursor, start_locked(query.path), query);
    }

private:
    SearchStart start_locked(std::string_view path) const {
        std::string p = normalize_workspace_path(path);
        if (files_.count(p)) return SearchStart{p, false};
        if (!is_dir_in(files_, p)) throw FileStoreError("not_found", "no file or folder '" + p + "'");
        return SearchStart{p, true};
    }

    std::mutex mu_;
    FileMap files_;
    std::set<std::string> read_only_;
};

}  // namespace

std::shared_ptr<FileStore> make_memory_file_store() {
    return std::make_shared<MemoryFileStore>();
}

}  // namespace agenthost
