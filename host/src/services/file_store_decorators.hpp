// Stores that wrap another (as everruns layers them: ApprovalGating(WriteBlocklist(store))):
// a write blocklist and an approval gate in front of every write and delete.
#pragma once

#include "core/approval_gate.hpp"

#include <agenthost/workspace.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace agenthost {

/// A store that passes every call to another; decorators override what they change.
class ForwardingFileStore : public FileStore {
public:
    using FileStore::write;
    /// Wrap `inner`.
    explicit ForwardingFileStore(std::shared_ptr<FileStore> inner) : inner_(std::move(inner)) {}
    std::optional<std::string> read(std::string_view path) override { return inner_->read(path); }
    std::optional<FileContent> read_range(std::string_view path, const ReadRange& range) override {
        return inner_->read_range(path, range);
    }
    WriteResult write(std::string_view path, std::string_view content,
                      std::optional<std::string_view> expected) override {
        return inner_->write(path, content, expected);
    }
    using FileStore::remove;
    std::uint64_t remove(std::string_view path, const RemoveOptions& options) override {
        return inner_->remove(path, options);
    }
    std::vector<DirEntry> list(std::string_view path) override { return inner_->list(path); }
    FileStat stat(std::string_view path) override { return inner_->stat(path); }
    void seed(const InitialFileSpec& file) override { inner_->seed(file); }
    GlobResult glob(const GlobQuery& query) override { return inner_->glob(query); }
    GrepResult grep(const GrepQuery& query) override { return inner_->grep(query); }
    std::string resolve_path(std::string_view path) const override { return inner_->resolve_path(path); }
    void check_writable(std::string_view path) override { inner_->check_writable(path); }
    std::filesystem::path root() const override { return inner_->root(); }

protected:
    std::shared_ptr<FileStore> inner_;
};

/// .git node_modules target dist build .venv venv .tox .gradle .next
const std::vector<std::string>& default_write_blocklist();

/// Refuses writes, seeds (initial files) and deletes (not reads) of any path with a component
/// in `blocklist`, at any depth, compared case-insensitively: FileStoreError(denied). A delete
/// is refused whole, before anything is removed, when anything it would remove is blocked.
std::shared_ptr<FileStore> make_write_blocklist_store(std::shared_ptr<FileStore> inner,
                                                      std::vector<std::string> blocklist = default_write_blocklist());

/// Decides one approval request for a file operation run on behalf of `plugin`.
using FileApprover = std::function<ApprovalGate::Verdict(ApprovalRequest request, const std::string& plugin)>;

/// Asks `approver` before every write (action "write", summary "write <path>" or "create
/// <path>", a unified diff as details, the path as key) and delete (action "delete"). The
/// inner store's check_writable (and, for a delete, a dry run of it) runs first, so a refused
/// path is never asked about. A write of what the file already holds changes nothing and
/// asks nothing. A denial is FileStoreError(denied) and leaves the disk as it was.
std::shared_ptr<FileStore> make_approval_gating_store(std::shared_ptr<FileStore> inner, FileApprover approver);

/// While alive, names the plugin on whose behalf this thread's file operations run (the
/// `plugin` of their approval requests; "host" outside any scope).
class FileRequesterScope {
public:
    /// Set the current requester.
    explicit FileRequesterScope(std::string plugin);
    /// Restore the previous one.
    ~FileRequesterScope();
    FileRequesterScope(const FileRequesterScope&) = delete;
    FileRequesterScope& operator=(const FileRequesterScope&) = delete;
    /// The current requester.
    static const std::string& current();

private:
    std::string previous_;
};

}  // namespace agenthost
