// The bash sandbox (docs/security.md "The bash sandbox"), attacked through the real agenthost
// binary with bubblewrap for real, as root and as an unprivileged user: a command under
// --sandbox must hold no capability and gain none, write nothing outside the workspace, reach
// no host socket under /run, and under workspace-write plant nothing in .git or the other
// blocklisted folders that runs later outside the sandbox.
#include "security/bash_attack.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
using test::AgentRun;
using test::RunAs;
using ::testing::HasSubstr;
using ::testing::Not;

class BashSandbox : public ::testing::TestWithParam<RunAs> {
protected:
    void SetUp() override {
        std::string why;
        if (!test::bwrap_works_as(GetParam(), why)) GTEST_SKIP() << why;
    }
    RunAs who() const { return GetParam(); }
};

/// The /proc/self/status line starting with `key` ("CapEff:"), value only.
std::string status_field(const std::string& out, const std::string& key) {
    std::size_t at = out.find("\n" + key);
    if (at == std::string::npos) at = out.rfind(key, 0) == 0 ? 0 : std::string::npos;
    else ++at;
    if (at == std::string::npos) return "";
    std::size_t start = out.find_first_not_of(" \t", at + key.size());
    return out.substr(start, out.find('\n', start) - start);
}

// The attack of issue 11: remount / writable, then write to the host.
constexpr const char* kEscape = R"(out="$1"
mount -o remount,bind,rw / 2>&1; mount -o remount,rw / 2>&1
unshare -Urm sh -c 'mount -o remount,rw / && echo REMOUNTED-IN-USERNS' 2>&1
echo pwned > "$out/pwned" 2>&1
touch made-in-workspace 2>&1
grep -E '^(Uid|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status)";

std::string escape_command(const fs::path& outside) {
    return "set -- '" + outside.string() + "'\n" + kEscape;
}

