#include "plugins/manifest.hpp"

#include "agenthost/errors.hpp"
#include "base/json_schema.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <system_error>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxManifestBytes = 1024 * 1024;
constexpr unsigned kMaxJsonDepth = 64;
constexpr std::size_t kMaxIdLength = 64;
constexpr std::array<std::string_view, 9> kManifestFields = {
    "id", "kind", "version", "abi", "library", "description", "provides", "permissions", "config_schema"};
constexpr std::array<std::string_view, 5> kPermissions = {"fs.read", "fs.write", "exec", "net", "model"};


/// Line and column (1-based) of a byte offset.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    const std::string_view before = text.substr(0, offset);
    const std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t last_newline = before.rfind('\n');
    const std::size_t column = last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
    return {line, column};
}

/// Validates one manifest's fields; every error names the file and the field.
class ManifestReader {
public:
    ManifestReader(const fs::path& file, const json::object& root) : file_(file.string()), root_(root) {}

    [[noreturn]] void fail(std::string_view field, const std::string& message) const {
        throw ConfigError(file_ + ": field '" + std::string(field) + "': " + message);
    }

    const json::value* optional(std::string_view field) const { return root_.if_contains(field); }

    const json::value& required(std::string_view field, const std::string& expected) const {
        const json::value* v = root_.if_contains(field);
        if (!v) fail(field, "required field missing (expected " + expected + ")");
        return *v;
    }

    std::string string_field(std::string_view field, const json::value& v, const std::string& expected) const {
        if (!v.is_string()) fail(field, "expected " + expected + ", got " + json_excerpt(v));
        return std::string(v.get_string());
    }

    std::vector<std::string> string_list(std::string_view field, const json::value& v) const {
        if (!v.is_array()) fail(field, "expected an array of strings, got " + json_excerpt(v));
        std::vector<std::string> out;
        const auto& array = v.get_array();
        for (std::size_t i = 0; i < array.size(); ++i) {
            if (!array[i].is_string() || array[i].get_string().empty())
                fail(std::string(field) + "[" + std::to_string(i) + "]",
                     "expected a non-empty string, got " + json_excerpt(array[i]));
            out.emplace_back(array[i].get_string());
        }
        return out;
    }

    void reject_unknown_fields() const {
        for (const auto& [key, value] : root_) {
            if (std::find(kManifestFields.begin(), kManifestFields.end(), key) != kManifestFields.end()) continue;
            std::string known;
            for (const auto name : kManifestFields) known += (known.empty() ? "" : ", ") + std::string(name);
            fail(key, "unknown field (expected one of: " + known + ")");
        }
    }

private:
    std::string file_;
    const json::object& root_;
};

bool is_plugin_id(std::string_view id) {
    return !id.empty() && id.size() <= kMaxIdLength && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
           });
}

bool is_plain_file_name(std::string_view name) {
    return !name.empty() && name != "." && name.find('/') == std::string_view::npos &&
           name.find('\\') == std::string_view::npos && name.find("..") == std::string_view::npos &&
           name.find('\0') == std::string_view::npos;
}

}  // namespace

boost::json::value read_json_file(const std::filesystem::path& file) {
    const std::string name = file.string();
    std::error_code ec;
    const auto status = fs::status(file, ec);
    if (ec || !fs::exists(status)) throw ConfigError(name + ": cannot read: no such file");
    if (!fs::is_regular_file(status)) throw ConfigError(name + ": cannot read: not a regular file");

    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(name + ": cannot read: permission denied or I/O error");
    const std::uintmax_t size = fs::file_size(file, ec);
    if (!ec && size > kMaxManifestBytes) throw ConfigError(name + ": file is larger than 1 MiB");
    std::string text;
    text.resize(ec ? kMaxManifestBytes + 1 : static_cast<std::size_t>(size) + 1);  // +1 sees growth
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) throw ConfigError(name + ": cannot read: I/O error");
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxManifestBytes) throw ConfigError(name + ": file is larger than 1 MiB");

    json::parse_options options;
    options.max_depth = kMaxJsonDepth;
    json::stream_parser parser({}, options);
    boost::system::error_code error;
    std::size_t consumed = parser.write_some(text.data(), text.size(), error);
    std::string reason;
    if (error) {
        reason = error == json::error::too_deep ? "nested deeper than 64 levels" : error.message();
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
        const auto [line, column] = line_and_column(text, consumed);
        throw ConfigError(name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                          ": malformed JSON: " + reason);
    }
    return parser.release();
}

