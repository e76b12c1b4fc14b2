// How a session looks in a terminal: streamed text, one line per tool call and per outcome,
// a status line per turn, approval prompts. Shared by `agenthost run` (text) and the
// interactive agent, so both show the same thing. Every text that came from a model, a tool, a
// file or a plugin goes through terminal_safe before it reaches the terminal (docs/security.md,
// "The terminal boundary").
#pragma once

#include <agenthost/runtime.hpp>

#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace spdlog {
class formatter;
}

namespace agenthost::cli {

/// Whether terminal_safe keeps line breaks and tabs.
enum class TextLayout {
    kLines,    ///< \n and \t stay (model text, tool output, diffs, commands)
    kOneLine,  ///< \n and \t are escaped too (a label, a title, a name)
};

/// `text` as it may reach a terminal: nothing in it can move the cursor, erase, retitle the
/// window, reorder or hide characters. C0 controls (but \n and \t under kLines), DEL and bytes
/// that are not well-formed UTF-8 show as \xHH; C1 controls, bidi overrides, embeddings,
/// isolates and marks, line/paragraph separators and invisible format characters show as
/// \u{HHHH}; a backslash that would read as such an escape shows as \x5c. So the shown text
/// decodes back to exactly the bytes given: a command is shown byte for byte.
std::string terminal_safe(std::string_view text, TextLayout layout = TextLayout::kLines);

/// terminal_safe over text that arrives in pieces (streamed model output): a UTF-8 sequence or
/// an escape-like backslash split between two pieces is held back and judged whole.
class TerminalSafeStream {
public:
    /// The safe text for `piece` (may hold back up to a few bytes at its end).
    std::string push(std::string_view piece);
    /// Whatever is held back, made safe (the stream ended or something else is printed).
    std::string finish();
    /// Whether bytes are held back.
    bool holding() const { return !held_.empty(); }

private:
    std::string held_;
};

/// A log formatter for spdlog's `pattern` whose message (`%v`) goes through terminal_safe
/// (set_safe_log_pattern in commands.hpp installs it for every logger).
std::unique_ptr<spdlog::formatter> safe_log_formatter(const std::string& pattern);

/// `read_file(src/main.cpp)`: the tool name and its arguments on one short line.
std::string tool_call_label(const json::object& tool_call);
/// `120 lines`, `42`, `3 matches`: a tool result summed up on one short line.
std::string tool_outcome(const json::value& result);
/// `2 iterations · 1 tool call · 1.2k in / 40 out tokens`.
std::string turn_status(const TurnResult& result);
/// Text made safe on one line (newlines and tabs become spaces, other controls are escaped as
/// terminal_safe does), cut to `max` bytes without splitting a character or an escape.
std::string one_line(std::string_view text, std::size_t max);

/// Writes a session's events as they happen. Thread-safe: events arrive on worker threads.
/// The model's text goes to `text`, everything else to `ui` (the same stream when interactive).
class TerminalPrinter {
public:
    TerminalPrinter(std::ostream& text, std::ostream& ui, bool color);

    /// Colour when `fd` is a terminal, TERM is not "dumb" and NO_COLOR is unset.
    static bool color_for(int fd);

    /// Print one event: deltas stream, tool calls and outcomes take a line each.
    void on_event(const Event& event);
    /// Print a line (after ending any streamed text); `text` may hold anything: it is made safe.
    void line(const std::string& text);
    /// Print a dimmed line; `text` is made safe.
    void note(const std::string& text);
    /// Print an error line; `text` is made safe.
    void error(const std::string& text);
    /// Print a line built with bold()/dim()/… whose untrusted parts went through terminal_safe.
    void styled_line(const std::string& markup);
    /// The line a turn ends with: status, or why it failed or was cancelled.
    void turn_ended(const TurnResult& result);
    /// The last `count` messages of a resumed session, briefly.
    void replay(const std::vector<Message>& messages, std::size_t count);
    /// Show an approval request and the question; the caller reads the answer.
    void approval_question(const ApprovalRequest& request);
    /// Show an approval request that no one can be asked about, and why it is denied.
    void approval_unasked(const ApprovalRequest& request, const std::string& why);
    /// Close the question with what was decided; `answered`: the user's Enter ended its line.
    void approval_decided(const std::string& decision, bool answered);
    /// End any streamed text with a newline.
    void end_text();

    /// Styled fragments (empty styles without colour).
    std::string bold(const std::string& s) const;
    std::string dim(const std::string& s) const;
    std::string red(const std::string& s) const;
    std::string green(const std::string& s) const;

private:
    void end_text_locked();
    void request_locked(const ApprovalRequest& request);
    void tool_line_locked(const json::object& tool_call);
    void outcome_line_locked(const std::string& tool_name, const std::string& tool_call_id, bool ok,
                             const json::value& result);

    std::mutex mu_;
    std::ostream& text_;
    std::ostream& ui_;
    bool color_;
    TerminalSafeStream stream_;   ///< the model's streamed text
    bool mid_line_ = false;       ///< streamed text has no newline yet
    bool question_open_ = false;  ///< an approval question waits for its answer on the ui line
    std::string last_started_;    ///< the tool call whose line was printed last, if nothing followed it
};

}  // namespace agenthost::cli
