// Input in the terminal: Ctrl-C off the signal handler, the libedit prompt with history, and
// approval answers read while a turn runs.
#pragma once

#include "cli/terminal_render.hpp"

#include <agenthost/runtime.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace agenthost::cli {

/// Ctrl-C without work in a signal handler: SIGINT is blocked in every thread and one thread
/// sigwaits for it. During a turn the first press calls `on_turn_interrupt` and a second one
/// exits the process (130); at the prompt each press is handed to the line editor. Either way a
/// byte on wake_fd() wakes whoever waits for input. Construct it before any other thread starts.
class InterruptWatcher {
public:
    InterruptWatcher();
    ~InterruptWatcher();
    InterruptWatcher(const InterruptWatcher&) = delete;
    InterruptWatcher& operator=(const InterruptWatcher&) = delete;

    /// What the first Ctrl-C of a turn does (called on the watcher thread). Set before begin_turn.
    void on_turn_interrupt(std::function<void()> fn);
    /// A turn starts: Ctrl-C now interrupts it.
    void begin_turn();
    /// The turn ended: Ctrl-C now goes to the prompt (earlier presses are forgotten).
    void end_turn();
    /// Whether Ctrl-C was pressed during the current turn.
    bool turn_interrupted() const { return turn_presses_.load() > 0; }
    /// Whether Ctrl-C was pressed at the prompt since the last call (and forget it).
    bool take_prompt_interrupt() { return prompt_presses_.exchange(0) > 0; }
    /// Readable when Ctrl-C was pressed; drain() empties it.
    int wake_fd() const { return pipe_[0]; }
    /// Empty the wake pipe.
    void drain() const;

private:
    int pipe_[2] = {-1, -1};
    std::function<void()> on_turn_interrupt_;
    std::atomic<bool> in_turn_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<int> turn_presses_{0};
    std::atomic<int> prompt_presses_{0};
    std::thread thread_;
};

/// The prompt: libedit line editing, history kept in a file (0600), Tab completes /commands.
/// Only the main thread touches it; while a turn runs libedit is idle and the terminal cooked.
class LineEditor {
public:
    /// What read() got.
    struct Input {
        enum class Kind { kLine, kInterrupt, kEof };
        Kind kind = Kind::kEof;
        std::string text;  ///< the line, or for kInterrupt what had been typed
    };

    LineEditor(InterruptWatcher& watcher, std::filesystem::path history_file);
    ~LineEditor();
    LineEditor(const LineEditor&) = delete;
    LineEditor& operator=(const LineEditor&) = delete;

    /// Read one line; Ctrl-C gives kInterrupt, Ctrl-D on an empty line kEof.
    Input read(const std::string& prompt);
    /// The words Tab completes at the start of a line ("/help", …).
    void set_completions(std::vector<std::string> words) { completions_ = std::move(words); }
    /// Warnings about the history file (cannot create or write it); empty when all is well.
    const std::string& history_problem() const { return history_problem_; }

    /// $XDG_STATE_HOME/agenthost/history, default ~/.local/state/agenthost/history.
    static std::filesystem::path default_history_file();

private:
    static int getc_hook(FILE* stream);
    static int interrupt_key(int count, int key);
    static char** complete_hook(const char* text, int start, int end);
    static char* complete_next(const char* text, int state);
    void save_history();

    InterruptWatcher& watcher_;
    std::filesystem::path history_file_;
    std::string history_problem_;
    std::vector<std::string> completions_;
    bool interrupted_ = false;
    std::string interrupted_text_;
};

/// Why an approval under `--approval ask` was denied without asking anyone.
inline constexpr std::string_view kNoTerminal = "no terminal to ask on: denied; use --approval auto or deny";

/// Thrown by an approval handler that cannot ask: the approval gate denies the request with
/// this message as the reason (the event, the tool result, and the line on the terminal).
class ApprovalUnasked : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Show an approval request on `printer` and read the answer from `in_fd`: y → approve,
/// a → approve always (only when the request has a key), n or Enter → deny. Ctrl-C (seen
/// through `watcher`, may be null) or end of input also denies. When `in_fd` is not a terminal
/// (a pipe, a file) nobody can answer: says so on `printer` and throws ApprovalUnasked(kNoTerminal).
ApprovalDecision ask_approval(const ApprovalRequest& request, int in_fd, TerminalPrinter& printer,
                              const InterruptWatcher* watcher);
/// ask_approval on stdin (headless `--approval ask`): stdin not a terminal means no one to ask.
ApprovalDecision ask_on_tty(const ApprovalRequest& request, TerminalPrinter& printer);

}  // namespace agenthost::cli
