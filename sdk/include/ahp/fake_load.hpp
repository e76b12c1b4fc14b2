// fake_load.hpp — the checks agenthost makes when it loads a plugin (DESIGN §5), for the fake
// host's open_with_manifest: the library file, the entry's table against the manifest, the
// config against the manifest's config_schema, and the describe answer against the manifest.
// Each refusal is a PluginRefused worded as the host's ("plugin 'x': describe says version
// '1.1.0' but the manifest … says '1.0.0'"). C++17, Linux (ELF, dlopen).
#pragma once

#include <ahp/manifest.hpp>
#include <ahp/schema.hpp>

#include <boost/json.hpp>

#include <dlfcn.h>
#include <elf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ahp {
inline namespace v1 {
namespace fake {

/// A plugin the host would refuse to load; what() is "plugin '<id>': <reason>".
class PluginRefused : public std::runtime_error {
public:
    PluginRefused(std::string id, const std::string& reason)
        : std::runtime_error("plugin '" + id + "': " + reason), id_(std::move(id)), reason_(reason) {}
    /// The plugin's id (the manifest's stem when the manifest is unreadable).
    const std::string& id() const noexcept { return id_; }
    /// Why, without the id.
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string id_;
    std::string reason_;
};

namespace load {

inline std::string version_text(std::uint32_t v) {
    return std::to_string(AHP_VERSION_MAJOR(v)) + "." + std::to_string(AHP_VERSION_MINOR(v));
}

/// The manifest beside a library, or the manifest itself: "x.so" reads "x.json".
inline Manifest manifest_for(std::filesystem::path path) {
    if (path.extension() == ".so") path.replace_extension(".json");
    try {
        return read_manifest(path);
    } catch (const ManifestError& e) {
        throw PluginRefused(path.stem().string(), std::string("bad manifest: ") + e.what());
    }
}

/// The manifest's ABI is one this SDK's host speaks (checked before the library is opened).
inline void check_manifest_abi(const Manifest& m) {
    unsigned major = 0, minor = 0;
    if (!parse_abi_version(m.abi, major, minor) || major != AHP_ABI_MAJOR || minor > AHP_ABI_MINOR) {
        throw PluginRefused(m.id, "manifest " + m.file.string() + " requires ABI " + m.abi + "; this host speaks ABI " +
                                      version_text(AHP_ABI_VERSION));
    }
}

/// A regular, not world-writable ELF shared object for this machine.
inline void check_library_file(const std::string& id, const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    const std::string p = path.string();
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) throw PluginRefused(id, "library " + p + " does not exist");
    if (!fs::is_regular_file(st)) throw PluginRefused(id, "library " + p + " is not a regular file");
    struct stat sb {};
    if (::stat(p.c_str(), &sb) != 0) throw PluginRefused(id, "cannot stat library " + p);
    if (sb.st_mode & S_IWOTH) throw PluginRefused(id, "library " + p + " is world-writable; refusing to load it");
    Elf64_Ehdr header{};
    std::ifstream in(path, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(&header), sizeof(header)))
        throw PluginRefused(id, "library " + p + " is not an ELF file (too short)");
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) throw PluginRefused(id, "library " + p + " is not an ELF file");
#if defined(__x86_64__)
    constexpr std::uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
    constexpr std::uint16_t kMachine = EM_AARCH64;
#else
    const std::uint16_t kMachine = header.e_machine;
#endif
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_machine != kMachine)
        throw PluginRefused(id, "library " + p + " is an ELF file for another machine");
    if (header.e_type != ET_DYN) throw PluginRefused(id, "library " + p + " is not an ELF shared object");
}

/// dlopen the manifest's library (kept loaded for the process) and return its entry's table.
inline const ahp_plugin_v1* open_library(const Manifest& m) {
    check_library_file(m.id, m.library_path);
    void* lib = ::dlopen(m.library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) throw PluginRefused(m.id, std::string("dlopen failed: ") + ::dlerror());
    auto entry = reinterpret_cast<ahp_plugin_entry_v1_fn>(::dlsym(lib, AHP_ENTRY_SYMBOL_V1));
    if (!entry) {
        throw PluginRefused(m.id, "library " + m.library_path.string() + " does not export " AHP_ENTRY_SYMBOL_V1
                                  " (not an ahp plugin, or built for another ABI major)");
    }
    return entry();
}

