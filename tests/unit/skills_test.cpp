// The built skills plugin through ahp::fake::FakeHost: a small in-memory workspace behind
// fs.glob / fs.read (docs/fs-services.md) and a fake skills.user (docs/context-services.md).
#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

namespace {

namespace json = boost::json;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;
using ::testing::HasSubstr;
using ::testing::Not;

std::string plugin_path() {
    return std::string(AGENTHOST_BUILD_DIR) + "/plugins/skills.so";
}

std::string skill_md(const std::string& name, const std::string& description,
                     const std::string& body = "Do the thing.\n", const std::string& extra = "") {
    return "---\nname: " + name + "\ndescription: " + description + "\n" + extra + "---\n\n" + body;
}

/// Whether a relative path matches a glob of '*' segments (no '/' in the pattern: the base name).
bool glob_match(const std::string& pattern, std::string rel) {
    auto match = [](std::string_view p, std::string_view s, auto& self) -> bool {
        if (p.empty()) return s.empty();
        if (p[0] == '*') {
            for (std::size_t i = 0; i <= s.size(); ++i) {
                if (i > 0 && s[i - 1] == '/') break;
                if (self(p.substr(1), s.substr(i), self)) return true;
            }
            return false;
        }
        return !s.empty() && p[0] == s[0] && self(p.substr(1), s.substr(1), self);
    };
    if (pattern.find('/') == std::string::npos) rel = rel.substr(rel.rfind('/') + 1);
    return match(pattern, rel, match);
}

class SkillsPlugin : public ::testing::Test {
protected:
    FakeHost open(const std::string& config = "{}") {
        FakeHost host = FakeHost::open(plugin_path(), config);
        host.on_service("fs.glob", [this](const json::value& p) -> json::value {
            ++globs_;
            const json::object& o = p.as_object();
            std::string base = o.contains("path") ? std::string(o.at("path").as_string()) : "";
            std::string pattern(o.at("pattern").as_string());
            json::array paths;
            bool any = false;
            for (const auto& [path, content] : files_) {
                if (path.rfind(base + "/", 0) != 0) continue;
                any = true;
                if (glob_match(pattern, path.substr(base.size() + 1))) paths.push_back(json::string(path));
            }
            if (!any) throw ahp::Error("not_found", "no folder '" + base + "'", AHP_NOT_FOUND);
            return json::object{{"paths", std::move(paths)}, {"truncated", false}};
        });
        host.on_service("fs.read", [this](const json::value& p) -> json::value {
            ++reads_;
            std::string path(p.at("path").as_string());
            auto it = files_.find(path);
            if (it == files_.end()) throw ahp::Error("not_found", "no file '" + path + "'", AHP_NOT_FOUND);
            const std::string& all = it->second;
            std::size_t total = static_cast<std::size_t>(std::count(all.begin(), all.end(), '\n')) +
                                (!all.empty() && all.back() != '\n' ? 1 : 0);
            std::size_t want = total, end = all.size();
            if (const json::value* l = p.as_object().if_contains("limit")) {
                want = std::min<std::size_t>(total, l->to_number<std::size_t>());
                end = 0;
                for (std::size_t n = 0; n < want && end < all.size(); ++n) {
                    std::size_t nl = all.find('\n', end);
                    end = nl == std::string::npos ? all.size() : nl + 1;
                }
            }
            return json::object{{"content", all.substr(0, end)},
                                {"size", all.size()},
                                {"total_lines", total},
                                {"lines_shown", want},
                                {"sha256", "sha256:" + std::to_string(std::hash<std::string>()(all))},
                                {"binary", false},
                                {"truncated", false}};
        });
        host.on_service("skills.user", [this](const json::value&) -> json::value {
            return json::object{{"skills", user_}};
        });
        return host;
    }
    void add(const std::string& name, const std::string& text) {
        files_[".agents/skills/" + name + "/SKILL.md"] = text;
    }
    void add_user(const std::string& name, const std::string& text, json::array files = {}) {
        user_.push_back(
            json::object{{"dir", "/home/u/.config/agenthost/skills/" + name}, {"skill_md", text}, {"files", files}});
    }
    static std::string prompt(FakeHost& host) {
        Outcome o = host.invoke("hook.system_prompt", json::object{{"session_id", "s"}});
        EXPECT_TRUE(o.ok()) << o.error_message;
        const json::value* t = o.result.as_object().if_contains("text");
        return t ? std::string(t->as_string()) : std::string();
    }
    static json::object list(FakeHost& host) {
        Outcome o = host.call_tool("list_skills");
        EXPECT_TRUE(o.ok()) << o.error_message;
        return o.result.as_object();
    }
    static std::string activate(FakeHost& host, json::object args) {
        Outcome o = host.call_tool("activate_skill", args);
        EXPECT_TRUE(o.ok()) << o.error_message;
        return o.ok() ? std::string(o.result.as_string()) : std::string();
    }
    /// The invalid entry for a path, or an empty object.
    static json::object invalid_entry(const json::object& listing, const std::string& path) {
        if (const json::value* inv = listing.if_contains("invalid")) {
            for (const json::value& v : inv->as_array()) {
                if (v.at("path") == json::value(path)) return v.as_object();
            }
        }
        return {};
    }

