// Process containment of the bash tool (docs/security.md "Bash process containment"): every
// process a bash call starts is gone when the call ends — when the command exits, times out or
// is interrupted, and when agenthost itself is killed with SIGKILL — whatever it did to its
// session or process group, with the sandbox on and off, as root and as an unprivileged user.
// Found by a marker in /proc/*/cmdline. And where no PID namespace can be made, the result says
// so instead of claiming every process was killed.
#include "security/bash_attack.hpp"

#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <tuple>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
using test::AgentRun;
using test::RunAs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kDaemons = 5;

/// Start kDaemons processes that each try to outlive the command in their own way (a new
/// session, a double fork, nohup, setsid -f, ignoring SIGTERM/SIGHUP), wait until all run,
/// print "running=<count>", then run `tail`. Their command lines hold "<marker>-"; the
/// command's own text does not (the marker is put together when it runs).
std::string daemons(const std::string& marker, const std::string& tail) {
    return "m=" + marker +
           "\n"
           "setsid bash -c \"sleep 1000; : ${m}-setsid\" >/dev/null 2>&1 &\n"
           "( ( bash -c \"sleep 1000; : ${m}-double\" >/dev/null 2>&1 & ) & )\n"
           "nohup bash -c \"sleep 1000; : ${m}-nohup\" >/dev/null 2>&1 &\n"
           "setsid -f bash -c \"sleep 1000; : ${m}-forked\" >/dev/null 2>&1\n"
           "bash -c \"trap '' TERM HUP INT; sleep 1000; : ${m}-trap\" </dev/null >/dev/null 2>&1 &\n"
           "disown -a\n"
           "for i in $(seq 400); do [ \"$(pgrep -c -f \"${m}-\")\" -ge 5 ] && break; sleep 0.05; done\n"
           "echo running=$(pgrep -c -f \"${m}-\")\n" +
           tail;
}

using Param = std::tuple<std::string, RunAs>;  // --sandbox mode, who runs agenthost

class BashProcesses : public ::testing::TestWithParam<Param> {
protected:
    void SetUp() override {
        std::string why;
        if (!test::bwrap_works_as(who(), why)) GTEST_SKIP() << why;
        marker_ = test::unique_marker();
    }
    void TearDown() override { test::kill_leftovers(marker_ + "-"); }
    const std::string& mode() const { return std::get<0>(GetParam()); }
    RunAs who() const { return std::get<1>(GetParam()); }
    std::vector<std::string> flags() const { return {"--sandbox", mode()}; }
    std::size_t left() const { return test::processes_with(marker_ + "-").size(); }

    std::string marker_;
};

TEST_P(BashProcesses, NothingOutlivesACommandThatEnds) {
    AgentRun run(who());
    auto r = run.run(daemons(marker_, "echo done"), flags());
    // Checked at once: the call only ends when its PID namespace is empty.
    std::size_t survivors = left();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(AgentRun::field(r, "stdout"), "running=5\ndone\n") << "the daemons never started: " << r.out;
    EXPECT_EQ(survivors, 0u) << "processes outlived the bash call";
    EXPECT_EQ(AgentRun::field(r, "note"), "") << r.out;
}

TEST_P(BashProcesses, NothingOutlivesATimeoutAndTheNoteIsTrue) {
    AgentRun run(who());
    run.timeout_ms = 4000;
    auto r = run.run(daemons(marker_, "sleep 1000"), flags());
    std::size_t survivors = left();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    boost::json::object result = AgentRun::bash_result(r);
    ASSERT_TRUE(result.contains("timed_out")) << r.out;
    EXPECT_TRUE(result.at("timed_out").as_bool());
    EXPECT_EQ(AgentRun::field(r, "stdout"), "running=5\n") << "the daemons did not start in time: " << r.out;
    EXPECT_THAT(AgentRun::field(r, "note"), HasSubstr("every process it started were killed"));
    EXPECT_EQ(survivors, 0u) << "processes outlived the timeout that claimed to kill them";
}

TEST_P(BashProcesses, NothingOutlivesAgenthostKilledWithSigkill) {
    AgentRun run(who());
    pid_t agent = run.start(run.argv(daemons(marker_, "sleep 1000"), flags()));
    bool started = test::eventually([&] { return left() == kDaemons; }, std::chrono::seconds(30));
    ASSERT_EQ(::kill(agent, SIGKILL), 0);
    auto r = run.wait(agent);
    ASSERT_TRUE(started) << "the daemons never started: " << r.out << r.err;
    EXPECT_EQ(r.exit_code, 128 + SIGKILL);
    EXPECT_TRUE(test::eventually([&] { return left() == 0; })) << left() << " processes outlived agenthost";
}

INSTANTIATE_TEST_SUITE_P(
    SandboxOnAndOff, BashProcesses,
    ::testing::Combine(::testing::Values("off", "read-only", "workspace-write"),
                       ::testing::Values(RunAs::kSelf, RunAs::kUnprivileged)),
    [](const auto& info) {
        std::string mode = std::get<0>(info.param);
        std::replace(mode.begin(), mode.end(), '-', '_');
        return mode + "_" + test::run_as_name(std::get<1>(info.param));
    });

