// What a session runs with, through the real binary: the model order (--model > the resumed
// session's > the harness's > a provider key > llmsim), a driver's default and known models, the
// settings a session records and keeps on --continue / --session, the changes it records
// (session.reconfigured), and the workspace rules.
#include "support/cli_runner.hpp"
#include "support/fake_http_server.hpp"

#include <agenthost/event.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::CliResult;
using test::run_cli;
using ::testing::HasSubstr;
using ::testing::Not;

using Args = std::vector<std::string>;

class CliSettings : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(ws_);
        test::write_file(script_, R"({"responses": [{"text": "from llmsim"}]})");
        server_.route("POST", "/v1/chat/completions", [](const test::FakeRequest&) {
            return test::FakeResponse::sse({test::provider_fixture("openai", "chat_stream_text_after_tool.sse")});
        });
    }

    /// `run -p PROMPT --output-format json` with the data dir and script, plus `extra`.
    CliResult run(const std::string& prompt, const Args& extra, const std::map<std::string, std::string>& env = {}) {
        Args args{"run",           "-p",         prompt,         "--output-format",
                  "json",          "--data-dir", data_.string(), "--llmsim-script",
                  script_.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_cli(args, home_.path(), env);
    }
    /// The stored events of a session.
    std::vector<Event> events(const std::string& sid) const {
        std::vector<Event> out;
        std::istringstream in(test::read_file(data_ / "sessions" / (sid + ".jsonl")));
        for (std::string line; std::getline(in, line);) {
            if (!line.empty()) out.push_back(event_from_json(json::parse(line)));
        }
        return out;
    }
    std::vector<json::object> reconfigured(const std::string& sid) const {
        std::vector<json::object> out;
        for (const Event& e : events(sid)) {
            if (e.type == event_type::kSessionReconfigured) out.push_back(e.data);
        }
        return out;
    }
    static std::string sid_of(const CliResult& r) {
        return std::string(json::parse(r.out).at("session_id").as_string());
    }
    /// The models the fake OpenAI-compatible server was asked for, in order.
    std::vector<std::string> models_asked() const {
        std::vector<std::string> out;
        for (const test::FakeRequest& q : server_.requests())
            out.emplace_back(json::parse(q.body).at("model").as_string());
        return out;
    }
    std::map<std::string, std::string> openai_env() const { return {{"OPENAI_BASE_URL", server_.url() + "/v1"}}; }

    test::TempDir home_;
    fs::path ws_ = home_ / "projects/ws";
    fs::path data_ = home_ / "data";
    fs::path script_ = home_ / "script.json";
    test::FakeHttpServer server_;
};

TEST_F(CliSettings, WithNothingElseAProviderKeyPicksItsDriversDefaultModel) {
    CliResult r = run("hi", {"--harness", "math", "--workspace", ws_.string()}, openai_env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(models_asked(), std::vector<std::string>{"gpt-4.1"});
    EXPECT_EQ(events(sid_of(r)).front().data.at("model"), "openai/gpt-4.1");
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("offline")));

    CliResult offline = run("hi", {"--harness", "math", "--workspace", ws_.string()});
    ASSERT_EQ(offline.exit_code, 0) << offline.err;
    EXPECT_EQ(json::parse(offline.out).at("result"), "from llmsim");
    EXPECT_THAT(offline.err, HasSubstr("running the offline llmsim driver"));
}

TEST_F(CliSettings, TheHarnesssModelBeatsAProviderKeyAndModelBeatsTheHarness) {
    test::write_file(home_ / "sim.json", R"({"name": "sim", "extends": "math", "model": "llmsim"})");
    CliResult harness =
        run("hi", {"--harness", (home_ / "sim.json").string(), "--workspace", ws_.string()}, openai_env());
    ASSERT_EQ(harness.exit_code, 0) << harness.err;
    EXPECT_EQ(json::parse(harness.out).at("result"), "from llmsim");
    EXPECT_TRUE(models_asked().empty()) << "the harness named llmsim; OPENAI_BASE_URL does not override it";
    EXPECT_EQ(events(sid_of(harness)).front().data.at("settings").at("harness"),
              json::value(fs::canonical(home_ / "sim.json").string()));

    CliResult flag =
        run("hi",
            {"--harness", (home_ / "sim.json").string(), "--workspace", ws_.string(), "--model", "openai/gpt-4o-mini"},
            openai_env());
    ASSERT_EQ(flag.exit_code, 0) << flag.err;
    EXPECT_EQ(models_asked(), std::vector<std::string>{"gpt-4o-mini"});
}

