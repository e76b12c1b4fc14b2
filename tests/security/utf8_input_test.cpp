// Input that is not UTF-8 never breaks a session (docs/security.md): whatever enters an event —
// a prompt, a steer, a command's arguments, a file name in a tool result, a driver's error —
// is stored as valid UTF-8 (U+FFFD in place of the bad bytes), so the session resumes and takes
// another turn; a log an older version wrote with bad bytes is repaired on reading, with a
// warning naming the line.
#include "security/security_support.hpp"

#include "base/utf8.hpp"

#include <agenthost/runtime.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::call;
using test::say;
using ::testing::HasSubstr;

/// Every line of a log is valid UTF-8 and parses with a strict parser.
void expect_valid_log(const std::string& log) {
    ASSERT_TRUE(is_valid_utf8(log));
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        boost::system::error_code ec;
        json::parse(line, ec);  // allow_invalid_utf8 is off by default
        EXPECT_FALSE(ec) << line;
    }
}

TEST(Utf8Input, APromptThatIsNotUtf8LeavesASessionThatResumes) {
    test::RunSetup run;
    run.harness(json::array{"bash"});
    run.script(json::array{say("first"), say("second")});
    auto first = test::run_cli(run.run_args("bad \xFF\xFE bytes \xC3", "json"), run.home());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    expect_valid_log(run.session_log());
    EXPECT_THAT(run.session_log(), HasSubstr("bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD"));
    std::vector<std::string> args = run.run_args("and again \x80", "json");
    args.insert(args.end(), {"--session", run.session_id()});
    auto second = test::run_cli(args, run.home());
    EXPECT_EQ(second.exit_code, 0) << second.err;
    EXPECT_THAT(second.out, HasSubstr("\"success\":true"));
    EXPECT_TRUE(is_valid_utf8(second.out));
    expect_valid_log(run.session_log());
}

TEST(Utf8Input, FileNamesThatAreNotUtf8LeaveASessionThatResumes) {
    test::RunSetup run;
    test::write_file(run.workspace() / "caf\xE9.txt", "latin-1 name\n");
    test::write_file(run.workspace() / "bad\xFF\xFE" / "inner.txt", "x\n");
    run.harness(json::array{"bash", "filesystem"});
    run.script(json::array{call("bash", {{"command", "ls; ls bad*; printf 'raw \\377\\n'"}}), call("list_directory"),
                           call("glob", {{"pattern", "**/*"}}), say("listed"), say("again")});
    auto first = test::run_cli(run.run_args("list the files", "json"), run.home());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_THAT(first.out, HasSubstr("\"success\":true"));
    expect_valid_log(run.session_log());
    EXPECT_THAT(run.session_log(), HasSubstr("caf\xEF\xBF\xBD.txt")) << "the name is shown, repaired";
    std::vector<std::string> args = run.run_args("more", "json");
    args.insert(args.end(), {"--session", run.session_id()});
    auto second = test::run_cli(args, run.home());
    EXPECT_EQ(second.exit_code, 0) << second.err;
    EXPECT_THAT(second.out, HasSubstr("\"result\":\"again\""));
    expect_valid_log(run.session_log());
}

TEST(Utf8Input, SteerAndCommandArgumentsThatAreNotUtf8AreRepaired) {
    test::TempDir data;
    auto store = make_jsonl_session_store(data.path().string());
    std::string sid;
    {
        auto rt = test::builder({say("one"), say("two")}).capability("probe").session_store(store).build();
        sid = rt->default_session_id();
        rt->steer(sid, "steer \xFF");
        CommandResult c = rt->execute_command(sid, "probe_cmd", "args \xFE\xFF");
        EXPECT_TRUE(c.success) << c.message;
        EXPECT_TRUE(is_valid_utf8(c.message));
        TurnResult r = rt->run_turn("turn \xC0\xAF");
        ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
        for (const Event& e : rt->events(sid)) EXPECT_TRUE(is_valid_utf8(to_json_line(e))) << to_json_line(e);
        EXPECT_EQ(rt->messages(sid).front().text(), "steer \xEF\xBF\xBD");
    }
    expect_valid_log(test::read_file(data / (sid + ".jsonl")));
    auto rt = test::builder({say("three")}).capability("probe").session_store(store).session_id(sid).resume().build();
    EXPECT_TRUE(rt->take_warnings().empty()) << "nothing to repair in a log this version wrote";
    EXPECT_TRUE(rt->run_turn("next").success);
}

TEST(Utf8Input, AnOldLogWithBadBytesIsRepairedOnResumeWithAWarningNamingTheLine) {
    test::RunSetup run;
    run.harness(json::array{});
    run.script(json::array{say("first"), say("after the repair")});
    auto first = test::run_cli(run.run_args("hello", "json"), run.home());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    // What an older version stored: a prompt's bytes as they came.
    const fs::path log = run.data() / "sessions" / (run.session_id() + ".jsonl");
    std::string text = test::read_file(log);
    const std::size_t at = text.find("\"hello\"");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 7, "\"hel\xFFlo\"");
    test::write_file(log, text);
    const std::size_t line = static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1;

    std::vector<std::string> args = run.run_args("next", "json");
    args.insert(args.end(), {"--session", run.session_id()});
    auto second = test::run_cli(args, run.home());
    EXPECT_EQ(second.exit_code, 0) << second.err;
    EXPECT_THAT(second.out, HasSubstr("\"result\":\"after the repair\""));
    EXPECT_THAT(second.err, HasSubstr(run.session_id() + ".jsonl:" + std::to_string(line) + ": bytes that are not UTF-8"));
    auto shown = test::run_cli({"sessions", "show", run.session_id(), "--data-dir", run.data().string()}, run.home());
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_THAT(shown.out, HasSubstr("hel\xEF\xBF\xBDlo"));
}

}  // namespace
}  // namespace agenthost
