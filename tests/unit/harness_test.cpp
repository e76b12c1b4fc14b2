#include "plugins/harness.hpp"

#include "agenthost/errors.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::ConfigError;
using agenthost::Harness;
using agenthost::HarnessCatalog;

/// Two fresh harness folders (searched in order), removed at the end of the test.
class HarnessTest : public ::testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        root_ = fs::temp_directory_path() /
                ("agenthost_harness_test_" + std::to_string(std::random_device{}()) + "_" + std::to_string(counter++));
        fs::create_directories(first_ = root_ / "first");
        fs::create_directories(second_ = root_ / "second");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    static fs::path write(const fs::path& file, const std::string& text) {
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }
    fs::path put(const std::string& name, const std::string& text) { return write(first_ / (name + ".json"), text); }

    HarnessCatalog catalog() const { return HarnessCatalog({first_, second_}); }

    /// The ConfigError message loading `name`, or "" when it loads.
    std::string error_for(const std::string& name) const {
        try {
            catalog().load(name);
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "";
    }

    /// The error for a harness "h" whose body (after "name") is `fields`.
    std::string error_with(const std::string& fields) {
        put("h", R"({"name": "h")" + (fields.empty() ? "" : ", " + fields) + "}");
        return error_for("h");
    }

    fs::path root_;
    fs::path first_;
    fs::path second_;
};

/// `message` names h.json, the field, and contains `expected`.
void expect_names(const std::string& message, const std::string& field, const std::string& expected) {
    EXPECT_NE(message.find("h.json: field '" + field + "': "), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
}

TEST_F(HarnessTest, LoadsASingleHarness) {
    put("solo", R"({
        "name": "solo", "description": "one level", "system_prompt": "Be brief.\n",
        "capabilities": ["filesystem", {"id": "bash", "config": {"timeout": 5}}],
        "model": "openai/gpt-4.1", "max_iterations": 7,
        "network_access": {"allow": ["*.example.com"], "block": ["bad.example.com"]},
        "initial_files": [{"path": "notes/./a.md", "content": "hi", "read_only": true}, {"path": "b", "content": ""}]
    })");
    const Harness h = catalog().load("solo");
    EXPECT_EQ(h.name, "solo");
    EXPECT_EQ(h.file, first_ / "solo.json");
    EXPECT_EQ(h.description, "one level");
    EXPECT_EQ(h.chain, std::vector<std::string>{"solo"});
    EXPECT_EQ(h.system_prompt, "Be brief.");
    ASSERT_EQ(h.capabilities.size(), 2u);
    EXPECT_EQ(h.capabilities[0].id, "filesystem");
    EXPECT_TRUE(h.capabilities[0].config.empty());
    EXPECT_EQ(h.capabilities[1].id, "bash");
    EXPECT_EQ(h.capabilities[1].config.at("timeout"), 5);
    EXPECT_EQ(h.model, "openai/gpt-4.1");
    EXPECT_EQ(h.max_iterations, 7);
    EXPECT_EQ(h.network_access.allow, std::vector<std::string>{"*.example.com"});
    EXPECT_EQ(h.network_access.block, std::vector<std::string>{"bad.example.com"});
    ASSERT_EQ(h.initial_files.size(), 2u);
    EXPECT_EQ(h.initial_files[0].path, "notes/a.md");
    EXPECT_TRUE(h.initial_files[0].read_only);
    EXPECT_FALSE(h.initial_files[1].read_only);
}