TEST_F(CliSettings, AResumedSessionKeepsItsModelUntilModelChangesItAndTheChangeIsRecorded) {
    CliResult first = run("hi", {"--harness", "math", "--workspace", ws_.string(), "--model", "llmsim"}, openai_env());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::string sid = sid_of(first);

    CliResult again = run("again", {"--continue"}, openai_env());
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(json::parse(again.out).at("result"), "from llmsim") << "the recorded model beats the provider key";
    EXPECT_TRUE(models_asked().empty());
    EXPECT_TRUE(reconfigured(sid).empty());

    CliResult moved = run("now openai", {"--session", sid, "--model", "openai"}, openai_env());
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    EXPECT_EQ(models_asked(), std::vector<std::string>{"gpt-4.1"}) << "a bare driver id is its default model";
    EXPECT_THAT(moved.err, HasSubstr("session " + sid + " now runs with model 'openai/gpt-4.1' instead of 'llmsim'"));
    std::vector<json::object> changes = reconfigured(sid);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0], (json::object{{"field", "model"}, {"from", "llmsim"}, {"to", "openai/gpt-4.1"}}));

    CliResult stays = run("still openai", {"--continue"}, openai_env());
    ASSERT_EQ(stays.exit_code, 0) << stays.err;
    EXPECT_EQ(models_asked().size(), 2u) << "the changed model is the session's from now on";
    EXPECT_EQ(reconfigured(sid).size(), 1u);
    CliResult show = run_cli({"sessions", "show", sid, "--data-dir", data_.string()}, home_.path());
    EXPECT_THAT(show.out, HasSubstr("[reconfigured model: \"llmsim\" -> \"openai/gpt-4.1\"]"));
}

TEST_F(CliSettings, ADriversKnownModelsAreCheckedAndOneThatListsNoneTakesAnyName) {
    // The providers' drivers list the models they know of and pass newer names on (other_models).
    CliResult newer = run("hi", {"--harness", "math", "--workspace", ws_.string(), "--model", "anthropic/claude-9"});
    EXPECT_EQ(newer.exit_code, 1) << newer.err;
    EXPECT_THAT(newer.err, Not(HasSubstr("does not serve")));
    EXPECT_THAT(newer.err, HasSubstr("ANTHROPIC_API_KEY")) << "it got as far as the model call";
    CliResult sim = run("hi", {"--harness", "math", "--workspace", ws_.string(), "--model", "llmsim/other"});
    EXPECT_EQ(sim.exit_code, 2);
    EXPECT_THAT(sim.err, HasSubstr("driver 'llmsim' does not serve 'other'; it serves llmsim"));
    CliResult no_driver = run("hi", {"--harness", "math", "--workspace", ws_.string(), "--model", "nosuch"});
    EXPECT_EQ(no_driver.exit_code, 2);
    EXPECT_THAT(no_driver.err, HasSubstr("model 'nosuch'"));

    CliResult local =
        run("hi", {"--harness", "math", "--workspace", ws_.string(), "--model", "openai/qwen3:8b"}, openai_env());
    ASSERT_EQ(local.exit_code, 0) << local.err;
    EXPECT_EQ(models_asked(), std::vector<std::string>{"qwen3:8b"}) << "an OpenAI-compatible server lists no models";
}

TEST_F(CliSettings, ContinueKeepsHarnessWorkspaceApprovalAndSandbox) {
    // llmsim answers the n-th model call of a session with the n-th response.
    test::write_file(script_, R"({"responses": [{"text": "ok"},
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "note.txt", "content": "kept"}}]},
        {"text": "written"}]})");
    CliResult first =
        run("hi", {"--harness", "coding", "--workspace", ws_.string(), "--approval", "auto", "--sandbox", "off"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::string sid = sid_of(first);

    // With no flags (the test runs in another folder): the write lands in the recorded
    // workspace, approved.
    CliResult again = run("write it", {"--continue"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(test::read_file(ws_ / "note.txt"), "kept") << "approval auto and the workspace were kept";
    EXPECT_TRUE(reconfigured(sid).empty());
    const json::object settings = events(sid).front().data.at("settings").as_object();
    EXPECT_EQ(settings.at("harness"), "coding");
    EXPECT_EQ(settings.at("sandbox"), "off");

    // A fresh session (headless default: deny) does not write.
    fs::remove(ws_ / "note.txt");
    test::write_file(script_, R"({"responses": [
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "note.txt", "content": "kept"}}]},
        {"text": "denied"}]})");
    CliResult fresh = run("write it", {"--harness", "coding", "--workspace", ws_.string()});
    ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
    EXPECT_FALSE(fs::exists(ws_ / "note.txt"));
    EXPECT_EQ(events(sid_of(fresh)).front().data.at("settings").at("approval"), "deny");
}

