// The redactor (base/redactor.hpp): whole values, their JSON-escaped forms, values split across
// streamed pieces at every position, the whole-word rule for short values, UTF-8 repair of
// event data, and the log sink. Each test uses its own Redactor, not the process's.
#include "base/redacting_sink.hpp"
#include "base/redactor.hpp"
#include "base/utf8.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace agenthost {
namespace {

namespace json = boost::json;

TEST(Redactor, ReplacesEveryOccurrenceAndLeavesOtherTextAlone) {
    Redactor r;
    EXPECT_EQ(r.redact("nothing known yet sk-abcdefgh"), "nothing known yet sk-abcdefgh");
    r.add("sk-abcdefgh");
    EXPECT_EQ(r.redact("key=sk-abcdefgh, again:sk-abcdefghsk-abcdefgh."), "key=[REDACTED], again:[REDACTED][REDACTED].");
    EXPECT_EQ(r.redact("sk-abcdefg (one short)"), "sk-abcdefg (one short)");
    EXPECT_FALSE(r.redacted("no secret here").has_value());
}

TEST(Redactor, OverlappingSecretsAreCoveredWhole) {
    Redactor r;
    r.add("abcdefgh12");
    r.add("gh12345678");
    EXPECT_EQ(r.redact("xxabcdefgh12345678yy"), "xx[REDACTED]yy");
}

TEST(Redactor, FindsJsonEscapedForms) {
    Redactor r;
    const std::string secret = "pa\"ss/w\\rd-\xC3\xA9t\xF0\x9F\x94\x91";  // quote, slash, backslash, é, 🔑
    r.add(secret);
    const std::string plain = json::serialize(json::string(secret));  // "pa\"ss/w\\rd-ét🔑"
    EXPECT_EQ(r.redact("body " + plain), "body \"[REDACTED]\"");
    EXPECT_EQ(r.redact(R"({"k":"pa\"ss\/w\\rd-)" "\xC3\xA9t\xF0\x9F\x94\x91\"}"), R"({"k":"[REDACTED]"})");
    EXPECT_EQ(r.redact(R"({"k":"pa\"ss/w\\rd-\u00e9t\ud83d\udd11"})"), R"({"k":"[REDACTED]"})");
    EXPECT_EQ(r.redact(R"({"k":"pa\"ss/w\\rd-\u00E9t\uD83D\uDD11"})"), R"({"k":"[REDACTED]"})");
    // A JSON document inside a JSON string (a tool printed JSON): found escaped once more.
    json::object data{{"result", plain}};
    clean_json(data, r);
    EXPECT_EQ(data.at("result").as_string(), "\"[REDACTED]\"");
}

TEST(Redactor, ShortValuesAreRedactedOnlyAsWholeWords) {
    Redactor r;
    r.add("hunter2");  // 7 bytes: below kMinSubstringSecret
    EXPECT_EQ(r.redact("password: hunter2."), "password: [REDACTED].");
    EXPECT_EQ(r.redact("hunter2"), "[REDACTED]");
    EXPECT_EQ(r.redact("\"hunter2\""), "\"[REDACTED]\"");
    EXPECT_EQ(r.redact("hunter22 xhunter2 hunter2_x"), "hunter22 xhunter2 hunter2_x") << "inside a longer word: left";
    r.add("");
    EXPECT_EQ(r.redact("empty values are ignored"), "empty values are ignored");
}

/// Feed `text` to a stream cut at `cuts`, and collect what it shows.
std::string streamed(const Redactor& r, const std::string& text, std::vector<std::size_t> cuts) {
    Redactor::Stream s = r.stream();
    std::string shown;
    std::size_t at = 0;
    for (std::size_t cut : cuts) {
        shown += s.feed(text.substr(at, cut - at));
        at = cut;
    }
    shown += s.feed(text.substr(at));
    shown += s.finish();
    return shown;
}

TEST(RedactorStream, ASecretSplitAtAnyByteIsStillCaught) {
    Redactor r;
    r.add("sk-live-0123456789abcdef");
    r.add("tok7");  // short: whole words only
    const std::string text = "the key sk-live-0123456789abcdef and tok7 end, notatok7 sk-live-0123456789abcdef";
    const std::string expected = r.redact(text);
    ASSERT_EQ(expected, "the key [REDACTED] and [REDACTED] end, notatok7 [REDACTED]");
    for (std::size_t a = 0; a <= text.size(); ++a) {
        EXPECT_EQ(streamed(r, text, {a}), expected) << "one cut at " << a;
        for (std::size_t b = a; b <= text.size(); b += 7) {
            ASSERT_EQ(streamed(r, text, {a, b}), expected) << "cuts at " << a << " and " << b;
        }
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < text.size(); ++i) every.push_back(i);
    EXPECT_EQ(streamed(r, text, every), expected) << "one byte at a time";
}

TEST(RedactorStream, ShowsTextAtOnceWhenItCannotBeginASecretAndNeverSplitsUtf8) {
    Redactor r;
    r.add("sk-live-0123456789abcdef");
    Redactor::Stream s = r.stream();
    EXPECT_EQ(s.feed("hello world "), "hello world ");
    EXPECT_EQ(s.feed("the key is sk-li"), "the key is ") << "a tail that may begin the secret waits";
    EXPECT_EQ(s.feed("ght"), "sk-light") << "and is shown once it cannot";
    EXPECT_EQ(s.feed("caf\xC3"), "caf") << "half a UTF-8 sequence waits for its other half";
    EXPECT_EQ(s.feed("\xA9!"), "\xC3\xA9!");
    EXPECT_EQ(s.finish(), "");
    Redactor none;
    Redactor::Stream plain = none.stream();
    EXPECT_EQ(plain.feed("no secrets \xE2\x9C"), "no secrets ");
    EXPECT_EQ(plain.feed("\x93"), "\xE2\x9C\x93");
}

TEST(CleanJson, RepairsUtf8InValuesAndKeysAndRedacts) {
    Redactor r;
    r.add("sk-0123456789");
    json::object data{{"text", "bad \xFF byte and sk-0123456789"},
                      {"nested", json::array{json::object{{"k\xFE", "ok"}, {"sk-0123456789", 1}}}}};
    EXPECT_TRUE(clean_json(data, r));
    EXPECT_EQ(data.at("text").as_string(), "bad \xEF\xBF\xBD byte and [REDACTED]");
    const json::object& inner = data.at("nested").as_array().at(0).as_object();
    EXPECT_TRUE(inner.contains("k\xEF\xBF\xBD"));
    EXPECT_TRUE(inner.contains("[REDACTED]"));
    EXPECT_TRUE(is_valid_utf8(json::serialize(data)));
    json::object clean{{"a", "fine"}, {"b", json::array{1, 2}}};
    EXPECT_FALSE(clean_json(clean, r));
    EXPECT_EQ(clean_text("x\xC0y", r), "x\xEF\xBF\xBDy");
}

TEST(RedactingSink, LogLinesAreRedacted) {
    Redactor::global().add("log-secret-0123456789");
    std::ostringstream out;
    auto sink = make_redacting_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    spdlog::logger logger("redaction-test", sink);
    logger.set_pattern("%v");
    logger.warn("a plugin said log-secret-0123456789 and \xFF");
    EXPECT_EQ(out.str(), "a plugin said [REDACTED] and \xEF\xBF\xBD\n");
}

}  // namespace
}  // namespace agenthost
