// Event envelopes: JSON round trip, field errors, UUIDv7 and timestamps.
#include <agenthost/event.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>
#include <functional>
#include <regex>
#include <set>
#include <string>

namespace agenthost {
namespace {

Event sample_event() {
    Event event;
    event.id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    event.type = std::string(event_type::kInputMessage);
    event.ts = "2026-11-21T15:04:05.123Z";
    event.session_id = "s1";
    event.sequence = 42;
    event.turn_id = "turn-7";
    event.data =
        json::parse(R"({"message":{"role":"user","content":[{"type":"text","text":"hi \"there\"\n"}]}})").as_object();
    return event;
}

std::string message_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const EventFormatError& error) {
        return error.what();
    }
    ADD_FAILURE() << "no EventFormatError";
    return {};
}

TEST(EventTest, JsonLineRoundTrip) {
    const Event event = sample_event();
    const std::string line = to_json_line(event);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const Event back = event_from_json(json::parse(line));
    EXPECT_EQ(back.id, event.id);
    EXPECT_EQ(back.type, event.type);
    EXPECT_EQ(back.ts, event.ts);
    EXPECT_EQ(back.session_id, event.session_id);
    EXPECT_EQ(back.sequence, event.sequence);
    EXPECT_EQ(back.turn_id, event.turn_id);
    EXPECT_EQ(back.data, event.data);
    EXPECT_EQ(to_json_line(back), line);
}

TEST(EventTest, EnvelopeFieldOrderAndContext) {
    Event event;
    event.id = "x";
    event.type = "session.created";
    event.ts = "t";
    event.session_id = "s";
    event.sequence = 1;
    EXPECT_EQ(to_json_line(event), R"({"id":"x","type":"session.created","ts":"t","session_id":"s","sequence":1,)"
                                   R"("context":{},"data":{}})");
    event.turn_id = "u";
    EXPECT_EQ(to_json(event).at("context"), json::parse(R"({"turn_id":"u"})"));
    EXPECT_EQ(to_json_line(event), json::serialize(to_json(event)));
}

TEST(EventTest, JsonLineEscapesLikeTheJsonObject) {
    Event event;
    event.id = "quote\"back\\slash";
    event.type = "tab\there";
    event.ts = "new\nline";
    event.session_id = std::string("nul\0ctl\x01", 8);
    event.sequence = 42;
    event.turn_id = "\xc3\xa9t\xc3\xa9";
    event.data = json::object{{"text", "a \"b\"\n"}, {"n", 1}};
    const std::string line = to_json_line(event);
    EXPECT_EQ(line, json::serialize(to_json(event)));
    const Event back = event_from_json(json::parse(line));
    EXPECT_EQ(back.id, event.id);
    EXPECT_EQ(back.session_id, event.session_id);
    EXPECT_EQ(back.turn_id, event.turn_id);
}

TEST(EventTest, ContextIsOptionalOnInput) {
    const Event event = event_from_json(
        json::parse(R"({"id":"a","type":"turn.started","ts":"t","session_id":"s","sequence":3,"data":{}})"));
    EXPECT_EQ(event.turn_id, "");
    EXPECT_EQ(event.sequence, 3u);
}

TEST(EventTest, LargeSequenceSurvives) {
    Event event = sample_event();
    event.sequence = 18446744073709551615ull;
    EXPECT_EQ(event_from_json(json::parse(to_json_line(event))).sequence, event.sequence);
}

TEST(EventTest, MissingFieldsAreNamed) {
    for (const char* field : {"id", "type", "ts", "session_id", "sequence", "data"}) {
        json::object object = to_json(sample_event());
        object.erase(field);
        const std::string message = message_of([&] { event_from_json(json::value(object)); });
        EXPECT_NE(message.find(std::string("\"") + field + "\""), std::string::npos) << message;
        EXPECT_NE(message.find("missing"), std::string::npos) << message;
    }
}

