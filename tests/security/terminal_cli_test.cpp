// The terminal boundary and the approval gate's "no terminal" case through the real agenthost
// binary (docs/security.md): what `run` prints of hostile model text, tool calls and session
// titles is inert; `--approval ask` without a terminal says nobody was asked (event, tool
// result, stderr) and runs nothing; an empty --session is a usage error; a session log replaced
// by a symlink is refused, saying so.
#include "support/cli_runner.hpp"

#include <agenthost/event.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::run_cli;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNoTerminal = "no terminal to ask on: denied; use --approval auto or deny";

/// Nothing in `text` a terminal would act on: no ESC, CR, BEL, backspace, C1 or bidi control.
void expect_inert(const std::string& text, const std::string& what) {
    for (char c : {'\x1b', '\r', '\x07', '\x08', '\x7f'}) {
        EXPECT_EQ(text.find(c), std::string::npos) << what << " holds byte " << int(c) << ": " << text;
    }
    for (const char* seq : {"\xc2\x9b", "\xc2\x9d", "\xe2\x80\xae", "\xe2\x81\xa6"}) {
        EXPECT_EQ(text.find(seq), std::string::npos) << what << " holds a C1 or bidi control: " << text;
    }
}

class TerminalCli : public ::testing::Test {
protected:
    void SetUp() override { fs::create_directories(ws_); }

    /// `run -p PROMPT` in the coding harness on the workspace with an llmsim script.
    std::vector<std::string> run_args(const std::string& prompt, const std::string& script_json,
                                      const std::string& format, const std::string& approval) {
        test::write_file(script_, script_json);
        return {"run",         "-p",          prompt,           "--harness",  "coding",
                "--workspace", ws_.string(),  "--llmsim-script", script_.string(), "--data-dir",
                data_.string(), "--output-format", format,      "--approval", approval};
    }

    test::TempDir home_;
    fs::path ws_ = home_ / "ws";
    fs::path data_ = home_ / "data";
    fs::path script_ = home_ / "script.json";
};