TEST_F(HarnessTest, ThreeLevelChainFoldsRootFirst) {
    put("root", R"({"name": "root", "system_prompt": "Root.", "model": "llmsim", "max_iterations": 10,
        "capabilities": ["a", {"id": "b", "config": {"level": "root", "keep": 1}}],
        "network_access": {"allow": ["*.example.com", "*.github.com"], "block": ["x.example.com"]},
        "initial_files": [{"path": "rules.md", "content": "root rules", "read_only": true},
                          {"path": "todo.md", "content": "root todo"}]})");
    write(second_ / "mid.json", R"({"name": "mid", "extends": "root", "system_prompt": "Mid.",
        "capabilities": [{"id": "b", "config": {"level": "mid"}}, "c"], "max_iterations": 20,
        "network_access": {"allow": ["api.example.com", "api.github.com", "other.org"], "block": ["y.example.com"]},
        "initial_files": [{"path": "todo.md", "content": "mid todo", "read_only": true}]})");
    put("leaf", R"({"name": "leaf", "extends": "mid", "description": "the leaf", "system_prompt": "Leaf.",
        "capabilities": ["b", "a", "d"], "model": "anthropic/claude-sonnet-4-5",
        "network_access": {"allow": ["api.example.com"]},
        "initial_files": [{"path": "rules.md", "content": "leaf rules", "read_only": false},
                          {"path": "new.md", "content": "new"}]})");
    const Harness h = catalog().load("leaf");
    EXPECT_EQ(h.chain, (std::vector<std::string>{"root", "mid", "leaf"}));
    EXPECT_EQ(h.name, "leaf");
    EXPECT_EQ(h.description, "the leaf");
    EXPECT_EQ(h.system_prompt, "Root.\n\nMid.\n\nLeaf.");
    // Union in parent order; mid's config replaced root's; a bare id in leaf kept it.
    ASSERT_EQ(h.capabilities.size(), 4u);
    EXPECT_EQ(h.capabilities[0].id, "a");
    EXPECT_EQ(h.capabilities[1].id, "b");
    EXPECT_EQ(json::value(h.capabilities[1].config), json::parse(R"({"level": "mid"})"));
    EXPECT_EQ(h.capabilities[2].id, "c");
    EXPECT_EQ(h.capabilities[3].id, "d");
    EXPECT_EQ(h.model, "anthropic/claude-sonnet-4-5");  // nearest
    EXPECT_EQ(h.max_iterations, 20);                    // nearest that sets it
    EXPECT_EQ(h.network_access.allow, std::vector<std::string>{"api.example.com"});
    EXPECT_EQ(h.network_access.block, (std::vector<std::string>{"x.example.com", "y.example.com"}));
    EXPECT_FALSE(h.network_access.check("https://other.org/").allowed);
    ASSERT_EQ(h.initial_files.size(), 3u);
    EXPECT_EQ(h.initial_files[0].path, "rules.md");
    EXPECT_EQ(h.initial_files[0].content, "leaf rules");
    EXPECT_TRUE(h.initial_files[0].read_only);  // a child cannot make it writable
    EXPECT_EQ(h.initial_files[1].path, "todo.md");
    EXPECT_EQ(h.initial_files[1].content, "mid todo");
    EXPECT_TRUE(h.initial_files[1].read_only);  // a child may make a file read-only
    EXPECT_EQ(h.initial_files[2].path, "new.md");
}

TEST_F(HarnessTest, ChildNetworkAccessCannotWiden) {
    put("p", R"({"name": "p", "network_access": {"allow": ["a.com"]}})");
    put("c", R"({"name": "c", "extends": "p", "network_access": {"allow": ["b.com"], "block": []}})");
    const Harness h = catalog().load("c");
    EXPECT_EQ(h.network_access.allow, std::vector<std::string>{"<none>"});
    EXPECT_FALSE(h.network_access.check("https://b.com/").allowed);
}

TEST_F(HarnessTest, CycleNamesTheChain) {
    put("a", R"({"name": "a", "extends": "b"})");
    put("b", R"({"name": "b", "extends": "c"})");
    put("c", R"({"name": "c", "extends": "a"})");
    EXPECT_EQ(error_for("a"), "harness cycle: a -> b -> c -> a");
    put("self", R"({"name": "self", "extends": "self"})");
    EXPECT_EQ(error_for("self"), "harness cycle: self -> self");
}

TEST_F(HarnessTest, MissingParentNamesFileAndField) {
    put("orphan", R"({"name": "orphan", "extends": "ghost"})");
    const std::string message = error_for("orphan");
    EXPECT_NE(message.find("orphan.json: field 'extends': harness 'ghost' not found"), std::string::npos) << message;
    EXPECT_NE(message.find(first_.string()), std::string::npos) << message;
}

TEST_F(HarnessTest, UnknownHarnessName) {
    EXPECT_NE(error_for("nothing").find("harness 'nothing' not found (searched: "), std::string::npos);
    EXPECT_NE(error_for("bad name").find("expected a name"), std::string::npos);
    EXPECT_NE(error_for((root_ / "missing.json").string()).find("missing.json: cannot read"), std::string::npos);
}

TEST_F(HarnessTest, FirstFolderWins) {
    put("dup", R"({"name": "dup", "system_prompt": "first"})");
    write(second_ / "dup.json", R"({"name": "dup", "system_prompt": "second"})");
    write(second_ / "only2.json", R"({"name": "only2"})");
    write(second_ / "readme.txt", "not a harness");
    EXPECT_EQ(catalog().load("dup").system_prompt, "first");
    const auto listed = catalog().list();
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].first, "dup");
    EXPECT_EQ(listed[0].second, first_ / "dup.json");
    EXPECT_EQ(listed[1].first, "only2");
    EXPECT_TRUE(HarnessCatalog({root_ / "does_not_exist"}).list().empty());
}

