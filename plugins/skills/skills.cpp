// skills: agentskills.io skills from the workspace (.agents/skills/<name>/SKILL.md, read with
// fs.glob + fs.read) and the user's (the host service skills.user). Only names and
// descriptions go into the system prompt; list_skills lists them all (and the invalid ones,
// with reasons); activate_skill returns a skill's instructions and its other files. Skills are
// found again every turn, so one added mid-session shows up; a SKILL.md is parsed again only
// when its content changed. A workspace skill overrides a user skill of the same name.
#include "skill_file.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace skills {

namespace {

constexpr std::string_view kWorkspaceDir = ".agents/skills";
constexpr std::int64_t kMaxSkillFileBytes = 256 * 1024;  // SKILL.md read at most this far
constexpr std::int64_t kFrontMatterLines = 24;           // lines read first: the front matter, usually
constexpr std::size_t kPromptDescriptionBytes = 96;      // a description in the prompt is cut here
constexpr std::int64_t kDefaultPromptSkills = 15;
constexpr std::size_t kMaxCacheEntries = 4096;
constexpr std::int64_t kMaxListedFiles = 200;

/// One SKILL.md found: where, from which source, and what it parsed to.
struct Found {
    std::string path;    // workspace path (workspace) or absolute host path (user) of SKILL.md
    std::string dir;     // the skill's folder, same form
    std::string source;  // "workspace" | "user"
    std::shared_ptr<const ParsedSkill> parsed;
    json::array files;  // user skills: the folder's other files, relative (from skills.user)
};

/// Everything discovered at one moment.
struct Catalog {
    std::vector<Found> skills;                      // valid, a workspace skill before a user skill of its name; sorted
    std::vector<Found> invalid;                     // with parsed->error
    std::map<std::string, std::string> overridden;  // name → the user SKILL.md it hides
};

/// A workspace path without "/workspace/" or "/" in front.
std::string workspace_relative(std::string_view p) {
    if (p.substr(0, 11) == "/workspace/") p.remove_prefix(11);
    while (!p.empty() && p.front() == '/') p.remove_prefix(1);
    return std::string(p);
}

/// The last component of a path.
std::string base_name(std::string_view p) {
    while (!p.empty() && p.back() == '/') p.remove_suffix(1);
    std::size_t slash = p.rfind('/');
    return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

/// A description on one line, cut to about `limit` bytes at a word (or UTF-8) boundary.
std::string prompt_description(std::string_view text, std::size_t limit) {
    std::string flat;
    bool space = false;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !flat.empty();
            continue;
        }
        if (space) flat += ' ';
        space = false;
        flat += c;
    }
    if (flat.size() <= limit) return flat;
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(flat[cut]) & 0xC0) == 0x80) --cut;
    std::size_t word = flat.rfind(' ', cut);
    if (word != std::string::npos && word > limit * 3 / 4) cut = word;
    flat.resize(cut);
    while (!flat.empty() && (flat.back() == ' ' || flat.back() == ',' || flat.back() == '.')) flat.pop_back();
    return flat + "…";
}

/// Every "$ARGUMENTS" in body replaced by arguments; appended if the body has none.
std::string substitute_arguments(std::string body, const std::string& arguments) {
    static constexpr std::string_view kPlaceholder = "$ARGUMENTS";
    bool found = false;
    for (std::size_t pos = body.find(kPlaceholder); pos != std::string::npos;
         pos = body.find(kPlaceholder, pos + arguments.size())) {
        body.replace(pos, kPlaceholder.size(), arguments);
        found = true;
    }
    if (!found && !arguments.empty()) {
        if (!body.empty() && body.back() != '\n') body += '\n';
        body += "\nARGUMENTS: " + arguments + "\n";
    }
    return body;
}

