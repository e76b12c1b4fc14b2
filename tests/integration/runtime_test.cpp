// The embedding API through real plugins loaded from .so files (llmsim, test_math, probe).
#include "support/test_env.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace agenthost {
namespace {

namespace json = boost::json;
using test::builder;
using test::call;
using test::say;
using ::testing::HasSubstr;

std::vector<std::string> roles(const std::vector<Message>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(m.role);
    return out;
}

std::size_t count_type(const std::vector<Event>& es, std::string_view type) {
    return static_cast<std::size_t>(std::count_if(es.begin(), es.end(), [&](const Event& e) { return e.type == type; }));
}

const json::object& tool_result(const Message& m) { return m.content.at(0).as_object(); }

TEST(Runtime, ToolTurnPersistsUserAgentToolResultAgent) {
    auto rt = builder({call("multiply", {{"a", 1231}, {"b", 2331}}), say("The product is 2869461.")}).harness("math").build();
    TurnResult r = rt->run_turn("What is 1231 * 2331?");
    ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    EXPECT_EQ(r.response, "The product is 2869461.");
    EXPECT_EQ(r.iterations, 2);
    EXPECT_EQ(r.tool_calls, 1);
    auto ms = rt->messages(rt->default_session_id());
    EXPECT_THAT(roles(ms), ::testing::ElementsAre("user", "agent", "tool_result", "agent"));
    EXPECT_EQ(ms[0].text(), "What is 1231 * 2331?");
    const json::object& tc = ms[1].content.at(0).as_object();
    EXPECT_EQ(tc.at("type"), "tool_call");
    EXPECT_EQ(tc.at("name"), "multiply");
    EXPECT_EQ(tool_result(ms[2]).at("tool_call_id"), tc.at("id"));
    EXPECT_EQ(tool_result(ms[2]).at("result").to_number<std::int64_t>(), 2869461);
    EXPECT_FALSE(tool_result(ms[2]).at("is_error").as_bool());
    auto es = rt->events(rt->default_session_id());
    EXPECT_EQ(count_type(es, event_type::kInputMessage), 1u);
    EXPECT_EQ(count_type(es, event_type::kToolCompleted), 1u);
    EXPECT_EQ(count_type(es, event_type::kTurnCompleted), 1u);
    EXPECT_EQ(count_type(es, event_type::kOutputDelta), 0u) << "deltas are live only";
    for (std::size_t i = 0; i < es.size(); ++i) EXPECT_EQ(es[i].sequence, i + 1) << "contiguous from 1";
}

TEST(Runtime, SessionWithoutHarnessOrAgentRunsTheOfflineNotice) {
    auto rt = builder().build();
    TurnResult r = rt->run_turn("hello");
    ASSERT_TRUE(r.success);
    EXPECT_THAT(r.response, HasSubstr("offline"));
    EXPECT_THAT(r.response, HasSubstr("ANTHROPIC_API_KEY"));
    AssembledContext ctx = rt->load_context(rt->default_session_id());
    EXPECT_TRUE(ctx.tools.empty());
    EXPECT_EQ(ctx.driver, "llmsim");
}

TEST(Runtime, NetworkAccessSurvivesAnyBuilderOrder) {
    test::TempDir dir;
    test::write_file(dir / "net.json", R"({"name":"net","network_access":{"allow":["*.example.com","api.github.com"],"block":["bad.example.com"]}})");
    AgentConfig agent;
    agent.name = "a";
    agent.network_access = json::object{{"allow", json::array{"*.example.com"}}, {"block", json::array{"x.example.com"}}};
    json::object session{{"block", json::array{"y.example.com"}}};

    RuntimeBuilder one = builder();
    one.harness_dir(dir.path()).harness("net").agent(agent).session_network_access(session);
    RuntimeBuilder two = builder();
    two.session_network_access(session).agent(agent).harness_dir(dir.path()).harness("net");
    auto a = one.build();
    auto b = two.build();
    json::object na = a->load_context(a->default_session_id()).network_access;
    json::object nb = b->load_context(b->default_session_id()).network_access;
    EXPECT_EQ(na, nb);
    EXPECT_EQ(na.at("allow"), (json::array{"*.example.com"})) << json::serialize(na);
    for (const char* blocked : {"bad.example.com", "x.example.com", "y.example.com"}) {
        EXPECT_NE(std::find(na.at("block").as_array().begin(), na.at("block").as_array().end(), json::value(blocked)),
                  na.at("block").as_array().end())
            << blocked << " in " << json::serialize(na);
    }
}

TEST(Runtime, SeededReadOnlyFilesStayReadOnly) {
    auto rt = builder({call("fs_write", {{"path", "/workspace/notes/ro.txt"}, {"content", "changed"}}),
                       call("fs_write", {{"path", "rw.txt"}, {"content", "changed"}}), say("done")})
                  .capability("probe")
                  .initial_file({"notes/ro.txt", "original", true})
                  .initial_file({"rw.txt", "original", false})
                  .build();
    TurnResult r = rt->run_turn("try to write both");
    ASSERT_TRUE(r.success);
    const std::string sid = rt->default_session_id();
    EXPECT_EQ(rt->read_file(sid, "notes/ro.txt"), "original");
    EXPECT_EQ(rt->read_file(sid, "/notes/ro.txt"), "original");
    EXPECT_EQ(rt->read_file(sid, "rw.txt"), "changed");
    auto ms = rt->messages(sid);
    EXPECT_TRUE(tool_result(ms[2]).at("is_error").as_bool());
    EXPECT_THAT(json::serialize(tool_result(ms[2]).at("result")), HasSubstr("read-only"));
    EXPECT_FALSE(tool_result(ms[4]).at("is_error").as_bool());
}

TEST(Runtime, UnknownCommandIsAnErrorAndKnownCommandsRun) {
    auto rt = builder().capability("probe").build();
    const std::string sid = rt->default_session_id();
    auto cmds = rt->list_commands(sid);
    ASSERT_EQ(cmds.size(), 1u);
    EXPECT_EQ(cmds[0].name, "probe_cmd");
    EXPECT_EQ(cmds[0].source, "probe");
    CommandResult bad = rt->execute_command(sid, "/nope", "");
    EXPECT_FALSE(bad.success);
    EXPECT_EQ(bad.error_code, "unknown_command");
    EXPECT_THAT(bad.message, HasSubstr("/probe_cmd"));
    CommandResult ok = rt->execute_command(sid, "/probe_cmd", "x y");
    EXPECT_TRUE(ok.success) << ok.message;
    EXPECT_THAT(ok.message, HasSubstr("x y"));
    EXPECT_EQ(count_type(rt->events(sid), event_type::kCommandExecuted), 1u);
}

TEST(Runtime, ToolErrorsAreOrdinaryResultsAndTheLoopGoesOn) {
    auto rt = builder({call("fail", {{"message", "disk on fire"}}), call("no_such_tool"), call("add", {{"a", "x"}, {"b", 1}}),
                       say("recovered")})
                  .harness("math")
                  .capability("probe")
                  .build();
    TurnResult r = rt->run_turn("go");
    ASSERT_TRUE(r.success);
    EXPECT_EQ(r.response, "recovered");
    auto ms = rt->messages(rt->default_session_id());
    ASSERT_EQ(ms.size(), 8u);
    EXPECT_THAT(json::serialize(tool_result(ms[2])), HasSubstr("disk on fire"));
    EXPECT_THAT(json::serialize(tool_result(ms[4])), HasSubstr("unknown tool 'no_such_tool'"));
    EXPECT_THAT(json::serialize(tool_result(ms[4])), HasSubstr("multiply"));
    EXPECT_THAT(json::serialize(tool_result(ms[6])), HasSubstr("arguments.a"));
    for (int i : {2, 4, 6}) EXPECT_TRUE(tool_result(ms[i]).at("is_error").as_bool());
}

TEST(Runtime, PluginThatThrowsGivesAToolErrorAndTheSessionGoesOn) {
    RuntimeBuilder b = builder({call("boom"), say("still here")});
    b.plugin_dir(test::fixture_dir("throws")).capability("throws");
    auto rt = b.build();
    TurnResult r = rt->run_turn("go");
    ASSERT_TRUE(r.success);
    auto ms = rt->messages(rt->default_session_id());
    EXPECT_TRUE(tool_result(ms[2]).at("is_error").as_bool());
    EXPECT_THAT(json::serialize(tool_result(ms[2])), HasSubstr("plugin threw"));
}

TEST(Runtime, DriverFailureFailsTheTurnWithItsCategoryWithoutRetryingAuth) {
    auto rt = builder({json::object{{"error", json::object{{"category", "auth_error"}, {"message", "bad key"}}}}, say("never")}).build();
    TurnResult r = rt->run_turn("hi");
    EXPECT_FALSE(r.success);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->category, "auth_error");
    EXPECT_EQ(r.error->message, "bad key");
    auto es = rt->events(rt->default_session_id());
    EXPECT_EQ(es.back().type, event_type::kTurnFailed);
    EXPECT_EQ(es.back().data.at("error_code"), "auth_error");
    // not retried: the next call gets the next scripted response
    EXPECT_EQ(rt->run_turn("again").response, "never");
}

