// The session's saved data ("@session", docs/context-services.md) through every
// filesystem tool of the real filesystem plugin: each spelling of the same place
// ("@session/x", "/@session/x", "/workspace/@session/x", "./@session/x", "@session", …)
// gets the same answer and the same error, reads reach the data folder (never the workspace),
// and changes are refused.
#include "support/test_env.hpp"

#include <agenthost/storage.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::call;
using test::say;
using ::testing::HasSubstr;

class SessionDataPaths : public ::testing::Test {
protected:
    void SetUp() override {
        // A decoy named like the data folder in the workspace, which no spelling may reach.
        test::write_file(ws_ / "@session" / "outputs" / "call_1.txt", "DECOY in the workspace\n");
        test::write_file(ws_ / "src" / "main.txt", "workspace needle\n");
    }

    /// The saved file of the session `sid` (what tool_output saves into).
    fs::path saved_file(const std::string& sid) const { return dir_ / "data" / sid / "outputs" / "call_1.txt"; }

    /// Run each tool call of `calls` (one per model step) in a new session whose data folder
    /// holds outputs/call_1.txt, and return their tool.completed data.
    std::vector<json::object> run(const std::vector<json::object>& calls) {
        sid_ = "data-paths-" + std::to_string(++runs_);
        test::write_file(saved_file(sid_), "saved needle line\nsecond line\n");
        json::array script;
        for (const json::object& c : calls) script.push_back(c);
        script.push_back(say("done"));
        RuntimeBuilder b = test::builder(script);
        b.harness("coding").workspace(ws_.path()).approvals(ApprovalPolicy::kAuto);
        b.session_id(sid_).session_store(make_jsonl_session_store((dir_ / "sessions").string()));
        b.session_data_dir(dir_ / "data");
        auto rt = b.build();
        TurnResult r = rt->run_turn("look at the saved data");
        EXPECT_TRUE(r.success) << (r.error ? r.error->message : "");
        std::vector<json::object> out;
        for (const Event& e : rt->events(sid_)) {
            if (e.type == event_type::kToolCompleted) out.push_back(e.data);
        }
        EXPECT_EQ(out.size(), calls.size());
        return out;
    }

    /// What a tool answered, without the fields that echo the call (its id, the path as given).
    static std::string answer(const json::object& completed) {
        json::object a{{"success", completed.at("success")}, {"result", completed.at("result")}};
        if (json::object* r = a["result"].if_object()) r->erase("path");
        return json::serialize(a);
    }

    /// Call `tool` once per spelling with `args` + {path: spelling}: every answer is the same.
    /// Returns that answer.
    std::string same_for_all(const std::string& tool, const std::vector<std::string>& spellings,
                             const json::object& args = {}) {
        std::vector<json::object> calls;
        for (const std::string& p : spellings) {
            json::object a = args;
            a["path"] = p;
            calls.push_back(call(tool, a));
        }
        std::vector<json::object> done = run(calls);
        if (done.size() != spellings.size()) return "";
        for (std::size_t i = 1; i < done.size(); ++i) {
            EXPECT_EQ(answer(done[i]), answer(done[0])) << tool << "(" << spellings[i] << ") vs " << tool << "("
                                                        << spellings[0] << ")";
        }
        return answer(done[0]);
    }

    test::TempDir ws_;
    test::TempDir dir_;
    std::string sid_;
    int runs_ = 0;
};

const std::vector<std::string> kFolder = {"@session", "/@session", "@session/", "/@session/", "/workspace/@session",
                                          "./@session", "@session/."};
const std::vector<std::string> kFile = {"@session/outputs/call_1.txt", "/@session/outputs/call_1.txt",
                                        "/workspace/@session/outputs/call_1.txt", "./@session/outputs/call_1.txt",
                                        "@session//outputs/./call_1.txt"};
const std::vector<std::string> kMissing = {"@session/outputs/nope.txt", "/@session/outputs/nope.txt",
                                           "/workspace/@session/outputs/nope.txt"};

