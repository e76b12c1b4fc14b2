// The approval-gating store and its unified diff: what is asked, what a denial does, what
// "always" remembers, and that refused paths are never asked about.
#include "services/file_store_decorators.hpp"
#include "support/test_env.hpp"
#include "workspace/unified_diff.hpp"

#include <agenthost/storage.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

using ::testing::HasSubstr;

template <class Fn>
std::string refusal(Fn&& fn) {
    try {
        fn();
    } catch (const FileStoreError& e) {
        return e.code() + ": " + e.what();
    }
    return "";
}

TEST(WorkspaceDiff, ShowsHunksWithThreeLinesOfContext) {
    std::string before, after;
    for (int i = 1; i <= 20; ++i) {
        before += "l" + std::to_string(i) + "\n";
        after += (i == 10 ? std::string("TEN") : "l" + std::to_string(i)) + "\n";
    }
    after += "l21\n";
    EXPECT_EQ(unified_diff("src/a.txt", before, after),
              "--- a/src/a.txt\n+++ b/src/a.txt\n"
              "@@ -7,7 +7,7 @@\n l7\n l8\n l9\n-l10\n+TEN\n l11\n l12\n l13\n"
              "@@ -18,3 +18,4 @@\n l18\n l19\n l20\n+l21\n");
}

TEST(WorkspaceDiff, CloseChangesShareAHunk) {
    EXPECT_EQ(unified_diff("f", std::string_view("a\nb\nc\nd\ne\n"), "a\nB\nc\nD\ne\n"),
              "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n-d\n+D\n e\n");
}

