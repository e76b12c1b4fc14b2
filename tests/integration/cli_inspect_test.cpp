// `plugins check` shows what a plugin describes, and `harnesses show|list` check a harness
// against the plugins it would load, through the real binary.
#include "support/cli_runner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::CliResult;
using test::run_cli;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

class CliInspect : public ::testing::Test {
protected:
    /// A harness file `name`.json with `body` (its "name" is added).
    fs::path harness(const std::string& name, const std::string& body) {
        fs::path file = home_ / (name + ".json");
        test::write_file(file, R"({"name": ")" + name + "\", " + body + "}");
        return file;
    }
    test::TempDir home_;
};

TEST_F(CliInspect, PluginsCheckShowsToolsPermissionsCommandsAndHooks) {
    CliResult math = run_cli({"plugins", "check", (test::plugins_dir() / "test_math.so").string()}, home_.path());
    ASSERT_EQ(math.exit_code, 0) << math.err;
    EXPECT_THAT(math.out,
                HasSubstr("test_math 1.0.0 (capability): loaded and described OK\n  permissions: none\n  tools:\n"));
    EXPECT_THAT(math.out, ContainsRegex("\n    add +read-only +Add two numbers and return the exact sum\\.\n"));
    EXPECT_THAT(math.out, ContainsRegex("\n    multiply +read-only +Multiply two numbers"));
    EXPECT_THAT(math.out, HasSubstr("  commands: none\n  hooks: none\n"));
    EXPECT_THAT(math.out, ::testing::Not(HasSubstr("default_model")));

    CliResult files = run_cli({"plugins", "check", "filesystem"}, home_.path());
    ASSERT_EQ(files.exit_code, 0) << files.err;
    EXPECT_THAT(files.out, HasSubstr("  permissions: fs.read, fs.write\n"));
    EXPECT_THAT(files.out, ContainsRegex("\n    write_file +mutating +"));
    EXPECT_THAT(files.out, ContainsRegex("\n    read_file +read-only +"));

    CliResult btw = run_cli({"plugins", "check", "btw"}, home_.path());
    ASSERT_EQ(btw.exit_code, 0) << btw.err;
    EXPECT_THAT(btw.out, ContainsRegex("  commands:\n    /btw +Ask a side question"));
    EXPECT_THAT(btw.out, HasSubstr("  permissions: model\n"));

    CliResult loop = run_cli({"plugins", "check", "loop_detection"}, home_.path());
    ASSERT_EQ(loop.exit_code, 0) << loop.err;
    EXPECT_THAT(loop.out, HasSubstr("  hooks: before_model"));
}

TEST_F(CliInspect, PluginsCheckShowsADriversModels) {
    CliResult sim = run_cli({"plugins", "check", "llmsim"}, home_.path());
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
    EXPECT_THAT(sim.out, HasSubstr("llmsim 1.0.0 (driver): loaded"));
    EXPECT_THAT(sim.out, HasSubstr("  default_model: llmsim\n  models: llmsim\n"));
    CliResult anthropic = run_cli({"plugins", "check", "anthropic"}, home_.path());
    ASSERT_EQ(anthropic.exit_code, 0) << anthropic.err;
    EXPECT_THAT(anthropic.out, HasSubstr("  permissions: net\n"));
    EXPECT_THAT(anthropic.out, HasSubstr("  default_model: claude-sonnet-4-5\n  models: claude-sonnet-4-5, "));
    CliResult local =
        run_cli({"plugins", "check", "openai"}, home_.path(), {{"OPENAI_BASE_URL", "http://127.0.0.1:9/v1"}});
    ASSERT_EQ(local.exit_code, 0) << local.err;
    EXPECT_THAT(local.out, HasSubstr("  default_model: gpt-4.1\n  models: gpt-4.1, "))
        << "the models it knows of; any other name goes to the provider (other_models)";
}

TEST_F(CliInspect, HarnessesShowRefusesEveryProblemWithThePluginsItWouldLoad) {
    fs::path bad = harness("bad", R"("extends": "math",
        "capabilities": ["nope", "llmsim", {"id": "bash", "config": {"sandbox": "everything"}}, {"id": "btw", "config": {"colour": 1}}],
        "model": "llmsim/claude-9")");
    CliResult r = run_cli({"harnesses", "show", bad.string()}, home_.path());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(json::parse(r.out).at("name"), "bad") << "the folded harness is still shown";
    EXPECT_THAT(r.err, HasSubstr("harness 'bad' (" + bad.string() + "): capability 'nope': plugin 'nope': not found"));
    EXPECT_THAT(r.err, HasSubstr("capability 'llmsim': plugin 'llmsim' is a driver, not a capability"));
    EXPECT_THAT(r.err, ContainsRegex("capability 'bash': .*invalid config: .*sandbox"));
    EXPECT_THAT(r.err, ContainsRegex("capability 'btw': .*invalid config: .*colour"));
    EXPECT_THAT(r.err, HasSubstr("driver 'llmsim' does not serve 'claude-9'; it serves llmsim"));

    fs::path unknown_driver = harness("nodriver", R"("model": "nosuch/model")");
    CliResult nd = run_cli({"harnesses", "show", unknown_driver.string()}, home_.path());
    EXPECT_EQ(nd.exit_code, 2);
    EXPECT_THAT(nd.err, HasSubstr("model 'nosuch/model': plugin 'nosuch': not found"));
}

TEST_F(CliInspect, HarnessesShowAcceptsAGoodHarnessAndAModelOfADriverThatListsNone) {
    CliResult coding = run_cli({"harnesses", "show", "coding"}, home_.path());
    EXPECT_EQ(coding.exit_code, 0) << coding.err;
    EXPECT_EQ(coding.err, "");
    fs::path local = harness("local", R"("extends": "math", "model": "openai/qwen3:8b")");
    CliResult ok =
        run_cli({"harnesses", "show", local.string()}, home_.path(), {{"OPENAI_BASE_URL", "http://127.0.0.1:9/v1"}});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    CliResult official = run_cli({"harnesses", "show", local.string()}, home_.path());
    EXPECT_EQ(official.exit_code, 0) << "api.openai.com's newer models are passed on: " << official.err;
}

TEST_F(CliInspect, HarnessesListMarksAnInvalidHarness) {
    fs::create_directories(home_ / ".config/agenthost/harnesses");
    test::write_file(home_ / ".config/agenthost/harnesses/broken.json",
                     R"({"name": "broken", "capabilities": ["nope", "nope2"]})");
    CliResult r = run_cli({"harnesses", "list"}, home_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out,
                ContainsRegex("broken +capabilities: nope,nope2  INVALID: capability 'nope': .* \\(and 1 more\\)"));
    EXPECT_THAT(r.out, ContainsRegex("\nmath +capabilities: test_math  \\("));
}

}  // namespace
}  // namespace agenthost
