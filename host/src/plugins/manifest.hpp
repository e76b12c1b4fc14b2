// Plugin manifests: <id>.json beside <id>.so, read before any code is loaded (DESIGN §4).
#pragma once

#include <boost/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace agenthost {

/// A validated plugin manifest.
struct PluginManifest {
    std::filesystem::path file;          ///< the manifest's path
    std::filesystem::path library_path;  ///< `library` resolved against the manifest's folder
    std::string id;                      ///< [a-z0-9_]+, equals the file's stem
    std::string kind;                    ///< "capability" | "driver"
    std::string version;                 ///< semver-ish, non-empty
    std::string abi;                     ///< "MAJOR.MINOR", e.g. "1.0"
    std::string library;                 ///< file name as written, e.g. "test_math.so"
    std::string description;
    std::vector<std::string> provides;     ///< tool, command or model names
    std::vector<std::string> permissions;  ///< subset of fs.read, fs.write, exec, net
    boost::json::value config_schema;      ///< null when absent
};

/// Read and validate one manifest; throws ConfigError naming the file, the field and what was
/// expected (unknown fields, wrong types, missing required fields, bad id, bad abi).
PluginManifest read_plugin_manifest(const std::filesystem::path& file);

/// Read a JSON file of at most 1 MiB nested at most 64 deep; throws ConfigError naming the file
/// (and the line and column of a syntax error). Shared by every manifest reader.
boost::json::value read_json_file(const std::filesystem::path& file);

/// Parse "MAJOR.MINOR" into its numbers; false if malformed.
bool parse_abi_version(const std::string& text, unsigned& major, unsigned& minor);

}  // namespace agenthost
