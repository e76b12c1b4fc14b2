// The agenthost executable's options (DESIGN §11) through the real binary: every session option
// works before or after the subcommand where it applies, and is refused (exit 2, naming the
// option and why) where it does not — never silently dropped.
#include "support/cli_runner.hpp"

#include <agenthost/event.hpp>

#include <ahp/ahp.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::CliResult;
using test::run_cli;
using ::testing::HasSubstr;

using Args = std::vector<std::string>;

Args join(std::initializer_list<Args> parts) {
    Args out;
    for (const Args& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

/// The events of a stream-json run.
std::vector<Event> events_of(const std::string& out) {
    std::vector<Event> events;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) events.push_back(event_from_json(json::parse(line)));
    }
    return events;
}

class CliOptions : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(ws_);
        test::write_file(script_, R"({"responses": [{"text": "scripted answer"}]})");
        test::write_file(good_harness_, R"({"name": "with_good", "capabilities": ["good_tool"]})");
    }

    /// Every session option with a value that works for a run.
    std::vector<Args> session_options() const {
        return {{"--model", "llmsim"},
                {"--harness", "math"},
                {"--plugin-dir", test::fixture_dir("good").string()},
                {"--workspace", ws_.string()},
                {"--session", "some-id"},
                {"--continue"},
                {"--data-dir", data_.string()},
                {"--approval", "auto"},
                {"--sandbox", "off"},
                {"--max-iterations", "3"},
                {"--llmsim-script", script_.string()}};
    }

    /// A new session made by `run`; returns its id.
    std::string make_session() {
        CliResult r = run_cli({"run", "-p", "hi", "--harness", "math", "--output-format", "json", "--llmsim-script",
                               script_.string(), "--data-dir", data_.string(), "--workspace", ws_.string()},
                              home_.path());
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return std::string(json::parse(r.out).at("session_id").as_string());
    }

    test::TempDir home_;
    fs::path ws_ = home_ / "ws";
    fs::path data_ = home_ / "data";
    fs::path script_ = home_ / "script.json";
    fs::path good_harness_ = home_ / "with_good.json";
};

// The whole matrix of the commands that run no session: an option they do not take is refused
// before or after the subcommand, naming the option, what it is for and what the command does.
TEST_F(CliOptions, CommandsThatRunNoSessionRefuseEverySessionOptionTheyDoNotTake) {
    struct Command {
        Args words;
        std::string takes;
    };
    const std::vector<Command> commands = {
        {{"plugins", "list"}, "--plugin-dir"},
        {{"plugins", "check", (test::plugins_dir() / "test_math.so").string()}, "--plugin-dir"},
        {{"harnesses", "list"}, "--plugin-dir"},
        {{"harnesses", "show", "math"}, "--plugin-dir"},
        {{"sessions", "list"}, "--data-dir"},
        {{"sessions", "show", "some-id"}, "--data-dir"},
        {{"sessions", "export", "some-id"}, "--data-dir"},
    };
    int refused = 0;
    for (const Command& c : commands) {
        const std::string name = c.words[0] + " " + c.words[1];
        for (const Args& opt : session_options()) {
            if (opt[0] == c.takes) continue;
            for (bool before : {true, false}) {
                Args args = before ? join({opt, c.words}) : join({c.words, opt});
                CliResult r = run_cli(args, home_.path());
                SCOPED_TRACE(name + " with " + opt[0] + (before ? " before" : " after"));
                EXPECT_EQ(r.exit_code, 2);
                EXPECT_THAT(r.err, HasSubstr("`" + name + "` does not take " + opt[0] + ": it "));
                EXPECT_THAT(r.err, HasSubstr("takes only " + c.takes));
                EXPECT_EQ(r.out, "");
                ++refused;
            }
        }
    }
    EXPECT_EQ(refused, 7 * 10 * 2);
}

TEST_F(CliOptions, PluginCommandsTakePluginDirBeforeOrAfter) {
    const std::string good = test::fixture_dir("good").string();
    for (const Args& args :
         {Args{"--plugin-dir", good, "plugins", "list"}, Args{"plugins", "--plugin-dir", good, "list"},
          Args{"plugins", "list", "--plugin-dir", good}}) {
        CliResult r = run_cli(args, home_.path());
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_THAT(r.out, ::testing::ContainsRegex("good_tool .* loaded")) << args[0];
    }
    CliResult without = run_cli({"plugins", "list"}, home_.path());
    EXPECT_THAT(without.out, ::testing::Not(HasSubstr("good_tool")));

    for (const Args& args : {Args{"--plugin-dir", good, "plugins", "check", "good_tool"},
                             Args{"plugins", "check", "good_tool", "--plugin-dir", good}}) {
        CliResult r = run_cli(args, home_.path());
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_THAT(r.out, HasSubstr("good_tool 1.0.0 (capability): loaded"));
    }
    CliResult unknown = run_cli({"plugins", "check", "good_tool"}, home_.path());
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_THAT(unknown.err, HasSubstr("plugin 'good_tool': not found"));

    CliResult both = run_cli(
        {"--plugin-dir", good, "plugins", "list", "--plugin-dir", test::fixture_dir("not_elf").string()}, home_.path());
    EXPECT_THAT(both.out, ::testing::ContainsRegex("good_tool .* loaded"))
        << "a repeated option adds up across the subcommand";
    EXPECT_THAT(both.out, ::testing::ContainsRegex("not_elf .*REFUSED"));
}

