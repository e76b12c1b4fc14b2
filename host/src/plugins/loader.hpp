// The plugin load pipeline (DESIGN §5): manifest first; file checks and the entry symbol via
// boost::dll::library_info before dlopen; RTLD_NOW|RTLD_LOCAL; ABI negotiation; create and
// describe, cross-checked against the manifest. Nothing is ever dlclosed.
#pragma once

#include "base/log.hpp"
#include "plugins/manifest.hpp"

#include <ahp/ahp.h>
#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace agenthost {

/// A plugin that could not be loaded; the message names the plugin and the reason.
class PluginError : public std::runtime_error {
public:
    PluginError(std::string plugin_id, const std::string& reason)
        : std::runtime_error("plugin '" + plugin_id + "': " + reason), id_(std::move(plugin_id)), reason_(reason) {}
    /// The plugin's id (or the manifest's file stem when the id is unknown).
    const std::string& plugin_id() const noexcept { return id_; }
    /// Why it was refused, without the id prefix.
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string id_;
    std::string reason_;
};

/// A loaded shared object and its entry table. Kept alive by everything made from it.
struct PluginLibrary;

/// One plugin found in a plugin folder, loaded or refused.
struct PluginReport {
    std::string id;                 ///< from the manifest, or the file stem if unreadable
    std::filesystem::path manifest; ///< the manifest file
    std::string kind;               ///< capability | driver (empty if unreadable)
    std::string version;            ///< from the manifest
    bool loaded = false;            ///< true when every load step passed
    std::string reason;             ///< why it was refused (empty when loaded)
    std::string description;        ///< from the manifest
    std::vector<std::string> permissions;  ///< from the manifest
    boost::json::object described;  ///< the describe answer (check_plugin, when loaded)
};

/// Run steps 1-4 of the pipeline on one manifest: read and validate it, check the library
/// file, dlopen it, call the entry and negotiate the ABI. Throws PluginError, logged on `log`.
std::shared_ptr<PluginLibrary> load_plugin_library(const std::filesystem::path& manifest_file,
                                                   const Logger& log = stderr_logger());

/// The manifest a library was loaded from.
const PluginManifest& library_manifest(const PluginLibrary& library);
/// The library's entry table.
const ahp_plugin_v1& library_table(const PluginLibrary& library);

/// The plugin folders in search order (DESIGN §4): `extra` (--plugin-dir), then
/// $AGENTHOST_PLUGIN_PATH (':'-separated), ~/.local/share/agenthost/plugins, and the runtime's
/// own: <libdir>/agenthost/plugins beside the library (or <build>/plugins; installed_dirs()).
std::vector<std::filesystem::path> default_plugin_dirs(const std::vector<std::filesystem::path>& extra);

/// Every plugin manifest in `dirs`, first id wins; the later duplicates are reported as refused
/// ("duplicate id: already provided by <file>"). Reads manifests only; loads nothing.
class PluginCatalog {
public:
    explicit PluginCatalog(std::vector<std::filesystem::path> dirs, Logger log = stderr_logger());
    /// What was found, in discovery order (loaded=false until load() or load_all()).
    const std::vector<PluginReport>& reports() const noexcept { return reports_; }
    /// Load one plugin by id (cached). Throws PluginError (unknown id, or why it was refused).
    std::shared_ptr<PluginLibrary> load(const std::string& id);
    /// Load everything found, and instantiate + describe each with an empty config when
    /// `describe` is set, updating reports(). Never throws for a bad plugin.
    void load_all(bool describe);
    /// Where its plugins log (their runtime's sink).
    const Logger& log() const noexcept { return log_; }

private:
    struct Entry;
    std::vector<std::filesystem::path> dirs_;
    std::vector<PluginReport> reports_;
    std::vector<std::shared_ptr<PluginLibrary>> libraries_;  // parallel to reports_
    Logger log_;
};

/// Load one plugin from a manifest or .so path, create it with an empty config and check its
/// describe answer: the whole pipeline, for `agenthost plugins check PATH`. Never throws.
PluginReport check_plugin(const std::filesystem::path& path, const Logger& log = stderr_logger());

}  // namespace agenthost