class Skills : public ahp::Capability {
public:
    explicit Skills(json::object cfg) : Capability(std::move(cfg)) {
        if (const json::value* v = config().if_contains("max_prompt_skills"))
            max_prompt_skills_ = v->to_number<std::int64_t>();
        if (const json::value* v = config().if_contains("include_user")) include_user_ = v->as_bool();
        on_hook("system_prompt", [this](const json::object&, ahp::Call& call) -> json::value { return prompt(call); });
        add_tool({"list_skills",
                  "List the available skills (name, description, source, path) and any skill that failed to load, "
                  "with the reason.",
                  json::object{{"type", "object"}, {"properties", json::object{}}}, false},
                 [this](const json::object&, ahp::Call& call) -> json::value { return list(call); });
        add_tool({"activate_skill",
                  "Load a skill's instructions by name (see the skills in the system prompt) and follow them. "
                  "Returns the instructions and the skill's other files.",
                  json::object{
                      {"type", "object"},
                      {"properties", json::object{{"name", json::object{{"type", "string"}}},
                                                  {"arguments", json::object{{"type", "string"},
                                                                             {"description", "replaces $ARGUMENTS"}}}}},
                      {"required", json::array{"name"}}},
                  false},
                 [this](const json::object& args, ahp::Call& call) -> json::value { return activate(args, call); });
    }

private:
    // ---- discovery -------------------------------------------------------------------------

    Catalog discover(ahp::Call& call) {
        std::vector<Found> found = workspace_skills(call);
        if (include_user_) {
            std::vector<Found> user = user_skills(call);
            found.insert(found.end(), std::make_move_iterator(user.begin()), std::make_move_iterator(user.end()));
        }
        Catalog c;
        std::set<std::string> names;
        for (Found& f : found) {  // workspace skills come first, so they win
            if (!f.parsed->skill) {
                c.invalid.push_back(std::move(f));
                continue;
            }
            const std::string& name = f.parsed->skill->name;
            if (!names.insert(name).second) {
                c.overridden[name] = f.path;
                continue;
            }
            c.skills.push_back(std::move(f));
        }
        return c;
    }

    std::vector<Found> workspace_skills(ahp::Call& call) {
        std::vector<Found> out;
        json::value listing;
        try {
            listing = call.request("fs.glob",
                                   json::object{{"pattern", "*/SKILL.md"}, {"path", kWorkspaceDir}, {"limit", 1000}});
        } catch (const ahp::Cancelled&) {
            throw;
        } catch (const ahp::Error& e) {
            if (e.status() != AHP_NOT_FOUND)
                call.log(AHP_LOG_WARN, std::string("cannot list workspace skills: ") + e.what());
            return out;
        }
        std::vector<std::string> paths;
        for (const json::value& p : listing.at("paths").as_array()) paths.push_back(workspace_relative(p.as_string()));
        std::sort(paths.begin(), paths.end());
        for (const std::string& path : paths) {
            std::string dir = path.substr(0, path.size() - std::string_view("/SKILL.md").size());
            Found f{path, dir, "workspace", nullptr, {}};
            try {
                f.parsed = read_workspace_skill(path, base_name(dir), call);
            } catch (const ahp::Cancelled&) {
                throw;
            } catch (const ahp::Error& e) {
                f.parsed =
                    std::make_shared<const ParsedSkill>(invalid(std::string("cannot read SKILL.md: ") + e.what()));
            }
            out.push_back(std::move(f));
        }
        return out;
    }

    /// A workspace SKILL.md's front matter: only its first lines cross the boundary (the
    /// host still hashes the whole file), and it is parsed again only when its hash changed.
    /// The body is read in full when the skill is activated.
    std::shared_ptr<const ParsedSkill> read_workspace_skill(const std::string& path, const std::string& folder,
                                                            ahp::Call& call) {
        json::value r = call.request("fs.read", json::object{{"path", path}, {"limit", kFrontMatterLines}});
        const json::object& o = r.as_object();
        std::string fingerprint = o.contains("sha256") ? std::string(o.at("sha256").as_string()) : std::string();
        if (fingerprint.empty()) fingerprint = std::string(o.at("content").as_string());
        return parsed("workspace:" + path, fingerprint, path, call, [&] {
            if (flag(o, "binary")) return invalid("SKILL.md is not UTF-8 text");
            std::size_t size =
                o.contains("size") ? o.at("size").to_number<std::size_t>() : o.at("content").as_string().size();
            ParsedSkill p = parse_skill_file(o.at("content").as_string(), folder, size);
            if (p.skill) p.skill->body.clear();  // only the head was read: activate reads the body
            bool partial =
                o.contains("lines_shown") && o.contains("total_lines") &&
                o.at("lines_shown").to_number<std::uint64_t>() < o.at("total_lines").to_number<std::uint64_t>();
            if (p.skill || !partial) return p;
            // a long front matter: read the whole file (bounded) and parse again
            json::value all = call.request("fs.read", json::object{{"path", path}, {"max_bytes", kMaxSkillFileBytes}});
            p = parse_skill_file(all.at("content").as_string(), folder, size);
            if (p.skill) p.skill->body.clear();
            return p;
        });
    }

