// ahp::SseParser (sdk/include/ahp/sse.hpp) against the WHATWG spec's rules and examples
// (html.spec.whatwg.org, "Server-sent events": parsing an event stream), under every split of
// the byte stream.
#include <ahp/sse.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

struct Got {
    std::string event, data, id;
    long retry;
    bool operator==(const Got& o) const { return event == o.event && data == o.data && id == o.id && retry == o.retry; }
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
    return os << "{" << g.event << "|" << g.data << "|" << g.id << "|" << g.retry << "}";
}

/// The events of `chunks`, fed in order, then finish().
std::vector<Got> parse(const std::vector<std::string>& chunks) {
    std::vector<Got> out;
    ahp::SseParser p([&](const ahp::SseEvent& e) {
        out.push_back({e.event, e.data, e.id, e.retry_ms});
        return true;
    });
    for (const auto& c : chunks) EXPECT_TRUE(p.feed(c));
    p.finish();
    return out;
}

/// Parse whole, and check every split into two and into single bytes gives the same events.
std::vector<Got> parse_all_ways(const std::string& s) {
    std::vector<Got> whole = parse({s});
    for (std::size_t k = 0; k <= s.size(); ++k) {
        EXPECT_EQ(parse({s.substr(0, k), s.substr(k)}), whole) << "split at " << k;
    }
    std::vector<std::string> bytes;
    for (char c : s) bytes.emplace_back(1, c);
    EXPECT_EQ(parse(bytes), whole) << "byte by byte";
    return whole;
}

TEST(SseParser, SpecExampleMultiLineData) {
    EXPECT_EQ(parse_all_ways("data: YHOO\ndata: +2\ndata: 10\n\n"),
              (std::vector<Got>{{"message", "YHOO\n+2\n10", "", -1}}));
}

TEST(SseParser, SpecExampleIdsCommentsAndUnterminatedLastEvent) {
    EXPECT_EQ(
        parse_all_ways(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"),
        (std::vector<Got>{{"message", "first event", "1", -1}, {"message", "second event", "", -1}}));
}

TEST(SseParser, SpecExampleEmptyDataLines) {
    EXPECT_EQ(parse_all_ways("data\n\ndata\ndata\n\ndata:"),
              (std::vector<Got>{{"message", "", "", -1}, {"message", "\n", "", -1}}));
}

TEST(SseParser, SpecExampleOnlyOneLeadingSpaceIsStripped) {
    EXPECT_EQ(
        parse_all_ways("data:test\n\ndata: test\n\ndata:  test\n\n"),
        (std::vector<Got>{{"message", "test", "", -1}, {"message", "test", "", -1}, {"message", " test", "", -1}}));
}

TEST(SseParser, CrLfAndCrLineEndsMixed) {
    EXPECT_EQ(parse_all_ways("event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\rdata: 3\n\r\n"),
              (std::vector<Got>{{"a", "1", "", -1}, {"b", "2", "", -1}, {"message", "3", "", -1}}));
    // A CR at the end of a chunk followed by something other than LF ends only that line.
    EXPECT_EQ(parse({"data: x\r", "\rdata: y\r", "\n\n"}),
              (std::vector<Got>{{"message", "x", "", -1}, {"message", "y", "", -1}}));
}

TEST(SseParser, EventTypeResetsAndAnEventWithoutDataIsNotDispatched) {
    EXPECT_EQ(parse_all_ways("event: lonely\n\ndata: d\n\nevent\ndata: e\n\n"),
              (std::vector<Got>{{"message", "d", "", -1}, {"message", "e", "", -1}}));
}

TEST(SseParser, IdPersistsNulIsIgnoredRetryTakesDigitsOnly) {
    std::string s = std::string("id: 7\nretry: 1500\ndata: a\n\ndata: b\n\nid: x") + '\0' +
                    "y\nretry: 12a\ndata: c\n\nid:\ndata: d\n\n";
    EXPECT_EQ(parse_all_ways(s), (std::vector<Got>{{"message", "a", "7", 1500},
                                                   {"message", "b", "7", 1500},
                                                   {"message", "c", "7", 1500},
                                                   {"message", "d", "", 1500}}));
}

TEST(SseParser, LeadingBomIsStrippedOnlyAtTheStart) {
    EXPECT_EQ(parse_all_ways("\xEF\xBB\xBF"
                             "data: 1\n\n\xEF\xBB\xBF"
                             "data: 2\n\ndata: 3\n\n"),
              (std::vector<Got>{{"message", "1", "", -1}, {"message", "3", "", -1}}))
        << "a BOM later is part of a field name, which is ignored";
}

TEST(SseParser, UnknownFieldsAndCommentsAreIgnoredUtf8SurvivesAnySplit) {
    EXPECT_EQ(parse_all_ways(":comment\nfoo: bar\ndata: 72°F 🦅\n: ping\nDATA: no\n\n"),
              (std::vector<Got>{{"message", "72°F 🦅", "", -1}}));
}

TEST(SseParser, CallbackStopsTheParser) {
    int n = 0;
    ahp::SseParser p([&](const ahp::SseEvent&) { return ++n < 2; });
    EXPECT_FALSE(p.feed("data: 1\n\ndata: 2\n\ndata: 3\n\n"));
    EXPECT_EQ(n, 2);
    EXPECT_FALSE(p.feed("data: 4\n\n"));
    EXPECT_EQ(n, 2);
}

TEST(SseParser, PendingBytesCountsTheUnfinishedLineAndFinishDropsIt) {
    int n = 0;
    ahp::SseParser p([&](const ahp::SseEvent&) { return ++n, true; });
    p.feed("data: partial");
    EXPECT_EQ(p.pending_bytes(), 13u);
    p.finish();
    EXPECT_EQ(p.pending_bytes(), 0u);
    EXPECT_EQ(n, 0);
}

TEST(SseParser, RandomChunksOfALongMixedStream) {
    std::string s;
    std::vector<Got> want;
    for (int i = 0; i < 200; ++i) {
        const char* eol = i % 3 == 0 ? "\r\n" : i % 3 == 1 ? "\n" : "\r";
        std::string n = std::to_string(i);
        s += std::string(": c") + eol + "event: e" + n + eol + "data: " + n + eol + "data: x" + eol + eol;
        want.push_back({"e" + n, n + "\nx", "", -1});
    }
    std::mt19937 rng(7);
    for (int round = 0; round < 100; ++round) {
        std::vector<std::string> chunks;
        for (std::size_t at = 0; at < s.size();) {
            std::size_t len = std::uniform_int_distribution<std::size_t>(0, 40)(rng);
            chunks.push_back(s.substr(at, len));
            at += len;
        }
        ASSERT_EQ(parse(chunks), want) << "round " << round;
    }
}

}  // namespace
