#include "skill_file.hpp"

#include <yaml-cpp/yaml.h>

namespace skills {

namespace {

/// A line without its trailing spaces and '\r'.
std::string_view trim_right(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
    return line;
}

/// The number of UTF-8 code points in s (invalid bytes count as one each).
std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

/// Where the front matter and the body are in a SKILL.md.
struct Split {
    std::string_view front;
    std::string_view body;
    std::string error;
};

Split split_front_matter(std::string_view text) {
    Split out;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte-order mark
    std::size_t nl = text.find('\n');
    std::string_view first = trim_right(text.substr(0, nl));
    if (first != "---") {
        out.error =
            "no front matter: SKILL.md must start with a '---' line, then YAML with name and description, "
            "then a '---' line";
        return out;
    }
    std::size_t pos = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::size_t front_start = pos;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
        std::string_view line = trim_right(text.substr(pos, next - pos));
        if (line == "---" || line == "...") {
            out.front = text.substr(front_start, pos - front_start);
            out.body = text.substr(next);
            while (!out.body.empty() && (out.body.front() == '\n' || out.body.front() == '\r'))
                out.body.remove_prefix(1);
            return out;
        }
        pos = next;
    }
    out.error = "the front matter is not closed: no '---' line after the YAML";
    return out;
}

/// A YAML node as JSON: scalars as strings, sequences as arrays, maps as objects.
json::value to_json(const YAML::Node& node, int depth = 0) {
    if (depth > 16) return json::value("…");
    switch (node.Type()) {
        case YAML::NodeType::Scalar:
            return json::value(node.Scalar());
        case YAML::NodeType::Sequence: {
            json::array a;
            for (const YAML::Node& item : node) a.push_back(to_json(item, depth + 1));
            return a;
        }
        case YAML::NodeType::Map: {
            json::object o;
            for (const auto& kv : node) {
                std::string key = kv.first.IsScalar() ? kv.first.Scalar() : YAML::Dump(kv.first);
                o[key] = to_json(kv.second, depth + 1);
            }
            return o;
        }
        default:
            return json::value();
    }
}

/// Thrown inside parse_front_matter for a field that breaks the format.
struct FieldError {
    std::string message;
};

/// An optional string field: absent or null gives "", a non-scalar is an error.
std::string optional_string(const YAML::Node& root, const char* key) {
    YAML::Node v = root[key];
    if (!v.IsDefined() || v.IsNull()) return {};
    if (!v.IsScalar()) throw FieldError{std::string("'") + key + "' must be a string"};
    return v.Scalar();
}

bool optional_bool(const YAML::Node& root, const char* key, bool fallback) {
    YAML::Node v = root[key];
    if (!v.IsDefined() || v.IsNull()) return fallback;
    bool out = fallback;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, out)) {
        throw FieldError{std::string("'") + key + "' must be true or false"};
    }
    return out;
}

