// The tool_output plugin through the fake host: long results saved whole through
// session_data.write and replaced by a bounded head/tail preview; small ones left alone.
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

namespace {

namespace json = boost::json;
using ahp::fake::FakeHost;
using ::testing::HasSubstr;
using ::testing::Not;

/// A fake host on the built plugin whose session_data.write keeps what it is given.
struct Host {
    explicit Host(const std::string& config = "{}")
        : host(FakeHost::open((agenthost::test::plugins_dir() / "tool_output.so").string(), config)) {
        host.on_service("session_data.write", [this](const json::value& p) -> json::value {
            std::string name(p.at("name").as_string());
            saved[name] = std::string(p.at("content").as_string());
            return json::object{{"path", "/@session/" + name}};
        });
    }
    /// The hook's answer for one tool result.
    json::object after(const std::string& tool, const std::string& id, const json::value& result,
                       bool is_error = false) {
        auto out = host.invoke(
            "hook.after_tool",
            json::object{{"tool_call", json::object{{"id", id}, {"name", tool}, {"arguments", json::object{}}}},
                         {"result", result},
                         {"is_error", is_error},
                         {"session_id", "s1"}});
        EXPECT_TRUE(out.ok()) << out.error_message;
        return out.result.is_object() ? out.result.as_object() : json::object{};
    }
    FakeHost host;
    std::map<std::string, std::string> saved;
};

/// `n` numbered lines of exactly `width` bytes each (newline included).
std::string numbered_lines(int n, int width) {
    std::string out;
    out.reserve(static_cast<std::size_t>(n) * static_cast<std::size_t>(width));
    char buf[32];
    for (int i = 1; i <= n; ++i) {
        std::snprintf(buf, sizeof buf, "line %06d ", i);
        std::string line = buf;
        line.append(static_cast<std::size_t>(width) - line.size() - 1, 'x');
        out += line + "\n";
    }
    return out;
}

bool valid_utf8(std::string_view s) {
    try {
        json::parse(json::serialize(json::string(s)));  // the serializer keeps bytes; the parser checks them
        return true;
    } catch (...) {
        return false;
    }
}

TEST(ToolOutput, SmallResultsAreLeftAlone) {
    Host h;
    EXPECT_TRUE(h.after("bash", "c1", json::object{{"exit_code", 0}, {"stdout", "hello\n"}, {"stderr", ""}}).empty());
    EXPECT_TRUE(
        h.after("grep_files", "c2", json::string(std::string(15000, 'a'))).empty());  // under 16 KiB, parsed path
    EXPECT_TRUE(h.saved.empty());
}

TEST(ToolOutput, AMegabyteOfBashOutputIsSavedAndPreviewed) {
    Host h;
    const std::string out = numbered_lines(20000, 52);  // 1 040 000 bytes
    json::object r =
        h.after("bash", "call_big",
                json::object{{"exit_code", 1}, {"stdout", out}, {"stderr", "warning: x\n"}, {"duration_ms", 5}});
    ASSERT_TRUE(r.contains("result"));
    const json::object& res = r.at("result").as_object();
    EXPECT_EQ(res.at("exit_code").as_int64(), 1);
    EXPECT_EQ(res.at("stderr").as_string(), "warning: x\n");
    ASSERT_EQ(h.saved.count("outputs/call_big.txt"), 1u);
    EXPECT_EQ(h.saved["outputs/call_big.txt"], out);

    std::string preview(res.at("stdout").as_string());
    EXPECT_LT(preview.size(), 2 * 2048 + 1024u);
    // Head: the 39 whole lines in the first 2 KiB; tail: the 39 whole lines in the last 2 KiB.
    EXPECT_THAT(
        preview,
        HasSubstr("[output too long for the context: 1040000 bytes, 20000 lines; showing lines 1-39 and 19962-20000]\n"
                  "line 000001 "));
    EXPECT_THAT(preview, HasSubstr(out.substr(0, 39 * 52) + "[… 1035944 bytes omitted (lines 40-19961) …]\n" +
                                   out.substr(19961 * 52)));
    EXPECT_THAT(preview, Not(HasSubstr("line 000040 ")));
    EXPECT_THAT(preview, Not(HasSubstr("line 019961 ")));
    EXPECT_THAT(preview, HasSubstr("[full output saved to /@session/outputs/call_big.txt (20000 lines, 1040000 bytes); "
                                   "read it with read_file path=/@session/outputs/call_big.txt offset=39 limit=200"));
    const json::object& file = res.at("output_files").as_array().at(0).as_object();
    EXPECT_EQ(file.at("member").as_string(), "stdout");
    EXPECT_EQ(file.at("path").as_string(), "/@session/outputs/call_big.txt");
    EXPECT_EQ(file.at("bytes").as_int64(), 1040000);
    EXPECT_EQ(file.at("lines").as_int64(), 20000);
}

TEST(ToolOutput, StringResultsAndStderrGetTheirOwnFiles) {
    Host h;
    json::object r = h.after("web_fetch", "w/1", json::string(std::string(40000, 'a') + "\n" + std::string(100, 'b')));
    ASSERT_TRUE(r.at("result").is_string());
    EXPECT_EQ(h.saved.count("outputs/w_1.txt"), 1u);
    EXPECT_THAT(std::string(r.at("result").as_string()), HasSubstr("/@session/outputs/w_1.txt"));

    r = h.after("bash", "c9", json::object{{"exit_code", 2}, {"stdout", "ok\n"}, {"stderr", numbered_lines(1000, 40)}});
    EXPECT_EQ(h.saved.count("outputs/c9.stderr.txt"), 1u);
    EXPECT_EQ(r.at("result").at("stdout").as_string(), "ok\n");
    EXPECT_THAT(std::string(r.at("result").at("stderr").as_string()), HasSubstr("/@session/outputs/c9.stderr.txt"));
}

TEST(ToolOutput, CutsAreUtf8SafeWithoutNewlines) {
    Host h("{\"preview_bytes\": 1000}");
    std::string text;
    while (text.size() < 50000) text += "ä€😀";  // 2-, 3- and 4-byte characters, no newline
    json::object r = h.after("bash", "u1", json::object{{"stdout", text}});
    std::string preview(r.at("result").at("stdout").as_string());
    EXPECT_TRUE(valid_utf8(preview));
    EXPECT_LT(preview.size(), 2 * 1000 + 1024u);
    EXPECT_THAT(preview, HasSubstr("bytes, 1 line; showing the first "));
    EXPECT_EQ(h.saved.at("outputs/u1.txt"), text);
}

TEST(ToolOutput, ThresholdIsConfigurableAndReadFileIsSkipped) {
    Host h("{\"threshold_bytes\": 4096, \"preview_bytes\": 512}");
    EXPECT_TRUE(h.after("bash", "a", json::object{{"stdout", std::string(4000, 'x')}}).empty());
    EXPECT_TRUE(h.after("bash", "b", json::object{{"stdout", numbered_lines(200, 30)}}).contains("result"));
    EXPECT_TRUE(h.after("read_file", "c", json::object{{"content", numbered_lines(2000, 30)}}).empty());
    Host all("{\"skip_tools\": []}");
    EXPECT_TRUE(all.after("read_file", "c", json::object{{"content", numbered_lines(2000, 30)}}).contains("result"));
}

TEST(ToolOutput, AFailedSaveStillBoundsTheResult) {
    Host h;
    h.host.on_service("session_data.write",
                      [](const json::value&) -> json::value { throw ahp::Error("error", "disk full"); });
    json::object r = h.after("bash", "c1", json::object{{"stdout", numbered_lines(5000, 40)}});
    std::string preview(r.at("result").at("stdout").as_string());
    EXPECT_LT(preview.size(), 5200u);
    EXPECT_THAT(preview, HasSubstr("could not be saved (disk full)"));
}

TEST(ToolOutput, RejectsUnknownConfig) {
    EXPECT_THROW(FakeHost::open((agenthost::test::plugins_dir() / "tool_output.so").string(), "{\"thresold\": 1}"),
                 std::runtime_error);
    EXPECT_THROW(FakeHost::open((agenthost::test::plugins_dir() / "tool_output.so").string(), "{\"preview_bytes\": 1}"),
                 std::runtime_error);
}

}  // namespace