TEST(EventTest, MistypedFieldsAreNamed) {
    const std::pair<const char*, json::value> cases[] = {
        {"id", 5},        {"type", nullptr}, {"ts", json::array{}}, {"session_id", true}, {"sequence", "1"},
        {"sequence", -1}, {"sequence", 1.5}, {"data", "x"},         {"context", "t"},
    };
    for (const auto& [field, bad] : cases) {
        json::object object = to_json(sample_event());
        object[field] = bad;
        const std::string message = message_of([&] { event_from_json(json::value(object)); });
        EXPECT_NE(message.find(std::string("\"") + field + "\""), std::string::npos) << message;
        EXPECT_NE(message.find("must be"), std::string::npos) << message;
    }
    json::object object = to_json(sample_event());
    object["context"] = json::object{{"turn_id", 7}};
    const std::string message = message_of([&] { event_from_json(json::value(object)); });
    EXPECT_NE(message.find("\"context.turn_id\""), std::string::npos) << message;
}

TEST(EventTest, NonObjectIsRejected) {
    EXPECT_THROW(event_from_json(json::parse("[1,2]")), EventFormatError);
    EXPECT_THROW(event_from_json(json::value("text")), EventFormatError);
}

TEST(EventTest, OnlyDeltasAreLiveOnly) {
    EXPECT_FALSE(is_stored_event(event_type::kOutputDelta));
    for (auto type :
         {event_type::kSessionCreated, event_type::kInputMessage, event_type::kTurnStarted, event_type::kOutputStarted,
          event_type::kOutputCompleted, event_type::kToolStarted, event_type::kToolCompleted,
          event_type::kApprovalRequested, event_type::kApprovalDecided, event_type::kTurnCompleted,
          event_type::kTurnFailed, event_type::kTurnCancelled, event_type::kCommandExecuted}) {
        EXPECT_TRUE(is_stored_event(type)) << type;
    }
}

std::uint64_t unix_ms_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

TEST(EventTest, UuidV7Layout) {
    const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    const std::uint64_t before = unix_ms_now();
    const std::string id = new_uuid_v7();
    const std::uint64_t after = unix_ms_now();
    ASSERT_TRUE(std::regex_match(id, shape)) << id;
    const std::string hex_ms = id.substr(0, 8) + id.substr(9, 4);
    const std::uint64_t embedded = std::stoull(hex_ms, nullptr, 16);
    EXPECT_LE(before, embedded);
    EXPECT_LE(embedded, after);
}

TEST(EventTest, UuidV7AreUnique) {
    std::set<std::string> seen;
    for (int i = 0; i < 20000; ++i) seen.insert(new_uuid_v7());
    EXPECT_EQ(seen.size(), 20000u);
}

TEST(EventTest, NowIsRfc3339UtcWithMillis) {
    const std::regex shape(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    const std::string now = now_rfc3339();
    EXPECT_TRUE(std::regex_match(now, shape)) << now;
}

/// What gmtime_r says, the slow way format_rfc3339 used to take.
std::string reference_rfc3339(std::int64_t ms) {
    std::int64_t s = ms / 1000, milli = ms % 1000;
    if (milli < 0) milli += 1000, --s;
    const std::time_t t = static_cast<std::time_t>(s);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(milli));
    return buffer;
}

TEST(EventTest, Rfc3339AgreesWithGmtimeOnEveryKindOfDay) {
    using std::chrono::milliseconds;
    using std::chrono::system_clock;
    std::vector<std::int64_t> samples = {
        0, 1, 999, -1, -1000, -86400000, 951782400000 /* 2000-02-29 */, 951868799999, 4107542400000 /* 2100-03-01 */,
        1700000000123, 68256000000 /* 1972-02-29 */, 9214646399999 /* 2261-12-31T23:59:59.999 */};
    std::mt19937_64 rng(42);
    // system_clock counts nanoseconds in 64 bits: 1678 to 2262.
    std::uniform_int_distribution<std::int64_t> any(-2208988800000 /* 1900 */, 9214646399999);
    for (int i = 0; i < 20000; ++i) samples.push_back(any(rng));
    for (std::int64_t ms : samples) {
        ASSERT_EQ(format_rfc3339(system_clock::time_point(milliseconds(ms))), reference_rfc3339(ms)) << ms;
    }
}

}  // namespace
}  // namespace agenthost