    std::map<std::string, std::string> files_;
    json::array user_;
    int globs_ = 0;
    int reads_ = 0;
};

TEST_F(SkillsPlugin, DescribesItsToolsAndHook) {
    FakeHost host = open();
    json::object d = host.describe();
    EXPECT_EQ(d.at("id"), "skills");
    ASSERT_EQ(d.at("tools").as_array().size(), 2u);
    EXPECT_EQ(d.at("tools").as_array()[0].at("name"), "list_skills");
    EXPECT_EQ(d.at("tools").as_array()[1].at("name"), "activate_skill");
    EXPECT_EQ(d.at("hooks"), (json::array{"system_prompt"}));
}

TEST_F(SkillsPlugin, FindsWorkspaceAndUserSkills) {
    add("pdf-tools", skill_md("pdf-tools", "Extract text and tables from PDF files."));
    add_user("git-helper", skill_md("git-helper", "Write good commit messages."));
    FakeHost host = open();
    json::object l = list(host);
    const json::array& skills = l.at("skills").as_array();
    ASSERT_EQ(skills.size(), 2u) << json::serialize(l);
    EXPECT_EQ(skills[0].at("name"), "pdf-tools");
    EXPECT_EQ(skills[0].at("source"), "workspace");
    EXPECT_EQ(skills[0].at("path"), ".agents/skills/pdf-tools/SKILL.md");
    EXPECT_EQ(skills[0].at("description"), "Extract text and tables from PDF files.");
    EXPECT_EQ(skills[1].at("name"), "git-helper");
    EXPECT_EQ(skills[1].at("source"), "user");
    EXPECT_EQ(skills[1].at("path"), "/home/u/.config/agenthost/skills/git-helper/SKILL.md");
    EXPECT_FALSE(l.contains("invalid"));
}

TEST_F(SkillsPlugin, AWorkspaceSkillOverridesAUserSkillOfTheSameName) {
    add("deploy", skill_md("deploy", "Deploy this project.", "Workspace steps.\n"));
    add_user("deploy", skill_md("deploy", "Deploy anything.", "User steps.\n"));
    FakeHost host = open();
    json::object l = list(host);
    ASSERT_EQ(l.at("skills").as_array().size(), 1u);
    EXPECT_EQ(l.at("skills").as_array()[0].at("source"), "workspace");
    EXPECT_EQ(l.at("skills").as_array()[0].at("overrides"), "/home/u/.config/agenthost/skills/deploy/SKILL.md");
    std::string body = activate(host, {{"name", "deploy"}});
    EXPECT_THAT(body, HasSubstr("Workspace steps."));
    EXPECT_THAT(body, Not(HasSubstr("User steps.")));
    EXPECT_THAT(prompt(host), HasSubstr("deploy: Deploy this project."));
}

TEST_F(SkillsPlugin, InvalidSkillsAreReportedByPathWithReasonsAndSkipped) {
    add("good", skill_md("good", "A fine skill."));
    add("bad-yaml", "---\nname: bad-yaml\ndescription: [unclosed\n---\nbody\n");
    add("no-desc", "---\nname: no-desc\n---\nbody\n");
    add("mismatch", skill_md("other-name", "Named unlike its folder."));
    add("too-big", skill_md("too-big", "Huge.", std::string(101 * 1024, 'x')));
    std::string many_lines;
    for (int i = 0; i < 2000; ++i) many_lines += std::string(59, 'y') + "\n";
    add("too-many-lines", skill_md("too-many-lines", "Long.", many_lines));
    add("no-front", "# Just markdown\n");
    add("Bad_Name", skill_md("Bad_Name", "Uppercase and underscore."));
    add("long-desc", skill_md("long-desc", std::string(1025, 'd')));
    add("bad-flag", skill_md("bad-flag", "Flag.", "b\n", "user-invocable: maybe\n"));
    add_user("user-bad", "---\nname: user-bad\n---\n");
    FakeHost host = open();
    json::object l = list(host);
    ASSERT_EQ(l.at("skills").as_array().size(), 1u) << json::serialize(l);
    EXPECT_EQ(l.at("skills").as_array()[0].at("name"), "good");
    ASSERT_EQ(l.at("invalid").as_array().size(), 10u) << json::serialize(l);
    auto reason = [&](const std::string& path) {
        json::object e = invalid_entry(l, path);
        return e.contains("error") ? std::string(e.at("error").as_string()) : "(not reported)";
    };
    EXPECT_THAT(reason(".agents/skills/bad-yaml/SKILL.md"), HasSubstr("invalid YAML"));
    EXPECT_THAT(reason(".agents/skills/bad-yaml/SKILL.md"), HasSubstr("line"));
    EXPECT_THAT(reason(".agents/skills/no-desc/SKILL.md"), HasSubstr("missing required field 'description'"));
    EXPECT_THAT(reason(".agents/skills/mismatch/SKILL.md"), HasSubstr("'other-name' but the folder is 'mismatch'"));
    EXPECT_THAT(reason(".agents/skills/too-big/SKILL.md"), HasSubstr("limit is 102400"));
    EXPECT_THAT(reason(".agents/skills/too-many-lines/SKILL.md"), HasSubstr("the body is 120000 bytes"));
    EXPECT_THAT(reason(".agents/skills/no-front/SKILL.md"), HasSubstr("no front matter"));
    EXPECT_THAT(reason(".agents/skills/Bad_Name/SKILL.md"), HasSubstr("lowercase letters, digits and '-'"));
    EXPECT_THAT(reason(".agents/skills/long-desc/SKILL.md"), HasSubstr("1025 characters"));
    EXPECT_THAT(reason(".agents/skills/bad-flag/SKILL.md"), HasSubstr("'user-invocable' must be true or false"));
    EXPECT_THAT(reason("/home/u/.config/agenthost/skills/user-bad/SKILL.md"), HasSubstr("'description'"));
    EXPECT_EQ(invalid_entry(l, "/home/u/.config/agenthost/skills/user-bad/SKILL.md").at("source"), "user");

    std::string logs;
    for (const std::string& line : host.logs()) logs += line + "\n";
    EXPECT_THAT(logs, HasSubstr(".agents/skills/bad-yaml/SKILL.md"));
    EXPECT_THAT(logs, HasSubstr(".agents/skills/too-big/SKILL.md"));
    EXPECT_THAT(prompt(host), Not(HasSubstr("mismatch")));

    Outcome o = host.call_tool("activate_skill", {{"name", "no-desc"}});
    EXPECT_FALSE(o.ok());
    EXPECT_THAT(o.error_message, HasSubstr("is invalid: missing required field 'description'"));
}

TEST_F(SkillsPlugin, AnInvalidSkillIsLoggedOncePerChange) {
    add("broken", "---\nname: broken\n---\n");
    FakeHost host = open();
    prompt(host);
    prompt(host);
    list(host);
    EXPECT_EQ(host.logs().size(), 1u);
    add("broken", "---\nname: broken\ndescription: [\n---\n");
    prompt(host);
    EXPECT_EQ(host.logs().size(), 2u);
}

TEST_F(SkillsPlugin, OptionalFieldsAreAccepted) {
    add("full", skill_md("full", "Every optional field.", "Body.\n",
                         "license: MIT\ncompatibility: needs python3\nmetadata:\n  version: \"1.2\"\n  author: ada\n"
                         "allowed-tools: Bash(git:*) Read\nuser-invocable: false\nargument-hint: \"[file]\"\n"
                         "context: fork\n"));
    FakeHost host = open();
    json::object l = list(host);
    ASSERT_EQ(l.at("skills").as_array().size(), 1u) << json::serialize(l);
    EXPECT_EQ(l.at("skills").as_array()[0].at("argument_hint"), "[file]");
}

TEST_F(SkillsPlugin, ALongFrontMatterIsReadWhole) {
    std::string meta = "metadata:\n";
    for (int i = 0; i < 80; ++i) meta += "  key" + std::to_string(i) + ": value\n";
    add("long-front", skill_md("long-front", "Much metadata.", "The body.\n", meta));
    FakeHost host = open();
    ASSERT_EQ(list(host).at("skills").as_array().size(), 1u);
    EXPECT_THAT(activate(host, {{"name", "long-front"}}), HasSubstr("The body.\n"));
}

TEST_F(SkillsPlugin, ActivateReadsTheCurrentBody) {
    add("evolving", skill_md("evolving", "Changes.", "Version one.\n"));
    FakeHost host = open();
    EXPECT_THAT(prompt(host), HasSubstr("evolving"));
    add("evolving", skill_md("evolving", "Changes.", "Version two.\n"));
    EXPECT_THAT(activate(host, {{"name", "evolving"}}), HasSubstr("Version two."));
}

TEST_F(SkillsPlugin, ActivateReturnsTheBodyAndTheOtherFiles) {
    add("pdf-tools",
        skill_md("pdf-tools", "PDFs.", "# PDF tools\nRun scripts/extract.py on $ARGUMENTS.\nThen check $ARGUMENTS.\n"));
    files_[".agents/skills/pdf-tools/scripts/extract.py"] = "print('x')\n";
    files_[".agents/skills/pdf-tools/REFERENCE.md"] = "ref\n";
    FakeHost host = open();
    std::string out = activate(host, {{"name", "pdf-tools"}, {"arguments", "report.pdf"}});
    EXPECT_THAT(
        out, HasSubstr("<skill name=\"pdf-tools\" source=\"workspace\" path=\".agents/skills/pdf-tools/SKILL.md\">"));
    EXPECT_THAT(out, HasSubstr("Run scripts/extract.py on report.pdf.\nThen check report.pdf."));
    EXPECT_THAT(out, Not(HasSubstr("$ARGUMENTS")));
    EXPECT_THAT(out, Not(HasSubstr("description:")));  // the front matter is stripped
    EXPECT_THAT(out,
                HasSubstr("- .agents/skills/pdf-tools/REFERENCE.md\n- .agents/skills/pdf-tools/scripts/extract.py\n"));
    EXPECT_THAT(out, HasSubstr("read_file"));
    EXPECT_THAT(out, Not(HasSubstr("- .agents/skills/pdf-tools/SKILL.md")));
}

TEST_F(SkillsPlugin, ArgumentsWithoutAPlaceholderAreAppended) {
    add("plain", skill_md("plain", "No placeholder.", "Just do it.\n"));
    FakeHost host = open();
    EXPECT_THAT(activate(host, {{"name", "plain"}, {"arguments", "fast"}}),
                HasSubstr("Just do it.\n\nARGUMENTS: fast\n"));
    EXPECT_THAT(activate(host, {{"name", "plain"}}), Not(HasSubstr("ARGUMENTS")));
}

TEST_F(SkillsPlugin, ActivatingAUserSkillListsItsFolderFiles) {
    add_user("notes", skill_md("notes", "Take notes."), json::array{"templates/day.md"});
    FakeHost host = open();
    std::string out = activate(host, {{"name", "notes"}});
    EXPECT_THAT(out, HasSubstr("source=\"user\""));
    EXPECT_THAT(out, HasSubstr("/home/u/.config/agenthost/skills/notes"));
    EXPECT_THAT(out, HasSubstr("- templates/day.md"));
}

TEST_F(SkillsPlugin, NamesWithPathSeparatorsAreRefused) {
    add("ok", skill_md("ok", "Fine."));
    FakeHost host = open();
    for (const char* name : {"../ok", "ok/SKILL.md", "a\\b", "/etc/passwd", ".."}) {
        Outcome o = host.call_tool("activate_skill", {{"name", name}});
        EXPECT_FALSE(o.ok()) << name;
        EXPECT_EQ(o.error_code, "invalid_arguments") << name;
    }
    EXPECT_EQ(reads_, 0) << "a refused name reads nothing";
}

TEST_F(SkillsPlugin, AnUnknownNameListsTheKnownOnes) {
    add("alpha", skill_md("alpha", "A."));
    add_user("beta", skill_md("beta", "B."));
    FakeHost host = open();
    Outcome o = host.call_tool("activate_skill", {{"name", "gamma"}});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error_code, "not_found");
    EXPECT_THAT(o.error_message, HasSubstr("no skill named 'gamma'; known skills: alpha, beta"));
}