TEST(Runtime, RetryableFailuresAreRetried) {
    auto rt = builder({json::object{{"error", json::object{{"category", "rate_limit"}}}},
                       json::object{{"error", json::object{{"category", "upstream_api_error"}}}}, say("third time lucky")})
                  .build();
    TurnResult r = rt->run_turn("hi");
    ASSERT_TRUE(r.success) << r.error->message;
    EXPECT_EQ(r.response, "third time lucky");
    EXPECT_EQ(r.iterations, 1);
}

TEST(Runtime, MaxIterationsEndsTheTurnWithEveryToolCallAnswered) {
    auto rt = builder({call("add", {{"a", 1}, {"b", 1}})}).harness("math").max_iterations(3).build();
    TurnResult r = rt->run_turn("loop forever");
    EXPECT_FALSE(r.success);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->category, "max_iterations");
    EXPECT_EQ(r.iterations, 3);
    auto ms = rt->messages(rt->default_session_id());
    EXPECT_EQ(ms.size(), 7u);  // user + 3 × (agent, tool_result)
    EXPECT_EQ(ms.back().role, "tool_result");
}

TEST(Runtime, InterruptDuringTheModelCallCancelsTheTurn) {
    RuntimeBuilder b = builder();
    b.driver_config("llmsim", json::object{{"text", std::string(400, 'x') + " the end"}, {"delay_ms", 20}});
    auto rt = b.build();
    const std::string sid = rt->default_session_id();
    std::atomic<int> deltas{0};
    auto sub = rt->subscribe(sid, [&](const Event& e) {
        if (e.type == event_type::kOutputDelta && deltas++ == 0) rt->interrupt(sid);
    });
    TurnResult r = rt->run_turn("talk slowly");
    EXPECT_TRUE(r.cancelled);
    EXPECT_FALSE(r.success);
    EXPECT_EQ(rt->events(sid).back().type, event_type::kTurnCancelled);
    EXPECT_LT(deltas.load(), 5);
    // the session goes on
    EXPECT_TRUE(rt->run_turn("again").cancelled == false);
}

