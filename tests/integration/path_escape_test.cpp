// The path-escape suite (issue 3): every attempt to leave the workspace goes through a real
// plugin (.so) → host fs.* service → ApprovalGating(WriteBlocklist(real disk)), and is
// refused; a canary outside the workspace is neither changed nor read.
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <functional>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using test::call;
using test::say;
using ::testing::HasSubstr;

constexpr const char* kCanary = "CANARY-7f3a: must never be read or changed\n";

/// A workspace and, beside it, an outside folder holding the canary.
struct Sandbox {
    test::TempDir base;
    fs::path ws = base / "ws";
    fs::path outside = base / "outside";
    Sandbox() {
        fs::create_directories(ws);
        test::write_file(outside / "secret.txt", kCanary);
        test::write_file(outside / "deep/secret.txt", kCanary);
    }
    /// The canary is intact and nothing was added outside.
    void expect_outside_untouched() const {
        EXPECT_EQ(test::read_file(outside / "secret.txt"), kCanary);
        EXPECT_EQ(test::read_file(outside / "deep/secret.txt"), kCanary);
        std::vector<std::string> names;
        for (const auto& e : fs::recursive_directory_iterator(outside))
            names.push_back(fs::relative(e.path(), outside).string());
        std::sort(names.begin(), names.end());
        EXPECT_THAT(names, ::testing::ElementsAre("deep", "deep/secret.txt", "secret.txt"));
    }
};

/// The tool.completed events of a session, in order.
std::vector<json::object> tool_results(Runtime& rt) {
    std::vector<json::object> out;
    for (const Event& e : rt.events(rt.default_session_id())) {
        if (e.type == event_type::kToolCompleted) out.push_back(e.data);
    }
    return out;
}

std::size_t approvals_asked(Runtime& rt) {
    std::size_t n = 0;
    for (const Event& e : rt.events(rt.default_session_id())) n += e.type == event_type::kApprovalRequested;
    return n;
}

/// Run one turn of `calls` then "done" through the probe plugin in `sandbox.ws`.
std::unique_ptr<Runtime> run(Sandbox& sandbox, const std::vector<json::object>& calls, ApprovalPolicy policy,
                             const std::function<void()>& before_turn = nullptr) {
    json::array script;
    for (const json::object& c : calls) script.push_back(c);
    script.push_back(say("done"));
    auto rt = test::builder(script).capability("probe").workspace(sandbox.ws).approvals(policy).build();
    if (before_turn) before_turn();
    TurnResult r = rt->run_turn("try to escape");
    EXPECT_TRUE(r.success) << (r.error ? r.error->message : "");
    EXPECT_EQ(r.tool_calls, static_cast<int>(calls.size()));
    return rt;
}

json::object write_call(const std::string& path) {
    return call("fs_write", {{"path", path}, {"content", "PWNED"}});
}
json::object read_call(const std::string& path) {
    return call("fs_read", {{"path", path}});
}

/// Every call failed with `status`, its message containing the matching `why`, and no result
/// carries the canary.
void expect_refused(const std::vector<json::object>& results, const std::string& status,
                    const std::vector<std::string>& why) {
    ASSERT_EQ(results.size(), why.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
        std::string text = json::serialize(results[i]);
        EXPECT_FALSE(results[i].at("success").as_bool()) << text;
        EXPECT_EQ(results[i].at("status"), status.c_str()) << text;
        EXPECT_THAT(text, HasSubstr(why[i])) << text;
        EXPECT_THAT(text, ::testing::Not(HasSubstr("CANARY"))) << text;
    }
}

TEST(PathEscape, TraversalIsRefused) {
    Sandbox sb;
    auto rt = run(sb,
                  {write_call("../outside/secret.txt"), write_call("a/../../outside/secret.txt"),
                   write_call("/workspace/../outside/secret.txt"), read_call("../outside/secret.txt"),
                   read_call("/workspace/../outside/secret.txt"), write_call(std::string("ok\0/../x", 8))},
                  ApprovalPolicy::kAuto);
    expect_refused(tool_results(*rt), "error",
                   {"leaves the workspace", "leaves the workspace", "leaves the workspace", "leaves the workspace",
                    "leaves the workspace", "NUL byte"});
    EXPECT_TRUE(fs::is_empty(sb.ws));
    sb.expect_outside_untouched();
}

TEST(PathEscape, AbsolutePathsResolveInsideTheWorkspace) {
    Sandbox sb;
    std::string outside_abs = fs::canonical(sb.outside / "secret.txt").string();
    auto rt =
        run(sb, {read_call("/etc/passwd"), read_call(outside_abs), write_call(outside_abs)}, ApprovalPolicy::kAuto);
    auto results = tool_results(*rt);
    ASSERT_EQ(results.size(), 3u);
    for (int i : {0, 1}) {  // not found inside the workspace, not the host's file
        EXPECT_FALSE(results[static_cast<std::size_t>(i)].at("success").as_bool());
        EXPECT_THAT(json::serialize(results[static_cast<std::size_t>(i)]), HasSubstr("no file"));
        EXPECT_THAT(json::serialize(results[static_cast<std::size_t>(i)]), ::testing::Not(HasSubstr("root:")));
    }
    EXPECT_TRUE(results[2].at("success").as_bool()) << "the write lands inside, under the same relative path";
    EXPECT_EQ(test::read_file(sb.ws / fs::path(outside_abs).relative_path()), "PWNED");
    sb.expect_outside_untouched();
}

