// The environment of a bash command (docs/security.md "The bash environment"): built from an
// allow list, so no secret of agenthost's environment reaches a command whatever its name —
// through `env`, /proc/self/environ or any /proc/*/environ it can see — with the sandbox on and
// off, unless the harness passes that variable through by name.
#include "security/bash_attack.hpp"

#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
using test::AgentRun;
using test::RunAs;
using ::testing::HasSubstr;
using ::testing::Not;

/// Secrets under names the old block list let through, and a few it caught.
const std::map<std::string, std::string> kPlanted = {
    {"DATABASE_URL", "postgres://admin:planted-db-pass@db.internal/prod"},
    {"GH_PAT", "ghp_plantedPersonalAccessToken0001"},
    {"SMTP_PASS", "planted-smtp-pass"},
    {"REDIS_URI", "redis://:planted-redis-pass@cache:6379"},
    {"SENTRY_DSN", "https://planted-dsn@sentry.example/1"},
    {"npm_config__auth", "planted-npm-auth"},
    {"MY_SERVICE_API_KEY", "planted-api-key"},
    {"GITHUB_TOKEN", "planted-github-token"},
};

/// Every planted value found in `text`.
std::vector<std::string> leaked(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& [name, value] : kPlanted) {
        if (text.find(value) != std::string::npos) out.push_back(name);
    }
    return out;
}

class BashEnv : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string why;
        if (!test::bwrap_works_as(RunAs::kSelf, why)) GTEST_SKIP() << why;
    }
};

constexpr const char* kLook =
    "env; echo ---; tr '\\0' '\\n' < /proc/self/environ; echo ---; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'";

TEST_P(BashEnv, NoPlantedSecretReachesTheCommand) {
    AgentRun run(RunAs::kSelf);
    auto r = run.run(kLook, {"--sandbox", GetParam()}, kPlanted);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string out = AgentRun::field(r, "stdout");
    ASSERT_THAT(out, HasSubstr("PATH=")) << r.out;
    EXPECT_THAT(out, HasSubstr("HOME=" + run.home().string()));
    EXPECT_THAT(out, HasSubstr("PWD=" + run.workspace().string()));
    EXPECT_EQ(leaked(out), std::vector<std::string>{}) << out;
    EXPECT_EQ(leaked(r.out), std::vector<std::string>{}) << "a secret reached the transcript";
}

TEST_P(BashEnv, OnlyAllowedNamesAndThePassedThroughOnes) {
    AgentRun run(RunAs::kSelf);
    // A harness that passes GH_PAT through by name, over the coding harness.
    fs::path harness = run.home() / "passing.json";
    test::write_file(harness, R"({"name": "passing", "extends": "coding", "capabilities": [
        {"id": "bash", "config": {"env_passthrough": ["GH_PAT"]}}]})");
    std::map<std::string, std::string> env = kPlanted;
    env["LC_TIME"] = "C.UTF-8";
    auto r = run.run("env", {"--sandbox", GetParam()}, env, harness.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string out = AgentRun::field(r, "stdout");
    EXPECT_EQ(leaked(out), std::vector<std::string>{}) << out;
    EXPECT_THAT(out, HasSubstr("GH_PAT=[REDACTED]")) << "passed through by name, and redacted from what is stored";
    EXPECT_THAT(out, HasSubstr("LC_TIME=C.UTF-8"));
    std::set<std::string> allowed = {"PATH", "HOME",   "LANG",   "LANGUAGE", "TERM", "USER", "LOGNAME", "SHELL",
                                     "TMPDIR", "TZ", "PWD", "GH_PAT", "SHLVL", "_", "OLDPWD"};
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        std::string name = line.substr(0, line.find('='));
        if (name.rfind("LC_", 0) == 0) continue;
        EXPECT_TRUE(allowed.count(name)) << "'" << name << "' is not on the allow list";
    }
}

INSTANTIATE_TEST_SUITE_P(SandboxOnAndOff, BashEnv, ::testing::Values("off", "read-only", "workspace-write"),
                         [](const auto& info) {
                             std::string mode = info.param;
                             std::replace(mode.begin(), mode.end(), '-', '_');
                             return mode;
                         });

TEST(BashEnvConfig, APassThroughNameMustBeAVariableName) {
    for (const char* bad : {R"({"env_passthrough": ["A=B"]})", R"({"env_passthrough": [""]})",
                            R"({"env_passthrough": ["1X"]})", R"({"env_passthrough": "GH_PAT"})"}) {
        EXPECT_THROW(ahp::fake::FakeHost::open((test::plugins_dir() / "bash.so").string(), bad), std::runtime_error)
            << bad;
    }
}

}  // namespace
}  // namespace agenthost
