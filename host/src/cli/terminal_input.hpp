// Input in the terminal: Ctrl-C off the signal handler, the libedit prompt with history, and
// approval answers read while a turn runs.
#pragma once

#include "cli/signal_watcher.hpp"
#include "cli/terminal_render.hpp"

#include <agenthost/runtime.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace agenthost::cli {

/// Ctrl-C without work in a signal handler: SIGINT is blocked in every thread and one thread
/// sigwaits for it (SignalWatcher). During a turn the first press calls `on_turn_interrupt` and
/// a second one exits the process (130); at the prompt each press is handed to the line editor.
/// SIGTERM and SIGHUP end the agent as they end a headless run: the turn is interrupted (and
/// records turn.cancelled), the prompt reads end of input, and the exit status is 128 + the
/// signal; a second signal meanwhile exits at once. Either way a byte on wake_fd() wakes whoever
/// waits for input. Construct it before any other thread starts.
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
    /// Whether Ctrl-C (or SIGTERM/SIGHUP) came during the current turn.
    bool turn_interrupted() const { return turn_presses_.load() > 0; }
    /// The SIGTERM or SIGHUP that asked the agent to leave, or 0.
    int exit_signal() const { return exit_signal_.load(); }
    /// Whether Ctrl-C was pressed at the prompt since the last call (and forget it).
    bool take_prompt_interrupt() { return prompt_presses_.exchange(0) > 0; }
    /// Readable when Ctrl-C was pressed; drain() empties it.
    int wake_fd() const { return pipe_[0]; }
    /// Empty the wake pipe.
    void drain() const;

private:
    void on_signal(int sig);

    int pipe_[2] = {-1, -1};
    std::function<void()> on_turn_interrupt_;
    std::atomic<bool> in_turn_{false};
    std::atomic<int> turn_presses_{0};
    std::atomic<int> prompt_presses_{0};
    std::atomic<int> exit_signal_{0};
    std::unique_ptr<SignalWatcher> signals_;  // last: its thread stops before the rest goes
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

/// Show an approval request on `printer` and read the answer from `in_fd`: y → approve,
/// a → approve always (only when the request has a key), n or Enter → deny. Ctrl-C (seen
/// through `watcher`, may be null) or end of input also denies.
ApprovalDecision ask_approval(const ApprovalRequest& request, int in_fd, TerminalPrinter& printer,
                              const InterruptWatcher* watcher);
/// ask_approval on /dev/tty (headless `--approval ask`); no terminal means no.
ApprovalDecision ask_on_tty(const ApprovalRequest& request, TerminalPrinter& printer);

}  // namespace agenthost::cli
