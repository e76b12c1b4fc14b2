// The bash plugin through the fake host, with real processes: approval first, output and exit
// codes, the workspace as cwd, everything killed on timeout, interrupt and floods, the
// environment an allow list, and the bubblewrap sandbox. (The attacks: tests/security/bash_*.)
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using agenthost::test::TempDir;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;
using Clock = std::chrono::steady_clock;

/// A marker for the processes of one test, put together by the shell when the command runs
/// (so the command's own text, e.g. bwrap's argv, does not hold it): "$m-…" with m=<tag>.
std::string unique_tag() {
    static int n = 0;
    return "bash-plugin-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

/// Whether a process whose command line holds `tag` is alive. Commands run in their own PID
/// namespace, so the pids they report mean nothing here: they are found by name instead.
bool marked_alive(const std::string& tag) {
    // "[b]ash-…" matches the marked processes but not the shell running this pgrep.
    return std::system(("pgrep -f -- '[" + tag.substr(0, 1) + "]" + tag.substr(1) + "' >/dev/null").c_str()) == 0;
}

/// Wait up to 3 s for every process marked `tag` to be gone.
bool marked_gone_soon(const std::string& tag) {
    for (auto until = Clock::now() + std::chrono::seconds(3); Clock::now() < until;) {
        if (!marked_alive(tag)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return !marked_alive(tag);
}

class BashPluginTest : public ::testing::Test {
protected:
    FakeHost make_host(const std::string& config = "{}") {
        FakeHost host = FakeHost::open((fs::path(AGENTHOST_BUILD_DIR) / "plugins" / "bash.so").string(), config);
        host.on_service("workspace.info", [this](const json::value&) -> json::value {
            return json::object{{"root", ws_.path().string()},
                                {"display_root", "/workspace"},
                                {"write_blocklist", json::array{".git", "node_modules"}}};
        });
        host.on_service("approval.ask", [this](const json::value& p) -> json::value {
            asked_.push_back(p);
            return json::object{{"approved", approve_}, {"reason", reason_}};
        });
        return host;
    }

    /// Run a command, expecting a successful tool call; returns its result object.
    json::object run(FakeHost& host, const std::string& command, json::object extra = {}) {
        extra["command"] = command;
        Outcome o = host.call_tool("bash", extra);
        EXPECT_TRUE(o.ok()) << o.error_code << ": " << o.error_message;
        return o.ok() ? o.result.as_object() : json::object{};
    }

    static std::string text(const json::object& r, const char* key) {
        const json::value* v = r.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    }

    TempDir ws_;
    bool approve_ = true;
    std::string reason_ = "approved";
    std::vector<json::value> asked_;
};

TEST_F(BashPluginTest, DescribesOneShortMutatingTool) {
    FakeHost host = make_host();
    json::object d = host.describe();
    ASSERT_EQ(d.at("tools").as_array().size(), 1u);
    const json::object& t = d.at("tools").as_array()[0].as_object();
    EXPECT_EQ(t.at("name"), "bash");
    EXPECT_TRUE(t.at("mutating").as_bool());
    EXPECT_LT(t.at("description").as_string().size(), 240u);
    EXPECT_EQ(t.at("parameters").at("required").as_array()[0], "command");
}

TEST_F(BashPluginTest, ExitCodeAndSeparateStreams) {
    FakeHost host = make_host();
    json::object r = run(host, "echo out; echo err >&2; exit 3");
    EXPECT_EQ(r.at("exit_code").as_int64(), 3);  // a non-zero exit is a result, not a tool error
    EXPECT_EQ(text(r, "stdout"), "out\n");
    EXPECT_EQ(text(r, "stderr"), "err\n");
    EXPECT_FALSE(r.at("timed_out").as_bool());
    EXPECT_FALSE(r.at("cancelled").as_bool());
    EXPECT_FALSE(r.at("truncated").as_bool());
    EXPECT_TRUE(r.at("duration_ms").is_int64());
    EXPECT_FALSE(r.contains("note"));
}

TEST_F(BashPluginTest, RunsInTheWorkspaceWithStdinFromDevNull) {
    FakeHost host = make_host();
    json::object r = run(host, "pwd -P; cat; readlink /proc/$$/fd/0");
    std::string out = text(r, "stdout");
    EXPECT_EQ(out.substr(0, out.find('\n')), fs::canonical(ws_.path()).string());
    EXPECT_NE(out.find("/dev/null"), std::string::npos) << out;
    EXPECT_EQ(r.at("exit_code").as_int64(), 0);
}

TEST_F(BashPluginTest, AsksTheApprovalGateWithTheCommand) {
    FakeHost host = make_host();
    run(host, "echo one\necho two");
    ASSERT_EQ(asked_.size(), 1u);
    const json::object& a = asked_[0].as_object();
    EXPECT_EQ(a.at("action"), "exec");
    EXPECT_EQ(a.at("summary"), "run bash: echo one");
    EXPECT_EQ(a.at("details"), "echo one\necho two");
    EXPECT_EQ(a.at("key"), "echo one\necho two");

    std::string long_line = "echo " + std::string(300, 'x');
    run(host, long_line);
    ASSERT_EQ(asked_.size(), 2u);
    EXPECT_EQ(asked_[1].at("summary").as_string().size(), std::string("run bash: ").size() + 200);
}

TEST_F(BashPluginTest, DenialIsAToolErrorAndNothingRuns) {
    approve_ = false;
    reason_ = "not now";
    FakeHost host = make_host();
    fs::path marker = ws_ / "marker";
    Outcome o = host.call_tool("bash", {{"command", "touch '" + marker.string() + "'"}});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status, AHP_DENIED);
    EXPECT_EQ(o.error_code, "denied");
    EXPECT_NE(o.error_message.find("the user denied running this command: not now"), std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(fs::exists(marker));
}

TEST_F(BashPluginTest, BadArgumentsAreRefusedBeforeAsking) {
    FakeHost host = make_host();
    for (const json::object& args : {json::object{}, json::object{{"command", ""}}, json::object{{"command", 5}},
                                     json::object{{"command", "true"}, {"timeout_ms", 0}},
                                     json::object{{"command", "true"}, {"timeout_ms", 600001}},
                                     json::object{{"command", std::string(200000, 'x')}}}) {
        Outcome o = host.call_tool("bash", args);
        EXPECT_EQ(o.status, AHP_INVALID_ARGUMENT) << json::serialize(args).substr(0, 80);
    }
    EXPECT_TRUE(asked_.empty());
}

TEST_F(BashPluginTest, TimeoutKillsTheWholeGroup) {
    FakeHost host = make_host();
    std::string tag = unique_tag();
    auto t0 = Clock::now();
    json::object r = run(host, "m=" + tag + "; bash -c \"sleep 100; : $m-gc\" & sleep 100; wait", {{"timeout_ms", 500}});
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
    EXPECT_TRUE(r.at("timed_out").as_bool());
    EXPECT_NE(text(r, "note").find("timed out after 500 ms"), std::string::npos) << text(r, "note");
    EXPECT_NE(text(r, "note").find("every process it started were killed"), std::string::npos) << text(r, "note");
    EXPECT_TRUE(marked_gone_soon(tag + "-gc")) << "the grandchild survived";
}

TEST_F(BashPluginTest, InterruptKillsTheWholeGroup) {
    FakeHost host = make_host();
    std::string tag = unique_tag();
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        host.set_cancelled(true);
    });
    auto t0 = Clock::now();
    json::object r = run(host, "m=" + tag + "; bash -c \"sleep 100; : $m-gc\" & wait");
    interrupter.join();
    host.set_cancelled(false);
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
    EXPECT_TRUE(r.at("cancelled").as_bool());
    EXPECT_FALSE(r.at("timed_out").as_bool());
    EXPECT_TRUE(marked_gone_soon(tag + "-gc"));
}

TEST_F(BashPluginTest, BackgroundJobsDoNotOutliveTheCommand) {
    FakeHost host = make_host();
    std::string tag = unique_tag();
    auto t0 = Clock::now();
    json::object r = run(host, "m=" + tag + "; bash -c \"sleep 100; : $m-bg\" & echo started");
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
    EXPECT_EQ(text(r, "stdout"), "started\n");
    EXPECT_FALSE(marked_alive(tag + "-bg"));  // the call ends when its PID namespace is empty
}

TEST_F(BashPluginTest, AProcessThatLeftTheGroupCannotHoldTheResultBack) {
    FakeHost host = make_host();
    std::string tag = unique_tag();
    auto t0 = Clock::now();
    json::object r = run(host, "m=" + tag + "; setsid bash -c \"sleep 30; : $m-esc\" & sleep 0.2; echo done");
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
    EXPECT_EQ(text(r, "stdout"), "done\n");
    EXPECT_FALSE(marked_alive(tag + "-esc"));
}

TEST_F(BashPluginTest, FloodIsCappedHeadAndTailAndKilled) {
    FakeHost host = make_host();
    auto t0 = Clock::now();
    json::object r = run(host, "yes | head -c 200000000");
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(30));
    std::string out = text(r, "stdout");
    EXPECT_TRUE(r.at("truncated").as_bool());
    EXPECT_LT(out.size(), 32u * 1024);
    EXPECT_EQ(out.substr(0, 4), "y\ny\n");
    EXPECT_EQ(out.substr(out.size() - 4), "y\ny\n");
    EXPECT_NE(out.find("cut from the middle of this output"), std::string::npos);
    EXPECT_NE(text(r, "note").find("64 MiB limit"), std::string::npos) << text(r, "note");
}