TEST(Runtime, InterruptDuringAToolCancelsItAndKeepsCallsPaired) {
    auto rt = builder({call("sleep", {{"ms", 60000}}), say("unreachable")}).capability("probe").build();
    const std::string sid = rt->default_session_id();
    auto sub = rt->subscribe(sid, [&](const Event& e) {
        if (e.type == event_type::kToolStarted) rt->interrupt(sid);
    });
    TurnResult r = rt->run_turn("sleep");
    EXPECT_TRUE(r.cancelled);
    auto ms = rt->messages(sid);
    ASSERT_EQ(ms.size(), 3u);
    EXPECT_EQ(ms[2].role, "tool_result");
    auto es = rt->events(sid);
    auto done = std::find_if(es.begin(), es.end(), [](const Event& e) { return e.type == event_type::kToolCompleted; });
    ASSERT_NE(done, es.end());
    EXPECT_EQ(done->data.at("status"), "cancelled");
}

TEST(Runtime, SteerReachesTheNextReasonStepAfterTheToolResults) {
    auto rt = builder({call("sleep", {{"ms", 1}}), json::object{{"text", "ack"}}}).capability("probe").build();
    const std::string sid = rt->default_session_id();
    auto sub = rt->subscribe(sid, [&](const Event& e) {
        if (e.type == event_type::kToolStarted) rt->steer(sid, "also check the tests");
    });
    TurnResult r = rt->run_turn("do it");
    ASSERT_TRUE(r.success);
    auto ms = rt->messages(sid);
    EXPECT_THAT(roles(ms), ::testing::ElementsAre("user", "agent", "tool_result", "user", "agent"));
    EXPECT_EQ(ms[3].text(), "also check the tests");
}

