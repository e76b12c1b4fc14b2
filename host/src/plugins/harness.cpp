#include "plugins/harness.hpp"

#include "agenthost/errors.hpp"
#include "plugins/manifest.hpp"

#include "base/json_schema.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <system_error>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxChainLength = 32;
constexpr std::uintmax_t kMaxPromptFileBytes = 1024 * 1024;
constexpr std::int64_t kMaxIterationsLimit = 10000;
constexpr std::array<std::string_view, 10> kHarnessFields = {
    "name", "extends", "description", "system_prompt", "system_prompt_file", "capabilities",
    "model", "max_iterations", "network_access", "initial_files"};


std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : std::string(separator)) + part;
    return out;
}

bool is_harness_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNameLength && std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-';
           });
}

bool is_plugin_id(std::string_view id) {
    return !id.empty() && id.size() <= kMaxNameLength && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
           });
}

bool is_model_name(std::string_view model) {
    if (model == "llmsim") return true;
    const std::size_t slash = model.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == model.size()) return false;
    return std::none_of(model.begin(), model.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

/// A relative path inside a folder: not empty, not absolute, no ".." component, no NUL.
/// Returns the path in normal form, or nullopt.
std::optional<std::string> relative_inside(std::string_view text) {
    if (text.empty() || text.front() == '/' || text.find('\0') != std::string_view::npos) return std::nullopt;
    const fs::path path(text);
    for (const auto& part : path) {
        if (part == "..") return std::nullopt;
    }
    std::string normal = path.lexically_normal().generic_string();
    if (normal.empty() || normal == "." || normal.back() == '/') return std::nullopt;
    return normal;
}

std::string trim_trailing_space(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
        text.pop_back();
    return text;
}

/// One manifest of a chain, validated but not folded.
struct Level {
    struct Capability {
        CapabilityRef ref;
        bool has_config = false;  ///< written as {id, config}: replaces a parent's config
    };
    std::string name;
    fs::path file;
    std::optional<std::string> extends;
    std::string description;
    std::string system_prompt;
    std::vector<Capability> capabilities;
    std::optional<std::string> model;
    std::optional<int> max_iterations;
    std::optional<NetworkAccessList> network_access;
    std::vector<InitialFile> initial_files;
};

/// Reads one harness manifest; every error names the file and the field.
class LevelReader {
public:
    explicit LevelReader(fs::path file) : file_(std::move(file)) {}

    Level read() const {
        const json::value document = read_json_file(file_);
        if (!document.is_object())
            throw ConfigError(file_.string() + ": expected a JSON object at the top level, got " + json_excerpt(document));
        const json::object& root = document.get_object();
        for (const auto& [key, value] : root) {
            if (std::find(kHarnessFields.begin(), kHarnessFields.end(), key) == kHarnessFields.end())
                fail(key, "unknown field (expected one of: " + known_fields() + ")");
        }

        Level level;
        level.file = file_;
        const std::string stem = file_.stem().string();
        const std::string name_expected = "the harness name \"" + stem + "\" (the file name without .json)";
        const json::value* name = root.if_contains("name");
        if (!name) fail("name", "required field missing (expected " + name_expected + ")");
        if (!name->is_string() || name->get_string() != stem || !is_harness_name(stem))
            fail("name", "expected " + name_expected + " using [A-Za-z0-9_-], got " + json_excerpt(*name));
        level.name = stem;

        if (const auto* v = root.if_contains("extends")) {
            if (!v->is_string() || !is_harness_name(v->get_string()))
                fail("extends", "expected the name of a parent harness ([A-Za-z0-9_-]), got " + json_excerpt(*v));
            level.extends = std::string(v->get_string());
        }
        if (const auto* v = root.if_contains("description")) level.description = string_field("description", *v);
        const auto* prompt = root.if_contains("system_prompt");
        const auto* prompt_file = root.if_contains("system_prompt_file");
        if (prompt && prompt_file)
            fail("system_prompt_file", "expected either system_prompt or system_prompt_file, not both");
        if (prompt) level.system_prompt = trim_trailing_space(string_field("system_prompt", *prompt));
        if (prompt_file) level.system_prompt = trim_trailing_space(read_prompt_file(*prompt_file));
        if (const auto* v = root.if_contains("capabilities")) level.capabilities = capabilities(*v);
        if (const auto* v = root.if_contains("model")) {
            if (!v->is_string() || !is_model_name(v->get_string()))
                fail("model", "expected \"provider/model\" (such as \"openai/gpt-4.1\") or \"llmsim\", got " + json_excerpt(*v));
            level.model = std::string(v->get_string());
        }
        if (const auto* v = root.if_contains("max_iterations")) {
            const bool ok = (v->is_int64() && v->get_int64() >= 1 && v->get_int64() <= kMaxIterationsLimit) ||
                            (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(kMaxIterationsLimit));
            if (!ok) fail("max_iterations", "expected an integer from 1 to 10000, got " + json_excerpt(*v));
            level.max_iterations = static_cast<int>(v->to_number<std::int64_t>());
        }
        if (const auto* v = root.if_contains("network_access"))
            level.network_access = NetworkAccessList::from_json(*v, file_.string() + ": field 'network_access'");
        if (const auto* v = root.if_contains("initial_files")) level.initial_files = initial_files(*v);
        return level;
    }

private:
    [[noreturn]] void fail(std::string_view field, const std::string& message) const {
        throw ConfigError(file_.string() + ": field '" + std::string(field) + "': " + message);
    }

    static std::string known_fields() {
        std::string out;
        for (const auto name : kHarnessFields) out += (out.empty() ? "" : ", ") + std::string(name);
        return out;
    }

    std::string string_field(std::string_view field, const json::value& v) const {
        if (!v.is_string()) fail(field, "expected a string, got " + json_excerpt(v));
        return std::string(v.get_string());
    }

    std::string read_prompt_file(const json::value& v) const {
        const std::string expected = "a path relative to the manifest's folder (no '..', no leading '/')";
        if (!v.is_string()) fail("system_prompt_file", "expected " + expected + ", got " + json_excerpt(v));
        const auto relative = relative_inside(v.get_string());
        if (!relative) fail("system_prompt_file", "expected " + expected + ", got " + json_excerpt(v));
        const fs::path path = file_.parent_path() / *relative;
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
            fail("system_prompt_file", "cannot read \"" + path.string() + "\": no such file");
        std::ifstream in(path, std::ios::binary);
        std::string text(kMaxPromptFileBytes + 1, '\0');
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        if (!in && !in.eof()) fail("system_prompt_file", "cannot read \"" + path.string() + "\"");
        text.resize(static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxPromptFileBytes)
            fail("system_prompt_file", "\"" + path.string() + "\" is larger than 1 MiB");
        return text;
    }

    std::vector<Level::Capability> capabilities(const json::value& v) const {
        const std::string expected = "a plugin id or {\"id\": ..., \"config\": {...}}";
        if (!v.is_array())
            fail("capabilities", "expected an array of plugin ids or {\"id\": ..., \"config\": {...}} objects, got " +
                                     json_excerpt(v));
        std::vector<Level::Capability> out;
        const auto& array = v.get_array();
        for (std::size_t i = 0; i < array.size(); ++i) {
            const std::string field = "capabilities[" + std::to_string(i) + "]";
            Level::Capability cap;
            const json::value* id = &array[i];
            if (array[i].is_object()) {
                const auto& object = array[i].get_object();
                for (const auto& [key, value] : object) {
                    if (key != "id" && key != "config")
                        fail(field + "." + std::string(key), "unknown field (expected id, config)");
                }
                id = object.if_contains("id");
                if (!id) fail(field + ".id", "required field missing (expected a plugin id)");
                if (const auto* config = object.if_contains("config")) {
                    if (!config->is_object()) fail(field + ".config", "expected an object, got " + json_excerpt(*config));
                    cap.ref.config = config->get_object();
                    cap.has_config = true;
                }
            } else if (!array[i].is_string()) {
                fail(field, "expected " + expected + ", got " + json_excerpt(array[i]));
            }
            if (!id->is_string() || !is_plugin_id(id->get_string()))
                fail(array[i].is_object() ? field + ".id" : field,
                     "expected a plugin id ([a-z0-9_], at most 64 characters), got " + json_excerpt(*id));
            cap.ref.id = std::string(id->get_string());
            for (const auto& seen : out) {
                if (seen.ref.id == cap.ref.id) fail(field, "capability '" + cap.ref.id + "' is listed twice");
            }
            out.push_back(std::move(cap));
        }
        return out;
    }

    std::vector<InitialFile> initial_files(const json::value& v) const {
        const std::string expected = "{\"path\": ..., \"content\": ..., \"read_only\": true|false}";
        if (!v.is_array()) fail("initial_files", "expected an array of " + expected + ", got " + json_excerpt(v));
        std::vector<InitialFile> out;
        const auto& array = v.get_array();
        for (std::size_t i = 0; i < array.size(); ++i) {
            const std::string field = "initial_files[" + std::to_string(i) + "]";
            if (!array[i].is_object()) fail(field, "expected " + expected + ", got " + json_excerpt(array[i]));
            const auto& object = array[i].get_object();
            for (const auto& [key, value] : object) {
                if (key != "path" && key != "content" && key != "read_only")
                    fail(field + "." + std::string(key), "unknown field (expected path, content, read_only)");
            }
            InitialFile file;
            const auto* path = object.if_contains("path");
            const std::string path_expected = "a relative path (no '..', no leading '/', no NUL)";
            if (!path) fail(field + ".path", "required field missing (expected " + path_expected + ")");
            if (!path->is_string()) fail(field + ".path", "expected " + path_expected + ", got " + json_excerpt(*path));
            const auto relative = relative_inside(path->get_string());
            if (!relative) fail(field + ".path", "expected " + path_expected + ", got " + json_excerpt(*path));
            file.path = *relative;
            const auto* content = object.if_contains("content");
            if (!content) fail(field + ".content", "required field missing (expected a string)");
            file.content = string_field(field + ".content", *content);
            if (const auto* read_only = object.if_contains("read_only")) {
                if (!read_only->is_bool()) fail(field + ".read_only", "expected true or false, got " + json_excerpt(*read_only));
                file.read_only = read_only->get_bool();
            }
            for (const auto& seen : out) {
                if (seen.path == file.path) fail(field + ".path", "\"" + file.path + "\" is listed twice");
            }
            out.push_back(std::move(file));
        }
        return out;
    }

    fs::path file_;
};

/// Fold a chain, root first, into one harness (the folding rules are in harness.hpp).
Harness fold(const std::vector<Level>& root_first) {
    Harness h;
    const Level& leaf = root_first.back();
    h.name = leaf.name;
    h.file = leaf.file;
    h.description = leaf.description;
    std::vector<std::string> prompts;
    for (const Level& level : root_first) {
        h.chain.push_back(level.name);
        if (!level.system_prompt.empty()) prompts.push_back(level.system_prompt);
        for (const auto& cap : level.capabilities) {
            auto it = std::find_if(h.capabilities.begin(), h.capabilities.end(),
                                   [&](const CapabilityRef& r) { return r.id == cap.ref.id; });
            if (it == h.capabilities.end()) {
                h.capabilities.push_back(cap.ref);
            } else if (cap.has_config) {
                it->config = cap.ref.config;  // a bare id keeps the parent's config
            }
        }
        if (level.model) h.model = level.model;
        if (level.max_iterations) h.max_iterations = level.max_iterations;
        if (level.network_access) h.network_access = h.network_access.narrowed_by(*level.network_access);
        // Union by path. A child may replace a parent's content, but a file a parent marked
        // read-only stays read-only whatever the child says (no error: it only ever narrows).
        for (const auto& file : level.initial_files) {
            auto it = std::find_if(h.initial_files.begin(), h.initial_files.end(),
                                   [&](const InitialFile& f) { return f.path == file.path; });
            if (it == h.initial_files.end()) {
                h.initial_files.push_back(file);
            } else {
                it->content = file.content;
                it->read_only = it->read_only || file.read_only;
            }
        }
    }
    h.system_prompt = join(prompts, "\n\n");
    return h;
}

std::string dir_list(const std::vector<fs::path>& dirs) {
    std::vector<std::string> names;
    for (const auto& dir : dirs) names.push_back(dir.string());
    return names.empty() ? std::string("no harness folders") : "searched: " + join(names, ", ");
}

std::optional<fs::path> find_in(const std::vector<fs::path>& dirs, const std::string& name) {
    for (const auto& dir : dirs) {
        fs::path candidate = dir / (name + ".json");
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) return candidate;
    }
    return std::nullopt;
}

}  // namespace

