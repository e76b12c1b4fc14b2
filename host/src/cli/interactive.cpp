// `agenthost` with no subcommand: the interactive terminal agent. The main thread reads the
// prompt (libedit) and runs turns; events print as they arrive on worker threads; approvals
// are asked on the terminal from the worker that needs them while the main thread waits in
// run_turn; Ctrl-C goes through InterruptWatcher.
#include "cli/commands.hpp"

#include "cli/terminal_input.hpp"
#include "cli/terminal_render.hpp"

#include <agenthost/runtime.hpp>

#include <unistd.h>

#include <clocale>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace agenthost::cli {

namespace {

constexpr std::size_t kResumedMessagesShown = 6;
constexpr std::size_t kSessionsShown = 10;

/// The terminal's own commands; capability commands come from Runtime::list_commands.
struct Builtin {
    const char* name;
    const char* usage;
    const char* help;
};
constexpr Builtin kBuiltins[] = {
    {"help", "/help", "this list"},
    {"model", "/model [NAME]", "the current model (switching needs a restart with --model)"},
    {"sessions", "/sessions", "recent sessions (resume one with --session ID, the latest with --continue)"},
    {"quit", "/quit, /exit", "leave (Ctrl-D too)"},
};

std::string trim(const std::string& s) {
    std::size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    std::size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

/// `/name args` is a command; `/etc/hosts is odd` is a prompt that starts with a path.
bool is_command(const std::string& line) {
    if (line.empty() || line[0] != '/') return false;
    std::size_t end = line.find_first_of(" \t");
    return line.substr(1, end == std::string::npos ? std::string::npos : end - 1).find('/') == std::string::npos;
}

std::string pad(const std::string& s, std::size_t width) {
    return s.size() >= width ? s + "  " : s + std::string(width - s.size(), ' ');
}

class Terminal {
public:
    Terminal(const RunOptions& options, Runtime& rt, InterruptWatcher& watcher, TerminalPrinter& printer)
        : options_(options),
          rt_(rt),
          sid_(rt.default_session_id()),
          watcher_(watcher),
          printer_(printer),
          editor_(watcher, LineEditor::default_history_file()) {
        std::vector<std::string> words{"/help", "/model", "/sessions", "/quit", "/exit"};
        for (const CommandInfo& c : rt_.list_commands(sid_)) words.push_back("/" + c.name);
        editor_.set_completions(std::move(words));
    }

    void banner(bool no_key) {
        AssembledContext ctx = rt_.load_context(sid_);
        std::string harness = one_line(ctx.harness_chain.empty() ? "none" : ctx.harness_chain.back(), 60);
        std::string offline;
        if (ctx.driver == "llmsim" || ctx.model == "llmsim") {
            offline = printer_.dim(" · ") + (no_key ? "offline, no API key set" : "offline");
        }
        printer_.styled_line(printer_.bold("agenthost") + printer_.dim(" · session ") + one_line(sid_, 80) +
                             printer_.dim(" · model ") + one_line(ctx.model, 80) + printer_.dim(" · harness ") + harness +
                             offline + printer_.dim(" · /help"));
        if (!editor_.history_problem().empty()) printer_.note(editor_.history_problem());
    }

    void show_resumed() { printer_.replay(rt_.messages(sid_), kResumedMessagesShown); }

    /// Prompt, run, repeat, until /quit, Ctrl-D or Ctrl-C twice at an empty prompt.
    void loop() {
        int presses = 0;
        while (true) {
            LineEditor::Input in = editor_.read("> ");
            if (in.kind == LineEditor::Input::Kind::kEof) {
                printer_.line("");
                return;
            }
            if (in.kind == LineEditor::Input::Kind::kInterrupt) {
                printer_.line("");
                if (!trim(in.text).empty()) {
                    presses = 0;  // Ctrl-C over typed text just drops the text
                    continue;
                }
                if (++presses >= 2) return;
                printer_.note("(Ctrl-C again to exit, or /quit)");
                continue;
            }
            presses = 0;
            std::string line = trim(in.text);
            if (line.empty()) continue;
            if (is_command(line)) {
                if (!command(line)) return;
                continue;
            }
            // After a turn that Ctrl-C interrupted, one more Ctrl-C in a row exits.
            presses = turn(line) ? 1 : 0;
        }
    }

private:
    /// Run a turn; true if Ctrl-C interrupted it.
    bool turn(const std::string& text) {
        watcher_.begin_turn();
        TurnResult r;
        try {
            r = rt_.run_turn(sid_, text);
        } catch (const std::exception& e) {
            watcher_.end_turn();
            printer_.error(std::string("error: ") + e.what());
            return false;
        }
        bool interrupted = watcher_.turn_interrupted();
        watcher_.end_turn();
        printer_.end_text();
        printer_.turn_ended(r);
        return interrupted;
    }

    /// Run a /command; false means leave.
    bool command(const std::string& line) {
        std::size_t space = line.find_first_of(" \t");
        std::string name = line.substr(1, space == std::string::npos ? std::string::npos : space - 1);
        std::string args = space == std::string::npos ? "" : trim(line.substr(space));
        if (name == "quit" || name == "exit") return false;
        try {
            if (name == "help") {
                help();
            } else if (name == "model") {
                model(args);
            } else if (name == "sessions") {
                sessions();
            } else {
                capability_command(name, args);
            }
        } catch (const std::exception& e) {
            printer_.error(std::string("error: ") + e.what());
        }
        return true;
    }

    void help() {
        constexpr std::size_t kWidth = 20;
        for (const Builtin& b : kBuiltins) printer_.styled_line(pad(b.usage, kWidth) + printer_.dim(b.help));
        for (const CommandInfo& c : rt_.list_commands(sid_)) {  // a plugin's words: made safe
            printer_.styled_line(pad(one_line("/" + c.name, 40), kWidth) +
                                 printer_.dim(one_line(c.description, 200) + " (" + one_line(c.source, 60) + ")"));
        }
        printer_.note("Ctrl-C interrupts a turn (twice exits) · Ctrl-D exits · ↑/↓ history · Tab completes /commands");
    }

    void model(const std::string& args) {
        AssembledContext ctx = rt_.load_context(sid_);
        if (args.empty() || args == ctx.model) {
            printer_.styled_line("model " + one_line(ctx.model, 80) + printer_.dim(" (driver " + one_line(ctx.driver, 60) + ")"));
            return;
        }
        printer_.note("switching models needs a restart: agenthost --model " + args + " --session " + sid_);
    }

    void sessions() {
        std::ostringstream out;
        std::size_t total = print_sessions(out, options_.data_dir, kSessionsShown);
        if (total == 0) {
            printer_.note("no sessions yet");
            return;
        }
        std::istringstream lines(out.str());
        std::string l;
        // print_sessions made each line safe already
        while (std::getline(lines, l)) {
            printer_.styled_line(l.rfind(sid_, 0) == 0 ? l + printer_.dim("  (this session)") : l);
        }
        if (total > kSessionsShown) {
            printer_.note("… " + std::to_string(total - kSessionsShown) + " more: agenthost sessions list");
        }
    }

    void capability_command(const std::string& name, const std::string& args) {
        std::vector<CommandInfo> commands = rt_.list_commands(sid_);
        bool known = false;
        for (const CommandInfo& c : commands) known = known || c.name == name;
        if (!known) {
            std::string names;
            for (const Builtin& b : kBuiltins) names += std::string(names.empty() ? "" : " ") + "/" + b.name;
            for (const CommandInfo& c : commands) names += " /" + c.name;
            printer_.error("unknown command /" + name);
            printer_.note("commands: " + names);
            return;
        }
        CommandResult r = rt_.execute_command(sid_, name, args);
        if (r.success) {
            printer_.line(r.message);
        } else {
            printer_.error("error: " + (r.message.empty() ? r.error_code : r.message));
        }
    }

    const RunOptions& options_;
    Runtime& rt_;
    const std::string sid_;
    InterruptWatcher& watcher_;
    TerminalPrinter& printer_;
    LineEditor editor_;
};

}  // namespace

int run_interactive(const RunOptions& o) {
    std::setlocale(LC_CTYPE, "");  // libedit reads and shows UTF-8
    InterruptWatcher watcher;      // first: SIGINT is blocked before any other thread starts
    TerminalPrinter printer(std::cout, std::cout, TerminalPrinter::color_for(STDOUT_FILENO));
    BuiltRuntime built;
    try {
        built = build_runtime(
            o, [&](const ApprovalRequest& r) { return ask_approval(r, STDIN_FILENO, printer, &watcher); });
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
        return 2;
    }
    Runtime& rt = *built.runtime;
    const std::string sid = rt.default_session_id();
    watcher.on_turn_interrupt([&rt, &printer, sid] {
        rt.interrupt(sid);
        printer.styled_line(printer.dim("\r⏹ interrupting… (Ctrl-C again exits)"));  // \r: over the tty's ^C echo
    });
    try {
        Terminal terminal(o, rt, watcher, printer);
        terminal.banner(built.offline);
        if (built.first_new_sequence > 1) terminal.show_resumed();
        auto subscription = rt.subscribe(sid, [&printer](const Event& e) { printer.on_event(e); });
        terminal.loop();
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
        return 2;
    }
    printer.note("session " + sid + " · resume it with: agenthost --session " + sid);
    return 0;
}

}  // namespace agenthost::cli
