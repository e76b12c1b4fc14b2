// skill_file: one SKILL.md in the agentskills.io format — YAML front matter between `---`
// lines, then a markdown body — parsed and checked. yaml-cpp stays inside skill_file.cpp.
#pragma once

#include <ahp/ahp.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skills {

namespace json = ahp::json;

/// The largest body a skill may have (agentskills.io: 100 KB).
constexpr std::size_t kMaxBodyBytes = 100 * 1024;
/// The longest description a skill may have.
constexpr std::size_t kMaxDescriptionChars = 1024;
/// The longest name a skill may have.
constexpr std::size_t kMaxNameChars = 64;

/// A valid skill's front matter and body.
struct Skill {
    std::string name;
    std::string description;
    std::string license;
    std::string compatibility;
    std::string argument_hint;
    std::vector<std::string> allowed_tools;
    json::object metadata;
    bool user_invocable = true;
    bool disable_model_invocation = false;
    std::string body;  // the markdown after the front matter
};

/// A parsed SKILL.md: a skill, or the reason it is invalid.
struct ParsedSkill {
    std::optional<Skill> skill;
    std::string error;
};

/// Parse a SKILL.md's text; `folder` is the name of the folder holding it (the skill's name
/// must equal it). `text` may be the file's head only, if `file_size` gives the whole size
/// (the body is then partial; its size is checked from file_size). Never throws for bad
/// input: the reason goes into `error`.
ParsedSkill parse_skill_file(std::string_view text, std::string_view folder,
                             std::size_t file_size = std::string_view::npos);

/// Why `name` is not a valid skill name, or "" if it is.
std::string check_skill_name(std::string_view name);

}  // namespace skills
