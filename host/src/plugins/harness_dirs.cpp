#include "plugins/harness.hpp"
#include "plugins/install_layout.hpp"

#include <cstdlib>

namespace agenthost {

std::vector<std::filesystem::path> default_harness_dirs(const std::vector<std::filesystem::path>& extra) {
    namespace fs = std::filesystem;
    std::vector<fs::path> dirs(extra.begin(), extra.end());
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && *xdg) dirs.push_back(fs::path(xdg) / "agenthost/harnesses");
    else if (home && *home) dirs.push_back(fs::path(home) / ".config/agenthost/harnesses");
    if (auto installed = installed_dirs()) dirs.push_back(installed->harnesses);
    return dirs;
}

}  // namespace agenthost
