#include "workspace/work_dir.hpp"

#include <array>
#include <deque>
#include <string_view>
#include <system_error>

namespace agenthost {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 5> kSecretFolders = {".ssh", ".gnupg", ".aws", ".kube", ".docker"};

/// Whether the entry `name` in a folder named `parent` is a credentials folder.
bool is_secret_entry(const std::string& parent, const std::string& name) {
    for (std::string_view s : kSecretFolders) {
        if (name == s) return true;
    }
    return parent == ".config" && name == "gcloud";
}

/// The credentials folder an absolute, normal path is or lies in ("/home/u/.ssh"), or nullopt.
std::optional<fs::path> secrets_folder_of(const fs::path& path) {
    fs::path at;
    std::string parent;
    for (const fs::path& part : path) {
        at /= part;
        std::string name = part.string();
        if (is_secret_entry(parent, name)) return at;
        parent = std::move(name);
    }
    return std::nullopt;
}

WorkDirCheck refuse(fs::path resolved, std::string rule, const fs::path& dir, const std::string& why) {
    return WorkDirCheck{std::move(resolved),
                        WorkDirProblem{std::move(rule), "workspace '" + dir.string() + "': " + why}};
}

/// A credentials folder within `bounds` beneath `root`, or a symlink there that resolves into
/// one: a sentence naming it, or nullopt. Symlinked folders are not entered; unreadable folders
/// are skipped.
std::optional<std::string> find_secrets_beneath(const fs::path& root, WorkDirSearchBounds bounds) {
    std::deque<std::pair<fs::path, int>> folders{{root, 0}};
    std::size_t seen = 0;
    while (!folders.empty()) {
        auto [folder, depth] = std::move(folders.front());
        folders.pop_front();
        std::error_code ec;
        fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec);
        const std::string parent = folder.filename().string();
        for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
            if (++seen > bounds.max_entries) return std::nullopt;
            const fs::directory_entry& entry = *it;
            const std::string name = entry.path().filename().string();
            if (is_secret_entry(parent, name)) return "it contains " + entry.path().string();
            std::error_code type_ec;
            if (entry.is_symlink(type_ec)) {
                std::error_code link_ec;
                fs::path target = fs::canonical(entry.path(), link_ec);
                if (!link_ec) {
                    if (auto secret = secrets_folder_of(target)) {
                        return "it contains " + entry.path().string() + ", a symlink into " + secret->string();
                    }
                }
                continue;
            }
            if (depth + 1 < bounds.max_depth && entry.is_directory(type_ec))
                folders.emplace_back(entry.path(), depth + 1);
        }
    }
    return std::nullopt;
}

}  // namespace

WorkDirCheck check_work_dir(const fs::path& dir, const fs::path& home, WorkDirSearchBounds bounds) {
    if (!dir.is_absolute()) return refuse(dir, "not_absolute", dir, "expected an absolute path");
    std::error_code ec;
    fs::path resolved = fs::canonical(dir, ec);
    if (ec) return refuse(dir, "not_found", dir, "does not exist (" + ec.message() + ")");
    if (!fs::is_directory(resolved, ec)) return refuse(resolved, "not_a_folder", dir, "is not a folder");
    if (resolved == resolved.root_path()) {
        return refuse(resolved, "root", dir, "is the root folder /; choose a project folder");
    }
    if (!home.empty()) {
        std::error_code home_ec;
        fs::path home_resolved = fs::canonical(home, home_ec);
        if (home_ec) home_resolved = home.lexically_normal();
        if (resolved == home_resolved) {
            return refuse(resolved, "home", dir,
                          "is your home folder " + home_resolved.string() + "; choose a project folder inside it");
        }
    }
    if (auto secret = secrets_folder_of(resolved)) {
        return refuse(resolved, "inside_secrets", dir,
                      (resolved == *secret ? "is " : "is inside ") + secret->string() +
                          ", a folder of credentials (.ssh, .gnupg, .aws, .kube, .docker, .config/gcloud)");
    }
    if (auto found = find_secrets_beneath(resolved, bounds)) {
        return refuse(
            resolved, "contains_secrets", dir,
            *found + ": a workspace may not hold credentials (.ssh, .gnupg, .aws, .kube, .docker, .config/gcloud)");
    }
    return WorkDirCheck{std::move(resolved), std::nullopt};
}

}  // namespace agenthost
