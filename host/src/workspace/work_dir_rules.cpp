#include "workspace/work_dir_rules.hpp"

#include <array>
#include <string_view>
#include <system_error>

namespace agenthost {

namespace fs = std::filesystem;

namespace {

/// Credential folders, as relative paths.
constexpr std::array<std::string_view, 6> kCredentialDirs = {".ssh", ".gnupg", ".aws", ".kube", ".docker", ".config/gcloud"};

/// The credential folder `p` lies in (a component, or .config followed by gcloud), if any.
std::optional<std::string> credential_component(const fs::path& p) {
    std::string previous;
    for (const fs::path& part : p) {
        const std::string name = part.string();
        for (std::string_view c : kCredentialDirs) {
            if (name == c || (previous == ".config" && name == "gcloud" && c == ".config/gcloud")) return std::string(c);
        }
        previous = name;
    }
    return std::nullopt;
}

/// Whether `inner` is `outer` or lies inside it (both lexically normal and absolute).
bool is_within(const fs::path& inner, const fs::path& outer) {
    auto i = inner.begin();
    for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
        if (o->empty()) continue;  // a trailing separator
        if (i == inner.end() || *i != *o) return false;
    }
    return true;
}

/// A credential folder that `dir` holds as a child or grandchild, if any.
std::optional<fs::path> held_credentials(const fs::path& dir) {
    std::error_code ec;
    auto check = [&](const fs::path& base) -> std::optional<fs::path> {
        for (std::string_view c : kCredentialDirs) {
            fs::path p = base / fs::path(c);
            if (fs::symlink_status(p, ec).type() != fs::file_type::not_found && !ec) return p;
        }
        return std::nullopt;
    };
    if (auto p = check(dir)) return p;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (std::size_t n = 0; !ec && it != fs::directory_iterator() && n < 10000; it.increment(ec), ++n) {
        if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
        if (auto p = check(it->path())) return p;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> validate_work_dir(const fs::path& dir, const fs::path& home) {
    const std::string shown = "'" + dir.string() + "'";
    if (dir.empty() || !dir.is_absolute()) return "work_dir " + shown + " must be an absolute path";
    for (const fs::path& part : dir) {
        if (part == "..") return "work_dir " + shown + " must not contain '..'";
    }
    std::error_code ec;
    fs::file_status st = fs::status(dir, ec);
    if (st.type() == fs::file_type::not_found) return "work_dir " + shown + " does not exist";
    if (ec) return "work_dir " + shown + " cannot be read: " + ec.message();
    if (st.type() != fs::file_type::directory) return "work_dir " + shown + " is not a folder";
    const fs::path real = fs::canonical(dir, ec);
    if (ec) return "work_dir " + shown + " cannot be resolved: " + ec.message();
    const fs::path given = dir.lexically_normal();
    for (const fs::path& p : {given, real}) {
        if (p == p.root_path()) return "work_dir " + shown + " must not be the root folder '/'";
    }
    if (!home.empty() && home.is_absolute()) {
        fs::path real_home = fs::weakly_canonical(home, ec);
        if (ec) real_home = home.lexically_normal();
        for (const fs::path& h : {home.lexically_normal(), real_home}) {
            for (const fs::path& p : {given, real}) {
                if (p == h) return "work_dir " + shown + " must not be the home folder itself";
                if (is_within(h, p)) return "work_dir " + shown + " must not contain the home folder " + h.string();
            }
        }
    }
    for (const fs::path& p : {given, real}) {
        if (auto c = credential_component(p)) return "work_dir " + shown + " must not be inside a " + *c + " folder";
    }
    if (auto held = held_credentials(real)) {
        return "work_dir " + shown + " must not contain a credentials folder (" + held->string() + ")";
    }
    return std::nullopt;
}

}  // namespace agenthost