TEST(PathEscape, SymlinkedFileFolderAndParentAreRefused) {
    Sandbox sb;
    fs::create_symlink(sb.outside / "secret.txt", sb.ws / "link_file.txt");
    fs::create_directory_symlink(sb.outside, sb.ws / "link_dir");
    fs::create_directories(sb.ws / "real/inner");
    fs::create_directory_symlink(sb.outside, sb.ws / "real/inner/up");
    auto rt = run(sb,
                  {read_call("link_file.txt"), write_call("link_file.txt"), read_call("link_dir/secret.txt"),
                   write_call("link_dir/new.txt"), write_call("link_dir/deep/secret.txt"),
                   read_call("real/inner/up/deep/secret.txt"), write_call("real/inner/up/deep/new/x.txt")},
                  ApprovalPolicy::kAuto);
    expect_refused(tool_results(*rt), "denied",
                   {"'link_file.txt' is a symbolic link", "'link_file.txt' is a symbolic link",
                    "'link_dir' is a symbolic link", "'link_dir' is a symbolic link", "'link_dir' is a symbolic link",
                    "'real/inner/up' is a symbolic link", "'real/inner/up' is a symbolic link"});
    EXPECT_EQ(approvals_asked(*rt), 0u) << "refused before any approval";
    EXPECT_TRUE(fs::is_symlink(sb.ws / "link_file.txt"));
    sb.expect_outside_untouched();
}

TEST(PathEscape, ASymlinkCreatedMidSessionIsRefused) {
    Sandbox sb;
    fs::create_directories(sb.ws / "src");
    auto rt = run(sb, {write_call("late/pwned.txt"), read_call("late/secret.txt"), write_call("src/late2/deep/x.txt")},
                  ApprovalPolicy::kAuto, [&] {
                      // the store exists; now another process (bash) plants symlinks
                      ASSERT_EQ(::symlink(sb.outside.c_str(), (sb.ws / "late").c_str()), 0);
                      ASSERT_EQ(::symlink(sb.outside.c_str(), (sb.ws / "src/late2").c_str()), 0);
                  });
    expect_refused(tool_results(*rt), "denied",
                   {"'late' is a symbolic link", "'late' is a symbolic link", "'src/late2' is a symbolic link"});
    sb.expect_outside_untouched();
}

TEST(PathEscape, BlocklistedPathsAreRefusedBeforeAnyApproval) {
    Sandbox sb;
    bool asked = false;
    json::array script{write_call(".git/config"), write_call("NODE_MODULES/x"), write_call("a/Build/b"), say("done")};
    auto rt = test::builder(script)
                  .capability("probe")
                  .workspace(sb.ws)
                  .approvals(ApprovalPolicy::kAsk,
                             [&](const ApprovalRequest&) {
                                 asked = true;
                                 return ApprovalDecision::kApprove;
                             })
                  .build();
    ASSERT_TRUE(rt->run_turn("write protected paths").success);
    expect_refused(
        tool_results(*rt), "denied",
        {"'.git' is a protected folder", "'NODE_MODULES' is a protected folder", "'Build' is a protected folder"});
    EXPECT_FALSE(asked);
    EXPECT_EQ(approvals_asked(*rt), 0u);
    EXPECT_TRUE(fs::is_empty(sb.ws));
}

TEST(PathEscape, TheDenyPolicyRefusesWritesAndTellsTheModel) {
    Sandbox sb;
    test::write_file(sb.ws / "notes.txt", "original\n");
    auto rt = run(sb, {write_call("notes.txt"), write_call("new.txt"), read_call("notes.txt")}, ApprovalPolicy::kDeny);
    auto results = tool_results(*rt);
    ASSERT_EQ(results.size(), 3u);
    expect_refused({results[0], results[1]}, "denied",
                   {"the write of notes.txt was denied by the approval policy", "the write of new.txt was denied"});
    EXPECT_TRUE(results[2].at("success").as_bool()) << "reads never ask";
    EXPECT_EQ(test::read_file(sb.ws / "notes.txt"), "original\n");
    EXPECT_FALSE(fs::exists(sb.ws / "new.txt"));
    EXPECT_EQ(approvals_asked(*rt), 2u);

    json::array script{write_call("notes.txt"), say("done")};
    std::string details;
    auto asked = test::builder(script)
                     .capability("probe")
                     .workspace(sb.ws)
                     .approvals(ApprovalPolicy::kAsk,
                                [&](const ApprovalRequest& r) {
                                    details = r.details;
                                    return ApprovalDecision::kDeny;
                                })
                     .build();
    ASSERT_TRUE(asked->run_turn("write").success);
    expect_refused(tool_results(*asked), "denied", {"the user denied the write of notes.txt"});
    EXPECT_EQ(details,
              "--- a/notes.txt\n+++ b/notes.txt\n@@ -1 +1 @@\n-original\n+PWNED\n\\ No newline at end of file\n");
    EXPECT_EQ(test::read_file(sb.ws / "notes.txt"), "original\n");
}

TEST(PathEscape, WorkspaceAndFactoryAreExclusiveAndTheFolderMustExist) {
    Sandbox sb;
    EXPECT_THROW(test::builder().workspace(sb.base / "missing").build(), ConfigError);
    EXPECT_THROW(test::builder()
                     .workspace(sb.ws)
                     .file_system_factory([](const std::string&) { return make_memory_file_store(); })
                     .build(),
                 ConfigError);
}

}  // namespace
}  // namespace agenthost