TEST_F(HarnessTest, LoadByPathFindsParentsInCatalogAndOwnFolder) {
    put("base1", R"({"name": "base1", "system_prompt": "Base."})");
    const fs::path elsewhere = root_ / "elsewhere";
    write(elsewhere / "helper.json", R"({"name": "helper", "extends": "base1", "system_prompt": "Helper."})");
    write(elsewhere / "mine.json", R"({"name": "mine", "extends": "helper", "system_prompt": "Mine."})");
    const Harness h = catalog().load((elsewhere / "mine.json").string());
    EXPECT_EQ(h.chain, (std::vector<std::string>{"base1", "helper", "mine"}));
    EXPECT_EQ(h.system_prompt, "Base.\n\nHelper.\n\nMine.");
    EXPECT_EQ(h.file, elsewhere / "mine.json");
}

TEST_F(HarnessTest, PromptFromFile) {
    write(first_ / "prompts" / "p.md", "From a file.\n\n");
    put("pf", R"({"name": "pf", "system_prompt_file": "prompts/p.md"})");
    EXPECT_EQ(catalog().load("pf").system_prompt, "From a file.");
    put("child", R"({"name": "child", "extends": "pf", "system_prompt": "Child."})");
    EXPECT_EQ(catalog().load("child").system_prompt, "From a file.\n\nChild.");
}

TEST_F(HarnessTest, PromptFileErrors) {
    expect_names(error_with(R"("system_prompt": "a", "system_prompt_file": "p.md")"), "system_prompt_file",
                 "expected either system_prompt or system_prompt_file, not both");
    expect_names(error_with(R"("system_prompt_file": "missing.md")"), "system_prompt_file",
                 "cannot read \"" + (first_ / "missing.md").string() + "\": no such file");
    expect_names(error_with(R"("system_prompt_file": "../x.md")"), "system_prompt_file",
                 "expected a path relative to the manifest's folder");
    expect_names(error_with(R"("system_prompt_file": "/etc/passwd")"), "system_prompt_file",
                 "expected a path relative to the manifest's folder");
    expect_names(error_with(R"("system_prompt_file": 3)"), "system_prompt_file", "got 3");
}

TEST_F(HarnessTest, NameErrors) {
    put("h", R"({"description": "no name"})");
    expect_names(error_for("h"), "name", "required field missing (expected the harness name \"h\"");
    put("h", R"({"name": "other"})");
    expect_names(error_for("h"), "name", "expected the harness name \"h\" (the file name without .json)");
    put("h", R"({"name": 1})");
    expect_names(error_for("h"), "name", "got 1");
}

TEST_F(HarnessTest, FieldErrors) {
    expect_names(error_with(R"("prompt": "x")"), "prompt", "unknown field (expected one of: name, extends,");
    expect_names(error_with(R"("extends": 1)"), "extends", "expected the name of a parent harness");
    expect_names(error_with(R"("extends": "../etc/x")"), "extends", "expected the name of a parent harness");
    expect_names(error_with(R"("description": [])"), "description", "expected a string, got an array");
    expect_names(error_with(R"("system_prompt": {})"), "system_prompt", "expected a string, got an object");
    expect_names(error_with(R"("model": "gpt4")"), "model", R"(expected "provider/model")");
    expect_names(error_with(R"("model": "openai/")"), "model", R"(expected "provider/model")");
    expect_names(error_with(R"("model": 4)"), "model", R"(or "llmsim", got 4)");
    for (const char* bad : {"0", "10001", "-1", "2.5", R"("5")", "true", "18446744073709551615"})
        expect_names(error_with(std::string(R"("max_iterations": )") + bad), "max_iterations",
                     "expected an integer from 1 to 10000");
    EXPECT_EQ(error_with(R"("max_iterations": 10000)"), "");
    EXPECT_EQ(error_with(R"("max_iterations": 1)"), "");
}

TEST_F(HarnessTest, CapabilityErrors) {
    expect_names(error_with(R"("capabilities": "bash")"), "capabilities", "expected an array of plugin ids or");
    expect_names(error_with(R"("capabilities": [1])"), "capabilities[0]", "expected a plugin id or {\"id\"");
    expect_names(error_with(R"("capabilities": ["ok", "Bad-Id"])"), "capabilities[1]", "expected a plugin id ([a-z0-9_]");
    expect_names(error_with(R"("capabilities": [{"config": {}}])"), "capabilities[0].id", "required field missing");
    expect_names(error_with(R"("capabilities": [{"id": 3}])"), "capabilities[0].id", "expected a plugin id");
    expect_names(error_with(R"("capabilities": [{"id": "a", "config": []}])"), "capabilities[0].config",
                 "expected an object, got an array");
    expect_names(error_with(R"("capabilities": [{"id": "a", "cfg": {}}])"), "capabilities[0].cfg",
                 "unknown field (expected id, config)");
    expect_names(error_with(R"("capabilities": ["a", {"id": "a"}])"), "capabilities[1]", "listed twice");
}

