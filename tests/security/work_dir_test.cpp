// Which folders may be a session's workspace (DESIGN §8 work_dir; the CLI's --workspace): each
// rule of check_work_dir on real folders and symlinks.
#include "workspace/work_dir.hpp"

#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class WorkDir : public ::testing::Test {
protected:
    void SetUp() override { fs::create_directories(home()); }
    fs::path home() const { return tmp_ / "home"; }
    fs::path dir(const std::string& rel) const {
        fs::create_directories(tmp_ / rel);
        return tmp_ / rel;
    }
    /// The rule `path` breaks, or "" when it is accepted.
    std::string rule(const fs::path& path, WorkDirSearchBounds bounds = {}) const {
        WorkDirCheck c = check_work_dir(path, home(), bounds);
        return c.problem ? c.problem->rule : "";
    }

    test::TempDir tmp_;
};

TEST_F(WorkDir, AProjectFolderIsAcceptedAndResolved) {
    fs::path project = dir("home/src/project");
    fs::create_symlink(project, tmp_ / "link");
    WorkDirCheck c = check_work_dir(tmp_ / "link", home());
    EXPECT_FALSE(c.problem) << c.problem->message;
    EXPECT_EQ(c.resolved, fs::canonical(project));
    EXPECT_EQ(rule(tmp_ / "home/src/../src/project"), "");
}

TEST_F(WorkDir, ARelativePathIsRefused) {
    EXPECT_EQ(rule("home/src"), "not_absolute");
}

TEST_F(WorkDir, AMissingFolderIsRefusedNamingIt) {
    WorkDirCheck c = check_work_dir(tmp_ / "nope", home());
    ASSERT_TRUE(c.problem);
    EXPECT_EQ(c.problem->rule, "not_found");
    EXPECT_THAT(c.problem->message, HasSubstr((tmp_ / "nope").string()));
}

TEST_F(WorkDir, AFileIsNotAFolder) {
    test::write_file(tmp_ / "file.txt", "x");
    EXPECT_EQ(rule(tmp_ / "file.txt"), "not_a_folder");
}

TEST_F(WorkDir, TheRootFolderIsRefusedAlsoThroughASymlink) {
    EXPECT_EQ(rule("/"), "root");
    fs::create_symlink("/", tmp_ / "root-link");
    EXPECT_EQ(rule(tmp_ / "root-link"), "root");
}

TEST_F(WorkDir, HomeItselfIsRefusedButNotAFolderInside) {
    EXPECT_EQ(rule(home()), "home");
    fs::create_symlink(home(), tmp_ / "home-link");
    EXPECT_EQ(rule(tmp_ / "home-link"), "home");
    EXPECT_EQ(rule(dir("home/work")), "");
    WorkDirCheck no_home = check_work_dir(home(), fs::path());
    EXPECT_FALSE(no_home.problem) << "no HOME, no home rule";
}

TEST_F(WorkDir, ACredentialsFolderAndEverythingInsideItIsRefused) {
    for (const std::string name : {".ssh", ".gnupg", ".aws", ".kube", ".docker", ".config/gcloud"}) {
        EXPECT_EQ(rule(dir("home/" + name)), "inside_secrets") << name;
        EXPECT_EQ(rule(dir("home/" + name + "/deep/er")), "inside_secrets") << name;
    }
    EXPECT_EQ(rule(dir("elsewhere/.ssh")), "inside_secrets") << "any .ssh, not only $HOME's";
}

TEST_F(WorkDir, ASymlinkedWorkspaceThatResolvesIntoACredentialsFolderIsRefused) {
    fs::path keys = dir("home/.ssh/keys");
    fs::create_symlink(keys, tmp_ / "innocent");
    WorkDirCheck c = check_work_dir(tmp_ / "innocent", home());
    ASSERT_TRUE(c.problem);
    EXPECT_EQ(c.problem->rule, "inside_secrets");
    EXPECT_THAT(c.problem->message, HasSubstr(".ssh"));
}