TEST(Runtime, NonMutatingCallsRunInParallelAndMutatingOnesInOrder) {
    json::object parallel{{"tool_calls", json::array{json::object{{"name", "rendezvous"}, {"arguments", json::object{{"n", 3}}}},
                                                      json::object{{"name", "rendezvous"}, {"arguments", json::object{{"n", 3}}}},
                                                      json::object{{"name", "rendezvous"}, {"arguments", json::object{{"n", 3}}}}}}};
    json::object serial{{"tool_calls", json::array{json::object{{"name", "touch"}, {"arguments", json::object{{"name", "a"}}}},
                                                    json::object{{"name", "touch"}, {"arguments", json::object{{"name", "b"}}}}}}};
    auto rt = builder({parallel, serial, say("ok")}).capability("probe").build();
    TurnResult r = rt->run_turn("go");
    ASSERT_TRUE(r.success);
    auto ms = rt->messages(rt->default_session_id());
    for (int i : {2, 3, 4}) EXPECT_EQ(tool_result(ms[static_cast<std::size_t>(i)]).at("result"), "met") << "the three calls ran at once";
    std::vector<std::string> touch_events;
    for (const Event& e : rt->events(rt->default_session_id())) {
        if (e.type == event_type::kToolStarted && e.data.at("tool_call").at("name") == "touch") {
            touch_events.push_back("start " + std::string(e.data.at("tool_call").at("arguments").at("name").as_string()));
        }
        if (e.type == event_type::kToolCompleted && e.data.at("tool_name") == "touch") {
            touch_events.push_back("done " + std::string(e.data.at("result").as_string()));
        }
    }
    EXPECT_THAT(touch_events, ::testing::ElementsAre("start a", "done a", "start b", "done b"));
}

TEST(Runtime, HostServicesReachPluginsThroughTheirCallContext) {
    RuntimeBuilder b = builder({call("kv_set", {{"key", "k"}, {"value", "v1"}}), call("kv_get", {{"key", "k"}}),
                                call("connection_get", {{"provider", "github"}}), call("connection_get", {{"provider", "gitlab"}}),
                                say("done")});
    std::atomic<int> asked{0};
    b.capability("probe").connection_resolver([&](const std::string& sid, const std::string& provider) -> std::optional<json::value> {
        ++asked;
        if (provider != "github") return std::nullopt;
        return json::object{{"token", "gh-token-for-" + sid.substr(0, 4)}};
    });
    auto rt = b.build();
    ASSERT_TRUE(rt->run_turn("go").success);
    auto ms = rt->messages(rt->default_session_id());
    EXPECT_EQ(tool_result(ms[4]).at("result").at("value"), "v1");
    EXPECT_THAT(json::serialize(tool_result(ms[6]).at("result")), HasSubstr("gh-token-for-"));
    EXPECT_TRUE(tool_result(ms[8]).at("is_error").as_bool());
    EXPECT_EQ(asked.load(), 2);
}

TEST(Runtime, SecretsNeverAppearInEventsOrTheLog) {
    test::TempDir dir;
    std::string sid;
    {
        auto rt = builder({call("secret_get", {{"name", "token"}}), say("got it")})
                      .capability("probe")
                      .session_store(make_jsonl_session_store((dir / "sessions").string()))
                      .build();
        sid = rt->default_session_id();
        rt->set_secret(sid, "token", "s3cr3t-\"value\"");
        ASSERT_TRUE(rt->run_turn("read the secret").success);
        for (const Event& e : rt->events(sid)) EXPECT_EQ(to_json_line(e).find("s3cr3t"), std::string::npos) << to_json_line(e);
        EXPECT_THAT(json::serialize(tool_result(rt->messages(sid)[2]).at("result")), HasSubstr("[REDACTED]"));
    }
    std::string log = test::read_file(dir / "sessions" / (sid + ".jsonl"));
    EXPECT_EQ(log.find("s3cr3t"), std::string::npos);
    EXPECT_NE(log.find("[REDACTED]"), std::string::npos);
}

TEST(Runtime, ApprovalsFollowThePolicyAndAreRecorded) {
    for (auto [policy, expect] : {std::pair{ApprovalPolicy::kDeny, false}, std::pair{ApprovalPolicy::kAuto, true}}) {
        auto rt = builder({call("ask", {{"summary", "rm -rf build"}}), say("ok")}).capability("probe").approvals(policy).build();
        ASSERT_TRUE(rt->run_turn("go").success);
        auto ms = rt->messages(rt->default_session_id());
        EXPECT_EQ(tool_result(ms[2]).at("result").at("approved").as_bool(), expect);
        auto es = rt->events(rt->default_session_id());
        EXPECT_EQ(count_type(es, event_type::kApprovalRequested), 1u);
        EXPECT_EQ(count_type(es, event_type::kApprovalDecided), 1u);
    }
    std::vector<std::string> summaries;
    auto rt = builder({call("ask", {{"summary", "deploy"}}), say("ok")})
                  .capability("probe")
                  .approvals(ApprovalPolicy::kAsk, [&](const ApprovalRequest& r) {
                      summaries.push_back(r.summary);
                      return ApprovalDecision::kApprove;
                  })
                  .build();
    ASSERT_TRUE(rt->run_turn("go").success);
    EXPECT_THAT(summaries, ::testing::ElementsAre("deploy"));
}