TEST_F(HarnessTest, NetworkAccessErrors) {
    expect_names(error_with(R"("network_access": [])"), "network_access", "expected an object");
    expect_names(error_with(R"("network_access": {"allowed": []})"), "network_access", "unknown field 'allowed'");
    expect_names(error_with(R"("network_access": {"allow": ["ftp://x"]})"), "network_access",
                 "allow[0]: expected a host");
}

TEST_F(HarnessTest, InitialFileErrors) {
    expect_names(error_with(R"("initial_files": {})"), "initial_files", "expected an array of");
    expect_names(error_with(R"("initial_files": ["a"])"), "initial_files[0]", "expected {\"path\"");
    expect_names(error_with(R"("initial_files": [{"content": ""}])"), "initial_files[0].path", "required field missing");
    expect_names(error_with(R"("initial_files": [{"path": "a"}])"), "initial_files[0].content",
                 "required field missing (expected a string)");
    expect_names(error_with(R"("initial_files": [{"path": "a", "content": 1}])"), "initial_files[0].content",
                 "expected a string, got 1");
    expect_names(error_with(R"("initial_files": [{"path": "a", "content": "", "read_only": "yes"}])"),
                 "initial_files[0].read_only", "expected true or false");
    expect_names(error_with(R"("initial_files": [{"path": "a", "content": "", "mode": 420}])"),
                 "initial_files[0].mode", "unknown field (expected path, content, read_only)");
    for (const char* bad : {R"("../x")", R"("a/../../x")", R"("/etc/x")", R"("")", R"(".")", R"("dir/")",
                            R"("a\u0000b")", "5"})
        expect_names(error_with(std::string(R"("initial_files": [{"content": "", "path": )") + bad + "}]"),
                     "initial_files[0].path", "expected a relative path (no '..', no leading '/', no NUL)");
    expect_names(error_with(R"("initial_files": [{"path": "a", "content": ""}, {"path": "./a", "content": ""}])"),
                 "initial_files[1].path", "\"a\" is listed twice");
}

TEST_F(HarnessTest, MalformedJsonNamesLine) {
    put("h", "{\n \"name\": \"h\",,\n}");
    const std::string message = error_for("h");
    EXPECT_NE(message.find("h.json:2:"), std::string::npos) << message;
    EXPECT_NE(message.find("malformed JSON"), std::string::npos) << message;
    put("h", "[]");
    EXPECT_NE(error_for("h").find("h.json: expected a JSON object at the top level"), std::string::npos);
}

TEST_F(HarnessTest, ErrorInAParentNamesTheParentFile) {
    put("p", R"({"name": "p", "max_iterations": 0})");
    put("c", R"({"name": "c", "extends": "p"})");
    const std::string message = error_for("c");
    EXPECT_NE(message.find("p.json: field 'max_iterations'"), std::string::npos) << message;
}

TEST(HarnessFiles, RealBaseAndMathHarnesses) {
    const HarnessCatalog catalog({fs::path(AGENTHOST_SOURCE_DIR) / "manifests" / "harnesses"});
    const Harness base = catalog.load("base");
    EXPECT_EQ(base.chain, std::vector<std::string>{"base"});
    EXPECT_FALSE(base.system_prompt.empty());
    EXPECT_TRUE(base.capabilities.empty());
    EXPECT_EQ(base.max_iterations, 50);
    EXPECT_FALSE(base.model.has_value());

    const Harness math = catalog.load("math");
    EXPECT_EQ(math.chain, (std::vector<std::string>{"base", "math"}));
    ASSERT_EQ(math.capabilities.size(), 1u);
    EXPECT_EQ(math.capabilities[0].id, "test_math");
    EXPECT_EQ(math.max_iterations, 50);
    EXPECT_EQ(math.system_prompt.rfind(base.system_prompt + "\n\n", 0), 0u);
    EXPECT_NE(math.system_prompt.find("add"), std::string::npos);
    EXPECT_NE(math.system_prompt.find("multiply"), std::string::npos);

    const auto listed = catalog.list();
    const auto has = [&](const std::string& name) {
        return std::any_of(listed.begin(), listed.end(), [&](const auto& entry) { return entry.first == name; });
    };
    EXPECT_TRUE(has("base"));
    EXPECT_TRUE(has("math"));
}

}  // namespace