TEST_F(CliOptions, HarnessCommandsTakePluginDirBeforeOrAfter) {
    const std::string good = test::fixture_dir("good").string();
    for (const Args& args : {Args{"--plugin-dir", good, "harnesses", "show", good_harness_.string()},
                             Args{"harnesses", "show", good_harness_.string(), "--plugin-dir", good}}) {
        CliResult r = run_cli(args, home_.path());
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(json::parse(r.out).at("name"), "with_good");
    }
    CliResult without = run_cli({"harnesses", "show", good_harness_.string()}, home_.path());
    EXPECT_EQ(without.exit_code, 2);
    EXPECT_THAT(without.err, HasSubstr("capability 'good_tool'"));
    CliResult list = run_cli({"harnesses", "list", "--plugin-dir", good}, home_.path());
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_THAT(list.out, ::testing::ContainsRegex("math +capabilities: test_math  \\("));
}

TEST_F(CliOptions, SessionCommandsTakeDataDirBeforeOrAfter) {
    const std::string sid = make_session();
    for (const Args& words :
         {Args{"sessions", "list"}, Args{"sessions", "show", sid}, Args{"sessions", "export", sid}}) {
        for (bool before : {true, false}) {
            Args dir{"--data-dir", data_.string()};
            CliResult r = run_cli(before ? join({dir, words}) : join({words, dir}), home_.path());
            EXPECT_EQ(r.exit_code, 0) << words[1] << " " << r.err;
            EXPECT_THAT(r.out, HasSubstr(sid)) << words[1];
        }
        CliResult middle = run_cli(
            join({{words[0], "--data-dir", data_.string()}, Args(words.begin() + 1, words.end())}), home_.path());
        EXPECT_THAT(middle.out, HasSubstr(sid)) << words[1];
    }
}

// `run` takes every session option, before or after it, and each one has its effect: the
// session records what it was created with.
TEST_F(CliOptions, RunTakesEverySessionOptionBeforeOrAfter) {
    for (bool before : {true, false}) {
        Args opts{"--model",         "llmsim",         "--harness",        "math", "--workspace", ws_.string(),
                  "--data-dir",      data_.string(),   "--approval",       "auto", "--sandbox",   "off",
                  "--llmsim-script", script_.string(), "--max-iterations", "3"};
        Args run{"run", "-p", "hi", "--output-format", "stream-json"};
        CliResult r = run_cli(before ? join({opts, run}) : join({run, opts}), home_.path());
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::vector<Event> events = events_of(r.out);
        ASSERT_FALSE(events.empty());
        ASSERT_EQ(events.front().type, event_type::kSessionCreated);
        const json::object& created = events.front().data;
        EXPECT_EQ(created.at("harness"), "math");
        EXPECT_EQ(created.at("settings"), json::value(json::object{{"harness", "math"},
                                                                   {"model", "llmsim"},
                                                                   {"workspace", fs::canonical(ws_).string()},
                                                                   {"approval", "auto"},
                                                                   {"sandbox", nullptr}}))
            << "--sandbox configures bash, and the math harness has none";
        EXPECT_EQ(events.back().data.at("response"), "scripted answer");
        EXPECT_TRUE(fs::exists(data_ / "sessions" / (events.front().session_id + ".jsonl")));
    }
}