TEST_F(SessionDataPaths, ReadFileReadsTheSavedDataWhateverTheSpelling) {
    std::string a = same_for_all("read_file", kFile);
    EXPECT_THAT(a, HasSubstr("saved needle line"));
    EXPECT_THAT(a, ::testing::Not(HasSubstr("DECOY")));
    std::string missing = same_for_all("read_file", kMissing);
    EXPECT_THAT(missing, HasSubstr("\"success\":false"));
    EXPECT_THAT(missing, HasSubstr("@session/outputs/nope.txt"));
    EXPECT_THAT(missing, HasSubstr("saved data"));
    std::string folder = same_for_all("read_file", kFolder);
    EXPECT_THAT(folder, HasSubstr("\"success\":false"));
    EXPECT_THAT(folder, HasSubstr("'@session' is a folder"));
}

TEST_F(SessionDataPaths, ListDirectoryListsTheSavedDataWhateverTheSpelling) {
    std::string root = same_for_all("list_directory", kFolder);
    EXPECT_THAT(root, HasSubstr("outputs/"));
    EXPECT_THAT(root, HasSubstr("\"success\":true"));
    std::string outputs = same_for_all("list_directory", {"@session/outputs", "/@session/outputs/", "/workspace/@session/outputs"});
    EXPECT_THAT(outputs, HasSubstr("call_1.txt"));
    std::string missing = same_for_all("list_directory", {"@session/nope", "/@session/nope", "/workspace/@session/nope/"});
    EXPECT_THAT(missing, HasSubstr("\"success\":false"));
    EXPECT_THAT(missing, HasSubstr("@session/nope"));
}

TEST_F(SessionDataPaths, StatGlobAndGrepSeeTheSavedDataWhateverTheSpelling) {
    std::string file = same_for_all("stat_file", kFile);
    EXPECT_THAT(file, HasSubstr("\"type\":\"file\""));
    EXPECT_THAT(file, HasSubstr("\"size\":30"));  // the saved file, not the 23-byte decoy
    std::string folder = same_for_all("stat_file", kFolder);
    EXPECT_THAT(folder, HasSubstr("\"type\":\"directory\""));
    EXPECT_THAT(same_for_all("stat_file", kMissing), HasSubstr("\"exists\":false"));

    // Found paths are named so that read_file reads them back.
    std::string glob = same_for_all("glob", kFolder, {{"pattern", "**/*.txt"}});
    EXPECT_THAT(glob, HasSubstr("@session/outputs/call_1.txt"));
    EXPECT_THAT(glob, ::testing::Not(HasSubstr("src/main.txt")));
    std::string grep = same_for_all("grep_files", kFolder, {{"pattern", "needle"}});
    EXPECT_THAT(grep, HasSubstr("@session/outputs/call_1.txt:1: saved needle line"));
    EXPECT_THAT(grep, ::testing::Not(HasSubstr("workspace needle")));
    EXPECT_THAT(grep, ::testing::Not(HasSubstr("DECOY")));
}

TEST_F(SessionDataPaths, WritesEditsAndDeletesAreRefusedWhateverTheSpelling) {
    std::string write = same_for_all("write_file", kFile, {{"content", "PWNED"}});
    EXPECT_THAT(write, HasSubstr("\"success\":false"));
    EXPECT_THAT(write, HasSubstr("'@session/outputs/call_1.txt' is in the session's data folder"));
    std::string del = same_for_all("delete_file", kFile);
    EXPECT_THAT(del, HasSubstr("\"success\":false"));
    EXPECT_THAT(del, HasSubstr("'@session/outputs/call_1.txt' is in the session's data folder"));
    std::string del_all = same_for_all("delete_file", kFolder, {{"recursive", true}});
    EXPECT_THAT(del_all, HasSubstr("\"success\":false"));
    EXPECT_THAT(del_all, HasSubstr("'@session' is in the session's data folder"));
    std::string edit = same_for_all(
        "edit_file", kFile,
        {{"edits", json::array{json::object{{"old_text", "saved needle"}, {"new_text", "PWNED"}}}}});
    EXPECT_THAT(edit, HasSubstr("\"success\":false"));
    EXPECT_THAT(edit, HasSubstr("session's data folder"));
    for (int i = 1; i <= runs_; ++i) {
        EXPECT_EQ(test::read_file(saved_file("data-paths-" + std::to_string(i))), "saved needle line\nsecond line\n");
    }
    EXPECT_EQ(test::read_file(ws_ / "@session" / "outputs" / "call_1.txt"), "DECOY in the workspace\n");
}

}  // namespace
}  // namespace agenthost