TEST_F(CliSettings, EveryExplicitChangeOnResumeIsSaidAndRecorded) {
    fs::path other = home_ / "projects/other";
    fs::create_directories(other);
    CliResult first = run("hi", {"--harness", "math", "--workspace", ws_.string()});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::string sid = sid_of(first);
    CliResult same =
        run("same", {"--continue", "--harness", "math", "--workspace", ws_.string(), "--approval", "deny"});
    ASSERT_EQ(same.exit_code, 0) << same.err;
    EXPECT_TRUE(reconfigured(sid).empty()) << "a flag equal to the recorded setting changes nothing";

    CliResult changed =
        run("changed", {"--continue", "--harness", "none", "--workspace", other.string(), "--approval", "auto"});
    ASSERT_EQ(changed.exit_code, 0) << changed.err;
    std::vector<json::object> changes = reconfigured(sid);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0], (json::object{{"field", "harness"}, {"from", "math"}, {"to", nullptr}}));
    EXPECT_EQ(changes[1], (json::object{{"field", "workspace"},
                                        {"from", fs::canonical(ws_).string()},
                                        {"to", fs::canonical(other).string()}}));
    EXPECT_EQ(changes[2], (json::object{{"field", "approval"}, {"from", "deny"}, {"to", "auto"}}));
    EXPECT_THAT(changed.err, HasSubstr("now runs with harness none instead of 'math'"));
    EXPECT_THAT(changed.err, HasSubstr("now runs with approval 'auto' instead of 'deny'"));
}

// A log from before settings were recorded resumes as it always did: the flags and defaults
// decide, and nothing is recorded as changed.
TEST_F(CliSettings, ASessionWithoutRecordedSettingsResumesWithTodaysBehaviour) {
    CliResult first = run("hi", {"--harness", "math", "--workspace", ws_.string()});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::string sid = sid_of(first);
    fs::path log = data_ / "sessions" / (sid + ".jsonl");
    std::string text = test::read_file(log);
    std::size_t end = text.find('\n');
    json::object created = json::parse(text.substr(0, end)).as_object();
    ASSERT_TRUE(created.at("data").as_object().erase("settings"));
    test::write_file(log, json::serialize(created) + text.substr(end));

    CliResult again = run("again", {"--continue", "--workspace", ws_.string()});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(json::parse(again.out).at("result"), "from llmsim");
    EXPECT_TRUE(reconfigured(sid).empty());
    EXPECT_THAT(again.err, ::testing::Not(HasSubstr("now runs with")));
}

TEST_F(CliSettings, AWorkspaceThatBreaksARuleIsRefusedNamingTheRule) {
    fs::create_directories(home_ / ".ssh");
    fs::path leaky = home_ / "projects/leaky";
    fs::create_directories(leaky);
    fs::create_symlink(home_ / ".ssh", leaky / "keys");
    struct Case {
        fs::path dir;
        std::string rule;
    };
    for (const Case& c :
         {Case{"/", "[root]"}, Case{home_.path(), "[home]"}, Case{home_ / ".ssh", "[inside_secrets]"},
          Case{leaky, "[contains_secrets]"}, Case{home_ / "missing", "[not_found]"}, Case{script_, "[not_a_folder]"}}) {
        CliResult r = run("hi", {"--harness", "math", "--workspace", c.dir.string()});
        EXPECT_EQ(r.exit_code, 2) << c.dir;
        EXPECT_THAT(r.err, HasSubstr("--workspace: workspace '" + c.dir.string() + "'")) << c.dir;
        EXPECT_THAT(r.err, HasSubstr(c.rule)) << c.dir;
        EXPECT_EQ(r.out, "");
    }
    EXPECT_FALSE(fs::exists(data_ / "sessions")) << "nothing was started";
}

TEST_F(CliSettings, ARecordedWorkspaceThatIsGoneIsRefusedUntilWorkspaceMovesIt) {
    fs::path gone = home_ / "projects/gone";
    fs::create_directories(gone);
    CliResult first = run("hi", {"--harness", "math", "--workspace", gone.string()});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    fs::remove_all(gone);
    CliResult again = run("again", {"--continue"});
    EXPECT_EQ(again.exit_code, 2);
    EXPECT_THAT(again.err, HasSubstr("the workspace the session recorded (pass --workspace to move it)"));
    EXPECT_THAT(again.err, HasSubstr("[not_found]"));
    CliResult moved = run("again", {"--continue", "--workspace", ws_.string()});
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    EXPECT_EQ(reconfigured(sid_of(first)).at(0).at("field"), "workspace");
}

}  // namespace
}  // namespace agenthost
