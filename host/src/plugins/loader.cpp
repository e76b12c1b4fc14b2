#include "plugins/loader.hpp"

#include "plugins/install_layout.hpp"
#include "plugins/plugin_instance.hpp"

#include <agenthost/errors.hpp>

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <spdlog/logger.h>

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

namespace agenthost {

struct PluginLibrary {
    PluginManifest manifest;
    ahp_plugin_v1 table{};  // a zero-filled copy of min(its size, ours)
    boost::dll::shared_library library;
};

const PluginManifest& library_manifest(const PluginLibrary& library) { return library.manifest; }
const ahp_plugin_v1& library_table(const PluginLibrary& library) { return library.table; }

namespace {

namespace fs = std::filesystem;

/// The smallest table a v1.0 plugin may hand us: everything up to and including invoke.
constexpr std::size_t kMinTableSize = offsetof(ahp_plugin_v1, invoke) + sizeof(ahp_plugin_v1::invoke);

#if defined(__x86_64__)
constexpr std::uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr std::uint16_t kMachine = EM_AARCH64;
#else
#error "unsupported machine: add its ELF e_machine here"
#endif

/// Libraries are never dlclosed: every one ever loaded stays here until the process exits.
/// Keyed by canonical path, so loading the same file twice gives the same library.
struct Registry {
    std::mutex mu;
    std::map<fs::path, std::shared_ptr<PluginLibrary>> by_path;
};
Registry& registry() {
    static auto* r = new Registry();  // leaked on purpose: no dlclose at exit either
    return *r;
}

/// Refuse a plugin; load_plugin_library logs it once.
[[noreturn]] void refuse(const std::string& id, const std::string& reason) { throw PluginError(id, reason); }

/// Step 2: a regular, not world-writable ELF shared object for this machine that exports the
/// entry symbol — all checked from the file, before any of its code can run.
void check_library_file(const std::string& id, const fs::path& path) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) refuse(id, "library " + path.string() + " does not exist");
    if (!fs::is_regular_file(st)) refuse(id, "library " + path.string() + " is not a regular file");
    struct stat sb {};
    if (::stat(path.c_str(), &sb) != 0) refuse(id, "cannot stat library " + path.string());
    if (sb.st_mode & S_IWOTH) refuse(id, "library " + path.string() + " is world-writable; refusing to load it");

    Elf64_Ehdr header{};
    std::ifstream in(path, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(&header), sizeof(header))) {
        refuse(id, "library " + path.string() + " is not an ELF file (too short)");
    }
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
        refuse(id, "library " + path.string() + " is not an ELF file");
    }
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_machine != kMachine) {
        refuse(id, "library " + path.string() + " is an ELF file for another machine");
    }
    if (header.e_type != ET_DYN) refuse(id, "library " + path.string() + " is not an ELF shared object");

    std::vector<std::string> symbols;
    try {
        boost::dll::library_info info(boost::dll::fs::path(path.string()));
        symbols = info.symbols();
    } catch (const std::exception& e) {
        refuse(id, "cannot read the symbols of " + path.string() + ": " + e.what());
    }
    if (std::find(symbols.begin(), symbols.end(), AHP_ENTRY_SYMBOL_V1) == symbols.end()) {
        refuse(id, "library " + path.string() + " does not export " AHP_ENTRY_SYMBOL_V1
                   " (not an ahp plugin, or built for another ABI major)");
    }
}

std::string version_text(std::uint32_t v) {
    return std::to_string(AHP_VERSION_MAJOR(v)) + "." + std::to_string(AHP_VERSION_MINOR(v));
}

