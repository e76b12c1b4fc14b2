// Signals (docs/security.md): SIGINT, SIGTERM and SIGHUP sent to a headless `agenthost run`
// while a bash command runs interrupt the turn — the command and what it started are killed,
// turn.cancelled is stored and printed, the log is closed — and the exit status is 130, 143
// or 129. A second signal while the host shuts down exits at once.
#include "security/security_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::call;
using test::say;
using ::testing::HasSubstr;

struct SignalCase {
    int signal;
    int exit_code;
    const char* name;
};

class HeadlessSignal : public ::testing::TestWithParam<SignalCase> {};

TEST_P(HeadlessSignal, InterruptsTheTurnRecordsItAndKillsTheCommand) {
    const SignalCase c = GetParam();
    test::RunSetup run;
    // A unique sleep length marks the command's processes in /proc (bash -c and sleep).
    const std::string marker = "1000." + std::to_string(100000 + std::random_device{}() % 900000);
    run.harness(json::array{"bash"});
    run.script(json::array{call("bash", {{"command", "echo started > started.flag; sleep " + marker + "; echo after"}}),
                           say("never reached")});
    test::CliProcess agent(run.run_args("run something slow"), run.home());
    ASSERT_GT(agent.pid(), 0);
    ASSERT_TRUE(test::eventually([&] { return fs::exists(run.workspace() / "started.flag"); })) << agent.err();
    ASSERT_TRUE(test::eventually([&] { return !test::processes_with(marker).empty(); }));
    ASSERT_EQ(::kill(agent.pid(), c.signal), 0);
    test::CliResult r = agent.wait();

    EXPECT_EQ(r.exit_code, c.exit_code) << c.name << "\n" << r.err;
    std::vector<std::string> types = test::event_types(run.session_log());
    ASSERT_FALSE(types.empty());
    EXPECT_EQ(types.back(), "turn.cancelled") << "the log ends with the cancelled turn";
    EXPECT_EQ(std::count(types.begin(), types.end(), "tool.completed"), 1) << "the command's call is answered";
    EXPECT_THAT(r.out, HasSubstr("\"type\":\"turn.cancelled\"")) << "and stream-json printed it";
    EXPECT_TRUE(test::eventually([&] { return test::processes_with(marker).empty(); }))
        << "no process of the command is left";
    EXPECT_FALSE(fs::exists(run.workspace() / "after")) << "the command did not go on";
    EXPECT_THAT(test::read_file(run.workspace() / "started.flag"), HasSubstr("started"));
}

INSTANTIATE_TEST_SUITE_P(Signals, HeadlessSignal,
                         ::testing::Values(SignalCase{SIGINT, 130, "SIGINT"}, SignalCase{SIGTERM, 143, "SIGTERM"},
                                           SignalCase{SIGHUP, 129, "SIGHUP"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(HeadlessSignal, TheResumedSessionTakesTheNextTurn) {
    test::RunSetup run;
    const std::string marker = "1000." + std::to_string(100000 + std::random_device{}() % 900000);
    run.harness(json::array{"bash"});
    run.script(json::array{call("bash", {{"command", "echo started > started.flag; sleep " + marker}}), say("back")});
    {
        test::CliProcess agent(run.run_args("slow"), run.home());
        ASSERT_TRUE(test::eventually([&] { return fs::exists(run.workspace() / "started.flag"); })) << agent.err();
        ::kill(agent.pid(), SIGTERM);
        ASSERT_EQ(agent.wait().exit_code, 143);
    }
    std::vector<std::string> args = run.run_args("again", "json");
    args.insert(args.end(), {"--session", run.session_id()});
    auto next = test::run_cli(args, run.home());
    EXPECT_EQ(next.exit_code, 0) << next.err;
    EXPECT_THAT(next.out, HasSubstr("\"success\":true"));
}

TEST(HeadlessSignal, ASecondSignalWhileShuttingDownExitsAtOnce) {
    // The stubborn fixture tool ignores interrupts, so the first SIGTERM cannot end the turn.
    test::RunSetup run;
    run.harness(json::array{"hostile"});
    run.script(json::array{call("hang", {{"flag", (run.workspace() / "hanging.flag").string()}}), say("never")});
    std::vector<std::string> args = run.run_args("hang", "json");
    args.insert(args.end(), {"--plugin-dir", test::fixture_dir("hostile").string()});
    test::CliProcess agent(args, run.home());
    ASSERT_TRUE(test::eventually([&] { return fs::exists(run.workspace() / "hanging.flag"); })) << agent.err();
    ::kill(agent.pid(), SIGTERM);
    ASSERT_TRUE(test::eventually([&] { return agent.err().find("cancelling the turn") != std::string::npos; }))
        << agent.err();
    ::kill(agent.pid(), SIGTERM);
    test::CliResult r = agent.wait();
    EXPECT_EQ(r.exit_code, 143) << r.err;
    EXPECT_THAT(r.err, HasSubstr("a second signal while shutting down"));
}

TEST(HeadlessSignal, AModelCallIsInterruptedToo) {
    // The signal comes while the model's (slowed) answer streams: the call stops, the turn is
    // cancelled as it is when a command runs.
    test::RunSetup run;
    run.harness(json::array{});
    run.script(json::array{say("a long answer that streams slowly, word by word, on and on and on")});
    test::CliProcess agent(run.run_args("talk"), run.home(), {{"AGENTHOST_LLMSIM_DELAY_MS", "100000"}});
    ASSERT_TRUE(test::eventually([&] { return agent.out().find("output.message.started") != std::string::npos; }))
        << agent.err();
    ::kill(agent.pid(), SIGINT);
    test::CliResult r = agent.wait();
    EXPECT_EQ(r.exit_code, 130) << r.err;
    EXPECT_EQ(test::event_types(run.session_log()).back(), "turn.cancelled");
}

}  // namespace
}  // namespace agenthost
