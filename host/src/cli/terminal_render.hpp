// How a session looks in a terminal: streamed text, one line per tool call and per outcome,
// a status line per turn, approval prompts. Shared by `agenthost run` (text) and the
// interactive agent, so both show the same thing.
#pragma once

#include <agenthost/runtime.hpp>

#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace agenthost::cli {

/// `read_file(src/main.cpp)`: the tool name and its arguments on one short line.
std::string tool_call_label(const json::object& tool_call);
/// `120 lines`, `42`, `3 matches`: a tool result summed up on one short line.
std::string tool_outcome(const json::value& result);
/// `2 iterations · 1 tool call · 1.2k in / 40 out tokens`.
std::string turn_status(const TurnResult& result);
/// Text squeezed onto one line (newlines become spaces), cut to `max` bytes on a UTF-8 boundary.
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
    /// Print a line of the interface (after ending any streamed text).
    void line(const std::string& text);
    /// Print a dimmed line of the interface.
    void note(const std::string& text);
    /// Print an error line.
    void error(const std::string& text);
    /// The line a turn ends with: status, or why it failed or was cancelled.
    void turn_ended(const TurnResult& result);
    /// The last `count` messages of a resumed session, briefly.
    void replay(const std::vector<Message>& messages, std::size_t count);
    /// Show an approval request and the question; the caller reads the answer.
    void approval_question(const ApprovalRequest& request);
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
    void tool_line_locked(const json::object& tool_call);
    void outcome_line_locked(const std::string& tool_name, const std::string& tool_call_id, bool ok,
                             const json::value& result);

    std::mutex mu_;
    std::ostream& text_;
    std::ostream& ui_;
    bool color_;
    bool mid_line_ = false;       ///< streamed text has no newline yet
    bool question_open_ = false;  ///< an approval question waits for its answer on the ui line
    std::string last_started_;    ///< the tool call whose line was printed last, if nothing followed it
};

}  // namespace agenthost::cli