/// Step 4: call the entry and check the table it returns.
void check_table(const std::string& id, const PluginManifest& m, const ahp_plugin_v1* raw, PluginLibrary& out) {
    if (!raw) refuse(id, AHP_ENTRY_SYMBOL_V1 " returned NULL (the plugin cannot run here)");
    if (raw->struct_size < kMinTableSize) {
        refuse(id, "plugin table is " + std::to_string(raw->struct_size) + " bytes, smaller than the " +
                       std::to_string(kMinTableSize) + " of ABI 1.0");
    }
    std::memcpy(&out.table, raw, std::min<std::size_t>(raw->struct_size, sizeof(ahp_plugin_v1)));
    const ahp_plugin_v1& t = out.table;
    if (AHP_VERSION_MAJOR(t.abi_version) != AHP_ABI_MAJOR) {
        refuse(id, "plugin requires ABI " + version_text(t.abi_version) + " but this host speaks ABI " +
                       version_text(AHP_ABI_VERSION) + " (major versions differ)");
    }
    if (AHP_VERSION_MINOR(t.abi_version) > AHP_ABI_MINOR) {
        refuse(id, "plugin requires ABI " + version_text(t.abi_version) + ", newer than this host's ABI " +
                       version_text(AHP_ABI_VERSION));
    }
    if (!t.create) refuse(id, "plugin table has a NULL required slot 'create'");
    if (!t.destroy) refuse(id, "plugin table has a NULL required slot 'destroy'");
    if (!t.invoke) refuse(id, "plugin table has a NULL required slot 'invoke'");
    if (!t.id || m.id != t.id) {
        refuse(id, std::string("plugin table says id '") + (t.id ? t.id : "(NULL)") + "' but the manifest " +
                       m.file.string() + " says '" + m.id + "'");
    }
    if (!t.version || m.version != t.version) {
        refuse(id, std::string("plugin table says version '") + (t.version ? t.version : "(NULL)") +
                       "' but the manifest " + m.file.string() + " says '" + m.version + "'");
    }
}

/// Steps 1-4, or the library already loaded from the same file.
std::shared_ptr<PluginLibrary> open_plugin_library(const fs::path& manifest_file, const Logger& log) {
    std::string id = manifest_file.stem().string();
    PluginManifest manifest;
    try {
        manifest = read_plugin_manifest(manifest_file);  // step 1
    } catch (const ConfigError& e) {
        refuse(id, std::string("bad manifest: ") + e.what());
    }
    id = manifest.id;
    unsigned major = 0, minor = 0;
    if (!parse_abi_version(manifest.abi, major, minor) || major != AHP_ABI_MAJOR || minor > AHP_ABI_MINOR) {
        refuse(id, "manifest " + manifest.file.string() + " requires ABI " + manifest.abi + "; this host speaks ABI " +
                       version_text(AHP_ABI_VERSION));
    }
    check_library_file(id, manifest.library_path);  // step 2
    std::error_code ec;
    fs::path canonical = fs::canonical(manifest.library_path, ec);
    if (ec) refuse(id, "cannot resolve " + manifest.library_path.string() + ": " + ec.message());

    Registry& reg = registry();
    std::lock_guard<std::mutex> lock(reg.mu);
    if (auto it = reg.by_path.find(canonical); it != reg.by_path.end()) {
        if (it->second->manifest.id != id) {
            refuse(id, "library " + canonical.string() + " is already loaded as plugin '" + it->second->manifest.id + "'");
        }
        return it->second;
    }
    auto lib = std::make_shared<PluginLibrary>();
    lib->manifest = std::move(manifest);
    try {  // step 3
        lib->library.load(boost::dll::fs::path(canonical.string()),
                          boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        refuse(id, "dlopen failed: " + std::string(e.what()));
    }
    ahp_plugin_entry_v1_fn entry = nullptr;
    try {
        entry = lib->library.get<const ahp_plugin_v1*()>(AHP_ENTRY_SYMBOL_V1);
    } catch (const std::exception& e) {
        refuse(id, "cannot resolve " AHP_ENTRY_SYMBOL_V1 ": " + std::string(e.what()));
    }
    check_table(id, lib->manifest, entry(), *lib);  // step 4
    log->debug("plugin={} loaded {} (ABI {})", id, canonical.string(), version_text(lib->table.abi_version));
    reg.by_path.emplace(canonical, lib);
    return lib;
}

}  // namespace

std::shared_ptr<PluginLibrary> load_plugin_library(const fs::path& manifest_file, const Logger& log) {
    try {
        return open_plugin_library(manifest_file, log);
    } catch (const PluginError& e) {
        log->warn("plugin={} refused: {}", e.plugin_id(), e.reason());
        throw;
    }
}