    /// A workspace skill's current body, read in full.
    static std::string workspace_body(const Found& f, ahp::Call& call) {
        json::value r = call.request("fs.read", json::object{{"path", f.path}, {"max_bytes", kMaxSkillFileBytes}});
        ParsedSkill p = parse_skill_file(r.at("content").as_string(), base_name(f.dir));
        if (!p.skill) {
            throw ahp::Error("invalid_skill", "the skill at " + f.path + " changed and is now invalid: " + p.error,
                             AHP_ERROR);
        }
        return std::move(p.skill->body);
    }

    static bool flag(const json::object& o, std::string_view key) {
        const json::value* v = o.if_contains(key);
        return v && v->is_bool() && v->get_bool();
    }

    std::vector<Found> user_skills(ahp::Call& call) {
        std::vector<Found> out;
        json::value answer;
        try {
            answer = call.request("skills.user", json::object{});
        } catch (const ahp::Cancelled&) {
            throw;
        } catch (const ahp::Error& e) {
            if (!user_error_logged_.exchange(true))
                call.log(AHP_LOG_WARN, std::string("cannot list the user's skills: ") + e.what());
            return out;
        }
        for (const json::value& v : answer.at("skills").as_array()) {
            const json::object& s = v.as_object();
            std::string dir(s.at("dir").as_string());
            std::string path = dir + "/SKILL.md";
            const json::string& text = s.at("skill_md").as_string();
            Found f{path,
                    dir,
                    "user",
                    parsed("user:" + path, text, path, call, [&] { return parse_skill_file(text, base_name(dir)); }),
                    {}};
            if (const json::value* files = s.if_contains("files"); files && files->is_array())
                f.files = files->get_array();
            out.push_back(std::move(f));
        }
        return out;
    }

    static ParsedSkill invalid(std::string reason) {
        ParsedSkill p;
        p.error = std::move(reason);
        return p;
    }

