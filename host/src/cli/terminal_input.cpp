#include "cli/terminal_input.hpp"

#include <editline/readline.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace agenthost::cli {

namespace fs = std::filesystem;

namespace {

/// The key the prompt's getc hands libedit for a Ctrl-C (the tty turns the real ^C into SIGINT,
/// and libedit rebinds the tty's own control keys, so a free one is used: ^^).
constexpr int kInterruptKey = 0x1e;
constexpr int kHistoryEntries = 1000;

LineEditor* g_editor = nullptr;  // libedit's hooks are plain functions; one editor at a time

void sigint_set(sigset_t& set) {
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
}

/// One UTF-8 encoded character from fd as a code point (libedit's readline layer takes the
/// hook's int as a wchar_t); -1 at end of input.
int read_utf8(int fd) {
    unsigned char b = 0;
    ssize_t n;
    while ((n = ::read(fd, &b, 1)) < 0 && errno == EINTR) {
    }
    if (n <= 0) return -1;
    if (b < 0x80) return b;
    int more = (b & 0xE0) == 0xC0 ? 1 : (b & 0xF0) == 0xE0 ? 2 : (b & 0xF8) == 0xF0 ? 3 : -1;
    if (more < 0) return 0xFFFD;
    int cp = b & (0x3F >> more);
    for (int i = 0; i < more; ++i) {
        while ((n = ::read(fd, &b, 1)) < 0 && errno == EINTR) {
        }
        if (n <= 0) return -1;
        if ((b & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (b & 0x3F);
    }
    return cp;
}

}  // namespace

InterruptWatcher::InterruptWatcher() {
    if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) pipe_[0] = pipe_[1] = -1;
    sigset_t set;
    sigint_set(set);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    thread_ = std::thread([this, set] {
        int sig = 0;
        while (sigwait(&set, &sig) == 0) {
            if (stopping_) return;
            if (in_turn_) {
                if (turn_presses_.fetch_add(1) >= 1) {
                    static constexpr char kMsg[] = "\nagenthost: Ctrl-C twice: exiting\n";
                    (void)!::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
                    std::_Exit(130);
                }
                if (on_turn_interrupt_) on_turn_interrupt_();
            } else {
                prompt_presses_.fetch_add(1);
            }
            if (pipe_[1] >= 0) (void)!::write(pipe_[1], "x", 1);
        }
    });
}

InterruptWatcher::~InterruptWatcher() {
    stopping_ = true;
    pthread_kill(thread_.native_handle(), SIGINT);
    thread_.join();
    for (int fd : pipe_) {
        if (fd >= 0) ::close(fd);
    }
}

void InterruptWatcher::on_turn_interrupt(std::function<void()> fn) {
    on_turn_interrupt_ = std::move(fn);
}

void InterruptWatcher::begin_turn() {
    turn_presses_ = 0;
    in_turn_ = true;
}

void InterruptWatcher::end_turn() {
    in_turn_ = false;
    turn_presses_ = 0;
    prompt_presses_ = 0;
    drain();
}

void InterruptWatcher::drain() const {
    char buf[64];
    while (pipe_[0] >= 0 && ::read(pipe_[0], buf, sizeof buf) > 0) {
    }
}

fs::path LineEditor::default_history_file() {
    const char* xdg = std::getenv("XDG_STATE_HOME");
    if (xdg && *xdg) return fs::path(xdg) / "agenthost/history";
    const char* home = std::getenv("HOME");
    return fs::path(home && *home ? home : ".") / ".local/state/agenthost/history";
}

LineEditor::LineEditor(InterruptWatcher& watcher, fs::path history_file)
    : watcher_(watcher), history_file_(std::move(history_file)) {
    g_editor = this;
    rl_readline_name = "agenthost";
    rl_getc_function = getc_hook;  // before rl_initialize, which installs it
    rl_initialize();
    rl_add_defun("agenthost-interrupt", interrupt_key, kInterruptKey);
    rl_attempted_completion_function = complete_hook;
    stifle_history(kHistoryEntries);
    std::error_code ec;
    if (fs::create_directories(history_file_.parent_path(), ec)) {
        fs::permissions(history_file_.parent_path(), fs::perms::owner_all, ec);
    }
    if (ec) {
        history_problem_ =
            "history is not kept: cannot create " + history_file_.parent_path().string() + ": " + ec.message();
    } else if (fs::exists(history_file_, ec)) {
        read_history(history_file_.c_str());
    }
}

LineEditor::~LineEditor() {
    rl_attempted_completion_function = nullptr;
    g_editor = nullptr;
}

void LineEditor::save_history() {
    if (!history_problem_.empty()) return;
    int fd = ::open(history_file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);  // created private
    if (fd >= 0) ::close(fd);
    if (fd < 0 || write_history(history_file_.c_str()) != 0) {
        history_problem_ = "history is not kept: cannot write " + history_file_.string() + ": " + std::strerror(errno);
        return;
    }
    ::chmod(history_file_.c_str(), 0600);
}

LineEditor::Input LineEditor::read(const std::string& prompt) {
    watcher_.drain();
    watcher_.take_prompt_interrupt();
    interrupted_ = false;
    interrupted_text_.clear();
    char* raw = ::readline(prompt.c_str());
    Input in;
    if (interrupted_) {
        std::free(raw);
        in.kind = Input::Kind::kInterrupt;
        in.text = interrupted_text_;
        return in;
    }
    if (!raw) return in;
    in.kind = Input::Kind::kLine;
    in.text = raw;
    std::free(raw);
    if (in.text.find_first_not_of(" \t") != std::string::npos) {
        HIST_ENTRY* last = history_length > 0 ? history_get(history_base + history_length - 1) : nullptr;
        if (!last || !last->line || in.text != last->line) {
            add_history(in.text.c_str());
            save_history();
        }
    }
    return in;
}

int LineEditor::getc_hook(FILE* stream) {
    const int fd = stream ? fileno(stream) : STDIN_FILENO;
    while (true) {
        pollfd p[2] = {{fd, POLLIN, 0}, {g_editor ? g_editor->watcher_.wake_fd() : -1, POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (p[0].revents) return read_utf8(fd);  // keys typed before a Ctrl-C come first
        if (p[1].revents & POLLIN) {
            g_editor->watcher_.drain();
            if (g_editor->watcher_.take_prompt_interrupt()) return kInterruptKey;
        }
    }
}

int LineEditor::interrupt_key(int, int) {
    if (g_editor) {
        g_editor->interrupted_ = true;
        g_editor->interrupted_text_ =
            rl_line_buffer && rl_end > 0 ? std::string(rl_line_buffer, rl_end) : std::string();
    }
    rl_done = 1;
    return 0;
}

char** LineEditor::complete_hook(const char* text, int start, int) {
    if (start != 0 || text[0] != '/') return nullptr;  // anything else: libedit completes file names
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, complete_next);
}

char* LineEditor::complete_next(const char* text, int state) {
    static std::size_t next = 0;
    if (state == 0) next = 0;
    if (!g_editor) return nullptr;
    const std::vector<std::string>& words = g_editor->completions_;
    while (next < words.size()) {
        const std::string& w = words[next++];
        if (w.rfind(text, 0) == 0) return ::strdup(w.c_str());
    }
    return nullptr;
}

ApprovalDecision ask_approval(const ApprovalRequest& request, int in_fd, TerminalPrinter& printer,
                              const InterruptWatcher* watcher) {
    if (watcher && watcher->turn_interrupted()) return ApprovalDecision::kDeny;
    if (!::isatty(in_fd)) {  // a pipe or a file: nobody reads the question, so nobody answers it
        printer.approval_unasked(request, std::string(kNoTerminal));
        throw ApprovalUnasked(std::string(kNoTerminal));
    }
    if (::isatty(in_fd)) ::tcflush(in_fd, TCIFLUSH);  // keys typed before the question are no answer
    printer.approval_question(request);
    std::string answer;
    bool answered = false;
    while (true) {
        if (watcher && watcher->turn_interrupted()) break;
        pollfd p[2] = {{in_fd, POLLIN, 0}, {watcher ? watcher->wake_fd() : -1, POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[1].revents & POLLIN) {
            watcher->drain();
            continue;
        }
        char c = 0;
        ssize_t n = ::read(in_fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (c == '\n') {
            answered = true;
            break;
        }
        answer += c;
    }
    std::size_t first = answer.find_first_not_of(" \t\r");
    char a = first == std::string::npos ? 'n' : static_cast<char>(answer[first] | 0x20);
    if (!answered) {
        bool interrupted = watcher && watcher->turn_interrupted();
        printer.approval_decided(interrupted ? "denied (interrupted)" : "denied (no answer)", false);
        return ApprovalDecision::kDeny;
    }
    if (a == 'y') {
        printer.approval_decided("approved", true);
        return ApprovalDecision::kApprove;
    }
    if (a == 'a' && !request.key.empty()) {
        printer.approval_decided("approved for the rest of this session", true);
        return ApprovalDecision::kApproveAlways;
    }
    printer.approval_decided("denied", true);
    return ApprovalDecision::kDeny;
}

ApprovalDecision ask_on_tty(const ApprovalRequest& request, TerminalPrinter& printer) {
    return ask_approval(request, STDIN_FILENO, printer, nullptr);
}

}  // namespace agenthost::cli
