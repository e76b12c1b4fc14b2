// manifest.hpp — a plugin's manifest (<id>.json beside <id>.so, docs/manifests.md) read and
// checked as agenthost reads it, with the same messages, and the permission each host service
// needs. The fake host (ahp_fake.hpp) uses both to refuse in a unit test what the host would
// refuse at the first real run. C++17.
//
//   ahp::Manifest m = ahp::read_manifest("build/plugins/x.json");  // throws ahp::ManifestError
//   ahp::service_permission("fs.write");                           // "fs.write"; "" for none
#pragma once

#include <ahp/ahp.h>
#include <ahp/schema.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ahp {
inline namespace v1 {

/// A manifest the host would refuse; the message names the file and the field.
class ManifestError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A checked plugin manifest.
struct Manifest {
    std::filesystem::path file;          ///< the manifest's path
    std::filesystem::path library_path;  ///< `library` beside the manifest
    std::string id;                      ///< [a-z0-9_]{1,64}, the file's stem
    std::string kind;                    ///< "capability" or "driver"
    std::string version;
    std::string abi;      ///< "MAJOR.MINOR"
    std::string library;  ///< a plain file name
    std::string description;
    std::vector<std::string> provides;
    std::vector<std::string> permissions;  ///< of fs.read, fs.write, exec, net, model
    boost::json::value config_schema;      ///< null when absent
    /// Whether the manifest declares `permission`.
    bool allows(std::string_view permission) const {
        return std::find(permissions.begin(), permissions.end(), permission) != permissions.end();
    }
};

/// Every host service and the manifest permission it needs ("" for none): the host's
/// ServiceRouter registrations, which fake_host_kit_test holds this table to.
inline const std::array<std::pair<std::string_view, std::string_view>, 24>& host_services() {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kServices = {{
        {"fs.read", "fs.read"},         {"fs.stat", "fs.read"},          {"fs.list", "fs.read"},
        {"fs.glob", "fs.read"},         {"fs.grep", "fs.read"},          {"fs.write", "fs.write"},
        {"fs.delete", "fs.write"},      {"workspace.info", "exec"},      {"instructions.files", "fs.read"},
        {"skills.user", "fs.read"},     {"http.request", "net"},         {"network.check", "net"},
        {"model.complete", "model"},    {"history.messages", "model"},   {"history.compact", "model"},
        {"storage.get", ""},            {"storage.set", ""},             {"storage.delete", ""},
        {"storage.list", ""},           {"secret.get", ""},              {"connection.get", ""},
        {"approval.ask", ""},           {"session_data.write", ""},      {"session_data.read", ""},
    }};
    return kServices;
}

/// The permission a host service needs ("" for none), or nullopt for a service the host does not
/// have.
inline std::optional<std::string_view> service_permission(std::string_view service) {
    for (const auto& s : host_services()) {
        if (s.first == service) return s.second;
    }
    return std::nullopt;
}

/// Parse "MAJOR.MINOR"; false if malformed.
inline bool parse_abi_version(std::string_view text, unsigned& major, unsigned& minor) {
    const std::size_t dot = text.find('.');
    if (dot == std::string_view::npos) return false;
    const std::string_view a = text.substr(0, dot), b = text.substr(dot + 1);
    const auto digits = [](std::string_view s) {
        return !s.empty() && s.size() <= 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(a) || !digits(b)) return false;
    major = static_cast<unsigned>(std::stoul(std::string(a)));
    minor = static_cast<unsigned>(std::stoul(std::string(b)));
    return true;
}

namespace detail {

/// A JSON file of at most 1 MiB nested at most 64 deep, as the host reads every manifest.
inline boost::json::value read_json_file(const std::filesystem::path& file) {
    namespace fs = std::filesystem;
    constexpr std::uintmax_t kMaxBytes = 1024 * 1024;
    const std::string name = file.string();
    std::error_code ec;
    const auto status = fs::status(file, ec);
    if (ec || !fs::exists(status)) throw ManifestError(name + ": cannot read: no such file");
    if (!fs::is_regular_file(status)) throw ManifestError(name + ": cannot read: not a regular file");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ManifestError(name + ": cannot read: permission denied or I/O error");
    const std::uintmax_t size = fs::file_size(file, ec);
    if (!ec && size > kMaxBytes) throw ManifestError(name + ": file is larger than 1 MiB");
    std::string text(ec ? kMaxBytes + 1 : static_cast<std::size_t>(size) + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) throw ManifestError(name + ": cannot read: I/O error");
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxBytes) throw ManifestError(name + ": file is larger than 1 MiB");

    boost::json::parse_options options;
    options.max_depth = 64;
    boost::json::stream_parser parser({}, options);
    boost::system::error_code error;
    std::size_t consumed = parser.write_some(text.data(), text.size(), error);
    std::string reason;
    if (error) {
        reason = error == boost::json::error::too_deep ? "nested deeper than 64 levels" : error.message();
    } else if (consumed < text.size()) {
        reason = "unexpected text after the JSON value";
    } else {
        parser.finish(error);
        if (error) {
            consumed = text.size();
            reason = "unexpected end of file (" + error.message() + ")";
        }
    }
    if (!reason.empty()) {
        const std::string_view before = std::string_view(text).substr(0, std::min(consumed, text.size()));
        const std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
        const std::size_t nl = before.rfind('\n');
        const std::size_t column = nl == std::string_view::npos ? before.size() + 1 : before.size() - nl;
        throw ManifestError(name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                            ": malformed JSON: " + reason);
    }
    return parser.release();
}

}  // namespace detail

