// agenthost: start-up and flag parsing (CLI11 costs ~10 s of compile per TU, so it lives here alone).
//
// The session options (--model, --harness, --workspace, …) live on the top-level app, and every
// subcommand falls through to it, so they may stand before or after the subcommand. Which
// subcommand takes which of them is decided once, in kTakes below; any other is refused.
#include "cli/commands.hpp"

#include "base/provider_environment.hpp"
#include "base/redacting_sink.hpp"
#include "cli/output_channel.hpp"

#include <ahp/ahp.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/prctl.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

namespace {

namespace cli = agenthost::cli;

/// A top-level option and what it is for (said when a subcommand refuses it).
struct SessionFlag {
    CLI::Option* option;
    const char* purpose;
};

constexpr const char* kModelHelp =
    "PROVIDER/MODEL (anthropic/claude-sonnet-4-5, openai/gpt-4.1) or a driver id (llmsim, openai, anthropic: its "
    "default model). Without it: the resumed session's model, else the harness's \"model\", else anthropic when "
    "ANTHROPIC_API_KEY is set, else openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else llmsim (offline)";

std::vector<SessionFlag> add_session_flags(CLI::App& app, cli::RunOptions& o) {
    std::vector<SessionFlag> flags;
    auto add = [&](CLI::Option* opt, const char* purpose) {
        flags.push_back({opt, purpose});
        return opt;
    };
    add(app.add_option("--model", o.model, kModelHelp), "it chooses the model a session runs");
    add(app.add_option("--harness", o.harness,
                       "harness name or .json file (default: coding; a resumed session: the one it was created with)"),
        "it chooses the harness a session runs");
    // One folder per --plugin-dir: a second word is not swallowed (`plugins --plugin-dir D list`).
    add(app.add_option("--plugin-dir", o.plugin_dirs, "extra plugin folder, searched first (repeatable)")
            ->allow_extra_args(false),
        "it adds a plugin folder");
    add(app.add_option("--workspace", o.workspace,
                       "the workspace folder (default: the current folder; a resumed session: its own). Not /, not "
                       "$HOME itself, not inside or holding .ssh, .gnupg, .aws, .kube, .docker, .config/gcloud"),
        "it chooses a session's workspace");
    CLI::Option* session = add(app.add_option("--session", o.session, "resume this session"), "it resumes a session");
    CLI::Option* latest = add(app.add_flag("--continue", o.continue_latest, "resume the most recent session"),
                              "it resumes the latest session");
    session->excludes(latest);
    add(app.add_option("--data-dir", o.data_dir, "where session logs live (DIR/sessions)"),
        "it says where session logs live");
    add(app.add_option("--approval", o.approval,
                       "ask | auto | deny (default: ask in the terminal, deny headless; a resumed session: its own)")
            ->check(CLI::IsMember({"ask", "auto", "deny"})),
        "it decides a session's approvals");
    add(app.add_option("--sandbox", o.sandbox, "run bash in a bubblewrap sandbox: off | read-only | workspace-write")
            ->check(CLI::IsMember({"off", "read-only", "workspace-write"})),
        "it sandboxes a session's bash");
    add(app.add_option("--max-iterations", o.max_iterations, "model calls per turn at most")
            ->check(CLI::PositiveNumber),
        "it limits a session's model calls per turn");
    add(app.add_option("--llmsim-script", o.llmsim_script,
                       "a JSON script for the llmsim driver (or AGENTHOST_LLMSIM_SCRIPT; testing aid: "
                       "AGENTHOST_LLMSIM_DELAY_MS=N waits N ms before each streamed chunk)")
            ->check(CLI::ExistingFile),
        "it scripts a session's llmsim driver");
    return flags;
}

/// The session options each command takes; a command not listed here takes all of them.
const std::map<std::string, std::set<std::string>>& takes() {
    static const std::map<std::string, std::set<std::string>> kTakes = {
        {"plugins list", {"--plugin-dir"}},   {"plugins check", {"--plugin-dir"}}, {"harnesses list", {"--plugin-dir"}},
        {"harnesses show", {"--plugin-dir"}}, {"sessions list", {"--data-dir"}},   {"sessions show", {"--data-dir"}},
        {"sessions export", {"--data-dir"}},
    };
    return kTakes;
}

/// Why a command runs no session, for the refusal of an option it does not take.
const char* what_it_does(const std::string& command) {
    if (command.rfind("plugins", 0) == 0) return "loads plugins and runs no session";
    if (command.rfind("harnesses", 0) == 0) return "reads harnesses and the plugins they name, and runs no session";
    return "reads session logs and loads no plugin";
}

/// The refusal of the first session option `command` does not take, or empty.
std::string refused_option(const std::string& command, const std::vector<SessionFlag>& flags) {
    auto it = takes().find(command);
    if (it == takes().end()) return "";
    for (const SessionFlag& f : flags) {
        if (f.option->count() == 0 || it->second.count(f.option->get_name())) continue;
        std::string only;
        for (const std::string& name : it->second) only += (only.empty() ? "" : ", ") + name;
        return "`" + command + "` does not take " + f.option->get_name() + ": " + f.purpose + ", and `" + command +
               "` " + what_it_does(command) + " (of these options it takes only " + only + ")";
    }
    return "";
}

/// A `run` option (-p, --output-format) written before `run` or without it, or empty.
std::string misplaced_run_option(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "run") return "";
        if (arg == "--") return "";
        for (std::string_view own : {"-p", "--prompt", "--output-format"}) {
            if (arg == own || (arg.size() > own.size() && arg.substr(0, own.size()) == own &&
                               (arg[own.size()] == '=' || own == "-p"))) {
                return std::string(own);
            }
        }
    }
    return "";
}

