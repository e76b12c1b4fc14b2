#include "services/file_store_decorators.hpp"

#include "workspace/file_content.hpp"
#include "workspace/unified_diff.hpp"

#include <algorithm>

namespace agenthost {

namespace {

thread_local std::string t_requester = "host";

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

class WriteBlocklistFileStore final : public ForwardingFileStore {
public:
    WriteBlocklistFileStore(std::shared_ptr<FileStore> inner, std::vector<std::string> blocklist)
        : ForwardingFileStore(std::move(inner)), blocklist_(std::move(blocklist)) {}

    WriteResult write(std::string_view path, std::string_view content,
                      std::optional<std::string_view> expected) override {
        refuse_blocked(path, "writing");
        return inner_->write(path, content, expected);
    }
    bool remove(std::string_view path, bool recursive) override {
        refuse_blocked(path, "deleting");
        return inner_->remove(path, recursive);
    }
    void check_writable(std::string_view path) override {
        refuse_blocked(path, "changing");
        inner_->check_writable(path);
    }

private:
    void refuse_blocked(std::string_view path, const char* verb) const {
        std::string rel = inner_->resolve_path(path);
        std::size_t pos = 0;
        while (pos < rel.size()) {
            std::size_t slash = std::min(rel.find('/', pos), rel.size());
            std::string_view part = std::string_view(rel).substr(pos, slash - pos);
            for (const std::string& blocked : blocklist_) {
                if (!iequals(part, blocked)) continue;
                throw FileStoreError("denied", std::string(verb) + " '" + rel + "' is refused: '" + std::string(part) +
                                                   "' is a protected folder (version control, dependencies and build "
                                                   "output are never changed through the file tools)");
            }
            pos = slash + 1;
        }
    }

    std::vector<std::string> blocklist_;
};

class ApprovalGatingFileStore final : public ForwardingFileStore {
public:
    ApprovalGatingFileStore(std::shared_ptr<FileStore> inner, FileApprover approver)
        : ForwardingFileStore(std::move(inner)), approver_(std::move(approver)) {}

    WriteResult write(std::string_view path, std::string_view content,
                      std::optional<std::string_view> expected) override {
        std::string rel = inner_->resolve_path(path);
        inner_->check_writable(rel);  // blocklisted, read-only, symlinked: refused before asking
        std::optional<std::string> before = inner_->read(rel);
        std::string before_hash = before ? sha256_tag(*before) : "";
        if (expected && before_hash != *expected) {
            throw FileStoreError(
                "conflict", "conflict: " + rel + (before ? " changed" : " no longer exists") + " since it was read");
        }
        if (before && *before == content) return inner_->write(rel, content, before_hash);  // nothing changes
        ApprovalRequest request;
        request.action = "write";
        request.summary = (before ? "write " : "create ") + rel;
        request.details = unified_diff(rel, before ? std::optional<std::string_view>(*before) : std::nullopt, content);
        request.key = rel;
        ask(std::move(request), "the write of " + rel);
        if (!before) return inner_->write(rel, content, std::nullopt);
        try {
            return inner_->write(rel, content, before_hash);  // what was approved is what gets replaced
        } catch (const FileStoreError& e) {
            if (e.code() != "conflict" || expected) throw;
            throw FileStoreError("conflict", "conflict: " + rel + " changed while its write was waiting for approval");
        }
    }

    bool remove(std::string_view path, bool recursive) override {
        std::string rel = inner_->resolve_path(path);
        inner_->check_writable(rel);
        FileStat st = inner_->stat(rel);
        if (!st.exists || (st.is_dir && !recursive)) return inner_->remove(rel, recursive);  // nothing to ask about
        ApprovalRequest request;
        request.action = "delete";
        request.summary = "delete " + rel + (recursive ? " recursively" : "");
        request.details = st.is_dir ? "delete the folder " + rel + " and everything in it"
                                    : "delete the file " + rel + " (" + std::to_string(st.size) + " bytes)";
        request.key = rel;
        ask(std::move(request), "the delete of " + rel);
        return inner_->remove(rel, recursive);
    }

private:
    void ask(ApprovalRequest request, const std::string& what) const {
        ApprovalGate::Verdict v = approver_(std::move(request), FileRequesterScope::current());
        if (v.approved) return;
        if (v.by == "user") throw FileStoreError("denied", "the user denied " + what);
        if (v.by == "unasked") throw FileStoreError("denied", what + " did not happen: " + v.reason);
        throw FileStoreError("denied", what + " was " + v.reason);
    }

    FileApprover approver_;
};

}  // namespace

const std::vector<std::string>& default_write_blocklist() {
    static const std::vector<std::string> kList{".git",  "node_modules", "target", "dist",    "build",
                                                ".venv", "venv",         ".tox",   ".gradle", ".next"};
    return kList;
}

std::shared_ptr<FileStore> make_write_blocklist_store(std::shared_ptr<FileStore> inner,
                                                      std::vector<std::string> blocklist) {
    return std::make_shared<WriteBlocklistFileStore>(std::move(inner), std::move(blocklist));
}

std::shared_ptr<FileStore> make_approval_gating_store(std::shared_ptr<FileStore> inner, FileApprover approver) {
    return std::make_shared<ApprovalGatingFileStore>(std::move(inner), std::move(approver));
}

FileRequesterScope::FileRequesterScope(std::string plugin) : previous_(std::exchange(t_requester, std::move(plugin))) {}
FileRequesterScope::~FileRequesterScope() {
    t_requester = std::move(previous_);
}
const std::string& FileRequesterScope::current() {
    return t_requester;
}

}  // namespace agenthost
