// instructions.files: the instruction files (AGENTS.md, …) that apply to a session, broadest
// first: the user's ($XDG_CONFIG_HOME/agenthost/), then each folder from the repository root
// (the nearest parent holding .git) down to the workspace. Only plain file names are looked up,
// only regular files are read (never through a symlink), each capped.
#include "services/instructions_service.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

namespace agenthost {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFileBytes = 256 * 1024;
constexpr int kMaxParents = 16;

/// A regular file's first kMaxFileBytes, or nullopt (missing, a symlink, not a regular file).
std::optional<std::string> read_regular(const fs::path& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    std::string out;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        out.resize(std::min<std::size_t>(static_cast<std::size_t>(st.st_size), kMaxFileBytes));
        ssize_t n = ::read(fd, out.data(), out.size());
        out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    } else {
        ::close(fd);
        return std::nullopt;
    }
    ::close(fd);
    return out;
}

/// The folders from the repository root down to `root`, or just `root` outside a repository.
std::vector<fs::path> folders_down_to(const fs::path& root) {
    std::vector<fs::path> up{root};
    for (fs::path p = root; up.size() < static_cast<std::size_t>(kMaxParents) && p.has_parent_path() && p != p.parent_path();) {
        std::error_code ec;
        if (fs::exists(p / ".git", ec)) return {up.rbegin(), up.rend()};
        p = p.parent_path();
        up.push_back(p);
    }
    return {root};  // no repository above: the workspace alone
}

fs::path user_config_dir() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg) return fs::path(xdg) / "agenthost";
    const char* home = std::getenv("HOME");
    return home && *home ? fs::path(home) / ".config/agenthost" : fs::path();
}

}  // namespace

void add_instructions_service(ServiceRouter& router, Session& session) {
    router.add("instructions.files", "fs.read", [&session](const json::value& p, ServiceRequest&) -> json::value {
        static const std::regex kName("^[A-Za-z0-9._-]{1,64}$");
        std::vector<std::string> names;
        const json::value* n = p.is_object() ? p.get_object().if_contains("names") : nullptr;
        if (!n || !n->is_array()) throw ServiceError(AHP_INVALID_ARGUMENT, "missing array parameter 'names'");
        for (const json::value& v : n->get_array()) {
            if (!v.is_string() || !std::regex_match(std::string(v.get_string()), kName) || v.get_string() == "..") {
                throw ServiceError(AHP_INVALID_ARGUMENT, "'names' must hold plain file names such as \"AGENTS.md\"");
            }
            names.emplace_back(v.get_string());
        }
        json::array files;
        auto add = [&](const std::string& path, std::string_view scope, std::string content) {
            files.push_back(json::object{{"path", path}, {"scope", scope}, {"content", std::move(content)}});
        };
        if (fs::path user = user_config_dir(); !user.empty()) {
            for (const auto& name : names) {
                if (auto text = read_regular(user / name)) add((user / name).string(), "user", std::move(*text));
            }
        }
        fs::path root = session.files()->root();
        if (root.empty()) {  // a store not on disk: its own root only
            for (const auto& name : names) {
                try {
                    if (auto text = session.files()->read(name)) add(name, "workspace", std::move(*text));
                } catch (const FileStoreError&) {
                }
            }
            return json::object{{"files", std::move(files)}};
        }
        for (const fs::path& dir : folders_down_to(root)) {
            for (const auto& name : names) {
                if (auto text = read_regular(dir / name)) {
                    bool here = dir == root;
                    add(here ? name : (dir / name).string(), here ? "workspace" : "repository", std::move(*text));
                }
            }
        }
        return json::object{{"files", std::move(files)}};
    });
}

}  // namespace agenthost
