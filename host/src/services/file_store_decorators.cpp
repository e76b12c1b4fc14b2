#include "services/file_store_decorators.hpp"

#include "workspace/file_content.hpp"
#include "workspace/unified_diff.hpp"

#include <algorithm>

namespace agenthost {

namespace {

thread_local std::string t_requester = "host";

constexpr std::uint64_t kMaxDiffBytes = 8u << 20;  // a file larger than this is not read whole to show a diff

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
        std::string rel = inner_->resolve_path(path);
        refuse_blocked(rel, "writing", rel);
        return inner_->write(rel, content, expected);
    }
    std::uint64_t remove(std::string_view path, const RemoveOptions& options) override {
        std::string rel = inner_->resolve_path(path);
        refuse_blocked(rel, "deleting", rel);
        RemoveOptions checked = options;
        checked.check = [this, rel, outer = options.check](std::string_view inside) {
            refuse_blocked(inside, "deleting", rel);
            if (outer) outer(inside);
        };
        return inner_->remove(rel, checked);
    }
    void check_writable(std::string_view path) override {
        std::string rel = inner_->resolve_path(path);
        refuse_blocked(rel, "changing", rel);
        inner_->check_writable(rel);
    }
    void seed(const InitialFileSpec& file) override {
        std::string rel = inner_->resolve_path(file.path);
        refuse_blocked(rel, "the initial file", rel);
        inner_->seed(file);
    }

private:
    /// Throw denied if a component of `rel` (a resolved path) is blocked; `target` is what the
    /// operation names (a folder being deleted that holds `rel`).
    void refuse_blocked(std::string_view rel, const char* verb, std::string_view target) const {
        std::size_t pos = 0;
        while (pos < rel.size()) {
            std::size_t slash = std::min(rel.find('/', pos), rel.size());
            std::string_view part = rel.substr(pos, slash - pos);
            pos = slash + 1;
            auto blocked = std::find_if(blocklist_.begin(), blocklist_.end(),
                                        [&](const std::string& b) { return iequals(part, b); });
            if (blocked == blocklist_.end()) continue;
            std::string why = "'" + std::string(part) +
                              "' is a protected folder (version control, dependencies and build output are never "
                              "changed through the file tools)";
            if (rel == target) throw FileStoreError("denied", std::string(verb) + " '" + std::string(rel) + "' is refused: " + why);
            throw FileStoreError("denied", std::string(verb) + " '" + std::string(target) + "' is refused: it holds '" +
                                               std::string(rel.substr(0, slash)) + "' and " + why +
                                               "; nothing was deleted");
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
        Before before = read_before(rel);
        if (expected && before.sha256 != *expected) {
            throw FileStoreError("conflict", "conflict: " + rel + (before.exists ? " changed" : " no longer exists") +
                                                 " since it was read");
        }
        if (before.exists && before.size == content.size() &&
            (before.text ? *before.text == content : sha256_tag(content) == before.sha256)) {
            return WriteResult{false, content.size(), before.sha256};  // nothing changes, nothing is touched
        }
        ApprovalRequest request;
        request.action = "write";
        request.summary = (before.exists ? "write " : "create ") + rel;
        request.details = before.exists && !before.text
                              ? "replace " + rel + " (" + std::to_string(before.size) + " bytes, too large to show a diff) with " +
                                    std::to_string(content.size()) + " bytes"
                              : unified_diff(rel, before.text ? std::optional<std::string_view>(*before.text) : std::nullopt,
                                             content);
        request.key = rel;
        ask(std::move(request), "the write of " + rel);
        if (!before.exists) return inner_->write(rel, content, std::nullopt);
        try {
            return inner_->write(rel, content, before.sha256);  // what was approved is what gets replaced
        } catch (const FileStoreError& e) {
            if (e.code() != "conflict" || expected) throw;
            throw FileStoreError("conflict", "conflict: " + rel + " changed while its write was waiting for approval");
        }
    }

    std::uint64_t remove(std::string_view path, const RemoveOptions& options) override {
        std::string rel = inner_->resolve_path(path);
        inner_->check_writable(rel);
        RemoveOptions dry = options;
        dry.dry_run = true;
        std::uint64_t count = inner_->remove(rel, dry);  // everything it would remove, checked; nothing changes
        if (count == 0 || options.dry_run) return count;
        FileStat st = inner_->stat(rel);
        ApprovalRequest request;
        request.action = "delete";
        request.summary = "delete " + rel + (options.recursive ? " recursively" : "");
        request.details = st.is_dir ? "delete the folder " + rel + " and everything in it (" + std::to_string(count) +
                                          " files and folders)"
                                    : "delete the file " + rel + " (" + std::to_string(st.size) + " bytes)";
        request.key = rel;
        ask(std::move(request), "the delete of " + rel);
        return inner_->remove(rel, options);
    }

private:
    /// What a file holds before a write: its text when small enough to diff, else its hash.
    struct Before {
        bool exists = false;
        std::uint64_t size = 0;
        std::string sha256;               // "" when it does not exist
        std::optional<std::string> text;  // none when it does not exist or is over kMaxDiffBytes
    };

    Before read_before(const std::string& rel) const {
        Before b;
        FileStat st = inner_->stat(rel);
        if (!st.exists) return b;
        if (st.is_dir) throw FileStoreError("is_directory", "'" + rel + "' is a folder");
        if (st.size <= kMaxDiffBytes) {
            b.text = inner_->read(rel);
            if (!b.text) return Before{};
            b.exists = true;
            b.size = b.text->size();
            b.sha256 = sha256_tag(*b.text);
            return b;
        }
        std::optional<FileContent> facts = inner_->read_range(rel, ReadRange{0, 0, 0});  // streamed: hash and size only
        if (!facts) return b;
        b.exists = true;
        b.size = facts->size;
        b.sha256 = facts->sha256;
        return b;
    }

    void ask(ApprovalRequest request, const std::string& what) const {
        ApprovalGate::Verdict v = approver_(std::move(request), FileRequesterScope::current());
        if (v.approved) return;
        if (v.reason == "the user denied it") throw FileStoreError("denied", "the user denied " + what);
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
