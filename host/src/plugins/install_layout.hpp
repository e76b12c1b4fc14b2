// Where the runtime's own plugins and harnesses are: found from the file the runtime's code
// is in (libagenthost.so, or an executable that links it statically), not from the process's
// executable, so an embedder installed anywhere finds them.
#pragma once

#include <filesystem>
#include <optional>

namespace agenthost {

/// The runtime's first-party plugin and harness folders.
struct InstalledDirs {
    std::filesystem::path plugins;
    std::filesystem::path harnesses;
};

/// The build tree's <build>/plugins and <build>/harnesses when the runtime runs from its build
/// tree; otherwise <prefix>/<libdir>/agenthost/plugins and <prefix>/share/agenthost/harnesses,
/// relative to the library's folder (or the executable's bindir). Nullopt if the runtime's
/// file cannot be found.
std::optional<InstalledDirs> installed_dirs();

}  // namespace agenthost
