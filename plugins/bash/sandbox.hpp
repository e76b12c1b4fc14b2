// The bubblewrap command line every bash command runs under. With the sandbox on (read-only or
// workspace-write): a user namespace mapped to an unprivileged id with no capabilities and no
// way to gain any (no_new_privs, no nested user namespaces, a seccomp filter), the host's file
// system read-only, /tmp and /run private, no network unless asked, and in workspace-write the
// workspace writable except its blocklisted folders (.git, node_modules, …). With the sandbox
// off: only the containment, a PID namespace that dies with the call.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace bash_plugin {

/// The OS sandbox mode (config `sandbox`).
enum class Sandbox { kOff, kReadOnly, kWorkspaceWrite };

/// How bwrap makes the PID namespace when the sandbox is off.
enum class Containment {
    kPidNamespace,         ///< as root: a PID namespace only, the command keeps root's capabilities
    kUserAndPidNamespace,  ///< unprivileged (or root without CAP_SYS_ADMIN): inside a user namespace
};

/// What a bwrap command line is built from.
struct BwrapSpec {
    Sandbox mode = Sandbox::kOff;
    bool network = false;                            ///< sandbox: keep the host's network
    Containment containment = Containment::kPidNamespace;  ///< sandbox off
    uid_t uid = 65534;                               ///< sandbox: the command's uid and gid inside
    gid_t gid = 65534;
    std::string root;                                ///< the workspace folder (absolute)
    std::vector<std::string> read_only;              ///< workspace-write: paths bound read-only
    int info_fd = -1;                                ///< bwrap writes {"child-pid": N} here
    int seccomp_fd = -1;                             ///< sandbox: the compiled seccomp filter
};

/// The bwrap arguments that run `bash -c command` in the workspace as `spec` says.
std::vector<std::string> bwrap_args(const BwrapSpec& spec, const std::string& bash, const std::string& command);

/// One blocklisted entry of the workspace and its identity.
struct BlockedEntry {
    std::string path;  ///< absolute
    dev_t dev = 0;
    ino_t ino = 0;
};

/// The blocklisted entries of a workspace, found at any depth (compared case-insensitively,
/// as the host's write blocklist does).
struct ProtectedScan {
    std::vector<BlockedEntry> entries;   ///< every entry with a blocklisted name (not descended into)
    std::vector<std::string> read_only;  ///< the entries that are not symlinks, and the targets inside
                                         ///< the workspace of those that are and of `.git` gitdir files
    bool complete = true;                ///< false when the walk stopped after kMaxScannedFolders
};

/// How many folders a scan reads before it stops (and says so).
constexpr std::size_t kMaxScannedFolders = 20000;

/// Walk `root` (never following symlinks) for entries named in `names`.
ProtectedScan scan_protected(const std::string& root, const std::vector<std::string>& names);

/// Move every blocklisted entry under `root` that is not in `before` (created or replaced by a
/// command) aside to "<name>.sandbox-blocked" (or "-2", "-3", …): nothing is lost and nothing
/// planted there runs later. Returns one line per entry: "a/.git (moved to a/.git.sandbox-blocked)"
/// or, when the rename failed, "a/.git (could not be moved aside: <reason>)".
std::vector<std::string> move_aside_new_entries(const std::string& root, const std::vector<std::string>& names,
                                                const ProtectedScan& before);

}  // namespace bash_plugin