TEST(Runtime, LoadContextAssemblesPromptToolsAndHooks) {
    AgentConfig agent;
    agent.name = "calc";
    agent.system_prompt = "AGENT-PROMPT";
    agent.max_iterations = 7;
    auto rt = builder().harness("math").capability("probe").agent(agent).build();
    AssembledContext ctx = rt->load_context(rt->default_session_id());
    EXPECT_THAT(ctx.harness_chain, ::testing::ElementsAre("base", "math"));
    EXPECT_EQ(ctx.agent, "calc");
    EXPECT_EQ(ctx.max_iterations, 7);
    EXPECT_THAT(ctx.system_prompt, HasSubstr("AGENT-PROMPT"));
    EXPECT_THAT(ctx.system_prompt, HasSubstr("PROBE-PROMPT"));
    EXPECT_LT(ctx.system_prompt.find("AGENT-PROMPT"), ctx.system_prompt.find("PROBE-PROMPT"));
    std::vector<std::string> names;
    for (const auto& t : ctx.tools) names.push_back(t.name);
    EXPECT_THAT(names, ::testing::IsSupersetOf({"add", "multiply", "kv_set", "touch"}));
    EXPECT_THAT(ctx.capabilities, ::testing::ElementsAre("test_math", "probe"));
}

TEST(Runtime, PinnedSessionResumesFromItsLogAndContinuesTheSequence) {
    test::TempDir dir;
    auto store_dir = (dir / "sessions").string();
    json::array script{call("add", {{"a", 2}, {"b", 2}}), say("four"), say("second turn answer")};
    std::uint64_t last = 0;
    {
        auto rt = builder(script).harness("math").session_id("pinned-1").session_store(make_jsonl_session_store(store_dir)).build();
        EXPECT_EQ(rt->default_session_id(), "pinned-1");
        ASSERT_TRUE(rt->run_turn("2+2?").success);
        last = rt->events("pinned-1").back().sequence;
    }
    auto rt = builder(script).harness("math").session_id("pinned-1").resume().session_store(make_jsonl_session_store(store_dir)).build();
    EXPECT_THAT(roles(rt->messages("pinned-1")), ::testing::ElementsAre("user", "agent", "tool_result", "agent"));
    TurnResult r = rt->run_turn("and now?");
    ASSERT_TRUE(r.success);
    EXPECT_EQ(r.response, "second turn answer") << "llmsim continues the script after resume";
    auto es = rt->events("pinned-1");
    EXPECT_EQ(es[last].sequence, last + 1) << "the sequence continues";
    EXPECT_EQ(count_type(es, event_type::kSessionCreated), 1u);
    EXPECT_EQ(rt->session_usage("pinned-1").output_tokens > 0, true);
}

TEST(Runtime, SecondTurnWhileOneRunsIsRefused) {
    auto rt = builder({call("sleep", {{"ms", 60000}}), say("x")}).capability("probe").build();
    const std::string sid = rt->default_session_id();
    std::atomic<bool> refused{false};
    auto sub = rt->subscribe(sid, [&](const Event& e) {
        if (e.type != event_type::kToolStarted) return;
        std::thread([&] {
            try {
                rt->run_turn(sid, "second");
            } catch (const UsageError&) {
                refused = true;
            }
            rt->interrupt(sid);
        }).join();
    });
    EXPECT_TRUE(rt->run_turn("first").cancelled);
    EXPECT_TRUE(refused.load());
}

TEST(Runtime, BadConfigurationIsAClearError) {
    EXPECT_THAT([] { builder().model("nosuch/model-x").build(); },
                ::testing::ThrowsMessage<ConfigError>(HasSubstr("plugin 'nosuch'")));
    EXPECT_THAT([] { builder().harness("does-not-exist").build(); }, ::testing::Throws<ConfigError>());
    EXPECT_THAT([] { builder().capability("llmsim").build(); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("not a capability")));
    EXPECT_THAT([] { builder().driver_config("llmsim", json::object{{"delay_ms", "slow"}}).build(); },
                ::testing::ThrowsMessage<ConfigError>(HasSubstr("delay_ms")));
    RuntimeBuilder b = builder();
    b.driver_config("llmsim", json::object{{"responses", json::array{json::object{{"tool_calls", json::array{json::object{{"nam", "x"}}}}}}}});
    EXPECT_THAT([&] { b.build(); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("responses[0].tool_calls[0]")));
}

}  // namespace
}  // namespace agenthost
