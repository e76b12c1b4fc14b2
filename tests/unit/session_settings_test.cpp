// SessionSettings: what session.created records, how session.reconfigured changes it, and the
// runtime recording a resumed session's changes; the model a RuntimeBuilder resolves.
#include "support/test_env.hpp"

#include <agenthost/runtime.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

Event event(std::string_view type, json::object data) {
    Event e;
    e.type = type;
    e.data = std::move(data);
    return e;
}

TEST(SessionSettings, CreatedThenEachReconfigurationFolded) {
    std::vector<Event> log{
        event(event_type::kSessionCreated, {{"model", "llmsim"},
                                            {"settings", json::object{{"harness", "math"},
                                                                      {"model", "llmsim"},
                                                                      {"workspace", "/w"},
                                                                      {"approval", "deny"},
                                                                      {"sandbox", nullptr}}}}),
        event(event_type::kInputMessage, {}),
        event(event_type::kSessionReconfigured, {{"field", "model"}, {"from", "llmsim"}, {"to", "openai/gpt-4.1"}}),
        event(event_type::kSessionReconfigured, {{"field", "sandbox"}, {"from", nullptr}, {"to", "read-only"}}),
        event(event_type::kSessionReconfigured, {{"field", "harness"}, {"from", "math"}, {"to", nullptr}}),
        event(event_type::kSessionReconfigured, {{"field", "unknown"}, {"to", "x"}}),
    };
    std::optional<SessionSettings> s = SessionSettings::of_events(log);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->harness, std::nullopt);
    EXPECT_EQ(s->model, "openai/gpt-4.1");
    EXPECT_EQ(s->workspace, "/w");
    EXPECT_EQ(s->approval, "deny");
    EXPECT_EQ(s->sandbox, "read-only");
}

TEST(SessionSettings, ALogWithoutSettingsHasNone) {
    EXPECT_FALSE(SessionSettings::of_events({event(event_type::kSessionCreated, {{"model", "llmsim"}})}));
    EXPECT_FALSE(SessionSettings::of_events({event(event_type::kSessionCreated, {{"settings", "tampered"}})}));
    EXPECT_FALSE(SessionSettings::of_events({}));
    std::optional<SessionSettings> odd = SessionSettings::of_events(
        {event(event_type::kSessionCreated, {{"settings", json::object{{"model", 7}, {"harness", "h"}}}})});
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->model, std::nullopt) << "a value that is no string is unset";
    EXPECT_EQ(odd->harness, "h");
}

TEST(SessionSettings, ChangesAreListedInFieldOrder) {
    SessionSettings before{"math", "llmsim", "/a", "deny", std::nullopt};
    SessionSettings after{"math", "openai/gpt-4.1", "/b", "deny", "off"};
    std::vector<json::object> changes = after.changes_from(before);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0], (json::object{{"field", "model"}, {"from", "llmsim"}, {"to", "openai/gpt-4.1"}}));
    EXPECT_EQ(changes[1], (json::object{{"field", "workspace"}, {"from", "/a"}, {"to", "/b"}}));
    EXPECT_EQ(changes[2], (json::object{{"field", "sandbox"}, {"from", nullptr}, {"to", "off"}}));
    EXPECT_TRUE(before.changes_from(before).empty());
}

TEST(SessionSettings, TheRuntimeRecordsSettingsAndAResumedSessionsChanges) {
    auto store = make_memory_session_store();
    std::string sid;
    {
        auto rt = test::builder().harness("math").session_store(store).approvals(ApprovalPolicy::kAuto).build();
        sid = rt->default_session_id();
        const json::object created = rt->events(sid).front().data;
        EXPECT_EQ(created.at("settings"), json::value(json::object{{"harness", "math"},
                                                                   {"model", "llmsim"},
                                                                   {"workspace", nullptr},
                                                                   {"approval", "auto"},
                                                                   {"sandbox", nullptr}}));
    }
    auto rt = test::builder().session_store(store).session_id(sid).resume().model("llmsim").build();
    std::vector<Event> events = rt->events(sid);
    std::vector<json::object> changes;
    for (const Event& e : events) {
        if (e.type == event_type::kSessionReconfigured) changes.push_back(e.data);
    }
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0], (json::object{{"field", "harness"}, {"from", "math"}, {"to", nullptr}}));
    EXPECT_EQ(changes[1], (json::object{{"field", "approval"}, {"from", "auto"}, {"to", "deny"}}));
    EXPECT_EQ(SessionSettings::of_events(events)->approval, "deny");
}

TEST(SessionSettings, ABareDriverIdRunsItsDefaultModelAndAnUnlistedModelIsRefused) {
    auto rt = test::builder().model("anthropic").build();
    EXPECT_EQ(rt->settings().model, "anthropic/claude-sonnet-4-5");
    EXPECT_EQ(rt->load_context(rt->default_session_id()).driver, "anthropic");
    EXPECT_EQ(test::builder().model("llmsim/llmsim").build()->settings().model, "llmsim");
    EXPECT_EQ(test::builder().default_model("anthropic").build()->settings().model, "anthropic/claude-sonnet-4-5");
    EXPECT_EQ(test::builder().harness("math").default_model("anthropic").build()->settings().model,
              "anthropic/claude-sonnet-4-5");
    EXPECT_THAT([] { test::builder().model("llmsim/claude-2").build(); },
                ::testing::ThrowsMessage<ConfigError>(HasSubstr("driver 'llmsim' does not serve 'claude-2'; it serves llmsim")));
    EXPECT_THAT([] { test::builder().model("/x").build(); },
                ::testing::ThrowsMessage<ConfigError>(HasSubstr("expected PROVIDER/MODEL")));
}

}  // namespace
}  // namespace agenthost
