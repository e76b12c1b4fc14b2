// The write blocklist: protected folders refused at any depth, case-insensitively, for writes,
// seeds and deletes; reads pass.
#include "services/file_store_decorators.hpp"
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

using ::testing::HasSubstr;

/// The FileStoreError `fn` throws, as "code: message" ("" if none).
template <class Fn>
std::string refusal(Fn&& fn) {
    try {
        fn();
    } catch (const FileStoreError& e) {
        return e.code() + ": " + e.what();
    }
    return "";
}

TEST(WorkspaceBlocklist, EveryDefaultFolderIsRefusedAtAnyDepthInAnyCase) {
    auto store = make_write_blocklist_store(make_memory_file_store());
    for (const std::string& name : default_write_blocklist()) {
        for (const std::string& path : {name + "/x", "a/" + name + "/b/c.txt", name}) {
            std::string why = refusal([&] { store->write(path, "x"); });
            EXPECT_THAT(why, HasSubstr("denied: ")) << path;
            EXPECT_THAT(why, HasSubstr("'" + name + "'")) << path;
            EXPECT_THAT(refusal([&] { store->remove(path, true); }), HasSubstr("denied: ")) << path;
        }
    }
    EXPECT_THAT(refusal([&] { store->write(".git/config", "x"); }), HasSubstr("'.git' is a protected folder"));
    EXPECT_THAT(refusal([&] { store->write("NODE_MODULES/x", "x"); }),
                HasSubstr("'NODE_MODULES' is a protected folder"));
    EXPECT_THAT(refusal([&] { store->write("a/Build/b", "x"); }), HasSubstr("'Build' is a protected folder"));
    EXPECT_THAT(refusal([&] { store->write("/workspace/pkg/.Venv/lib.py", "x"); }), HasSubstr("'.Venv'"));
    EXPECT_THAT(refusal([&] { store->check_writable("src/Target/x"); }), HasSubstr("denied: "));
    EXPECT_TRUE(store->list("").empty()) << "nothing was written";
}

TEST(WorkspaceBlocklist, NamesThatOnlyContainABlockedWordAreFine) {
    auto store = make_write_blocklist_store(make_memory_file_store());
    for (const char* path :
         {"builder/x.txt", "my.git", "targets.txt", "src/distance.cpp", "venvs/a", ".github/ci.yml"}) {
        EXPECT_EQ(refusal([&] { store->write(path, "x"); }), "") << path;
    }
}

TEST(WorkspaceBlocklist, ReadsPassThroughAndSeedsAreRefused) {
    auto inner = make_memory_file_store();
    inner->seed({".git/HEAD", "ref: refs/heads/main\n", false});  // there before the session
    auto store = make_write_blocklist_store(inner);
    EXPECT_THAT(refusal([&] { store->seed({".git/hooks/pre-commit", "echo pwned", false}); }),
                HasSubstr("'.git' is a protected folder"));
    EXPECT_FALSE(store->stat(".git/hooks/pre-commit").exists);
    EXPECT_EQ(store->read(".git/HEAD"), "ref: refs/heads/main\n");
    EXPECT_TRUE(store->stat(".git/HEAD").exists);
    EXPECT_EQ(store->list(".git").size(), 1u);
    EXPECT_THAT(refusal([&] { store->remove(".git/HEAD", false); }), HasSubstr("denied: "));
    EXPECT_EQ(store->read(".git/HEAD"), "ref: refs/heads/main\n");
}

TEST(WorkspaceBlocklist, OnDiskTooAndWithACustomList) {
    test::TempDir dir;
    auto store = make_write_blocklist_store(make_real_disk_file_store(dir.path()), {"secrets"});
    EXPECT_THAT(refusal([&] { store->write("a/SECRETS/k", "x"); }), HasSubstr("'SECRETS'"));
    EXPECT_EQ(refusal([&] { store->write("build/out.txt", "x"); }), "");  // not in this list
    EXPECT_FALSE(std::filesystem::exists(dir / "a"));
    EXPECT_EQ(store->root(), std::filesystem::canonical(dir.path()));
}

}  // namespace
}  // namespace agenthost