TEST_F(WorkDir, AFolderHoldingACredentialsFolderIsRefusedNamingIt) {
    for (const std::string name : {".ssh", ".gnupg", ".aws", ".kube", ".docker", ".config/gcloud"}) {
        test::TempDir t;
        fs::create_directories(t / ("a/" + name));  // .config/gcloud: 3 levels down, the bound
        WorkDirCheck c = check_work_dir(t.path(), home());
        ASSERT_TRUE(c.problem) << name;
        EXPECT_EQ(c.problem->rule, "contains_secrets") << name;
        EXPECT_THAT(c.problem->message, HasSubstr(name)) << name;
    }
    test::TempDir config;
    fs::create_directories(config / ".config/other");
    EXPECT_FALSE(check_work_dir(config.path(), home()).problem) << ".config without gcloud is fine";
    fs::create_directories(config / ".config/gcloud");
    EXPECT_EQ(check_work_dir(config / ".config", home()).problem->rule, "contains_secrets");
}

TEST_F(WorkDir, ASymlinkBeneathThatPointsIntoACredentialsFolderIsRefused) {
    fs::path ssh = dir("home/.ssh");
    fs::path project = dir("home/project");
    fs::create_directories(project / "src");
    fs::create_symlink(ssh, project / "src/keys");
    WorkDirCheck c = check_work_dir(project, home());
    ASSERT_TRUE(c.problem);
    EXPECT_EQ(c.problem->rule, "contains_secrets");
    EXPECT_THAT(c.problem->message, HasSubstr("keys"));
    EXPECT_THAT(c.problem->message, HasSubstr(".ssh"));

    fs::remove(project / "src/keys");
    test::write_file(ssh / "id_ed25519", "secret");
    fs::create_symlink(ssh / "id_ed25519", project / "key-file");
    EXPECT_EQ(rule(project), "contains_secrets") << "a symlink to a file inside .ssh";
}

TEST_F(WorkDir, HarmlessSymlinksAndLoopsBeneathAreAccepted) {
    fs::path project = dir("home/project");
    fs::create_symlink(dir("home/shared"), project / "shared");
    fs::create_symlink(project / "loop-b", project / "loop-a");
    fs::create_symlink(project / "loop-a", project / "loop-b");
    fs::create_symlink(tmp_ / "dangling", project / "dangling");
    EXPECT_EQ(rule(project), "");
}

TEST_F(WorkDir, TheSearchBeneathIsBoundedInDepth) {
    test::TempDir t;
    fs::create_directories(t / "1/2/.aws");    // the entry is 3 levels below
    fs::create_directories(t / "x/y/z/.ssh");  // 4 levels below: beyond the default depth
    EXPECT_EQ(check_work_dir(t.path(), home()).problem->rule, "contains_secrets");
    fs::remove_all(t / "1");
    EXPECT_FALSE(check_work_dir(t.path(), home()).problem) << "4 levels down is not searched by default";
    EXPECT_EQ(check_work_dir(t.path(), home(), WorkDirSearchBounds{4, 20000}).problem->rule, "contains_secrets");
    EXPECT_FALSE(check_work_dir(t / "x", home(), WorkDirSearchBounds{2, 20000}).problem);
}

TEST_F(WorkDir, TheSearchBeneathIsBoundedInEntriesBreadthFirst) {
    test::TempDir t;
    for (int i = 0; i < 50; ++i) test::write_file(t / ("file" + std::to_string(i)), "");
    fs::create_directories(t / "sub/.gnupg");
    EXPECT_EQ(check_work_dir(t.path(), home(), WorkDirSearchBounds{3, 100}).problem->rule, "contains_secrets");
    EXPECT_FALSE(check_work_dir(t.path(), home(), WorkDirSearchBounds{3, 40}).problem)
        << "the 51 entries of the top folder come first; the bound stops before sub/";
}

}  // namespace
}  // namespace agenthost
