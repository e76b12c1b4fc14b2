#include "sandbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <utility>

namespace bash_plugin {

namespace {

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

bool is_blocked_name(const char* name, const std::vector<std::string>& names) {
    return std::any_of(names.begin(), names.end(), [name](const std::string& n) { return ::strcasecmp(name, n.c_str()) == 0; });
}

/// The canonical path of `path`, or "" when it does not resolve.
std::string real_path(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> r(::realpath(path.c_str(), nullptr), &std::free);
    return r ? std::string(r.get()) : std::string();
}

bool inside(const std::string& path, const std::string& root) {
    return path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/';
}

/// The folder a `.git` file points to ("gitdir: <path>", relative to the file's folder).
std::string gitdir_of(const std::string& dir, const std::string& git_file) {
    std::ifstream in(git_file);
    std::string line;
    if (!std::getline(in, line) || line.compare(0, 8, "gitdir: ") != 0) return "";
    std::string target = line.substr(8);
    while (!target.empty() && (target.back() == '\r' || target.back() == ' ')) target.pop_back();
    if (target.empty()) return "";
    return target.front() == '/' ? target : dir + "/" + target;
}

}  // namespace

std::vector<std::string> bwrap_args(const BwrapSpec& spec, const std::string& bash, const std::string& command) {
    std::vector<std::string> a;
    if (spec.mode == Sandbox::kOff) {
        if (spec.containment == Containment::kUserAndPidNamespace) a.emplace_back("--unshare-user");
        a.insert(a.end(), {"--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc", "--unshare-pid",
                           "--die-with-parent"});
    } else {
        a.insert(a.end(), {"--unshare-all", "--unshare-user", "--disable-userns", "--uid", std::to_string(spec.uid),
                           "--gid", std::to_string(spec.gid), "--cap-drop", "ALL", "--new-session",
                           "--die-with-parent"});
        if (spec.network) a.emplace_back("--share-net");
        // The host read-only; private /dev, /proc, /tmp and /run (no host sockets: docker,
        // D-Bus, systemd, agents). The workspace after /tmp, so a workspace under /tmp is there.
        a.insert(a.end(), {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs",
                           "/run"});
        if (spec.network) {
            // Name resolution may live under /run (systemd-resolved, resolvconf).
            std::string resolv = real_path("/etc/resolv.conf");
            if (inside(resolv, "/run")) a.insert(a.end(), {"--ro-bind-try", resolv, resolv});
        }
        a.insert(a.end(), {spec.mode == Sandbox::kWorkspaceWrite ? "--bind" : "--ro-bind", spec.root, spec.root});
        for (const std::string& p : spec.read_only) a.insert(a.end(), {"--ro-bind", p, p});
        if (spec.seccomp_fd >= 0) a.insert(a.end(), {"--seccomp", std::to_string(spec.seccomp_fd)});
    }
    if (spec.info_fd >= 0) a.insert(a.end(), {"--info-fd", std::to_string(spec.info_fd)});
    a.insert(a.end(), {"--chdir", spec.root, "--", bash, "-c", command});
    return a;
}

ProtectedScan scan_protected(const std::string& root, const std::vector<std::string>& names) {
    ProtectedScan scan;
    std::vector<std::string> pending{root};
    std::size_t folders = 0;
    while (!pending.empty()) {
        if (folders++ == kMaxScannedFolders) {
            scan.complete = false;
            break;
        }
        std::string dir = std::move(pending.back());
        pending.pop_back();
        std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
        if (!d) continue;
        while (const dirent* e = ::readdir(d.get())) {
            const char* name = e->d_name;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
            std::string path = dir + "/" + name;
            bool blocked = is_blocked_name(name, names);
            if (!blocked && e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0) continue;
            if (!blocked) {
                if (S_ISDIR(st.st_mode)) pending.push_back(std::move(path));
                continue;
            }
            scan.entries.push_back(BlockedEntry{path, st.st_dev, st.st_ino});
            if (S_ISLNK(st.st_mode)) {
                // The link itself can be replaced (caught afterwards); its target is kept read-only.
                std::string target = real_path(path);
                if (inside(target, root)) scan.read_only.push_back(target);
                continue;
            }
            scan.read_only.push_back(path);
            if (S_ISREG(st.st_mode) && ::strcasecmp(name, ".git") == 0) {
                std::string target = real_path(gitdir_of(dir, path));
                if (inside(target, root)) scan.read_only.push_back(target);
            }
        }
    }
    std::sort(scan.read_only.begin(), scan.read_only.end());
    scan.read_only.erase(std::unique(scan.read_only.begin(), scan.read_only.end()), scan.read_only.end());
    return scan;
}

std::vector<std::string> move_aside_new_entries(const std::string& root, const std::vector<std::string>& names,
                                                const ProtectedScan& before) {
    std::set<std::pair<dev_t, ino_t>> known;
    for (const BlockedEntry& e : before.entries) known.emplace(e.dev, e.ino);
    std::vector<std::string> notes;
    for (const BlockedEntry& e : scan_protected(root, names).entries) {
        if (known.count({e.dev, e.ino})) continue;
        std::string rel = e.path.substr(root.size() + 1);
        int err = EEXIST;
        for (int n = 1; n < 1000 && err == EEXIST; ++n) {
            std::string suffix = ".sandbox-blocked" + (n == 1 ? std::string() : "-" + std::to_string(n));
            err = ::renameat2(AT_FDCWD, e.path.c_str(), AT_FDCWD, (e.path + suffix).c_str(), RENAME_NOREPLACE) == 0
                      ? 0
                      : errno;
            if (err == 0) notes.push_back(rel + " (moved to " + rel + suffix + ")");
        }
        if (err != 0) notes.push_back(rel + " (could not be moved aside: " + std::strerror(err) + ")");
    }
    return notes;
}

}  // namespace bash_plugin