PluginManifest read_plugin_manifest(const std::filesystem::path& file) {
    const json::value document = read_json_file(file);
    if (!document.is_object())
        throw ConfigError(file.string() + ": expected a JSON object at the top level, got " + json_excerpt(document));
    const json::object& root = document.get_object();
    const ManifestReader r(file, root);
    r.reject_unknown_fields();

    PluginManifest m;
    m.file = file;

    const std::string stem = file.stem().string();
    const std::string id_expected = "a string of [a-z0-9_], at most 64 characters, equal to the file name \"" +
                                    stem + "\"";
    m.id = r.string_field("id", r.required("id", id_expected), id_expected);
    if (!is_plugin_id(m.id)) r.fail("id", "expected " + id_expected + ", got " + json_excerpt(root.at("id")));
    if (m.id != stem) r.fail("id", "expected \"" + stem + "\" (the file name without .json), got \"" + m.id + "\"");

    const std::string kind_expected = "\"capability\" or \"driver\"";
    const json::value& kind = r.required("kind", kind_expected);
    if (!kind.is_string() || (kind.get_string() != "capability" && kind.get_string() != "driver"))
        r.fail("kind", "expected " + kind_expected + ", got " + json_excerpt(kind));
    m.kind = std::string(kind.get_string());

    const std::string version_expected = "a non-empty version string such as \"1.0.0\"";
    m.version = r.string_field("version", r.required("version", version_expected), version_expected);
    if (m.version.empty()) r.fail("version", "expected " + version_expected + ", got \"\"");

    const std::string abi_expected = "\"MAJOR.MINOR\" such as \"1.0\"";
    m.abi = r.string_field("abi", r.required("abi", abi_expected), abi_expected);
    unsigned major = 0;
    unsigned minor = 0;
    if (!parse_abi_version(m.abi, major, minor)) r.fail("abi", "expected " + abi_expected + ", got \"" + m.abi + "\"");

    const std::string library_expected = "a plain file name such as \"" + stem + ".so\" (no '/' or '..')";
    m.library = r.string_field("library", r.required("library", library_expected), library_expected);
    if (!is_plain_file_name(m.library))
        r.fail("library", "expected " + library_expected + ", got " + json_excerpt(root.at("library")));
    m.library_path = file.parent_path() / m.library;

    if (const auto* v = r.optional("description")) m.description = r.string_field("description", *v, "a string");
    if (const auto* v = r.optional("provides")) m.provides = r.string_list("provides", *v);
    if (const auto* v = r.optional("permissions")) {
        m.permissions = r.string_list("permissions", *v);
        for (std::size_t i = 0; i < m.permissions.size(); ++i) {
            if (std::find(kPermissions.begin(), kPermissions.end(), m.permissions[i]) == kPermissions.end())
                r.fail("permissions[" + std::to_string(i) + "]",
                       "expected one of fs.read, fs.write, exec, net, model, got \"" + m.permissions[i] + "\"");
        }
    }
    if (const auto* v = r.optional("config_schema")) {
        if (!v->is_object()) r.fail("config_schema", "expected a JSON schema object, got " + json_excerpt(*v));
        if (auto problem = schema_problem(*v, "")) r.fail("config_schema", *problem);
        m.config_schema = *v;
    }
    return m;
}

bool parse_abi_version(const std::string& text, unsigned& major, unsigned& minor) {
    const std::size_t dot = text.find('.');
    if (dot == std::string::npos) return false;
    const std::string_view a = std::string_view(text).substr(0, dot);
    const std::string_view b = std::string_view(text).substr(dot + 1);
    const auto digits = [](std::string_view s) {
        return !s.empty() && s.size() <= 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(a) || !digits(b)) return false;
    major = static_cast<unsigned>(std::stoul(std::string(a)));
    minor = static_cast<unsigned>(std::stoul(std::string(b)));
    return true;
}

}  // namespace agenthost