std::vector<fs::path> default_plugin_dirs(const std::vector<fs::path>& extra) {
    std::vector<fs::path> dirs(extra.begin(), extra.end());
    if (const char* env = std::getenv("AGENTHOST_PLUGIN_PATH")) {
        std::string_view rest(env);
        while (!rest.empty()) {
            std::size_t colon = rest.find(':');
            std::string_view part = rest.substr(0, colon);
            if (!part.empty()) dirs.emplace_back(part);
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    if (const char* home = std::getenv("HOME"); home && *home) {
        const char* xdg = std::getenv("XDG_DATA_HOME");
        fs::path base = xdg && *xdg ? fs::path(xdg) : fs::path(home) / ".local/share";
        dirs.push_back(base / "agenthost/plugins");
    }
    if (auto installed = installed_dirs()) dirs.push_back(installed->plugins);
    return dirs;
}

PluginCatalog::PluginCatalog(std::vector<fs::path> dirs, Logger log) : dirs_(std::move(dirs)), log_(std::move(log)) {
    std::map<std::string, fs::path> seen;
    for (const fs::path& dir : dirs_) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        std::vector<fs::path> manifests;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (entry.path().extension() == ".json") manifests.push_back(entry.path());
        }
        std::sort(manifests.begin(), manifests.end());
        for (const fs::path& file : manifests) {
            PluginReport report;
            report.manifest = file;
            report.id = file.stem().string();
            try {
                PluginManifest m = read_plugin_manifest(file);
                report.id = m.id;
                report.kind = m.kind;
                report.version = m.version;
                report.description = m.description;
            } catch (const ConfigError& e) {
                report.reason = std::string("bad manifest: ") + e.what();
            }
            if (auto it = seen.find(report.id); it != seen.end()) {
                report.reason = "duplicate id: already provided by " + it->second.string();
                log_->warn("plugin={} refused: {}", report.id, report.reason);
            } else {
                seen.emplace(report.id, file);
            }
            reports_.push_back(std::move(report));
            libraries_.emplace_back();
        }
    }
}

std::shared_ptr<PluginLibrary> PluginCatalog::load(const std::string& id) {
    for (std::size_t i = 0; i < reports_.size(); ++i) {
        PluginReport& r = reports_[i];
        if (r.id != id) continue;
        if (libraries_[i]) return libraries_[i];
        if (!r.reason.empty()) throw PluginError(id, r.reason);
        try {
            libraries_[i] = load_plugin_library(r.manifest, log_);
            r.loaded = true;
            return libraries_[i];
        } catch (const PluginError& e) {
            r.reason = e.reason();
            throw;
        }
    }
    std::string where;
    for (const auto& d : dirs_) where += (where.empty() ? "" : ", ") + d.string();
    throw PluginError(id, "not found in any plugin folder (" + (where.empty() ? std::string("none") : where) + ")");
}

void PluginCatalog::load_all(bool describe) {
    for (std::size_t i = 0; i < reports_.size(); ++i) {
        PluginReport& r = reports_[i];
        if (!r.reason.empty()) continue;
        try {
            auto lib = libraries_[i] ? libraries_[i] : load(r.id);
            if (describe) PluginInstance::create(lib, boost::json::object(), nullptr, log_);
            r.loaded = true;
        } catch (const PluginError& e) {
            r.loaded = false;
            r.reason = e.reason();
        }
    }
}

PluginReport check_plugin(const fs::path& path, const Logger& log) {
    fs::path manifest = path;
    if (manifest.extension() == ".so") manifest.replace_extension(".json");
    PluginReport report;
    report.manifest = manifest;
    report.id = manifest.stem().string();
    try {
        auto lib = load_plugin_library(manifest, log);
        report.id = lib->manifest.id;
        report.kind = lib->manifest.kind;
        report.version = lib->manifest.version;
        report.description = lib->manifest.description;
        report.permissions = lib->manifest.permissions;
        report.described = PluginInstance::create(lib, boost::json::object(), nullptr, log)->description();
        report.loaded = true;
    } catch (const PluginError& e) {
        report.reason = e.reason();
    }
    return report;
}

}  // namespace agenthost
