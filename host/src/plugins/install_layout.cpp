#include "plugins/install_layout.hpp"

#include <dlfcn.h>
#include <link.h>

// Set by host/CMakeLists.txt from GNUInstallDirs (on Debian, libdir is lib/<multiarch>).
#ifndef AGENTHOST_BUILD_TREE
#error "AGENTHOST_BUILD_TREE and the install-relative folders come from host/CMakeLists.txt"
#endif

namespace agenthost {

namespace {

namespace fs = std::filesystem;

/// Any function of the runtime: dladdr tells which loaded file holds it.
void anchor() {}

}  // namespace

std::optional<InstalledDirs> installed_dirs() {
    Dl_info info{};
    link_map* map = nullptr;
    if (dladdr1(reinterpret_cast<void*>(&anchor), &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) == 0) {
        return std::nullopt;
    }
    // The main program's link map has an empty name: the runtime is linked into the executable.
    const bool in_executable = !map || !map->l_name || !*map->l_name;
    std::error_code ec;
    fs::path file = in_executable ? fs::read_symlink("/proc/self/exe", ec) : fs::path(map->l_name);
    if (ec || file.empty()) return std::nullopt;
    file = fs::weakly_canonical(file, ec);
    if (ec) return std::nullopt;
    const fs::path dir = file.parent_path();
    if (dir == fs::weakly_canonical(AGENTHOST_BUILD_TREE, ec) && !ec) {
        return InstalledDirs{dir / "plugins", dir / "harnesses"};
    }
    if (in_executable) {
        return InstalledDirs{(dir / AGENTHOST_BIN_TO_PLUGINS).lexically_normal(),
                             (dir / AGENTHOST_BIN_TO_HARNESSES).lexically_normal()};
    }
    return InstalledDirs{(dir / AGENTHOST_LIB_TO_PLUGINS).lexically_normal(),
                         (dir / AGENTHOST_LIB_TO_HARNESSES).lexically_normal()};
}

}  // namespace agenthost
