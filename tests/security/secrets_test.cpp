// Secrets stay secret (docs/security.md): a model that runs bash cannot read the provider keys
// out of the host's /proc/<pid>/environ (or any process's), and every value the host knows to
// be secret — provider keys, bash's env_passthrough values, set_secret values, a plugin config's
// writeOnly fields — is redacted from the session log, stdout (envelopes and deltas, a secret
// split across two deltas included), stderr, and the TurnResult, also in JSON-escaped form.
#include "security/security_support.hpp"

#include "base/utf8.hpp"

#include <agenthost/runtime.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::call;
using test::say;
using ::testing::HasSubstr;
using ::testing::Not;

/// `value` as a JSON string's contents (what a log line holds if the value was stored).
std::string escaped(const std::string& value) {
    std::string s = json::serialize(json::string(value));
    return s.substr(1, s.size() - 2);
}

TEST(Secrets, NoProcessCanReadTheProviderKeysFromProc) {
    test::RunSetup run;
    const std::string openai_key = "sk-proj-" + test::random_token(24);
    const std::string anthropic_key = "sk-ant-" + test::random_token(24);
    const std::string marker = "marker-" + test::random_token();
    run.harness(json::array{"bash"});
    // The model reads the host's environment (its parent: bash runs as the host's child), its
    // command line (to prove it was the host), and every environment in /proc it can read.
    run.script(json::array{
        call("bash", {{"command", "tr '\\0' '\\n' < /proc/$PPID/environ > host_env.txt; "
                                  "tr '\\0' ' ' < /proc/$PPID/cmdline > host_cmdline.txt; "
                                  "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < \"$f\"; done > all_env.txt 2>/dev/null; "
                                  "grep -c '' all_env.txt"}}),
        say("done")});
    auto r = test::run_cli(run.run_args("look around"), run.home(),
                           {{"OPENAI_API_KEY", openai_key}, {"ANTHROPIC_API_KEY", anthropic_key},
                            {"OPENAI_BASE_URL", "http://user:" + openai_key + "-url@127.0.0.1:9/v1"},
                            {"SECURITY_MARKER", marker}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string host_env = test::read_file(run.workspace() / "host_env.txt");
    const std::string all_env = test::read_file(run.workspace() / "all_env.txt");
    // bash runs in its own PID namespace, so the host's /proc entries are usually out of reach;
    // where they are reachable, the host's environment is read but holds no key.
    if (test::read_file(run.workspace() / "host_cmdline.txt").find("agenthost run") != std::string::npos) {
        EXPECT_THAT(host_env, HasSubstr("SECURITY_MARKER=" + marker)) << "the host's environment was readable";
    }
    for (const std::string& key : {openai_key, anthropic_key}) {
        EXPECT_THAT(host_env, Not(HasSubstr(key)));
        EXPECT_THAT(all_env, Not(HasSubstr(key)));
        EXPECT_THAT(run.session_log(), Not(HasSubstr(key)));
        EXPECT_THAT(r.out, Not(HasSubstr(key)));
        EXPECT_THAT(r.err, Not(HasSubstr(key)));
    }
}

TEST(Secrets, PlantedValuesAreRedactedFromTheLogStdoutAndStderr) {
    test::RunSetup run;
    const std::string key = "sk-proj-" + test::random_token(24);
    // A passed-through token with a space (so llmsim's word-sized deltas split it), a quote and
    // a slash (so its JSON-escaped form differs from it).
    const std::string token = "tok-" + test::random_token(8) + " " + test::random_token(8) + "\"q/" + test::random_token(4);
    run.harness(json::array{json::object{{"id", "bash"}, {"config", json::object{{"env_passthrough", json::array{"PASS_TOKEN"}}}}}});
    run.script(json::array{
        // The command carries the key (tool.started), its output the token (tool.completed),
        // raw and JSON-escaped.
        call("bash", {{"command", "echo \"key " + key + "\"; printf '%s\\n' \"$PASS_TOKEN\"; "
                                  "printf '{\"t\":\"%s\"}\\n' \"$(printf '%s' \"$PASS_TOKEN\" | sed 's/\"/\\\\\"/g')\""}}),
        // The model says both; the first delta ends inside the token.
        say("0123456789012345678 " + token + " and the key " + key + " were seen")});
    auto r = test::run_cli(run.run_args("leak them"), run.home(), {{"OPENAI_API_KEY", key}, {"PASS_TOKEN", token}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string log = run.session_log();
    ASSERT_THAT(log, HasSubstr("[REDACTED]"));
    for (const std::string& secret : {key, token}) {
        for (const std::string& form : {secret, escaped(secret), escaped(escaped(secret))}) {
            EXPECT_THAT(log, Not(HasSubstr(form))) << form;
            EXPECT_THAT(r.out, Not(HasSubstr(form))) << form;
            EXPECT_THAT(r.err, Not(HasSubstr(form))) << form;
        }
        // Not even the half of the token before llmsim's cut.
    }
    EXPECT_THAT(r.out, Not(HasSubstr(token.substr(0, token.find(' ')))));
    EXPECT_THAT(log, Not(HasSubstr(token.substr(0, token.find(' ')))));
    // The deltas of the final answer, put together, say what the stored message says.
    std::string deltas, stored;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        json::object e = json::parse(line).as_object();
        if (e.at("type") == "output.message.delta") deltas += e.at("data").at("delta").as_string();
        if (e.at("type") == "output.message.completed") {
            for (const json::value& p : e.at("data").at("message").at("content").as_array()) {
                if (p.at("type") == "text") stored = p.at("text").as_string();
            }
        }
    }
    EXPECT_EQ(stored, "0123456789012345678 [REDACTED] and the key [REDACTED] were seen");
    EXPECT_EQ(deltas, stored);
    // sessions show / export print what the log holds.
    auto exported = test::run_cli({"sessions", "export", run.session_id(), "--data-dir", run.data().string()}, run.home());
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_THAT(exported.out, HasSubstr("[REDACTED]"));
    EXPECT_THAT(exported.out, Not(HasSubstr(key)));
}

TEST(Secrets, SetSecretValuesAreRedactedFromEventsResultsAndTheTurnResult) {
    test::TempDir data;
    std::string secret = "ss-" + test::random_token(20);
    auto rt = test::builder({call("secret_get", {{"name", "token"}}), say("it is " + secret)})
                  .capability("probe")
                  .session_store(make_jsonl_session_store(data.path().string()))
                  .build();
    const std::string sid = rt->default_session_id();
    rt->set_secret(sid, "token", secret);
    std::string live;
    auto sub = rt->subscribe(sid, [&](const Event& e) { live += to_json_line(e) + "\n"; });
    TurnResult r = rt->run_turn("what is the token?");
    ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    EXPECT_EQ(r.response, "it is [REDACTED]");
    EXPECT_THAT(live, HasSubstr("[REDACTED]"));
    EXPECT_THAT(live, Not(HasSubstr(secret)));
    EXPECT_THAT(test::read_file(data / (sid + ".jsonl")), Not(HasSubstr(secret)));
    for (const Message& m : rt->messages(sid)) EXPECT_THAT(json::serialize(m.content), Not(HasSubstr(secret)));
}

TEST(Secrets, AWriteOnlyConfigFieldIsRedacted) {
    // The openai manifest marks api_key writeOnly: a key given in the config (not from the
    // environment) is redacted as soon as the driver is created.
    const std::string key = "sk-config-" + test::random_token(20);
    test::TempDir data;
    auto rt = test::builder()
                  .model("openai/gpt-4.1")
                  .driver_config("openai", json::object{{"base_url", "http://127.0.0.1:9/v1"}, {"api_key", key}})
                  .build();
    const std::string sid = rt->default_session_id();
    rt->steer(sid, "the key is " + key);
    const std::vector<Event> events = rt->events(sid);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(rt->messages(sid).back().text(), "the key is [REDACTED]");
}

}  // namespace
}  // namespace agenthost
