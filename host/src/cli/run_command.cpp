// `agenthost run`, and the Runtime both it and the interactive agent are built from.
#include "cli/commands.hpp"

#include "base/log.hpp"
#include "base/provider_environment.hpp"
#include "cli/output_channel.hpp"
#include "cli/signal_watcher.hpp"
#include "cli/terminal_input.hpp"
#include "cli/terminal_render.hpp"
#include "plugins/harness.hpp"
#include "workspace/work_dir.hpp"

#include <agenthost/runtime.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <iostream>
#include <regex>
#include <sstream>

namespace agenthost::cli {

namespace fs = std::filesystem;

namespace {

/// The model when neither --model, a resumed session nor the harness names one: the driver
/// whose provider key is set (its default model), else llmsim.
std::string model_from_environment() {
    auto set = [](const char* name) { return ProviderEnvironment::take().get(name).has_value(); };
    if (set("ANTHROPIC_API_KEY")) return "anthropic";
    if (set("OPENAI_API_KEY") || set("OPENAI_BASE_URL")) return "openai";
    return "llmsim";
}

/// The options with what a resumed session recorded filled in where no flag was given. The
/// sandbox is the recorded one only while the harness is: another harness brings its own.
RunOptions with_recorded(RunOptions o, const SessionSettings& recorded) {
    const bool same_harness = !o.harness || o.harness == recorded.harness.value_or("none");
    if (!o.harness) o.harness = recorded.harness.value_or("none");
    if (!o.model) o.model = recorded.model;
    if (!o.workspace && recorded.workspace) o.workspace = fs::path(*recorded.workspace);
    if (!o.approval) o.approval = recorded.approval;
    if (!o.sandbox && same_harness) o.sandbox = recorded.sandbox;
    return o;
}

/// The workspace folder with symlinks resolved, if it passes the rules the daemon applies to
/// work_dir (DESIGN §8); UsageError naming where it came from and the rule otherwise.
fs::path checked_workspace(const std::optional<fs::path>& given, bool recorded) {
    std::error_code ec;
    fs::path dir = given ? fs::absolute(*given, ec) : fs::current_path(ec);
    if (ec) throw UsageError("cannot tell the current folder: " + ec.message() + "; pass --workspace");
    const char* home = std::getenv("HOME");
    WorkDirCheck check = check_work_dir(dir, home && *home ? fs::path(home) : fs::path());
    if (!check.problem) return check.resolved;
    std::string source = !given ? "the current folder (no --workspace was given)"
                         : recorded ? "the workspace the session recorded (pass --workspace to move it)"
                                    : "--workspace";
    throw UsageError(source + ": " + check.problem->message + " [" + check.problem->rule + "]");
}

/// Read an llmsim script file into the driver's config; ConfigError names the file.
json::object read_llmsim_script(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError("llmsim script " + file.string() + ": cannot read it");
    std::stringstream buf;
    buf << in.rdbuf();
    boost::system::error_code ec;
    json::value v = json::parse(buf.str(), ec);
    if (ec) throw ConfigError("llmsim script " + file.string() + ": not valid JSON: " + ec.message());
    if (!v.is_object() || !v.get_object().contains("responses")) {
        throw ConfigError("llmsim script " + file.string() + ": expected an object {\"responses\": [...]}");
    }
    for (const auto& kv : v.get_object()) {
        if (kv.key() != "responses") {
            throw ConfigError("llmsim script " + file.string() + ": unknown field '" + std::string(kv.key()) +
                              "' (expected only \"responses\")");
        }
    }
    return json::object{{"responses", v.get_object().at("responses")}};
}

/// AGENTHOST_LLMSIM_DELAY_MS: a testing aid that slows every streamed llmsim chunk.
std::optional<std::int64_t> llmsim_delay_from_environment() {
    const char* env = std::getenv("AGENTHOST_LLMSIM_DELAY_MS");
    if (!env || !*env) return std::nullopt;
    char* end = nullptr;
    long long ms = std::strtoll(env, &end, 10);
    if (*end != '\0' || ms < 0) {
        throw ConfigError("AGENTHOST_LLMSIM_DELAY_MS: expected milliseconds, got '" + std::string(env) + "'");
    }
    return ms;
}

}  // namespace

BuiltRuntime build_runtime(const RunOptions& given, std::function<ApprovalDecision(const ApprovalRequest&)> ask) {
    BuiltRuntime built;
    fs::path dir = sessions_dir(given.data_dir);
    auto store = make_jsonl_session_store(dir.string());
    std::optional<std::string> resume_id = given.session;
    if (!resume_id && given.continue_latest) {
        resume_id = store->latest();
        if (!resume_id) throw UsageError("--continue: no session in " + dir.string() + " to continue");
    }
    std::optional<SessionSettings> recorded;
    if (resume_id) {
        if (!store->exists(*resume_id)) throw UsageError("no session '" + *resume_id + "' in " + dir.string() + " to resume");
        std::vector<Event> events = store->read(*resume_id);
        recorded = SessionSettings::of_events(events);  // none: a session from before settings were recorded
        built.first_new_sequence = events.empty() ? 1 : events.back().sequence + 1;
    }
    const RunOptions o = recorded ? with_recorded(given, *recorded) : given;

    RuntimeBuilder b;
    // The runtime logs through the CLI's logger (stderr; AGENTHOST_LOG sets the level).
    b.log([](LogLevel level, std::string_view message) {
         spdlog::default_logger_raw()->log(to_spdlog_level(level), "{}", message);
     }).log_level(from_spdlog_level(spdlog::default_logger_raw()->level()));
    for (const fs::path& d : o.plugin_dirs) b.plugin_dir(d);
    const std::string harness = o.harness.value_or("coding");
    if (!harness.empty() && harness != "none") b.harness(harness);
    const std::string fallback = model_from_environment();
    if (o.model) b.model(*o.model);
    else b.default_model(fallback);
    std::optional<fs::path> script = o.llmsim_script;
    if (!script) {
        if (const char* env = std::getenv("AGENTHOST_LLMSIM_SCRIPT"); env && *env) script = fs::path(env);
    }
    json::object llmsim_config = script ? read_llmsim_script(*script) : json::object{};
    if (auto delay = llmsim_delay_from_environment()) llmsim_config["delay_ms"] = *delay;
    if (!llmsim_config.empty()) b.driver_config("llmsim", std::move(llmsim_config));
    if (o.max_iterations) b.max_iterations(*o.max_iterations);
    b.workspace(checked_workspace(o.workspace, recorded && !given.workspace));
    if (o.sandbox) {
        // --sandbox configures the harness's bash tool; it never adds one to a harness without it.
        bool has_bash = false;
        if (!harness.empty() && harness != "none") {
            for (const CapabilityRef& c : HarnessCatalog(default_harness_dirs({})).load(harness).capabilities) {
                has_bash = has_bash || c.id == "bash";
            }
        }
        if (has_bash) {
            b.capability("bash", json::object{{"sandbox", *o.sandbox}});
        } else {
            spdlog::warn("--sandbox {}: the harness '{}' has no bash tool, so there is nothing to sandbox", *o.sandbox,
                         harness.empty() ? std::string("none") : harness);
        }
    }
    std::string policy = o.approval.value_or(o.interactive ? "ask" : "deny");
    if (policy == "auto") b.approvals(ApprovalPolicy::kAuto);
    else if (policy == "ask") b.approvals(ApprovalPolicy::kAsk, std::move(ask));
    else b.approvals(ApprovalPolicy::kDeny);

    b.session_store(store).session_data_dir(dir);
    if (resume_id) b.session_id(*resume_id).resume(true);
    built.runtime = b.build();
    Runtime& rt = *built.runtime;
    for (const std::string& w : rt.take_warnings()) spdlog::warn("{}", w);
    for (const Event& e : rt.events(rt.default_session_id(), built.first_new_sequence - 1)) {
        if (e.type != event_type::kSessionReconfigured) continue;
        auto shown = [](const json::value& v) { return v.is_string() ? "'" + std::string(v.get_string()) + "'" : std::string("none"); };
        const std::string field(e.data.at("field").as_string());
        std::cerr << "agenthost: session " << rt.default_session_id() << " now runs with " << field << " "
                  << shown(e.data.at("to")) << " instead of " << shown(e.data.at("from")) << " (recorded as session.reconfigured)\n";
    }
    const std::string& model = *rt.settings().model;
    built.offline = !o.model && fallback == "llmsim" && model.substr(0, model.find('/')) == "llmsim";
    return built;
}

fs::path sessions_dir(const std::optional<fs::path>& data_dir) {
    if (data_dir) return *data_dir / "sessions";
    const char* xdg = std::getenv("XDG_DATA_HOME");
    if (xdg && *xdg) return fs::path(xdg) / "agenthost/sessions";
    const char* home = std::getenv("HOME");
    return fs::path(home && *home ? home : ".") / ".local/share/agenthost/sessions";
}

namespace {

/// `run -p "/name args"`: a capability command (/btw, /compact, …) instead of a turn. A prompt
/// whose first word looks like a command but names none is an error; anything else (a path such
/// as "/usr/bin …") is an ordinary prompt. Returns the exit status, or nullopt for a turn.
std::optional<int> run_headless_command(Runtime& rt, const RunOptions& o) {
    static const std::regex kCommand("^/([a-z][a-z0-9_-]*)(\\s+([\\s\\S]*))?$");
    std::smatch m;
    if (!std::regex_match(o.prompt, m, kCommand)) return std::nullopt;
    const std::string sid = rt.default_session_id();
    std::shared_ptr<void> sub;
    if (o.output_format == "stream-json") {
        sub = rt.subscribe(sid, [](const Event& e) { host_out() << to_json_line(e) << "\n" << std::flush; });
    }
    CommandResult r = rt.execute_command(sid, m[1].str(), m[3].str());
    sub.reset();
    if (o.output_format == "json") {
        json::object out{{"session_id", sid}, {"command", m[1].str()}, {"result", r.message}, {"success", r.success}, {"error", nullptr}};
        if (!r.success) out["error"] = json::object{{"category", r.error_code}, {"message", r.message}};
        host_out() << json::serialize(out) << std::endl;
    } else if (o.output_format == "text") {
        (r.success ? host_out() : std::cerr) << (r.success ? "" : "agenthost: ") << r.message << std::endl;
    }
    if (r.error_code == "unknown_command") return 2;
    return r.success ? 0 : 1;
}

}  // namespace

int run_headless(const RunOptions& o) {
    // SIGINT, SIGTERM, SIGHUP: while a turn runs, interrupt it (what runs is killed) so it ends
    // as turn.cancelled, then exit 128 + the signal; outside a turn, or on a second signal,
    // exit at once. Constructed first: the signals are blocked before any thread starts.
    std::mutex turn_mu;
    Runtime* turn_runtime = nullptr;  // set while the turn runs; under turn_mu
    std::atomic<int> signalled{0};
    std::string sid;
    SignalWatcher signals({SIGINT, SIGTERM, SIGHUP}, [&](int sig) {
        if (signalled.exchange(sig) != 0) {
            write_stderr_now("a second signal while shutting down: exiting now");
            std::_Exit(exit_status_for_signal(sig));
        }
        std::lock_guard<std::mutex> lock(turn_mu);
        if (!turn_runtime) std::_Exit(exit_status_for_signal(sig));
        write_stderr_now(sig == SIGINT ? "interrupted: cancelling the turn" : "terminated: cancelling the turn");
        turn_runtime->interrupt(sid);
    });

    // The model's words on stdout; tool calls, approvals and diagnostics on stderr.
    TerminalPrinter printer(host_out(), std::cerr, TerminalPrinter::color_for(STDERR_FILENO));
    BuiltRuntime built;
    try {
        built = build_runtime(o, [&printer](const ApprovalRequest& r) { return ask_on_tty(r, printer); });
        if (built.offline) {
            std::cerr << "agenthost: no ANTHROPIC_API_KEY or OPENAI_API_KEY is set: "
                         "running the offline llmsim driver\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
        return 2;
    }
    Runtime& rt = *built.runtime;
    sid = rt.default_session_id();
    if (auto rc = run_headless_command(rt, o)) return *rc;
    std::shared_ptr<void> sub;
    if (o.output_format == "stream-json") {
        for (const Event& e : rt.events(sid, built.first_new_sequence - 1)) host_out() << to_json_line(e) << "\n";
        sub = rt.subscribe(sid, [](const Event& e) { host_out() << to_json_line(e) << "\n" << std::flush; });
    } else if (o.output_format == "text") {
        sub = rt.subscribe(sid, [&printer](const Event& e) { printer.on_event(e); });
    }
    // A signal that came between the watcher's check and the turn's start finds no turn to
    // interrupt: the turn interrupts itself as it starts.
    auto late = rt.subscribe(sid, [&](const Event& e) {
        if (e.type == event_type::kTurnStarted && signalled.load() != 0) rt.interrupt(sid);
    });
    host_out() << std::flush;
    {
        std::lock_guard<std::mutex> lock(turn_mu);
        if (signalled.load() != 0) return exit_status_for_signal(signalled.load());  // no turn yet: nothing to record
        turn_runtime = &rt;
    }
    TurnResult r;
    std::optional<std::string> failure;
    try {
        r = rt.run_turn(o.prompt);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    {
        std::lock_guard<std::mutex> lock(turn_mu);
        turn_runtime = nullptr;  // from here a signal exits at once
    }
    if (failure) {
        std::cerr << "agenthost: " << *failure << "\n";
        return 2;
    }
    sub.reset();
    late.reset();
    if (o.output_format == "json") {
        json::object out{{"session_id", r.session_id}, {"turn_id", r.turn_id},  {"result", r.response},
                         {"success", r.success},       {"iterations", r.iterations}, {"tool_calls", r.tool_calls},
                         {"usage", r.usage.to_json()}, {"error", nullptr}};
        if (r.error) out["error"] = json::object{{"category", r.error->category}, {"message", r.error->message}};
        host_out() << json::serialize(out) << std::endl;
    } else if (o.output_format == "text") {
        printer.end_text();
    }
    if (!r.success && o.output_format != "stream-json") {
        std::cerr << "agenthost: turn " << (r.cancelled ? "cancelled" : "failed") << " ("
                  << (r.error ? r.error->category : "unknown") << "): " << (r.error ? r.error->message : "") << "\n";
    }
    std::cerr << "agenthost: session " << sid << "\n";
    host_out() << std::flush;
    if (int sig = signalled.load()) return exit_status_for_signal(sig);
    return r.success ? 0 : 1;
}

}  // namespace agenthost::cli