TEST_F(CliOptions, RunTakesMaxIterationsPluginDirSessionAndContinueBeforeOrAfter) {
    test::write_file(home_ / "loop.json",
                     R"({"responses": [{"tool_calls": [{"name": "multiply", "arguments": {"a": 2, "b": 3}}]}]})");
    const Args common{"--harness", "math", "--data-dir", data_.string(), "--workspace", ws_.string()};
    for (bool before : {true, false}) {
        Args opts{"--max-iterations", "2", "--llmsim-script", (home_ / "loop.json").string()};
        Args run{"run", "-p", "loop", "--output-format", "json"};
        CliResult r = run_cli(before ? join({opts, common, run}) : join({run, common, opts}), home_.path());
        EXPECT_EQ(r.exit_code, 1);
        json::object out = json::parse(r.out).as_object();
        EXPECT_EQ(out.at("error").at("category"), "max_iterations");
        EXPECT_EQ(out.at("iterations"), 2);
    }
    for (bool before : {true, false}) {
        Args opts{"--plugin-dir", test::fixture_dir("good").string(), "--harness", good_harness_.string()};
        Args run{"run",        "-p",           "hi",          "--output-format", "json",
                 "--data-dir", data_.string(), "--workspace", ws_.string()};
        CliResult r = run_cli(before ? join({opts, run}) : join({run, opts}), home_.path());
        EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    const std::string sid = make_session();
    for (const Args& pick : {Args{"--continue"}, Args{"--session", sid}}) {
        for (bool before : {true, false}) {
            Args run{"run", "-p", "more", "--output-format", "json"};
            Args opts = join({pick, {"--data-dir", data_.string(), "--llmsim-script", script_.string()}});
            CliResult r = run_cli(before ? join({opts, run}) : join({run, opts}), home_.path());
            ASSERT_EQ(r.exit_code, 0) << r.err;
            EXPECT_EQ(json::parse(r.out).at("session_id"), json::value(sid)) << pick[0];
        }
    }
}

TEST_F(CliOptions, TheInteractiveAgentTakesTheSessionOptions) {
    CliResult r = run_cli({"--harness", "math", "--model", "llmsim", "--data-dir", data_.string(), "--workspace",
                           ws_.string(), "--approval", "deny"},
                          home_.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    CliResult list = run_cli({"sessions", "list", "--data-dir", data_.string()}, home_.path());
    std::string sid = list.out.substr(0, list.out.find(' '));
    ASSERT_FALSE(sid.empty()) << list.err;
    CliResult exported = run_cli({"sessions", "export", sid, "--data-dir", data_.string()}, home_.path());
    Event created = events_of(exported.out).front();
    EXPECT_EQ(created.data.at("settings").at("harness"), "math");
    EXPECT_EQ(created.data.at("settings").at("approval"), "deny");
}

TEST_F(CliOptions, AnOptionGivenTwiceOrTwoThatExcludeEachOtherAreRefused) {
    CliResult twice = run_cli({"--model", "llmsim", "run", "-p", "x", "--model", "openai"}, home_.path());
    EXPECT_EQ(twice.exit_code, 2);
    EXPECT_THAT(twice.err, HasSubstr("--model"));
    CliResult both = run_cli({"--session", "abc", "run", "-p", "x", "--continue"}, home_.path());
    EXPECT_EQ(both.exit_code, 2);
    EXPECT_THAT(both.err, HasSubstr("--session excludes --continue"));
}

TEST_F(CliOptions, RunsOwnOptionsBeforeRunAreRefusedSayingWhere) {
    for (const Args& args :
         {Args{"-p", "hi", "run"}, Args{"-p", "hi"}, Args{"--output-format", "json", "run", "-p", "x"},
          Args{"--output-format=json", "run", "-p", "x"}}) {
        CliResult r = run_cli(args, home_.path());
        EXPECT_EQ(r.exit_code, 2) << args[0];
        EXPECT_THAT(r.err, HasSubstr(args[0].substr(0, args[0].find('=')) + " belongs to `run` and follows it"))
            << args[0];
    }
}

TEST_F(CliOptions, VersionSaysTheProjectVersionAndThePluginAbiOfAhpH) {
    std::smatch m;
    const std::string cmake = test::read_file(test::source_dir() / "CMakeLists.txt");
    ASSERT_TRUE(std::regex_search(cmake, m, std::regex(R"(project\(agenthost VERSION ([0-9.]+))")));
    CliResult r = run_cli({"--version"}, home_.path());
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "agenthost " + m[1].str() + " (plugin ABI " + std::to_string(AHP_ABI_MAJOR) + "." +
                         std::to_string(AHP_ABI_MINOR) + ")\n");
}

TEST_F(CliOptions, HelpStatesTheModelOrder) {
    CliResult r = run_cli({"--help"}, home_.path());
    EXPECT_EQ(r.exit_code, 0);
    std::string help = std::regex_replace(r.out, std::regex("\\s+"), " ");
    EXPECT_THAT(
        help,
        HasSubstr("Without it: the resumed session's model, else the harness's \"model\", else anthropic when "
                  "ANTHROPIC_API_KEY is set, else openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else llmsim"));
}

}  // namespace
}  // namespace agenthost