TEST_F(BashPluginTest, CutSaysHowManyBytesAndLines) {
    FakeHost host = make_host();
    json::object r = run(host, "seq 1 100000");  // 588,895 bytes, 100,000 lines: cut but not killed
    std::string out = text(r, "stdout");
    EXPECT_TRUE(r.at("truncated").as_bool());
    EXPECT_FALSE(r.contains("note"));
    EXPECT_EQ(out.substr(0, 4), "1\n2\n");
    EXPECT_EQ(out.substr(out.size() - 7), "100000\n");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(\[\.\.\. (\d+) bytes \((\d+) lines\) cut)")));
    std::size_t marker_start = static_cast<std::size_t>(m.position(0));
    std::size_t kept_bytes = out.size() - (out.find('\n', marker_start) + 1 - marker_start);
    std::size_t kept_lines = static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')) - 1;
    EXPECT_EQ(std::stoull(m[1]) + kept_bytes, 588895u);
    EXPECT_EQ(std::stoull(m[2]) + kept_lines, 100000u);
}

TEST_F(BashPluginTest, ForkForeverIsKilledWithItsChildren) {
    FakeHost host = make_host();
    std::string tag = unique_tag();
    json::object r = run(host, "m=" + tag + "; while true; do bash -c \"sleep 1; : $m-child\" & done",
                         {{"timeout_ms", 500}});
    EXPECT_TRUE(r.at("timed_out").as_bool());
    // Checked at once: the call only returns when its PID namespace is empty.
    EXPECT_FALSE(marked_alive(tag + "-child")) << "a child of the fork loop survived";
}

TEST_F(BashPluginTest, TheEnvironmentIsAnAllowList) {
    const char* secrets[] = {"FAKE_API_KEY", "ANTHROPIC_API_KEY", "DATABASE_URL", "GH_PAT",
                             "SMTP_PASS",    "my_db_password",    "AGENTHOST_SECRET_THING"};
    for (const char* s : secrets) ::setenv(s, "sk-should-not-leak", 1);
    ::setenv("BASH_TEST_UNLISTED", "yes", 1);
    ::setenv("LC_TIME", "C.UTF-8", 1);
    {
        FakeHost host = make_host();
        std::string env = text(run(host, "env"), "stdout");
        for (const char* s : secrets) EXPECT_EQ(env.find(std::string(s) + "="), std::string::npos) << s;
        EXPECT_EQ(env.find("sk-should-not-leak"), std::string::npos);
        EXPECT_EQ(env.find("BASH_TEST_UNLISTED="), std::string::npos);
        EXPECT_NE(env.find("PATH="), std::string::npos);
        EXPECT_NE(env.find("LC_TIME=C.UTF-8"), std::string::npos);
        EXPECT_NE(env.find("PWD=" + ws_.path().string() + "\n"), std::string::npos) << env;

        FakeHost through = make_host(R"({"env_passthrough": ["FAKE_API_KEY", "BASH_TEST_UNLISTED"]})");
        std::string env2 = text(run(through, "env"), "stdout");
        EXPECT_NE(env2.find("FAKE_API_KEY=sk-should-not-leak"), std::string::npos);
        EXPECT_NE(env2.find("BASH_TEST_UNLISTED=yes"), std::string::npos);
        EXPECT_EQ(env2.find("ANTHROPIC_API_KEY="), std::string::npos);
    }
    for (const char* s : secrets) ::unsetenv(s);
    ::unsetenv("BASH_TEST_UNLISTED");
    ::unsetenv("LC_TIME");
}

TEST_F(BashPluginTest, InvalidUtf8AndSignalsAreReported) {
    FakeHost host = make_host();
    json::object r = run(host, R"(printf 'a\xff\xfeb\n'; kill -SEGV $$)");
    EXPECT_EQ(text(r, "stdout"),
              "a\xEF\xBF\xBD\xEF\xBF\xBD"
              "b\n");
    EXPECT_EQ(r.at("exit_code").as_int64(), 128 + SIGSEGV);
    EXPECT_NE(text(r, "note").find("SIGSEGV"), std::string::npos) << text(r, "note");
}

TEST_F(BashPluginTest, BadConfigIsRefused) {
    EXPECT_THROW(make_host(R"({"sandbox": "maybe"})"), std::runtime_error);
    EXPECT_THROW(make_host(R"({"network": "yes"})"), std::runtime_error);
    EXPECT_THROW(make_host(R"({"surprise": 1})"), std::runtime_error);
}

/// Whether bubblewrap can set up the sandbox here (installed, namespaces allowed).
bool bwrap_usable(std::string& why) {
    if (std::system("command -v bwrap >/dev/null 2>&1") != 0) return why = "bwrap is not installed", false;
    if (std::system("bwrap --ro-bind / / --dev /dev --proc /proc --unshare-net --unshare-pid --die-with-parent "
                    "--new-session true >/dev/null 2>&1") != 0) {
        return why = "bwrap cannot create namespaces in this environment", false;
    }
    return true;
}

TEST_F(BashPluginTest, ReadOnlySandboxRefusesWorkspaceWrites) {
    std::string why;
    if (!bwrap_usable(why)) GTEST_SKIP() << why;
    FakeHost host = make_host(R"({"sandbox": "read-only"})");
    json::object r = run(host, "pwd; touch made-here; echo rc=$?; wc -l < /proc/net/dev");
    std::string out = text(r, "stdout");
    EXPECT_EQ(out.substr(0, out.find('\n')), ws_.path().string());
    EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
    EXPECT_NE(text(r, "stderr").find("Read-only file system"), std::string::npos) << text(r, "stderr");
    EXPECT_NE(out.find("\n3\n"), std::string::npos) << "only lo without network: " << out;
    EXPECT_FALSE(fs::exists(ws_ / "made-here"));
}

TEST_F(BashPluginTest, WorkspaceWriteSandboxWritesOnlyTheWorkspace) {
    std::string why;
    if (!bwrap_usable(why)) GTEST_SKIP() << why;
    TempDir outside;
    FakeHost host = make_host(R"({"sandbox": "workspace-write"})");
    json::object r = run(host, "touch made-here && echo ok; touch '" + (outside / "no").string() + "' || echo refused");
    EXPECT_EQ(text(r, "stdout"), "ok\nrefused\n");
    EXPECT_TRUE(fs::exists(ws_ / "made-here"));
    EXPECT_FALSE(fs::exists(outside / "no"));
}

TEST_F(BashPluginTest, SandboxTimeoutKillsEverythingInside) {
    std::string why;
    if (!bwrap_usable(why)) GTEST_SKIP() << why;
    FakeHost host = make_host(R"({"sandbox": "workspace-write"})");
    // Inside its pid namespace the sandbox cannot report host pids; mark the processes instead.
    std::string tag = "bash-plugin-test-" + std::to_string(::getpid());
    json::object r = run(host, "exec -a " + tag + " sleep 100 & sleep 100; wait", {{"timeout_ms", 500}});
    EXPECT_TRUE(r.at("timed_out").as_bool());
    bool left = true;
    for (auto until = Clock::now() + std::chrono::seconds(3); Clock::now() < until && left;) {
        left = std::system(("pgrep -f '^" + tag + "' >/dev/null").c_str()) == 0;
        if (left) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(left) << "a sandboxed process survived";
}

TEST_F(BashPluginTest, ASandboxThatCannotStartIsAnErrorNotAnUnsandboxedRun) {
    // A bwrap that fails the way it does without user namespaces, found first on PATH.
    TempDir bin;
    agenthost::test::write_file(bin / "bwrap",
                                "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n");
    fs::permissions(bin / "bwrap", fs::perms::owner_all);
    std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (bin.path().string() + ":" + old_path).c_str(), 1);
    FakeHost host = make_host(R"({"sandbox": "read-only"})");
    ::setenv("PATH", old_path.c_str(), 1);
    fs::path marker = ws_ / "marker";
    Outcome o = host.call_tool("bash", {{"command", "touch '" + marker.string() + "'"}});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error_code, "sandbox_failed");
    EXPECT_NE(o.error_message.find("did not run"), std::string::npos) << o.error_message;
    EXPECT_NE(o.error_message.find("No permissions to creating new namespace"), std::string::npos) << o.error_message;
    EXPECT_FALSE(fs::exists(marker));
}

TEST_F(BashPluginTest, WorkspaceWriteNeedsTheHostsBlocklist) {
    FakeHost host = make_host(R"({"sandbox": "workspace-write"})");
    host.on_service("workspace.info", [this](const json::value&) -> json::value {
        return json::object{{"root", ws_.path().string()}};
    });
    Outcome o = host.call_tool("bash", {{"command", "touch ran"}});
    ASSERT_FALSE(o.ok());
    EXPECT_NE(o.error_message.find("no 'write_blocklist'"), std::string::npos) << o.error_message;
    EXPECT_FALSE(fs::exists(ws_.path() / "ran"));
}

TEST_F(BashPluginTest, AMissingWorkspaceFolderIsAClearError) {
    FakeHost host = make_host();
    host.on_service("workspace.info", [](const json::value&) -> json::value {
        return json::object{{"root", "/nonexistent/agenthost-workspace"}};
    });
    Outcome o = host.call_tool("bash", {{"command", "true"}});
    ASSERT_FALSE(o.ok());
    EXPECT_NE(o.error_message.find("/nonexistent/agenthost-workspace does not exist"), std::string::npos)
        << o.error_message;
}

}  // namespace