/// What runs before anything else, while the process has one thread (docs/security.md).
void secure_start() {
    // The provider keys leave the environment (and /proc/self/environ) for the host's memory.
    agenthost::ProviderEnvironment::take();
    // No other process of this user may ptrace the host or read its /proc/<pid>/mem, environ
    // or fd/: only root (CAP_SYS_PTRACE) still can. Also: no core dumps.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // fd 1 becomes the host's alone; what plugins print goes to stderr.
    agenthost::cli::take_stdout();
}

}  // namespace

int main(int argc, char** argv) {
    secure_start();
    auto logger = std::make_shared<spdlog::logger>(
        "agenthost", agenthost::make_redacting_sink(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
    logger->set_pattern("agenthost: %^%l%$: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::warn);
    if (const char* lvl = std::getenv("AGENTHOST_LOG")) spdlog::set_level(spdlog::level::from_str(lvl));

    CLI::App app{"agenthost: an agent runtime with plugins. With no subcommand: an interactive agent in this folder."};
    app.set_version_flag("--version", std::string("agenthost ") + AGENTHOST_VERSION + " (plugin ABI " +
                                          std::to_string(AHP_ABI_MAJOR) + "." + std::to_string(AHP_ABI_MINOR) + ")");
    cli::RunOptions o;
    std::vector<SessionFlag> flags = add_session_flags(app, o);
    const std::string everywhere =
        "Options of `agenthost` (agenthost --help) may stand before or after the subcommand.";

    CLI::App* run_cmd = app.add_subcommand("run", "run one turn headless");
    run_cmd->add_option("-p,--prompt", o.prompt, "the prompt")->required();
    run_cmd->add_option("--output-format", o.output_format, "text | json | stream-json")
        ->check(CLI::IsMember({"text", "json", "stream-json"}));
    run_cmd->footer(everywhere + " All of them apply to `run`.");

    CLI::App* plugins = app.add_subcommand("plugins", "list or check plugins")->require_subcommand(1);
    CLI::App* plugins_list = plugins->add_subcommand("list", "every plugin found, loaded or refused and why");
    std::string check_target;
    CLI::App* plugins_check =
        plugins->add_subcommand("check", "run the whole load pipeline on one plugin and show what it offers");
    plugins_check
        ->add_option("plugin", check_target, "a plugin manifest (.json), library (.so), or id in the plugin folders")
        ->required();

    CLI::App* harnesses = app.add_subcommand("harnesses", "list or show harnesses")->require_subcommand(1);
    CLI::App* harnesses_list = harnesses->add_subcommand("list", "every harness found, checked against its plugins");
    std::string harness_name;
    CLI::App* harnesses_show =
        harnesses->add_subcommand("show", "a harness with its extends chain folded in, checked against its plugins");
    harnesses_show->add_option("name", harness_name, "harness name or file")->required();

    CLI::App* sessions = app.add_subcommand("sessions", "list, show or export sessions")->require_subcommand(1);
    std::string session_id;
    CLI::App* sessions_list = sessions->add_subcommand("list", "sessions, newest first");
    CLI::App* sessions_show = sessions->add_subcommand("show", "one session's history and usage");
    sessions_show->add_option("id", session_id, "session id")->required();
    CLI::App* sessions_export = sessions->add_subcommand("export", "one session's events as JSONL");
    sessions_export->add_option("id", session_id, "session id")->required();

    for (CLI::App* sub : {run_cmd, plugins, plugins_list, plugins_check, harnesses, harnesses_list, harnesses_show,
                          sessions, sessions_list, sessions_show, sessions_export}) {
        sub->fallthrough();
    }
    for (CLI::App* sub : {plugins_list, plugins_check, harnesses_list, harnesses_show})
        sub->footer(everywhere + " Takes --plugin-dir.");
    for (CLI::App* sub : {sessions_list, sessions_show, sessions_export})
        sub->footer(everywhere + " Takes --data-dir.");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() != 0) {
            if (std::string own = misplaced_run_option(argc, argv); !own.empty()) {
                std::cerr << "agenthost: " << own
                          << " belongs to `run` and follows it: agenthost [options] run -p PROMPT "
                             "[--output-format text|json|stream-json] (the interactive agent reads prompts from the "
                             "terminal)\n";
                return 2;
            }
        }
        int rc = app.exit(e, cli::host_out(), std::cerr);
        cli::host_out() << std::flush;
        return rc == 0 ? 0 : 2;
    }

    struct Command {
        CLI::App* app;
        const char* name;
    };
    std::string command;
    for (Command c : {Command{run_cmd, "run"}, Command{plugins_list, "plugins list"},
                      Command{plugins_check, "plugins check"}, Command{harnesses_list, "harnesses list"},
                      Command{harnesses_show, "harnesses show"}, Command{sessions_list, "sessions list"},
                      Command{sessions_show, "sessions show"}, Command{sessions_export, "sessions export"}}) {
        if (*c.app) command = c.name;
    }
    if (std::string refusal = refused_option(command, flags); !refusal.empty()) {
        std::cerr << "agenthost: " << refusal << "\n";
        return 2;
    }

    int rc = 0;
    if (*run_cmd) rc = cli::run_headless(o);
    else if (*plugins_list) rc = cli::plugins_list(o.plugin_dirs);
    else if (*plugins_check) rc = cli::plugins_check(check_target, o.plugin_dirs);
    else if (*harnesses_list) rc = cli::harnesses_list(o.plugin_dirs);
    else if (*harnesses_show) rc = cli::harnesses_show(harness_name, o.plugin_dirs);
    else if (*sessions_list) rc = cli::sessions_list(o.data_dir);
    else if (*sessions_show) rc = cli::sessions_show(o.data_dir, session_id);
    else if (*sessions_export) rc = cli::sessions_export(o.data_dir, session_id);
    else {
        o.interactive = true;
        rc = cli::run_interactive(o);
    }
    cli::host_out() << std::flush;
    return rc;
}