TEST_F(SkillsPlugin, TheSystemPromptHoldsOnlyNamesAndDescriptions) {
    add("pdf-tools", skill_md("pdf-tools", "Extract text from PDFs.", "SECRET BODY TEXT\n"));
    add("hidden", skill_md("hidden", "Only when asked.", "b\n", "disable-model-invocation: true\n"));
    add("wordy", skill_md("wordy",
                          "This description goes on and on, far longer than any prompt line should be, "
                          "so the plugin has to cut it short somewhere near the end of the line."));
    FakeHost host = open();
    std::string p = prompt(host);
    EXPECT_THAT(p, HasSubstr("# Skills"));
    EXPECT_THAT(p, HasSubstr("activate_skill"));
    EXPECT_THAT(p, HasSubstr("- pdf-tools: Extract text from PDFs.\n"));
    EXPECT_THAT(p, Not(HasSubstr("SECRET BODY TEXT")));
    EXPECT_THAT(p, Not(HasSubstr("hidden")));
    EXPECT_THAT(p, HasSubstr("- wordy: This description goes on and on"));
    EXPECT_THAT(p, Not(HasSubstr("end of the line")));
    EXPECT_THAT(p, HasSubstr("…\n"));
    // hidden from the prompt, still listed and activatable
    EXPECT_EQ(list(host).at("skills").as_array().size(), 3u);
    EXPECT_THAT(activate(host, {{"name", "hidden"}}), HasSubstr("b\n"));
}

