// Harness manifests: manifests/harnesses/<name>.json, with `extends` chains (DESIGN §4).
#pragma once

#include "net/network_access.hpp"

#include <agenthost/workspace.hpp>

#include <boost/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace agenthost {

/// A capability a harness turns on, with its config.
struct CapabilityRef {
    std::string id;
    boost::json::object config;
};

/// A file seeded into the session's workspace.
using InitialFile = InitialFileSpec;

/// A harness with its whole `extends` chain folded in, root first.
struct Harness {
    std::string name;
    std::filesystem::path file;
    std::vector<std::string> chain;  ///< names, root first, this one last
    std::string description;         ///< this harness's own description (not inherited)
    std::string system_prompt;       ///< each level's prompt, root first, joined by "\n\n"
    std::vector<CapabilityRef> capabilities;  ///< union; a child's config for an id replaces
                                              ///< the parent's; parent order kept
    std::optional<std::string> model;         ///< the nearest level that sets it
    std::optional<int> max_iterations;        ///< the nearest level that sets it
    NetworkAccessList network_access;         ///< folded with narrowed_by, root first
    std::vector<InitialFile> initial_files;   ///< union by path; a child may not make a
                                              ///< parent's read-only file writable
};

/// Finds harness manifests by name in an ordered list of folders (first match wins).
class HarnessCatalog {
public:
    /// `how_to_add` ends the message of a harness not found: how this front end adds a folder.
    explicit HarnessCatalog(std::vector<std::filesystem::path> dirs, std::string how_to_add = {});
    /// Every harness name found, sorted, with its file.
    std::vector<std::pair<std::string, std::filesystem::path>> list() const;
    /// Load a harness by name, or by path when `name_or_file` ends in .json or contains '/'.
    /// Resolves `extends` (by name, in these folders), detects cycles, reads
    /// `system_prompt_file` relative to the manifest. Throws ConfigError naming the file, the
    /// field and what was expected.
    Harness load(const std::string& name_or_file) const;

private:
    std::vector<std::filesystem::path> dirs_;
    std::string how_to_add_;
};

}  // namespace agenthost

namespace agenthost {

/// The harness folders in search order: `extra`, then $XDG_CONFIG_HOME/agenthost/harnesses
/// (~/.config/…), and the runtime's own: <prefix>/share/agenthost/harnesses found from the
/// library (or <build>/harnesses; installed_dirs()).
std::vector<std::filesystem::path> default_harness_dirs(const std::vector<std::filesystem::path>& extra);

}  // namespace agenthost
