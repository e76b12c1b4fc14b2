// The bash plugin through the fake host, with real processes: approval first, output and exit
// codes, the workspace as cwd, process-group kills on timeout, interrupt and floods, secrets
// scrubbed, and the bubblewrap sandbox.
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

/// Whether `pid` is a live process (a zombie is dead: it only waits to be reaped).
bool alive(pid_t pid) {
    if (::kill(pid, 0) != 0) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    std::size_t paren = line.rfind(')');
    return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

/// Wait up to 3 s for `pid` to be gone (SIGKILL is delivered asynchronously).
bool gone_soon(pid_t pid) {
    for (auto until = Clock::now() + std::chrono::seconds(3); Clock::now() < until;) {
        if (!alive(pid)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

/// Live (non-zombie) processes whose process group is `pgid`.
std::vector<pid_t> group_members(pid_t pgid) {
    std::vector<pid_t> out;
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(e.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        std::size_t paren = line.rfind(')');
        if (paren == std::string::npos) continue;
        std::istringstream rest(line.substr(paren + 2));
        char state = 0;
        long ppid = 0, pgrp = 0;
        rest >> state >> ppid >> pgrp;
        if (pgrp == pgid && state != 'Z') out.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return out;
}

pid_t read_pid(const fs::path& p) {
    for (auto until = Clock::now() + std::chrono::seconds(2); Clock::now() < until;) {
        std::ifstream in(p);
        long pid = 0;
        if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
}

class BashPluginTest : public ::testing::Test {
protected:
    FakeHost make_host(const std::string& config = "{}") {
        FakeHost host = FakeHost::open((fs::path(AGENTHOST_BUILD_DIR) / "plugins" / "bash.so").string(), config);
        host.on_service("workspace.info", [this](const json::value&) -> json::value {
            return json::object{{"root", ws_.path().string()}, {"display_root", "/workspace"}};
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
    EXPECT_NE(o.error_message.find("the command was not run: not now"), std::string::npos);
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
    auto t0 = Clock::now();
    json::object r = run(host, "sleep 100 & echo $! > gc.pid; sleep 100; wait", {{"timeout_ms", 500}});
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
    EXPECT_TRUE(r.at("timed_out").as_bool());
    EXPECT_NE(text(r, "note").find("timed out after 500 ms"), std::string::npos) << text(r, "note");
    pid_t grandchild = read_pid(ws_ / "gc.pid");
    ASSERT_GT(grandchild, 0);
    EXPECT_TRUE(gone_soon(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST_F(BashPluginTest, InterruptKillsTheWholeGroup) {
    FakeHost host = make_host();
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        host.set_cancelled(true);
    });
    auto t0 = Clock::now();
    json::object r = run(host, "sleep 100 & echo $! > gc.pid; wait");
    interrupter.join();
    host.set_cancelled(false);
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
    EXPECT_TRUE(r.at("cancelled").as_bool());
    EXPECT_FALSE(r.at("timed_out").as_bool());
    pid_t grandchild = read_pid(ws_ / "gc.pid");
    ASSERT_GT(grandchild, 0);
    EXPECT_TRUE(gone_soon(grandchild));
}

TEST_F(BashPluginTest, BackgroundJobsDoNotOutliveTheCommand) {
    FakeHost host = make_host();
    auto t0 = Clock::now();
    json::object r = run(host, "sleep 100 & echo $! > bg.pid; echo started");
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
    EXPECT_EQ(text(r, "stdout"), "started\n");
    pid_t bg = read_pid(ws_ / "bg.pid");
    ASSERT_GT(bg, 0);
    EXPECT_TRUE(gone_soon(bg));
}

TEST_F(BashPluginTest, AProcessThatLeftTheGroupCannotHoldTheResultBack) {
    FakeHost host = make_host();
    auto t0 = Clock::now();
    json::object r = run(host, "setsid sh -c 'echo $$ > esc.pid; exec sleep 30' & sleep 0.2; echo done");
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
    EXPECT_EQ(text(r, "stdout"), "done\n");
    if (pid_t escaped = read_pid(ws_ / "esc.pid"); escaped > 0) ::kill(escaped, SIGKILL);
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
    json::object r = run(host, "echo $$ > leader.pid; while true; do sleep 1 & done", {{"timeout_ms", 500}});
    EXPECT_TRUE(r.at("timed_out").as_bool());
    pid_t pgid = read_pid(ws_ / "leader.pid");
    ASSERT_GT(pgid, 0);
    // Checked within 500 ms: a `sleep 1` that escaped the kill would still be there.
    std::vector<pid_t> left;
    for (auto until = Clock::now() + std::chrono::milliseconds(500); Clock::now() < until;) {
        left = group_members(pgid);
        if (left.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(left.empty()) << left.size() << " processes of group " << pgid << " survived";
}

TEST_F(BashPluginTest, SecretsAreScrubbedFromTheEnvironment) {
    const char* secrets[] = {"FAKE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL",        "AWS_REGION",
                             "GH_TOKEN",     "my_db_password",    "AGENTHOST_SECRET_THING", "SOME_CREDENTIALS"};
    for (const char* s : secrets) ::setenv(s, "sk-should-not-leak", 1);
    ::setenv("BASH_TEST_VISIBLE", "yes", 1);
    {
        FakeHost host = make_host();
        std::string env = text(run(host, "env"), "stdout");
        for (const char* s : secrets) EXPECT_EQ(env.find(std::string(s) + "="), std::string::npos) << s;
        EXPECT_EQ(env.find("sk-should-not-leak"), std::string::npos);
        EXPECT_NE(env.find("BASH_TEST_VISIBLE=yes"), std::string::npos);
        EXPECT_NE(env.find("PATH="), std::string::npos);

        FakeHost through = make_host(R"({"env_passthrough": ["FAKE_API_KEY"]})");
        std::string env2 = text(run(through, "env"), "stdout");
        EXPECT_NE(env2.find("FAKE_API_KEY=sk-should-not-leak"), std::string::npos);
        EXPECT_EQ(env2.find("ANTHROPIC_API_KEY="), std::string::npos);
    }
    for (const char* s : secrets) ::unsetenv(s);
    ::unsetenv("BASH_TEST_VISIBLE");
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