HarnessCatalog::HarnessCatalog(std::vector<std::filesystem::path> dirs, std::string how_to_add)
    : dirs_(std::move(dirs)), how_to_add_(std::move(how_to_add)) {}

std::vector<std::pair<std::string, std::filesystem::path>> HarnessCatalog::list() const {
    std::map<std::string, fs::path> found;
    for (const auto& dir : dirs_) {
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code type_ec;
            if (it->path().extension() != ".json" || !it->is_regular_file(type_ec)) continue;
            found.emplace(it->path().stem().string(), it->path());  // the first folder wins
        }
    }
    return {found.begin(), found.end()};
}

Harness HarnessCatalog::load(const std::string& name_or_file) const {
    // Parents are found by name in the catalog's folders; a harness given as a file also finds
    // them in its own folder, after the catalog's.
    std::vector<fs::path> search = dirs_;
    fs::path file;
    if (name_or_file.ends_with(".json") || name_or_file.find('/') != std::string::npos) {
        file = name_or_file;
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) throw ConfigError(name_or_file + ": cannot read: no such file");
        search.push_back(file.parent_path().empty() ? fs::path(".") : file.parent_path());
    } else {
        if (!is_harness_name(name_or_file))
            throw ConfigError("harness '" + name_or_file + "': expected a name of [A-Za-z0-9_-] or a .json file");
        auto found = find_in(dirs_, name_or_file);
        if (!found) {
            throw ConfigError("harness '" + name_or_file + "' not found (" + dir_list(dirs_) + ")" +
                              (how_to_add_.empty() ? "" : "; " + how_to_add_));
        }
        file = *found;
    }

    std::vector<Level> leaf_first;
    std::vector<std::string> names;
    leaf_first.push_back(LevelReader(file).read());
    names.push_back(leaf_first.back().name);
    while (const auto& parent = leaf_first.back().extends) {
        const std::string parent_name = *parent;
        if (std::find(names.begin(), names.end(), parent_name) != names.end()) {
            names.push_back(parent_name);
            throw ConfigError("harness cycle: " + join(names, " -> "));
        }
        if (names.size() >= kMaxChainLength)
            throw ConfigError(leaf_first.back().file.string() + ": field 'extends': chain longer than " +
                              std::to_string(kMaxChainLength) + " harnesses");
        auto parent_file = find_in(search, parent_name);
        if (!parent_file)
            throw ConfigError(leaf_first.back().file.string() + ": field 'extends': harness '" + parent_name +
                              "' not found (" + dir_list(search) + ")");
        leaf_first.push_back(LevelReader(*parent_file).read());
        names.push_back(parent_name);
    }
    std::reverse(leaf_first.begin(), leaf_first.end());
    return fold(leaf_first);
}

}  // namespace agenthost