TEST_P(BashSandbox, ReadOnlyHoldsAgainstRemountAndGainsNoCapability) {
    AgentRun run(who());
    test::OwnedDir outside(who());
    auto r = run.run(escape_command(outside.path()), {"--sandbox", "read-only"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string out = AgentRun::field(r, "stdout");
    ASSERT_THAT(out, HasSubstr("CapEff:")) << r.out;
    EXPECT_FALSE(fs::exists(outside / "pwned")) << "the sandbox wrote to the host";
    EXPECT_FALSE(fs::exists(run.workspace() / "made-in-workspace")) << "read-only wrote the workspace";
    EXPECT_THAT(out, Not(HasSubstr("REMOUNTED")));
    for (const char* cap : {"CapEff:", "CapPrm:", "CapBnd:", "CapAmb:"}) {
        EXPECT_EQ(status_field(out, cap), "0000000000000000") << cap << "\n" << out;
    }
    EXPECT_EQ(status_field(out, "NoNewPrivs:"), "1") << out;
    EXPECT_EQ(status_field(out, "Seccomp:"), "2") << "no seccomp filter: " << out;
    std::string uid = status_field(out, "Uid:");
    EXPECT_NE(uid.substr(0, uid.find_first_of(" \t")), "0") << "root inside the sandbox: " << out;
}

TEST_P(BashSandbox, WorkspaceWriteWritesTheWorkspaceAndNothingElse) {
    AgentRun run(who());
    test::OwnedDir outside(who());
    auto r = run.run(escape_command(outside.path()), {"--sandbox", "workspace-write"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string out = AgentRun::field(r, "stdout");
    ASSERT_THAT(out, HasSubstr("CapEff:")) << r.out;
    EXPECT_FALSE(fs::exists(outside / "pwned")) << "the sandbox wrote to the host";
    EXPECT_TRUE(fs::exists(run.workspace() / "made-in-workspace")) << AgentRun::field(r, "stderr");
    EXPECT_EQ(status_field(out, "CapEff:"), "0000000000000000") << out;
    EXPECT_EQ(status_field(out, "CapBnd:"), "0000000000000000") << out;
}

// The control: the same command without the sandbox does write outside, so the two tests
// above would see an escape.
TEST_P(BashSandbox, WithoutTheSandboxTheSameWriteLands) {
    AgentRun run(who());
    test::OwnedDir outside(who());
    auto r = run.run(escape_command(outside.path()), {"--sandbox", "off"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(outside / "pwned")) << r.out;
}

TEST_P(BashSandbox, HostSocketsUnderRunAreOutOfReach) {
    // A listening socket like docker's or D-Bus's, which anyone may connect to.
    std::string path = "/run/agenthost-test-" + test::unique_marker() + ".sock";
    int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(s, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
    ::chmod(path.c_str(), 0777);
    ASSERT_EQ(::listen(s, 4), 0);
    AgentRun run(who());
    auto r = run.run("test -e '" + path + "' && echo VISIBLE || echo HIDDEN", {"--sandbox", "workspace-write"});
    auto control = run.run("test -e '" + path + "' && echo VISIBLE || echo HIDDEN", {"--sandbox", "off"});
    ::close(s);
    ::unlink(path.c_str());
    EXPECT_EQ(AgentRun::field(r, "stdout"), "HIDDEN\n") << r.out;
    EXPECT_EQ(AgentRun::field(control, "stdout"), "VISIBLE\n") << control.out;
}

class BashSandboxGit : public BashSandbox {
protected:
    void SetUp() override {
        BashSandbox::SetUp();
        if (IsSkipped()) return;
        if (::access("/usr/bin/git", X_OK) != 0) GTEST_SKIP() << "git is not installed";
    }
    /// Run git as the workspace's owner, outside any sandbox (the user's next command).
    int git(AgentRun& run, const std::string& args) {
        return test::shell_as(who(), "cd '" + run.workspace().string() +
                                         "' && git -c user.name=t -c user.email=t@example.com " + args +
                                         " >/dev/null 2>&1",
                              run.home());
    }
};

// Hooks and core.fsmonitor planted under workspace-write ran on the user's next `git commit`.
TEST_P(BashSandboxGit, NothingPlantedInGitRunsOnTheUsersNextCommit) {
    AgentRun run(who());
    test::OwnedDir out(who());
    ASSERT_EQ(git(run, "init -q ."), 0);
    ASSERT_EQ(git(run, "commit -q --allow-empty -m init"), 0);
    ASSERT_EQ(git(run, "init -q nested"), 0);
    ASSERT_EQ(test::shell_as(who(), "cd '" + run.workspace().string() +
                                        "' && mkdir -p node_modules/.bin wt realgit/hooks && "
                                        "echo 'gitdir: ../realgit' > wt/.git",
                             run.home()),
              0);
    std::string o = out.path().string();
    std::string hook = "printf '#!/bin/sh\\ntouch " + o + "/$1\\n' > \"$2\"; chmod +x \"$2\"";
    std::string command =
        "plant() { " + hook + "; }\n"
        "plant hook-ran .git/hooks/pre-commit\n"
        "plant nested-hook-ran nested/.git/hooks/pre-commit\n"
        "plant worktree-hook-ran realgit/hooks/pre-commit\n"
        "git config core.fsmonitor 'touch " + o + "/fsmonitor-ran'\n"
        "git config core.hooksPath /tmp\n"
        "mv .git .git-moved; rm -rf .git/hooks\n"
        "ln -s /tmp .GIT 2>/dev/null\n"
        "echo evil > node_modules/.bin/tool\n"
        "mkdir -p deep && git init -q deep && plant deep-hook-ran deep/.git/hooks/pre-commit\n"
        "mkdir -p build && echo x > build/out\n"
        "echo ok > normal.txt\n";
    auto r = run.run(command, {"--sandbox", "workspace-write"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string note = AgentRun::field(r, "note");
    const fs::path& ws = run.workspace();
    EXPECT_TRUE(fs::exists(ws / "normal.txt")) << AgentRun::field(r, "stderr");
    EXPECT_FALSE(fs::exists(ws / ".git/hooks/pre-commit"));
    EXPECT_TRUE(fs::exists(ws / ".git/HEAD")) << ".git was moved or removed";
    EXPECT_FALSE(fs::exists(ws / ".git-moved"));
    EXPECT_FALSE(fs::exists(ws / "nested/.git/hooks/pre-commit"));
    EXPECT_FALSE(fs::exists(ws / "realgit/hooks/pre-commit")) << "the gitdir of wt/.git was writable";
    EXPECT_FALSE(fs::exists(ws / "node_modules/.bin/tool"));
    // Created where none was: moved aside, so git and build tools never pick them up.
    EXPECT_FALSE(fs::exists(ws / "deep/.git"));
    EXPECT_TRUE(fs::exists(ws / "deep/.git.sandbox-blocked")) << note;
    EXPECT_FALSE(fs::exists(ws / "build"));
    EXPECT_TRUE(fs::exists(ws / "build.sandbox-blocked/out")) << note;
    EXPECT_THAT(note, HasSubstr("deep/.git (moved to deep/.git.sandbox-blocked)"));
    EXPECT_FALSE(fs::is_symlink(ws / ".GIT")) << note;

    // The user's next commands, outside the sandbox.
    EXPECT_EQ(git(run, "commit -q --allow-empty -m second"), 0);
    EXPECT_EQ(git(run, "status"), 0);
    for (const char* sub : {"nested", "wt", "deep"}) git(run, std::string("-C ") + sub + " commit -q --allow-empty -m x");
    for (const char* ran : {"hook-ran", "fsmonitor-ran", "nested-hook-ran", "worktree-hook-ran", "deep-hook-ran"}) {
        EXPECT_FALSE(fs::exists(out / ran)) << ran << " ran outside the sandbox";
    }
}

// The control: without the sandbox the same plant does run on the next commit.
TEST_P(BashSandboxGit, WithoutTheSandboxTheHookRuns) {
    AgentRun run(who());
    test::OwnedDir out(who());
    ASSERT_EQ(git(run, "init -q ."), 0);
    auto r = run.run("printf '#!/bin/sh\\ntouch " + out.path().string() +
                         "/hook-ran\\n' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit",
                     {"--sandbox", "off"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(git(run, "commit -q --allow-empty -m x"), 0);
    EXPECT_TRUE(fs::exists(out / "hook-ran"));
}

INSTANTIATE_TEST_SUITE_P(AsRootAndUnprivileged, BashSandbox, ::testing::Values(RunAs::kSelf, RunAs::kUnprivileged),
                         [](const auto& info) { return std::string(test::run_as_name(info.param)); });
INSTANTIATE_TEST_SUITE_P(AsRootAndUnprivileged, BashSandboxGit,
                         ::testing::Values(RunAs::kSelf, RunAs::kUnprivileged),
                         [](const auto& info) { return std::string(test::run_as_name(info.param)); });

// --sandbox configures a harness's bash; it must not hand bash to a harness that has none.
TEST(BashSandboxCli, SandboxFlagAddsNoBashToAHarnessWithoutIt) {
    AgentRun run(RunAs::kSelf);
    fs::path made = run.workspace() / "made-by-bash";
    auto r = run.run("touch '" + made.string() + "'", {"--sandbox", "workspace-write"}, {}, "math");
    EXPECT_FALSE(fs::exists(made)) << r.out;
    auto results = test::tool_results(r.out);
    ASSERT_EQ(results.size(), 1u) << r.out;
    EXPECT_FALSE(results[0].at("success").as_bool()) << boost::json::serialize(results[0]);
    EXPECT_THAT(r.err, HasSubstr("has no bash tool"));
}

}  // namespace
}  // namespace agenthost