TEST(WorkspaceDiff, NewFilesMissingNewlinesBinariesAndHugeChanges) {
    EXPECT_EQ(unified_diff("n.txt", std::nullopt, "x\ny\n"), "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+x\n+y\n");
    EXPECT_EQ(
        unified_diff("f", std::string_view("a\nb"), "a\nc"),
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
    EXPECT_EQ(unified_diff("f", std::string_view("same\n"), "same\n"), "");
    EXPECT_THAT(unified_diff("b.bin", std::string_view("a\0b", 3), "c"),
                HasSubstr("binary file replaced: 3 bytes -> 1 bytes"));
    std::string big_a, big_b;
    for (int i = 0; i < 3000; ++i) big_a += "a" + std::to_string(i) + "\n", big_b += "b" + std::to_string(i) + "\n";
    EXPECT_THAT(unified_diff("big", std::string_view(big_a), big_b),
                HasSubstr("file replaced: 3000 lines -> 3000 lines"));
    std::string many_a, many_b;  // a small change inside a large file is still a real diff
    for (int i = 0; i < 50000; ++i)
        many_a += std::to_string(i) + "\n", many_b += (i == 25000 ? "x" : std::to_string(i)) + "\n";
    EXPECT_THAT(unified_diff("many", std::string_view(many_a), many_b), HasSubstr("@@ -24998,7 +24998,7 @@\n 24997\n"));
}

/// A gating store over a blocklist over memory, whose approver records and answers.
struct Gated {
    std::vector<ApprovalRequest> asked;
    std::vector<std::string> plugins;
    bool approve = true;
    std::string reason = "the user denied it";
    std::string by = "user";
    std::shared_ptr<FileStore> inner = make_memory_file_store();
    std::shared_ptr<FileStore> store = make_approval_gating_store(
        make_write_blocklist_store(inner), [this](ApprovalRequest r, const std::string& plugin) {
            asked.push_back(std::move(r));
            plugins.push_back(plugin);
            return ApprovalGate::Verdict{approve, approve ? "approved" : reason, by};
        });
};

TEST(WorkspaceApproval, AWriteAsksWithADiffAndTheDeleteSaysWhat) {
    Gated g;
    g.inner->write("a.txt", "one\ntwo\n");
    {
        FileRequesterScope scope("filesystem");
        g.store->write("a.txt", "one\nTWO\n");
        g.store->write("new.txt", "n\n");
    }
    ASSERT_EQ(g.asked.size(), 2u);
    EXPECT_EQ(g.asked[0].action, "write");
    EXPECT_EQ(g.asked[0].summary, "write a.txt");
    EXPECT_EQ(g.asked[0].key, "a.txt");
    EXPECT_EQ(g.asked[0].details, "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n");
    EXPECT_EQ(g.asked[1].summary, "create new.txt");
    EXPECT_THAT(g.asked[1].details, HasSubstr("+n\n"));
    EXPECT_THAT(g.plugins, ::testing::ElementsAre("filesystem", "filesystem"));
    EXPECT_EQ(g.inner->read("a.txt"), "one\nTWO\n");

    g.inner->write("d/x", "1");
    EXPECT_TRUE(g.store->remove("d", true));
    EXPECT_TRUE(g.store->remove("/workspace/new.txt", false));
    ASSERT_EQ(g.asked.size(), 4u);
    EXPECT_EQ(g.asked[2].action, "delete");
    EXPECT_EQ(g.asked[2].summary, "delete d recursively");
    EXPECT_EQ(g.asked[2].key, "d");
    EXPECT_EQ(g.asked[3].summary, "delete new.txt");
    EXPECT_EQ(g.plugins[2], "host");
    EXPECT_FALSE(g.store->remove("missing", false));
    EXPECT_EQ(g.asked.size(), 4u) << "nothing to delete, nothing asked";
}

TEST(WorkspaceApproval, ADenialIsADeniedErrorAndChangesNothing) {
    Gated g;
    g.approve = false;
    g.inner->write("a.txt", "keep\n");
    EXPECT_EQ(refusal([&] { g.store->write("a.txt", "lose\n"); }), "denied: the user denied the write of a.txt");
    EXPECT_EQ(refusal([&] { g.store->remove("a.txt", false); }), "denied: the user denied the delete of a.txt");
    EXPECT_EQ(g.inner->read("a.txt"), "keep\n");
    g.reason = "denied by the approval policy (policy:deny)";
    g.by = "policy:deny";
    EXPECT_EQ(refusal([&] { g.store->write("b.txt", "x"); }),
              "denied: the write of b.txt was denied by the approval policy (policy:deny)");
    EXPECT_FALSE(g.inner->stat("b.txt").exists);
    g.reason = "no terminal to ask on: denied; use --approval auto or deny";  // nobody was asked
    g.by = "unasked";
    EXPECT_EQ(refusal([&] { g.store->write("b.txt", "x"); }),
              "denied: the write of b.txt did not happen: no terminal to ask on: denied; use --approval auto or deny");
}

TEST(WorkspaceApproval, RefusedPathsAreNeverAskedAbout) {
    Gated g;
    g.inner->seed({"ro.txt", "r", true});
    EXPECT_THAT(refusal([&] { g.store->write(".git/config", "x"); }), HasSubstr("'.git' is a protected folder"));
    EXPECT_THAT(refusal([&] { g.store->remove("node_modules", true); }), HasSubstr("protected folder"));
    EXPECT_THAT(refusal([&] { g.store->write("ro.txt", "w"); }), HasSubstr("read_only"));
    EXPECT_THAT(refusal([&] { g.store->write("../x", "w"); }), HasSubstr("invalid_path"));
    EXPECT_TRUE(g.asked.empty());
}

TEST(WorkspaceApproval, UnchangedContentAndStaleHashesAreNotAsked) {
    Gated g;
    std::string hash = g.inner->write("a.txt", "same\n").sha256;
    g.store->write("a.txt", "same\n");
    EXPECT_THAT(refusal([&] { g.store->write("a.txt", "new\n", std::string("sha256:stale")); }),
                HasSubstr("conflict: a.txt"));
    EXPECT_TRUE(g.asked.empty());
    g.store->write("a.txt", "new\n", hash);
    EXPECT_EQ(g.asked.size(), 1u);
}

TEST(WorkspaceApproval, AChangeWhileTheApprovalWaitsIsAConflict) {
    std::shared_ptr<FileStore> inner = make_memory_file_store();
    inner->write("a.txt", "v1\n");
    auto store = make_approval_gating_store(inner, [&](ApprovalRequest, const std::string&) {
        inner->write("a.txt", "someone else\n");  // the file changes while the user looks at the diff
        return ApprovalGate::Verdict{true, "approved", "policy:auto"};
    });
    EXPECT_THAT(refusal([&] { store->write("a.txt", "v2\n"); }),
                HasSubstr("changed while its write was waiting for approval"));
    EXPECT_EQ(inner->read("a.txt"), "someone else\n");
}

TEST(WorkspaceApproval, AlwaysApprovesTheSamePathAgainWithoutAsking) {
    OpenedSession opened = make_memory_session_store()->open("s1", true);
    auto inner = make_memory_file_store();
    Session session("s1", std::move(opened.log), {}, inner);
    std::vector<std::string> asked;
    ApprovalGate gate(
        ApprovalPolicy::kAsk,
        [&](const ApprovalRequest& r) {
            asked.push_back(r.summary);
            return r.key == "a.txt" ? ApprovalDecision::kApproveAlways : ApprovalDecision::kApprove;
        },
        session);
    auto store = make_approval_gating_store(
        inner, [&](ApprovalRequest r, const std::string& plugin) { return gate.decide(std::move(r), plugin); });
    store->write("a.txt", "1");
    store->write("a.txt", "2");
    store->write("/workspace/a.txt", "3");
    store->write("b.txt", "1");
    store->write("b.txt", "2");
    EXPECT_THAT(asked, ::testing::ElementsAre("create a.txt", "create b.txt", "write b.txt"));
    EXPECT_EQ(inner->read("a.txt"), "3");
    std::size_t requested = 0;
    for (const Event& e : session.events(0)) {
        if (e.type == event_type::kApprovalRequested) {
            ++requested;
            EXPECT_EQ(e.data.at("action"), "write");
        }
    }
    EXPECT_EQ(requested, 5u) << "every decision is recorded, remembered ones too";
}

}  // namespace
}  // namespace agenthost