/// Check the entry's table against the manifest and copy min(its size, ours) into `out`.
inline void check_table(const Manifest& m, const ahp_plugin_v1* raw, ahp_plugin_v1& out) {
    const std::string& id = m.id;
    constexpr std::size_t kMinSize = offsetof(ahp_plugin_v1, invoke) + sizeof(ahp_plugin_v1::invoke);
    if (!raw) throw PluginRefused(id, AHP_ENTRY_SYMBOL_V1 " returned NULL (the plugin cannot run here)");
    if (raw->struct_size < kMinSize) {
        throw PluginRefused(id, "plugin table is " + std::to_string(raw->struct_size) + " bytes, smaller than the " +
                                    std::to_string(kMinSize) + " of ABI 1.0");
    }
    out = ahp_plugin_v1{};
    std::memcpy(&out, raw, std::min<std::size_t>(raw->struct_size, sizeof(ahp_plugin_v1)));
    if (AHP_VERSION_MAJOR(out.abi_version) != AHP_ABI_MAJOR) {
        throw PluginRefused(id, "plugin requires ABI " + version_text(out.abi_version) + " but this host speaks ABI " +
                                    version_text(AHP_ABI_VERSION) + " (major versions differ)");
    }
    if (AHP_VERSION_MINOR(out.abi_version) > AHP_ABI_MINOR) {
        throw PluginRefused(id, "plugin requires ABI " + version_text(out.abi_version) + ", newer than this host's ABI " +
                                    version_text(AHP_ABI_VERSION));
    }
    if (!out.create) throw PluginRefused(id, "plugin table has a NULL required slot 'create'");
    if (!out.destroy) throw PluginRefused(id, "plugin table has a NULL required slot 'destroy'");
    if (!out.invoke) throw PluginRefused(id, "plugin table has a NULL required slot 'invoke'");
    if (!out.id || m.id != out.id) {
        throw PluginRefused(id, std::string("plugin table says id '") + (out.id ? out.id : "(NULL)") + "' but the manifest " +
                                    m.file.string() + " says '" + m.id + "'");
    }
    if (!out.version || m.version != out.version) {
        throw PluginRefused(id, std::string("plugin table says version '") + (out.version ? out.version : "(NULL)") +
                                    "' but the manifest " + m.file.string() + " says '" + m.version + "'");
    }
}

/// The config against the manifest's config_schema.
inline void check_config(const Manifest& m, const boost::json::object& config) {
    if (m.config_schema.is_null()) return;
    if (auto v = schema::violation(m.config_schema, config, "config")) throw PluginRefused(m.id, "invalid config: " + *v);
}

/// What describe says, as the host keeps it: each tool's parameter schema (by name) and the hooks.
struct Described {
    std::vector<std::pair<std::string, boost::json::value>> tools;
    std::vector<std::string> hooks;
};

/// The describe answer against the manifest (id, version, abi, kind) and checked (tool names,
/// schemas, hooks), as the host does after create.
inline Described check_description(const Manifest& m, const boost::json::object& d) {
    namespace json = boost::json;
    const std::string& id = m.id;
    auto string_or = [](const json::object& o, std::string_view key) {
        const json::value* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    auto mismatch = [&](std::string_view field, const std::string& got, const std::string& want) {
        throw PluginRefused(id, "describe says " + std::string(field) + " '" + got + "' but the manifest " +
                                    m.file.string() + " says '" + want + "'");
    };
    if (string_or(d, "id") != m.id) mismatch("id", string_or(d, "id"), m.id);
    if (string_or(d, "version") != m.version) mismatch("version", string_or(d, "version"), m.version);
    if (string_or(d, "abi") != m.abi) {
        unsigned a = 0, b = 0, c = 0, e = 0;
        const bool ok = parse_abi_version(string_or(d, "abi"), a, b) && parse_abi_version(m.abi, c, e) && a == c && b >= e;
        if (!ok) mismatch("abi", string_or(d, "abi"), m.abi);
    }
    const bool is_driver = d.contains("driver");
    if (is_driver != (m.kind == "driver")) {
        throw PluginRefused(id, "describe " + std::string(is_driver ? "offers" : "lacks") +
                                    " a driver but the manifest's kind is '" + m.kind + "'");
    }
    Described out;
    if (const json::value* t = d.if_contains("tools")) {
        if (!t->is_array()) throw PluginRefused(id, "describe: 'tools' must be an array");
        for (const json::value& item : t->get_array()) {
            if (!item.is_object()) throw PluginRefused(id, "describe: every tool must be an object");
            const json::object& o = item.get_object();
            const std::string name = string_or(o, "name");
            const bool name_ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            });
            if (!name_ok) throw PluginRefused(id, "describe: tool name '" + name + "' must match [A-Za-z0-9_-]{1,64}");
            for (const auto& seen : out.tools) {
                if (seen.first == name) throw PluginRefused(id, "describe: tool '" + name + "' is listed twice");
            }
            json::value parameters = o.contains("parameters") ? o.at("parameters") : json::value(json::object{{"type", "object"}});
            if (auto p = schema::problem(parameters, "tool '" + name + "' parameters")) throw PluginRefused(id, "describe: " + *p);
            if (!parameters.is_object() || string_or(parameters.get_object(), "type") != "object") {
                throw PluginRefused(id, "describe: tool '" + name + "' parameters must be a schema of \"type\": \"object\"");
            }
            out.tools.emplace_back(name, std::move(parameters));
        }
    }
    if (const json::value* h = d.if_contains("hooks")) {
        if (!h->is_array()) throw PluginRefused(id, "describe: 'hooks' must be an array");
        for (const json::value& item : h->get_array()) {
            if (!item.is_string()) throw PluginRefused(id, "describe: every hook must be a string");
            std::string name(item.get_string());
            if (name != "system_prompt" && name != "before_model" && name != "after_tool") {
                throw PluginRefused(id, "describe: unknown hook '" + name +
                                            "' (expected system_prompt, before_model or after_tool)");
            }
            out.hooks.push_back(std::move(name));
        }
    }
    return out;
}

}  // namespace load
}  // namespace fake
}  // namespace v1
}  // namespace ahp
