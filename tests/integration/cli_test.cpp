// The agenthost executable as users and scripts drive it (DESIGN §11): real processes, real
// session files.
#include "support/cli_runner.hpp"

#include <agenthost/event.hpp>
#include <agenthost/storage.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::run_cli;
using ::testing::HasSubstr;

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        script_ = home_ / "script.json";
        test::write_file(script_, R"({"responses": [
          {"text": "Multiplying.", "tool_calls": [{"name": "multiply", "arguments": {"a": 1231, "b": 2331}}]},
          {"text": "1231 × 2331 = 2869461"},
          {"text": "Second turn."}]})");
    }
    std::vector<std::string> run_args(const std::string& prompt, const std::string& format) const {
        return {"run", "-p", prompt, "--harness", "math", "--output-format", format, "--llmsim-script", script_.string(),
                "--data-dir", (home_ / "data").string()};
    }
    fs::path sessions() const { return home_ / "data/sessions"; }

    test::TempDir home_;
    fs::path script_;
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        out.push_back(text.substr(pos, nl - pos));
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    return out;
}

TEST_F(Cli, JsonOutputRunsTheToolAndReportsTheTurn) {
    auto r = run_cli(run_args("What is 1231 * 2331?", "json"), home_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json::object out = json::parse(r.out).as_object();
    EXPECT_EQ(out.at("result"), "1231 × 2331 = 2869461");
    EXPECT_EQ(out.at("success"), true);
    EXPECT_EQ(out.at("iterations"), 2);
    EXPECT_TRUE(out.at("error").is_null());
    EXPECT_GT(out.at("usage").at("input_tokens").as_int64(), 0);
    EXPECT_THAT(r.err, HasSubstr("offline llmsim"));
    std::string sid(out.at("session_id").as_string());
    fs::path log_file = sessions() / (sid + ".jsonl");
    ASSERT_TRUE(fs::exists(log_file));
    struct stat st {};
    ASSERT_EQ(::stat(log_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_THAT(test::read_file(log_file), HasSubstr("2869461"));
}

TEST_F(Cli, StreamJsonPrintsOneEnvelopePerLineAndNothingElse) {
    auto r = run_cli(run_args("What is 1231 * 2331?", "stream-json"), home_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::uint64_t expected = 1;
    int deltas = 0;
    std::vector<std::string> seen;
    for (const std::string& line : lines(r.out)) {
        if (line.empty()) continue;
        Event e = event_from_json(json::parse(line));
        seen.push_back(e.type);
        if (e.type == event_type::kOutputDelta) {
            ++deltas;
            EXPECT_EQ(e.sequence, expected - 1) << "a delta carries the last stored sequence";
        } else {
            EXPECT_EQ(e.sequence, expected++) << line;
        }
    }
    EXPECT_GT(deltas, 0);
    EXPECT_EQ(seen.front(), "session.created");
    EXPECT_EQ(seen.back(), "turn.completed");
    EXPECT_THAT(seen, ::testing::Contains("tool.completed"));
}

TEST_F(Cli, TextOutputStreamsTheAnswer) {
    auto r = run_cli(run_args("What is 1231 * 2331?", "text"), home_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("2869461"));
    EXPECT_THAT(r.err, HasSubstr("multiply"));
}

TEST_F(Cli, ContinueResumesTheLatestSession) {
    auto first = run_cli(run_args("What is 1231 * 2331?", "json"), home_.path());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    std::string sid(json::parse(first.out).at("session_id").as_string());
    auto args = run_args("and then?", "json");
    args.push_back("--continue");
    auto second = run_cli(args, home_.path());
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(json::parse(second.out).at("session_id"), json::value(sid));
    EXPECT_EQ(json::parse(second.out).at("result"), "Second turn.");
    auto show = run_cli({"sessions", "show", sid, "--data-dir", (home_ / "data").string()}, home_.path());
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_THAT(show.out, HasSubstr("and then?"));
    EXPECT_THAT(show.out, HasSubstr("2 turns"));
    auto list = run_cli({"sessions", "list", "--data-dir", (home_ / "data").string()}, home_.path());
    EXPECT_THAT(list.out, HasSubstr(sid));
}

// A session another process holds (a turn running in another terminal) can still be shown,
// with its usage; show takes no lock and changes nothing.
TEST_F(Cli, SessionsShowWorksWhileAnotherProcessHoldsTheSession) {
    auto first = run_cli(run_args("What is 1231 * 2331?", "json"), home_.path());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    std::string sid(json::parse(first.out).at("session_id").as_string());
    auto held = make_jsonl_session_store(sessions().string())->open(sid, false);  // the lock, as a running turn holds it
    const std::string before = test::read_file(sessions() / (sid + ".jsonl"));
    auto show = run_cli({"sessions", "show", sid, "--data-dir", (home_ / "data").string()}, home_.path());
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_THAT(show.out, HasSubstr("1 turns"));
    EXPECT_THAT(show.out, HasSubstr("\"input_tokens\":"));
    EXPECT_EQ(test::read_file(sessions() / (sid + ".jsonl")), before);
    auto exported = run_cli({"sessions", "export", sid, "--data-dir", (home_ / "data").string()}, home_.path());
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(exported.out, before);
}

TEST_F(Cli, ATornLastLineIsCutReportedAndTheSessionGoesOn) {
    auto first = run_cli(run_args("What is 1231 * 2331?", "json"), home_.path());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    std::string sid(json::parse(first.out).at("session_id").as_string());
    fs::path log_file = sessions() / (sid + ".jsonl");
    std::size_t events = lines(test::read_file(log_file)).size() - 1;
    {
        std::ofstream torn(log_file, std::ios::app);
        torn << R"({"id":"x","type":"input.mess)";
    }
    auto args = run_args("again", "json");
    args.insert(args.end(), {"--session", sid});
    auto second = run_cli(args, home_.path());
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_THAT(second.err, HasSubstr("torn"));
    std::vector<std::string> now = lines(test::read_file(log_file));
    Event next = event_from_json(json::parse(now[events]));
    EXPECT_EQ(next.sequence, events + 1) << "the sequence continues after the cut";
}

TEST_F(Cli, AMalformedMiddleLineIsAnErrorNamingTheLine) {
    auto first = run_cli(run_args("What is 1231 * 2331?", "json"), home_.path());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    std::string sid(json::parse(first.out).at("session_id").as_string());
    fs::path log_file = sessions() / (sid + ".jsonl");
    std::vector<std::string> ls = lines(test::read_file(log_file));
    ls[2] = "{not json";
    std::string joined;
    for (const auto& l : ls) joined += l.empty() ? "" : l + "\n";
    test::write_file(log_file, joined);
    auto args = run_args("again", "json");
    args.insert(args.end(), {"--session", sid});
    auto second = run_cli(args, home_.path());
    EXPECT_EQ(second.exit_code, 2);
    EXPECT_THAT(second.err, HasSubstr(":3"));
    EXPECT_EQ(lines(test::read_file(log_file)).size(), ls.size()) << "nothing was lost or rewritten";
}

TEST_F(Cli, AFailedTurnExitsOneWithItsCategory) {
    test::write_file(script_, R"({"responses": [{"error": {"category": "model_not_found", "message": "no such model"}}]})");
    auto r = run_cli(run_args("hi", "json"), home_.path());
    EXPECT_EQ(r.exit_code, 1);
    json::object out = json::parse(r.out).as_object();
    EXPECT_EQ(out.at("success"), false);
    EXPECT_EQ(out.at("error").at("category"), "model_not_found");
}

TEST_F(Cli, BadConfigurationExitsTwoNamingWhatIsWrong) {
    auto bad_harness = run_cli({"run", "-p", "x", "--harness", "nope", "--data-dir", (home_ / "d").string()}, home_.path());
    EXPECT_EQ(bad_harness.exit_code, 2);
    EXPECT_THAT(bad_harness.err, HasSubstr("nope"));

    test::write_file(script_, R"({"responses": [{"txt": "typo"}]})");
    auto bad_script = run_cli(run_args("x", "json"), home_.path());
    EXPECT_EQ(bad_script.exit_code, 2);
    EXPECT_THAT(bad_script.err, HasSubstr("responses[0]"));
    EXPECT_THAT(bad_script.err, HasSubstr("txt"));

    test::write_file(script_, "{\"responses\": [");
    auto torn_script = run_cli(run_args("x", "json"), home_.path());
    EXPECT_EQ(torn_script.exit_code, 2);
    EXPECT_THAT(torn_script.err, HasSubstr(script_.string()));

    auto bad_flag = run_cli({"run", "-p", "x", "--output-format", "yaml"}, home_.path());
    EXPECT_EQ(bad_flag.exit_code, 2);

    auto no_session = run_cli({"run", "-p", "x", "--session", "missing-id", "--data-dir", (home_ / "d").string()}, home_.path());
    EXPECT_EQ(no_session.exit_code, 2);
    EXPECT_THAT(no_session.err, HasSubstr("missing-id"));
}

TEST_F(Cli, ASlashPromptRunsACommandNotATurn) {
    test::write_file(script_, R"({"responses": [{"text": "We multiplied two numbers."}]})");
    fs::create_directories(home_ / "ws");  // not $HOME itself: that is no workspace
    std::vector<std::string> args{"run", "-p", "/btw what did we do?", "--output-format", "json", "--llmsim-script",
                                  script_.string(), "--data-dir", (home_ / "data").string(), "--workspace", (home_ / "ws").string()};
    auto r = run_cli(args, home_.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    json::object out = json::parse(r.out).as_object();
    EXPECT_EQ(out.at("command"), "btw");
    EXPECT_EQ(out.at("result"), "We multiplied two numbers.");
    args[2] = "/nope now";
    auto unknown = run_cli(args, home_.path());
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_THAT(unknown.out, HasSubstr("unknown command"));
    args[2] = "/usr/bin is a folder, right?";
    EXPECT_EQ(run_cli(args, home_.path()).exit_code, 0) << "a path is a prompt, not a command";
}

TEST_F(Cli, PluginsListShowsEveryPluginLoadedOrRefusedWithItsReason) {
    auto r = run_cli({"plugins", "list", "--plugin-dir", test::fixture_dir("good").string(), "--plugin-dir",
                      test::fixture_dir("null_entry").string(), "--plugin-dir", test::fixture_dir("not_elf").string()},
                     home_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, ::testing::ContainsRegex("llmsim +driver +1\\.0\\.0 +loaded"));
    EXPECT_THAT(r.out, ::testing::ContainsRegex("test_math +capability +1\\.0\\.0 +loaded"));
    EXPECT_THAT(r.out, ::testing::ContainsRegex("good_tool .* loaded"));
    EXPECT_THAT(r.out, ::testing::ContainsRegex("null_entry .*REFUSED .*NULL"));
    EXPECT_THAT(r.out, ::testing::ContainsRegex("not_elf .*REFUSED .*ELF"));
}

TEST_F(Cli, PluginsCheckRunsTheWholePipelineOnOnePlugin) {
    auto good = run_cli({"plugins", "check", (test::plugins_dir() / "test_math.so").string()}, home_.path());
    EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
    EXPECT_THAT(good.out, HasSubstr("test_math 1.0.0"));
    auto bad = run_cli({"plugins", "check", (test::fixture_dir("describe_mismatch") / "describe_mismatch.json").string()}, home_.path());
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_THAT(bad.out, HasSubstr("describe"));
}

TEST_F(Cli, HarnessesListAndShowFoldTheChain) {
    auto list = run_cli({"harnesses", "list"}, home_.path());
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_THAT(list.out, HasSubstr("math"));
    EXPECT_THAT(list.out, HasSubstr("test_math"));
    auto show = run_cli({"harnesses", "show", "math"}, home_.path());
    ASSERT_EQ(show.exit_code, 0) << show.err;
    json::object h = json::parse(show.out).as_object();
    EXPECT_EQ(h.at("chain"), (json::array{"base", "math"}));
}

}  // namespace
}  // namespace agenthost