    /// The parse of a SKILL.md, from the cache when its fingerprint (sha256 or text) is
    /// unchanged; otherwise parse() is run, and an invalid skill is logged (once per change).
    template <class Parse>
    std::shared_ptr<const ParsedSkill> parsed(const std::string& key, std::string_view fingerprint,
                                              const std::string& path, ahp::Call& call, Parse&& parse) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = cache_.find(key);
            if (it != cache_.end() && it->second.first == fingerprint) return it->second.second;
        }
        auto p = std::make_shared<const ParsedSkill>(parse());
        if (!p->skill) call.log(AHP_LOG_WARN, "skipped the invalid skill " + path + ": " + p->error);
        std::lock_guard<std::mutex> lock(mu_);
        if (cache_.size() >= kMaxCacheEntries) cache_.clear();
        cache_[key] = {std::string(fingerprint), p};
        return p;
    }

    // ---- the hook and the tools --------------------------------------------------------------

    json::value prompt(ahp::Call& call) {
        Catalog c = discover(call);
        std::string lines;
        std::int64_t shown = 0, hidden = 0;
        for (const Found& f : c.skills) {
            const Skill& s = *f.parsed->skill;
            if (s.disable_model_invocation) continue;
            if (shown >= max_prompt_skills_) {
                ++hidden;
                continue;
            }
            lines += "- " + s.name + ": " + prompt_description(s.description, kPromptDescriptionBytes) + "\n";
            ++shown;
        }
        if (shown == 0) return json::object{};
        std::string text =
            "# Skills\nSkills are instructions for particular tasks. When a task matches a skill below, call "
            "activate_skill with its name before you start, then follow what it returns.\n" +
            lines;
        if (hidden > 0) text += "(" + std::to_string(hidden) + " more: list_skills shows every skill)\n";
        return json::object{{"text", std::move(text)}};
    }

    json::value list(ahp::Call& call) {
        Catalog c = discover(call);
        json::array skills;
        for (const Found& f : c.skills) {
            const Skill& s = *f.parsed->skill;
            json::object o{{"name", s.name}, {"description", s.description}, {"source", f.source}, {"path", f.path}};
            if (!s.argument_hint.empty()) o["argument_hint"] = s.argument_hint;
            if (s.disable_model_invocation) o["disable_model_invocation"] = true;
            if (auto it = c.overridden.find(s.name); it != c.overridden.end()) o["overrides"] = it->second;
            skills.push_back(std::move(o));
        }
        json::array invalid;
        for (const Found& f : c.invalid) {
            invalid.push_back(json::object{{"path", f.path}, {"source", f.source}, {"error", f.parsed->error}});
        }
        json::object out{{"skills", std::move(skills)}};
        if (!invalid.empty()) out["invalid"] = std::move(invalid);
        return out;
    }

    json::value activate(const json::object& args, ahp::Call& call) {
        std::string name(string_field(args, "name"));
        if (name.find_first_of("/\\") != std::string::npos || name == "." || name == "..") {
            throw ahp::Error("invalid_arguments",
                             "'" + name + "' is not a skill name: names are plain, like 'pdf-tools', never paths",
                             AHP_INVALID_ARGUMENT);
        }
        std::string arguments;
        if (const json::value* a = args.if_contains("arguments"); a && !a->is_null()) {
            arguments = a->is_string() ? std::string(a->get_string()) : json::serialize(*a);
        }
        Catalog c = discover(call);
        auto it = std::find_if(c.skills.begin(), c.skills.end(),
                               [&](const Found& f) { return f.parsed->skill->name == name; });
        if (it == c.skills.end()) throw not_found(c, name);
        const Found& f = *it;
        const Skill& s = *f.parsed->skill;
        std::string body = f.source == "workspace" ? workspace_body(f, call) : s.body;
        std::string text = "<skill name=\"" + s.name + "\" source=\"" + f.source + "\" path=\"" + f.path + "\">\n" +
                           substitute_arguments(std::move(body), arguments);
        if (!text.empty() && text.back() != '\n') text += '\n';
        text += "</skill>\n";
        text += f.source == "workspace" ? workspace_files(f, call) : user_files(f);
        return json::string(text);
    }

    ahp::Error not_found(const Catalog& c, const std::string& name) const {
        for (const Found& f : c.invalid) {
            if (base_name(f.dir) == name) {
                return ahp::Error("invalid_skill",
                                  "the skill '" + name + "' (" + f.path + ") is invalid: " + f.parsed->error,
                                  AHP_NOT_FOUND);
            }
        }
        std::string known;
        for (const Found& f : c.skills) known += (known.empty() ? "" : ", ") + f.parsed->skill->name;
        return ahp::Error(
            "not_found",
            "no skill named '" + name + "'" + (known.empty() ? "; there are no skills" : "; known skills: " + known),
            AHP_NOT_FOUND);
    }

    static std::string workspace_files(const Found& f, ahp::Call& call) {
        json::value g;
        try {
            g = call.request("fs.glob", json::object{{"pattern", "*"}, {"path", f.dir}, {"limit", kMaxListedFiles}});
        } catch (const ahp::Cancelled&) {
            throw;
        } catch (const ahp::Error&) {
            return {};
        }
        std::vector<std::string> files;
        for (const json::value& p : g.at("paths").as_array()) {
            std::string path = workspace_relative(p.as_string());
            if (path != f.path) files.push_back(std::move(path));
        }
        if (files.empty()) return {};
        std::sort(files.begin(), files.end());
        std::string out =
            "\nOther files of this skill (open them with read_file when the instructions call for them):\n";
        for (const std::string& p : files) out += "- " + p + "\n";
        if (const json::value* t = g.as_object().if_contains("truncated"); t && t->is_bool() && t->get_bool()) {
            out += "- … (more files; list them with glob)\n";
        }
        return out;
    }

    static std::string user_files(const Found& f) {
        if (f.files.empty()) return {};
        std::string out =
            "\nOther files of this skill, in the user's skill folder " + f.dir + " (outside the workspace):\n";
        for (const json::value& p : f.files) {
            if (p.is_string()) out += "- " + std::string(p.get_string()) + "\n";
        }
        return out;
    }

    std::int64_t max_prompt_skills_ = kDefaultPromptSkills;
    bool include_user_ = true;
    std::atomic<bool> user_error_logged_{false};
    std::mutex mu_;
    std::map<std::string, std::pair<std::string, std::shared_ptr<const ParsedSkill>>>
        cache_;  // key → (fingerprint, parse)
};

}  // namespace

}  // namespace skills

AHP_PLUGIN(skills::Skills, "skills", "1.0.0")
