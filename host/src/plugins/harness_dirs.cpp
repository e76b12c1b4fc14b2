#include "plugins/harness.hpp"

#include <cstdlib>

namespace agenthost {

std::vector<std::filesystem::path> default_harness_dirs(const std::vector<std::filesystem::path>& extra) {
    namespace fs = std::filesystem;
    std::vector<fs::path> dirs(extra.begin(), extra.end());
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && *xdg) dirs.push_back(fs::path(xdg) / "agenthost/harnesses");
    else if (home && *home) dirs.push_back(fs::path(home) / ".config/agenthost/harnesses");
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        dirs.push_back(exe.parent_path() / "harnesses");
        dirs.push_back(exe.parent_path().parent_path() / "share/agenthost/harnesses");
    }
    return dirs;
}

}  // namespace agenthost
