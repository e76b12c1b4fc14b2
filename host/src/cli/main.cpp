// agenthost: flag parsing only (CLI11 costs ~10 s of compile per TU, so it lives here alone).
#include "cli/commands.hpp"
#include "server/serve.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

namespace {

void add_run_flags(CLI::App& app, agenthost::cli::RunOptions& o) {
    app.add_option("--model", o.model, "PROVIDER/MODEL (anthropic/claude-sonnet-4-5, openai/gpt-4.1) or llmsim");
    app.add_option("--harness", o.harness, "harness name or .json file")->capture_default_str();
    app.add_option("--plugin-dir", o.plugin_dirs, "extra plugin folder, searched first (repeatable)");
    app.add_option("--workspace", o.workspace, "the workspace folder (default: the current folder)");
    app.add_option("--session", o.session, "resume this session");
    app.add_flag("--continue", o.continue_latest, "resume the most recent session");
    app.add_option("--data-dir", o.data_dir, "where session logs live (DIR/sessions)");
    app.add_option("--approval", o.approval, "ask | auto | deny (headless default: deny)")
        ->check(CLI::IsMember({"ask", "auto", "deny"}));
    app.add_option("--sandbox", o.sandbox, "run bash in a bubblewrap sandbox: off | read-only | workspace-write")
        ->check(CLI::IsMember({"off", "read-only", "workspace-write"}));
    app.add_option("--max-iterations", o.max_iterations, "model calls per turn at most")->check(CLI::PositiveNumber);
    app.add_option("--llmsim-script", o.llmsim_script,
                   "a JSON script for the llmsim driver (or AGENTHOST_LLMSIM_SCRIPT; testing aid: "
                   "AGENTHOST_LLMSIM_DELAY_MS=N waits N ms before each streamed chunk)")->check(CLI::ExistingFile);
}

}  // namespace