void parse_front_matter(const YAML::Node& root, std::string_view folder, Skill& s) {
    YAML::Node name = root["name"];
    if (!name.IsDefined() || name.IsNull()) throw FieldError{"missing required field 'name'"};
    if (!name.IsScalar()) throw FieldError{"'name' must be a string"};
    s.name = name.Scalar();
    if (std::string why = check_skill_name(s.name); !why.empty()) throw FieldError{why};
    if (s.name != folder) {
        throw FieldError{"'name' is '" + s.name + "' but the folder is '" + std::string(folder) + "': they must match"};
    }

    YAML::Node description = root["description"];
    if (!description.IsDefined() || description.IsNull()) throw FieldError{"missing required field 'description'"};
    if (!description.IsScalar()) throw FieldError{"'description' must be a string"};
    s.description = description.Scalar();
    std::size_t first = s.description.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) throw FieldError{"'description' is empty"};
    s.description.erase(0, first);
    s.description.erase(s.description.find_last_not_of(" \t\r\n") + 1);
    if (std::size_t n = utf8_length(s.description); n > kMaxDescriptionChars) {
        throw FieldError{"'description' has " + std::to_string(n) + " characters; the limit is " +
                         std::to_string(kMaxDescriptionChars)};
    }

    s.license = optional_string(root, "license");
    s.compatibility = optional_string(root, "compatibility");
    s.argument_hint = optional_string(root, "argument-hint");
    s.user_invocable = optional_bool(root, "user-invocable", true);
    s.disable_model_invocation = optional_bool(root, "disable-model-invocation", false);

    YAML::Node tools = root["allowed-tools"];
    if (tools.IsDefined() && !tools.IsNull()) {
        if (tools.IsScalar()) {  // the spec's form: space-delimited
            std::string_view all = tools.Scalar();
            std::size_t pos = 0;
            while (pos < all.size()) {
                std::size_t start = all.find_first_not_of(" \t,", pos);
                if (start == std::string_view::npos) break;
                std::size_t end = all.find_first_of(" \t,", start);
                if (end == std::string_view::npos) end = all.size();
                s.allowed_tools.emplace_back(all.substr(start, end - start));
                pos = end;
            }
        } else if (tools.IsSequence()) {
            for (const YAML::Node& t : tools) {
                if (!t.IsScalar()) throw FieldError{"'allowed-tools' must be a string or a list of strings"};
                s.allowed_tools.push_back(t.Scalar());
            }
        } else {
            throw FieldError{"'allowed-tools' must be a string or a list of strings"};
        }
    }

    YAML::Node metadata = root["metadata"];
    if (metadata.IsDefined() && !metadata.IsNull()) {
        if (!metadata.IsMap()) throw FieldError{"'metadata' must be a mapping"};
        s.metadata = to_json(metadata).as_object();
    }
}

}  // namespace

std::string check_skill_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameChars) {
        return "'name' must be 1-" + std::to_string(kMaxNameChars) + " characters, got " + std::to_string(name.size());
    }
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return "'name' may hold only lowercase letters, digits and '-', got '" + std::string(name) + "'";
        }
    }
    if (name.front() == '-' || name.back() == '-' || name.find("--") != std::string_view::npos) {
        return "'name' must not start or end with '-' or contain '--', got '" + std::string(name) + "'";
    }
    return {};
}

ParsedSkill parse_skill_file(std::string_view text, std::string_view folder, std::size_t file_size) {
    ParsedSkill out;
    Split split = split_front_matter(text);
    if (!split.error.empty()) {
        out.error = std::move(split.error);
        return out;
    }
    if (file_size == std::string_view::npos || file_size < text.size()) file_size = text.size();
    const std::size_t body_bytes = file_size - static_cast<std::size_t>(split.body.data() - text.data());
    if (body_bytes > kMaxBodyBytes) {
        out.error = "the body is " + std::to_string(body_bytes) + " bytes; the limit is " +
                    std::to_string(kMaxBodyBytes) + " (move details into other files of the skill)";
        return out;
    }
    Skill s;
    try {
        YAML::Node root = YAML::Load(std::string(split.front));
        if (!root.IsMap()) {
            out.error = "the front matter is not a YAML mapping of fields (name: …, description: …)";
            return out;
        }
        parse_front_matter(root, folder, s);
    } catch (const YAML::Exception& e) {
        // Line 1 of the file is the opening '---', so front matter line L is file line L + 2.
        out.error = "invalid YAML in the front matter: " + e.msg;
        if (!e.mark.is_null()) {
            out.error +=
                " (line " + std::to_string(e.mark.line + 2) + ", column " + std::to_string(e.mark.column + 1) + ")";
        }
        return out;
    } catch (const FieldError& e) {
        out.error = e.message;
        return out;
    }
    s.body = std::string(split.body);
    out.skill = std::move(s);
    return out;
}

}  // namespace skills
