// `agenthost run`, and the Runtime both it and the interactive agent are built from.
#include "cli/commands.hpp"

#include "cli/terminal_input.hpp"
#include "cli/terminal_render.hpp"

#include <agenthost/runtime.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace agenthost::cli {

namespace fs = std::filesystem;

namespace {

/// The model when no --model is given: the provider whose key is set, else llmsim.
std::string model_from_environment(bool& offline) {
    auto set = [](const char* name) {
        const char* v = std::getenv(name);
        return v && *v;
    };
    offline = false;
    if (set("ANTHROPIC_API_KEY")) return "anthropic/claude-sonnet-4-5";
    if (set("OPENAI_API_KEY") || set("OPENAI_BASE_URL")) return "openai/gpt-4.1";
    offline = true;
    return "llmsim";
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

BuiltRuntime build_runtime(const RunOptions& o, std::function<ApprovalDecision(const ApprovalRequest&)> ask) {
    RuntimeBuilder b;
    for (const fs::path& d : o.plugin_dirs) b.plugin_dir(d);
    if (!o.harness.empty() && o.harness != "none") b.harness(o.harness);
    BuiltRuntime built;
    std::string model = o.model ? *o.model : model_from_environment(built.offline);
    b.model(model);
    std::optional<fs::path> script = o.llmsim_script;
    if (!script) {
        if (const char* env = std::getenv("AGENTHOST_LLMSIM_SCRIPT"); env && *env) script = fs::path(env);
    }
    json::object llmsim_config = script ? read_llmsim_script(*script) : json::object{};
    if (auto delay = llmsim_delay_from_environment()) llmsim_config["delay_ms"] = *delay;
    if (!llmsim_config.empty()) b.driver_config("llmsim", std::move(llmsim_config));
    if (o.max_iterations) b.max_iterations(*o.max_iterations);
    std::error_code ec;
    fs::path workspace = o.workspace.empty() ? fs::current_path(ec) : o.workspace;
    if (ec) throw UsageError("cannot tell the current folder: " + ec.message() + "; pass --workspace");
    b.workspace(workspace);
    if (o.sandbox) b.capability("bash", json::object{{"sandbox", *o.sandbox}});
    std::string policy = o.approval.value_or(o.interactive ? "ask" : "deny");
    if (policy == "auto") b.approvals(ApprovalPolicy::kAuto);
    else if (policy == "ask") b.approvals(ApprovalPolicy::kAsk, std::move(ask));
    else b.approvals(ApprovalPolicy::kDeny);

    fs::path dir = sessions_dir(o.data_dir);
    auto store = make_jsonl_session_store(dir.string());
    b.session_store(store).session_data_dir(dir);
    bool resumed = false;
    if (o.session) {
        if (o.session->empty()) throw UsageError("--session: the session id is empty (agenthost sessions list shows them)");
        b.session_id(*o.session).resume(true);
        resumed = true;
    } else if (o.continue_latest) {
        auto latest = store->latest();
        if (!latest) throw UsageError("--continue: no session in " + dir.string() + " to continue");
        b.session_id(*latest).resume(true);
        resumed = true;
    }
    built.runtime = b.build();
    for (const std::string& w : built.runtime->take_warnings()) spdlog::warn("{}", w);
    if (resumed) built.first_new_sequence = built.runtime->events(built.runtime->default_session_id()).size() + 1;
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
        sub = rt.subscribe(sid, [](const Event& e) { std::cout << to_json_line(e) << "\n" << std::flush; });
    }
    CommandResult r = rt.execute_command(sid, m[1].str(), m[3].str());
    sub.reset();
    if (o.output_format == "json") {
        json::object out{{"session_id", sid}, {"command", m[1].str()}, {"result", r.message}, {"success", r.success}, {"error", nullptr}};
        if (!r.success) out["error"] = json::object{{"category", r.error_code}, {"message", r.message}};
        std::cout << json::serialize(out) << std::endl;
    } else if (o.output_format == "text") {
        (r.success ? std::cout : std::cerr) << (r.success ? "" : "agenthost: ") << terminal_safe(r.message) << std::endl;
    }
    if (r.error_code == "unknown_command") return 2;
    return r.success ? 0 : 1;
}

}  // namespace

int run_headless(const RunOptions& o) {
    // The model's words on stdout; tool calls, approvals and diagnostics on stderr.
    TerminalPrinter printer(std::cout, std::cerr, TerminalPrinter::color_for(STDERR_FILENO));
    BuiltRuntime built;
    try {
        built = build_runtime(o, [&printer](const ApprovalRequest& r) { return ask_on_tty(r, printer); });
        if (built.offline) {
            std::cerr << "agenthost: no ANTHROPIC_API_KEY or OPENAI_API_KEY is set: "
                         "running the offline llmsim driver\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << terminal_safe(e.what()) << "\n";
        return 2;
    }
    Runtime& rt = *built.runtime;
    const std::string sid = rt.default_session_id();
    if (auto rc = run_headless_command(rt, o)) return *rc;
    std::shared_ptr<void> sub;
    if (o.output_format == "stream-json") {
        for (const Event& e : rt.events(sid, built.first_new_sequence - 1)) std::cout << to_json_line(e) << "\n";
        sub = rt.subscribe(sid, [](const Event& e) { std::cout << to_json_line(e) << "\n" << std::flush; });
    } else if (o.output_format == "text") {
        sub = rt.subscribe(sid, [&printer](const Event& e) { printer.on_event(e); });
    }
    TurnResult r;
    try {
        r = rt.run_turn(o.prompt);
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << terminal_safe(e.what()) << "\n";
        return 2;
    }
    sub.reset();
    if (o.output_format == "json") {
        json::object out{{"session_id", r.session_id}, {"turn_id", r.turn_id},  {"result", r.response},
                         {"success", r.success},       {"iterations", r.iterations}, {"tool_calls", r.tool_calls},
                         {"usage", r.usage.to_json()}, {"error", nullptr}};
        if (r.error) out["error"] = json::object{{"category", r.error->category}, {"message", r.error->message}};
        std::cout << json::serialize(out) << std::endl;
    } else if (o.output_format == "text") {
        printer.end_text();
    }
    if (!r.success && o.output_format != "stream-json") {
        std::cerr << "agenthost: turn " << (r.cancelled ? "cancelled" : "failed") << " ("
                  << (r.error ? one_line(r.error->category, 60) : "unknown") << "): "
                  << (r.error ? terminal_safe(r.error->message) : "") << "\n";
    }
    std::cerr << "agenthost: session " << sid << "\n";
    return r.success ? 0 : 1;
}

}  // namespace agenthost::cli