int main(int argc, char** argv) {
    auto logger = spdlog::stderr_color_mt("agenthost");
    logger->set_pattern("agenthost: %^%l%$: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::warn);
    if (const char* lvl = std::getenv("AGENTHOST_LOG")) spdlog::set_level(spdlog::level::from_str(lvl));

    CLI::App app{"agenthost: an agent runtime with plugins. With no subcommand: an interactive agent in this folder."};
    app.set_version_flag("--version", "agenthost 0.1.0 (plugin ABI 1.0)");
    agenthost::cli::RunOptions interactive;
    add_run_flags(app, interactive);
    app.fallthrough(false);

    agenthost::cli::RunOptions run;
    CLI::App* run_cmd = app.add_subcommand("run", "run one turn headless");
    run_cmd->add_option("-p,--prompt", run.prompt, "the prompt")->required();
    run_cmd->add_option("--output-format", run.output_format, "text | json | stream-json")
        ->check(CLI::IsMember({"text", "json", "stream-json"}));
    add_run_flags(*run_cmd, run);

    CLI::App* plugins = app.add_subcommand("plugins", "list or check plugins")->require_subcommand(1);
    std::vector<std::filesystem::path> plugin_dirs;
    CLI::App* plugins_list = plugins->add_subcommand("list", "every plugin found, loaded or refused and why");
    plugins_list->add_option("--plugin-dir", plugin_dirs, "extra plugin folder (repeatable)");
    std::filesystem::path check_path;
    CLI::App* plugins_check = plugins->add_subcommand("check", "run the whole load pipeline on one plugin");
    plugins_check->add_option("path", check_path, "a plugin manifest (.json) or library (.so)")->required();

    CLI::App* harnesses = app.add_subcommand("harnesses", "list or show harnesses")->require_subcommand(1);
    CLI::App* harnesses_list = harnesses->add_subcommand("list", "every harness found");
    std::string harness_name;
    CLI::App* harnesses_show = harnesses->add_subcommand("show", "a harness with its extends chain folded in");
    harnesses_show->add_option("name", harness_name, "harness name or file")->required();

    CLI::App* sessions = app.add_subcommand("sessions", "list, show or export sessions")->require_subcommand(1);
    std::optional<std::filesystem::path> data_dir;
    sessions->add_option("--data-dir", data_dir, "where session logs live (DIR/sessions)");
    std::string session_id;
    sessions->fallthrough();  // --data-dir may also follow list/show/export
    CLI::App* sessions_list = sessions->add_subcommand("list", "sessions, newest first");
    CLI::App* sessions_show = sessions->add_subcommand("show", "one session's history and usage");
    sessions_show->add_option("id", session_id, "session id")->required();
    CLI::App* sessions_export = sessions->add_subcommand("export", "one session's events as JSONL");
    sessions_export->add_option("id", session_id, "session id")->required();
    for (CLI::App* sub : {sessions_list, sessions_show, sessions_export}) sub->fallthrough();

    agenthost::server::ServeOptions serve;
    CLI::App* serve_cmd = app.add_subcommand("serve", "run the daemon: sessions over HTTP and WebSocket (docs/daemon.md)");
    serve_cmd->add_option("--listen", serve.listen, "HOST:PORT, an IP address (another than loopback only when said)")
        ->capture_default_str();
    serve_cmd->add_option("--data-dir", serve.data_dir, "sessions, index and token (default $XDG_DATA_HOME/agenthost)");
    serve_cmd->add_option("--token-file", serve.token_file, "the bearer token's file (default DATA_DIR/token, made 0600)");
    serve_cmd->add_option("--plugin-dir", serve.plugin_dirs, "extra plugin folder, searched first (repeatable)");
    serve_cmd->add_option("--harness", serve.harness, "the sessions' default harness")->capture_default_str();
    serve_cmd->add_option("--model", serve.model, "the sessions' default model (default: the harness's, else llmsim)");
    serve_cmd->add_option("--approval-timeout", serve.approval_timeout_ms, "deny an unanswered approval after N ms")
        ->check(CLI::PositiveNumber);
    serve_cmd->add_option("--turn-threads", serve.turn_threads, "turns running at once")->check(CLI::PositiveNumber);
    serve_cmd->add_option("--max-sessions", serve.max_sessions, "sessions at most (more: 503)")->check(CLI::PositiveNumber);
    serve_cmd->add_option("--max-open-sessions", serve.max_open_sessions, "idle sessions kept open in memory")
        ->check(CLI::PositiveNumber);
    serve_cmd->add_option("--max-connections", serve.max_connections, "connections at most (more: 503)")
        ->check(CLI::PositiveNumber);
    serve_cmd->add_option("--max-body", serve.max_body_bytes, "request body bytes at most (more: 413)")->check(CLI::PositiveNumber);
    serve_cmd->add_option("--stream-buffer", serve.stream_buffer_bytes, "bytes a stream reader may fall behind by")
        ->check(CLI::PositiveNumber);
    serve_cmd->add_option("--header-timeout", serve.header_timeout_ms, "ms for a request's headers")->check(CLI::PositiveNumber);
    serve_cmd->add_option("--idle-timeout", serve.idle_timeout_ms, "ms a kept-alive connection may wait")->check(CLI::PositiveNumber);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }

    namespace c = agenthost::cli;
    if (*serve_cmd) return agenthost::server::serve(serve);
    if (*run_cmd) return c::run_headless(run);
    if (*plugins_list) return c::plugins_list(plugin_dirs);
    if (*plugins_check) return c::plugins_check(check_path);
    if (*harnesses_list) return c::harnesses_list();
    if (*harnesses_show) return c::harnesses_show(harness_name);
    if (*sessions_list) return c::sessions_list(data_dir);
    if (*sessions_show) return c::sessions_show(data_dir, session_id);
    if (*sessions_export) return c::sessions_export(data_dir, session_id);
    interactive.interactive = true;
    return c::run_interactive(interactive);
}