/// Read and check a manifest as the host does; throws ManifestError naming the file and field.
inline Manifest read_manifest(const std::filesystem::path& file) {
    namespace json = boost::json;
    using schema::excerpt;
    static constexpr std::array<std::string_view, 9> kFields = {
        "id", "kind", "version", "abi", "library", "description", "provides", "permissions", "config_schema"};
    static constexpr std::array<std::string_view, 5> kPermissions = {"fs.read", "fs.write", "exec", "net", "model"};

    const json::value document = detail::read_json_file(file);
    if (!document.is_object())
        throw ManifestError(file.string() + ": expected a JSON object at the top level, got " + excerpt(document));
    const json::object& root = document.get_object();
    const std::string name = file.string();
    auto fail = [&](std::string_view field, const std::string& message) {
        throw ManifestError(name + ": field '" + std::string(field) + "': " + message);
    };
    auto required = [&](std::string_view field, const std::string& expected) -> const json::value& {
        const json::value* v = root.if_contains(field);
        if (!v) fail(field, "required field missing (expected " + expected + ")");
        return *v;
    };
    auto string_field = [&](std::string_view field, const json::value& v, const std::string& expected) {
        if (!v.is_string()) fail(field, "expected " + expected + ", got " + excerpt(v));
        return std::string(v.get_string());
    };
    auto string_list = [&](std::string_view field, const json::value& v) {
        if (!v.is_array()) fail(field, "expected an array of strings, got " + excerpt(v));
        std::vector<std::string> out;
        const auto& array = v.get_array();
        for (std::size_t i = 0; i < array.size(); ++i) {
            if (!array[i].is_string() || array[i].get_string().empty())
                fail(std::string(field) + "[" + std::to_string(i) + "]",
                     "expected a non-empty string, got " + excerpt(array[i]));
            out.emplace_back(array[i].get_string());
        }
        return out;
    };
    for (const auto& kv : root) {
        if (std::find(kFields.begin(), kFields.end(), kv.key()) != kFields.end()) continue;
        std::string known;
        for (const auto f : kFields) known += (known.empty() ? "" : ", ") + std::string(f);
        fail(kv.key(), "unknown field (expected one of: " + known + ")");
    }

    Manifest m;
    m.file = file;
    const std::string stem = file.stem().string();
    const std::string id_expected =
        "a string of [a-z0-9_], at most 64 characters, equal to the file name \"" + stem + "\"";
    m.id = string_field("id", required("id", id_expected), id_expected);
    const bool id_ok = !m.id.empty() && m.id.size() <= 64 && std::all_of(m.id.begin(), m.id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!id_ok) fail("id", "expected " + id_expected + ", got " + excerpt(root.at("id")));
    if (m.id != stem) fail("id", "expected \"" + stem + "\" (the file name without .json), got \"" + m.id + "\"");

    const std::string kind_expected = "\"capability\" or \"driver\"";
    const json::value& kind = required("kind", kind_expected);
    if (!kind.is_string() || (kind.get_string() != "capability" && kind.get_string() != "driver"))
        fail("kind", "expected " + kind_expected + ", got " + excerpt(kind));
    m.kind = std::string(kind.get_string());

    const std::string version_expected = "a non-empty version string such as \"1.0.0\"";
    m.version = string_field("version", required("version", version_expected), version_expected);
    if (m.version.empty()) fail("version", "expected " + version_expected + ", got \"\"");

    const std::string abi_expected = "\"MAJOR.MINOR\" such as \"1.0\"";
    m.abi = string_field("abi", required("abi", abi_expected), abi_expected);
    unsigned major = 0, minor = 0;
    if (!parse_abi_version(m.abi, major, minor)) fail("abi", "expected " + abi_expected + ", got \"" + m.abi + "\"");

    const std::string library_expected = "a plain file name such as \"" + stem + ".so\" (no '/' or '..')";
    m.library = string_field("library", required("library", library_expected), library_expected);
    const std::string_view lib = m.library;
    if (lib.empty() || lib == "." || lib.find('/') != std::string_view::npos || lib.find('\\') != std::string_view::npos ||
        lib.find("..") != std::string_view::npos || lib.find('\0') != std::string_view::npos)
        fail("library", "expected " + library_expected + ", got " + excerpt(root.at("library")));
    m.library_path = file.parent_path() / m.library;

    if (const json::value* v = root.if_contains("description")) m.description = string_field("description", *v, "a string");
    if (const json::value* v = root.if_contains("provides")) m.provides = string_list("provides", *v);
    if (const json::value* v = root.if_contains("permissions")) {
        m.permissions = string_list("permissions", *v);
        for (std::size_t i = 0; i < m.permissions.size(); ++i) {
            if (std::find(kPermissions.begin(), kPermissions.end(), m.permissions[i]) == kPermissions.end())
                fail("permissions[" + std::to_string(i) + "]",
                     "expected one of fs.read, fs.write, exec, net, model, got \"" + m.permissions[i] + "\"");
        }
    }
    if (const json::value* v = root.if_contains("config_schema")) {
        if (!v->is_object()) fail("config_schema", "expected a JSON schema object, got " + excerpt(*v));
        if (auto problem = schema::problem(*v, "")) fail("config_schema", *problem);
        m.config_schema = *v;
    }
    return m;
}

}  // namespace v1
}  // namespace ahp