TEST_F(TerminalCli, HostileModelTextAndToolCallsArePrintedInert) {
    // Model text that would retitle the window, move the cursor, reorder a line; a tool call
    // whose command would rewrite its own line; a delta boundary inside a bidi override.
    json::object hostile_call{
        {"text", "Sure.\x1b]0;pwned\x07 Let me \r\x1b[2Kcheck \xe2\x80\xae" "txt.exe"},
        {"tool_calls",
         json::array{json::object{{"name", "bash"},
                                  {"arguments", json::object{{"command", "ls -la\r\x1b[2K\x1b]2;title\x07 rm -rf ~"}}}}}}};
    json::object script{{"responses", json::array{hostile_call, json::object{{"text", "Done\xc2\x9b" "2J."}}}}};
    auto r = run_cli(run_args("look \x1b]0;t\x07", json::serialize(script), "text", "deny"), home_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_inert(r.out, "stdout");
    expect_inert(r.err, "stderr");
    EXPECT_THAT(r.out, HasSubstr("Sure.\\x1b]0;pwned\\x07 Let me \\x0d\\x1b[2Kcheck \\u{202e}txt.exe"));
    EXPECT_THAT(r.out, HasSubstr("Done\\u{9b}2J."));
    EXPECT_THAT(r.err, HasSubstr("bash(ls -la\\x0d\\x1b[2K\\x1b]2;title\\x07 rm -rf ~)"));

    // The session listing shows the hostile first prompt inert too.
    auto list = run_cli({"sessions", "list", "--data-dir", data_.string()}, home_.path());
    ASSERT_EQ(list.exit_code, 0) << list.err;
    expect_inert(list.out, "sessions list");
    EXPECT_THAT(list.out, HasSubstr("look \\x1b]0;t\\x07"));
    std::string sid = list.out.substr(0, list.out.find(' '));
    auto show = run_cli({"sessions", "show", sid, "--data-dir", data_.string()}, home_.path());
    ASSERT_EQ(show.exit_code, 0) << show.err;
    expect_inert(show.out, "sessions show");
    EXPECT_THAT(show.out, HasSubstr("\\u{202e}"));
}

TEST_F(TerminalCli, AskWithoutATerminalDeniesAndSaysNobodyWasAsked) {
    const fs::path marker = ws_ / "marker";
    json::object script{{"responses",
                         json::array{json::object{{"tool_calls", json::array{json::object{
                                                     {"name", "bash"}, {"arguments", json::object{{"command", "touch marker"}}}}}}},
                                     json::object{{"tool_calls", json::array{json::object{
                                                     {"name", "write_file"},
                                                     {"arguments", json::object{{"path", "new.txt"}, {"content", "x"}}}}}}},
                                     json::object{{"text", "ok"}}}}};
    // stdin is /dev/null: nobody can answer.
    auto text = run_cli(run_args("make a marker", json::serialize(script), "text", "ask"), home_.path());
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_THAT(text.err, HasSubstr("? approve exec: run bash: touch marker"));
    EXPECT_THAT(text.err, HasSubstr(kNoTerminal));
    EXPECT_THAT(text.err, Not(HasSubstr("user denied")));
    EXPECT_FALSE(fs::exists(marker));
    EXPECT_FALSE(fs::exists(ws_ / "new.txt"));

    auto stream = run_cli(run_args("make a marker", json::serialize(script), "stream-json", "ask"), home_.path());
    ASSERT_EQ(stream.exit_code, 0) << stream.err;
    EXPECT_THAT(stream.err, HasSubstr(kNoTerminal));
    int decided = 0, results = 0;
    std::size_t pos = 0;
    while (pos < stream.out.size()) {
        std::size_t nl = stream.out.find('\n', pos);
        std::string line = stream.out.substr(pos, nl - pos);
        pos = nl == std::string::npos ? stream.out.size() : nl + 1;
        if (line.empty()) continue;
        Event e = event_from_json(json::parse(line));
        if (e.type == event_type::kApprovalDecided) {
            ++decided;
            EXPECT_EQ(e.data.at("approved"), false);
            EXPECT_EQ(e.data.at("by"), "unasked");
            EXPECT_EQ(e.data.at("reason"), kNoTerminal);
        }
        if (e.type == event_type::kToolCompleted) {
            ++results;
            std::string result = json::serialize(e.data.at("result"));
            EXPECT_EQ(e.data.at("success"), false) << result;
            EXPECT_THAT(result, HasSubstr(kNoTerminal));  // what the model reads
            EXPECT_THAT(result, Not(HasSubstr("user denied")));
        }
    }
    EXPECT_EQ(decided, 2);
    EXPECT_EQ(results, 2);
    EXPECT_FALSE(fs::exists(marker));
}

TEST_F(TerminalCli, AnEmptySessionIdIsAUsageError) {
    auto run = run_cli({"run", "-p", "hi", "--session", "", "--data-dir", data_.string()}, home_.path());
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_THAT(run.err, HasSubstr("--session: the session id is empty"));
    auto interactive = run_cli({"--session", "", "--data-dir", data_.string()}, home_.path());
    EXPECT_EQ(interactive.exit_code, 2);
    EXPECT_THAT(interactive.err, HasSubstr("--session: the session id is empty"));
    EXPECT_FALSE(fs::exists(data_ / "sessions") && !fs::is_empty(data_ / "sessions")) << "no session was made up";
}

TEST_F(TerminalCli, ASessionLogReplacedByASymlinkIsRefusedSayingSo) {
    json::object script{{"responses", json::array{json::object{{"text", "hello"}}, json::object{{"text", "again"}}}}};
    auto first = run_cli(run_args("hi", json::serialize(script), "json", "deny"), home_.path());
    ASSERT_EQ(first.exit_code, 0) << first.err;
    std::string sid(json::parse(first.out).at("session_id").as_string());
    fs::path log = data_ / "sessions" / (sid + ".jsonl");
    fs::path elsewhere = home_ / "elsewhere.jsonl";
    fs::rename(log, elsewhere);
    const std::string before = test::read_file(elsewhere);
    fs::create_symlink(elsewhere, log);

    auto args = run_args("again", json::serialize(script), "json", "deny");
    args.insert(args.end(), {"--session", sid});
    auto resumed = run_cli(args, home_.path());
    EXPECT_EQ(resumed.exit_code, 2);
    EXPECT_THAT(resumed.err, HasSubstr("session log " + log.string() + " is a symlink; refusing to follow it"));
    EXPECT_THAT(resumed.err, Not(HasSubstr("no session")));
    auto show = run_cli({"sessions", "show", sid, "--data-dir", data_.string()}, home_.path());
    EXPECT_EQ(show.exit_code, 2);
    EXPECT_THAT(show.err, HasSubstr("is a symlink; refusing to follow it"));
    EXPECT_EQ(test::read_file(elsewhere), before) << "the symlink's target is untouched";
    EXPECT_TRUE(fs::is_symlink(log));
}

}  // namespace
}  // namespace agenthost