// An interrupt through the plugin itself (the fake host), sandbox off and on.
class BashInterrupt : public ::testing::TestWithParam<std::string> {};

TEST_P(BashInterrupt, KillsEverythingItStarted) {
    std::string why;
    if (!test::bwrap_works_as(RunAs::kSelf, why)) GTEST_SKIP() << why;
    std::string marker = test::unique_marker();
    test::TempDir ws;
    auto host = ahp::fake::FakeHost::open((test::plugins_dir() / "bash.so").string(),
                                          R"({"sandbox": ")" + GetParam() + R"("})");
    host.on_service("workspace.info", [&](const boost::json::value&) -> boost::json::value {
        return boost::json::object{{"root", ws.path().string()},
                                   {"write_blocklist", boost::json::array{".git", "node_modules"}}};
    });
    host.on_service("approval.ask", [](const boost::json::value&) -> boost::json::value {
        return boost::json::object{{"approved", true}};
    });
    std::atomic<bool> seen{false};
    std::thread interrupter([&] {
        seen = test::eventually([&] { return test::processes_with(marker + "-").size() == kDaemons; },
                                std::chrono::seconds(30));
        host.set_cancelled(true);
    });
    auto o = host.call_tool("bash", {{"command", daemons(marker, "sleep 1000")}});
    interrupter.join();
    std::size_t survivors = test::processes_with(marker + "-").size();
    test::kill_leftovers(marker + "-");
    ASSERT_TRUE(seen) << "the daemons never started";
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_TRUE(o.result.at("cancelled").as_bool());
    EXPECT_THAT(std::string(o.result.at("note").as_string()), HasSubstr("every process it started were killed"));
    EXPECT_EQ(survivors, 0u);
}

INSTANTIATE_TEST_SUITE_P(SandboxOnAndOff, BashInterrupt, ::testing::Values("off", "workspace-write"),
                         [](const auto& info) {
                             std::string mode = info.param;
                             std::replace(mode.begin(), mode.end(), '-', '_');
                             return mode;
                         });

// Where no user namespace can be made (here: agenthost inside a user namespace that forbids
// more), the sandbox fails closed and the unsandboxed path runs with a warning and never
// claims that every process was killed.
class BashWithoutUserNamespaces : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        if (!test::bwrap_works_as(RunAs::kSelf, why)) GTEST_SKIP() << why;
        marker_ = test::unique_marker();
    }
    void TearDown() override { test::kill_leftovers(marker_ + "-"); }
    /// agenthost as uid 65534 in a user namespace that allows no nested one; its PID namespace
    /// ends with it, so nothing outlives the test.
    test::CliResult run(AgentRun& agent, const std::string& command, const std::vector<std::string>& flags) {
        std::vector<std::string> argv = {"/usr/bin/bwrap", "--unshare-user", "--disable-userns", "--uid", "65534",
                                         "--gid", "65534", "--unshare-pid", "--die-with-parent", "--bind", "/", "/",
                                         "--dev-bind", "/dev", "/dev", "--proc", "/proc", "--"};
        std::vector<std::string> inner = agent.argv(command, flags);
        argv.insert(argv.end(), inner.begin(), inner.end());
        return agent.wait(agent.start(argv));
    }
    std::string marker_;
};

TEST_F(BashWithoutUserNamespaces, TheSandboxFailsClosed) {
    AgentRun agent(RunAs::kSelf);
    fs::path made = agent.workspace() / "made";
    auto r = run(agent, "touch '" + made.string() + "'", {"--sandbox", "read-only"});
    auto results = test::tool_results(r.out);
    ASSERT_EQ(results.size(), 1u) << r.out << r.err;
    EXPECT_FALSE(results[0].at("success").as_bool());
    EXPECT_THAT(boost::json::serialize(results[0]), HasSubstr("did not run"));
    EXPECT_FALSE(fs::exists(made));
}

TEST_F(BashWithoutUserNamespaces, TheUnsandboxedPathWarnsAndClaimsNothing) {
    AgentRun agent(RunAs::kSelf);
    agent.timeout_ms = 4000;
    auto r = run(agent, daemons(marker_, "sleep 1000"), {"--sandbox", "off"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string note = AgentRun::field(r, "note");
    EXPECT_EQ(AgentRun::field(r, "stdout").substr(0, 10), "running=5\n") << r.out;
    EXPECT_THAT(note, HasSubstr("timed out after 4000 ms: the command's process group was killed"));
    EXPECT_THAT(note, Not(HasSubstr("every process")));
    EXPECT_THAT(note, HasSubstr("may still be running"));
    EXPECT_THAT(r.err, HasSubstr("process containment is unavailable"));
}

}  // namespace
}  // namespace agenthost