TEST_F(SkillsPlugin, TheSystemPromptShowsAtMostFifteenSkills) {
    for (int i = 0; i < 20; ++i) {
        std::string name = "skill-" + std::string(i < 10 ? "0" : "") + std::to_string(i);
        add(name, skill_md(name, "Number " + std::to_string(i) + "."));
    }
    FakeHost host = open();
    std::string p = prompt(host);
    EXPECT_THAT(p, HasSubstr("- skill-14: Number 14."));
    EXPECT_THAT(p, Not(HasSubstr("skill-15")));
    EXPECT_THAT(p, HasSubstr("5 more: list_skills"));
    EXPECT_EQ(list(host).at("skills").as_array().size(), 20u);

    FakeHost capped = open(R"({"max_prompt_skills": 2})");
    EXPECT_THAT(prompt(capped), HasSubstr("18 more"));
}

TEST_F(SkillsPlugin, NothingInThePromptWithoutSkills) {
    FakeHost host = open();
    Outcome o = host.invoke("hook.system_prompt", json::object{{"session_id", "s"}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_FALSE(o.result.as_object().contains("text"));
    add("broken", "---\nname: broken\n---\n");  // only invalid skills: still nothing
    EXPECT_EQ(prompt(host), "");
    EXPECT_EQ(list(host).at("skills").as_array().size(), 0u);
}

TEST_F(SkillsPlugin, SkillsAddedMidSessionAreFoundWithOneGlob) {
    FakeHost host = open();
    EXPECT_EQ(prompt(host), "");
    add("late", skill_md("late", "Added later."));
    globs_ = reads_ = 0;
    EXPECT_THAT(prompt(host), HasSubstr("- late: Added later."));
    EXPECT_EQ(globs_, 1);
    EXPECT_EQ(reads_, 1);  // the head of the one SKILL.md
}

TEST_F(SkillsPlugin, UserSkillsCanBeTurnedOff) {
    add_user("mine", skill_md("mine", "Mine."));
    FakeHost host = open(R"({"include_user": false})");
    EXPECT_EQ(list(host).at("skills").as_array().size(), 0u);
}

TEST_F(SkillsPlugin, WithoutTheUserServiceOnlyWorkspaceSkillsAreFound) {
    add("ws", skill_md("ws", "Workspace."));
    FakeHost host = FakeHost::open(plugin_path());
    host.on_service("fs.glob", [](const json::value&) -> json::value {
        return json::object{{"paths", json::array{"/workspace/.agents/skills/ws/SKILL.md"}}, {"truncated", false}};
    });
    host.on_service("fs.read", [this](const json::value&) -> json::value {
        return json::object{{"content", files_.begin()->second}, {"sha256", "sha256:1"}};
    });
    json::object l = list(host);
    ASSERT_EQ(l.at("skills").as_array().size(), 1u);
    EXPECT_EQ(l.at("skills").as_array()[0].at("path"), ".agents/skills/ws/SKILL.md");
    ASSERT_EQ(host.logs().size(), 1u);
    EXPECT_THAT(host.logs()[0], HasSubstr("user's skills"));
}

}  // namespace
