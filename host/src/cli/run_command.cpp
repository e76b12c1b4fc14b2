// `agenthost run` and the interactive agent: build a Runtime from the flags, run turns, print.
#include "cli/commands.hpp"

#include <agenthost/runtime.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <iostream>
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

/// Ask on the terminal; no terminal means no.
ApprovalDecision ask_on_tty(const ApprovalRequest& r) {
    std::ifstream tty("/dev/tty");
    if (!tty) return ApprovalDecision::kDeny;
    std::cerr << "\n? approve " << r.action << ": " << r.summary << "\n";
    if (!r.details.empty()) std::cerr << r.details << "\n";
    std::cerr << "  [y]es / [n]o" << (r.key.empty() ? "" : " / [a]lways for this in this session") << ": " << std::flush;
    std::string answer;
    std::getline(tty, answer);
    if (answer.empty()) return ApprovalDecision::kDeny;
    if (answer[0] == 'y' || answer[0] == 'Y') return ApprovalDecision::kApprove;
    if ((answer[0] == 'a' || answer[0] == 'A') && !r.key.empty()) return ApprovalDecision::kApproveAlways;
    return ApprovalDecision::kDeny;
}

struct Built {
    std::unique_ptr<Runtime> runtime;
    std::uint64_t first_new_sequence = 1;
};

Built build_runtime(const RunOptions& o) {
    RuntimeBuilder b;
    for (const fs::path& d : o.plugin_dirs) b.plugin_dir(d);
    if (!o.harness.empty() && o.harness != "none") b.harness(o.harness);
    bool offline = false;
    std::string model = o.model ? *o.model : model_from_environment(offline);
    b.model(model);
    if (offline) {
        std::cerr << "agenthost: no ANTHROPIC_API_KEY or OPENAI_API_KEY is set: running the offline llmsim driver\n";
    }
    std::optional<fs::path> script = o.llmsim_script;
    if (!script) {
        if (const char* env = std::getenv("AGENTHOST_LLMSIM_SCRIPT"); env && *env) script = fs::path(env);
    }
    if (script) b.driver_config("llmsim", read_llmsim_script(*script));
    if (o.max_iterations) b.max_iterations(*o.max_iterations);
    std::string policy = o.approval.value_or(o.interactive ? "ask" : "deny");
    if (policy == "auto") b.approvals(ApprovalPolicy::kAuto);
    else if (policy == "ask") b.approvals(ApprovalPolicy::kAsk, ask_on_tty);
    else b.approvals(ApprovalPolicy::kDeny);

    fs::path dir = sessions_dir(o.data_dir);
    auto store = make_jsonl_session_store(dir.string());
    b.session_store(store);
    bool resumed = false;
    if (o.session) {
        b.session_id(*o.session).resume(true);
        resumed = true;
    } else if (o.continue_latest) {
        auto latest = store->latest();
        if (!latest) throw UsageError("--continue: no session in " + dir.string() + " to continue");
        b.session_id(*latest).resume(true);
        resumed = true;
    }
    Built built;
    built.runtime = b.build();
    for (const std::string& w : built.runtime->take_warnings()) spdlog::warn("{}", w);
    if (resumed) built.first_new_sequence = built.runtime->events(built.runtime->default_session_id()).size() + 1;
    return built;
}

std::string one_line(const json::value& v, std::size_t max = 160) {
    std::string s = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
    for (char& c : s) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    if (s.size() > max) s = s.substr(0, max) + "…";
    return s;
}

/// Text mode: the model's words on stdout as they stream, tool calls compactly on stderr.
void print_text_event(const Event& e, bool& mid_line) {
    if (e.type == event_type::kOutputDelta) {
        const json::value* d = e.data.if_contains("delta");
        if (d && d->is_string()) {
            std::cout << std::string_view(d->get_string()) << std::flush;
            mid_line = !d->get_string().empty() && d->get_string().back() != '\n';
        }
    } else if (e.type == event_type::kToolStarted) {
        if (mid_line) std::cout << "\n" << std::flush, mid_line = false;
        const json::object& tc = e.data.at("tool_call").as_object();
        std::cerr << "⏺ " << one_line(tc.at("name")) << "(" << one_line(tc.at("arguments")) << ")\n";
    } else if (e.type == event_type::kToolCompleted) {
        bool ok = e.data.at("success").as_bool();
        std::cerr << "  ⎿ " << (ok ? "" : "error: ") << one_line(e.data.at("result")) << "\n";
    }
}

/// Ctrl-C handling off the signal handler: a thread sigwaits for SIGINT; during a turn the
/// first one interrupts it, at the prompt the first one warns; a second one in a row exits.
class InterruptWatcher {
public:
    InterruptWatcher(Runtime& rt, std::string sid) : rt_(rt), sid_(std::move(sid)) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        thread_ = std::thread([this, set] {
            int sig = 0;
            while (sigwait(&set, &sig) == 0) {
                if (stopping_) return;
                if (++presses_ >= 2) std::_Exit(130);
                if (in_turn_) {
                    std::cerr << "\n(interrupting; Ctrl-C again to exit)\n";
                    rt_.interrupt(sid_);
                } else {
                    std::cerr << "\n(Ctrl-C again to exit, or /quit)\n> " << std::flush;
                }
            }
        });
    }
    ~InterruptWatcher() {
        stopping_ = true;
        pthread_kill(thread_.native_handle(), SIGINT);
        thread_.join();
    }
    void turn(bool running) {
        in_turn_ = running;
        presses_ = 0;
    }
    void reset() { presses_ = 0; }

private:
    Runtime& rt_;
    std::string sid_;
    std::atomic<bool> in_turn_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<int> presses_{0};
    std::thread thread_;
};

}  // namespace

fs::path sessions_dir(const std::optional<fs::path>& data_dir) {
    if (data_dir) return *data_dir / "sessions";
    const char* xdg = std::getenv("XDG_DATA_HOME");
    if (xdg && *xdg) return fs::path(xdg) / "agenthost/sessions";
    const char* home = std::getenv("HOME");
    return fs::path(home && *home ? home : ".") / ".local/share/agenthost/sessions";
}

int run_headless(const RunOptions& o) {
    Built built;
    try {
        built = build_runtime(o);
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
        return 2;
    }
    Runtime& rt = *built.runtime;
    const std::string sid = rt.default_session_id();
    bool mid_line = false;
    std::shared_ptr<void> sub;
    if (o.output_format == "stream-json") {
        for (const Event& e : rt.events(sid, built.first_new_sequence - 1)) std::cout << to_json_line(e) << "\n";
        sub = rt.subscribe(sid, [](const Event& e) { std::cout << to_json_line(e) << "\n" << std::flush; });
    } else if (o.output_format == "text") {
        sub = rt.subscribe(sid, [&mid_line](const Event& e) { print_text_event(e, mid_line); });
    }
    TurnResult r;
    try {
        r = rt.run_turn(o.prompt);
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
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
        if (mid_line || (r.success && !r.response.empty())) std::cout << "\n";
        std::cout << std::flush;
    }
    if (!r.success && o.output_format != "stream-json") {
        std::cerr << "agenthost: turn " << (r.cancelled ? "cancelled" : "failed") << " ("
                  << (r.error ? r.error->category : "unknown") << "): " << (r.error ? r.error->message : "") << "\n";
    }
    std::cerr << "agenthost: session " << sid << "\n";
    return r.success ? 0 : 1;
}

int run_interactive(const RunOptions& o) {
    Built built;
    try {
        built = build_runtime(o);
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
        return 2;
    }
    Runtime& rt = *built.runtime;
    const std::string sid = rt.default_session_id();
    InterruptWatcher watcher(rt, sid);
    bool mid_line = false;
    auto sub = rt.subscribe(sid, [&mid_line](const Event& e) { print_text_event(e, mid_line); });
    std::cerr << "agenthost — session " << sid << " (model " << rt.load_context(sid).model
              << "). /help for commands, /quit to leave.\n";
    std::string line;
    while (true) {
        std::cerr << "> " << std::flush;
        if (!std::getline(std::cin, line)) break;
        if (line.empty()) continue;
        watcher.reset();
        if (line == "/quit" || line == "/exit") break;
        if (line == "/help") {
            std::cerr << "/help  this list\n/quit  leave (Ctrl-C interrupts a turn; twice exits)\n";
            for (const CommandInfo& c : rt.list_commands(sid)) std::cerr << "/" << c.name << "  " << c.description << "\n";
            continue;
        }
        if (line[0] == '/') {
            std::size_t space = line.find(' ');
            CommandResult r = rt.execute_command(sid, line.substr(1, space == std::string::npos ? std::string::npos : space - 1),
                                                 space == std::string::npos ? "" : line.substr(space + 1));
            std::cerr << (r.success ? "" : "error: ") << r.message << "\n";
            continue;
        }
        watcher.turn(true);
        TurnResult r = rt.run_turn(line);
        watcher.turn(false);
        if (mid_line) std::cout << "\n" << std::flush, mid_line = false;
        if (!r.success) std::cerr << "(" << (r.error ? r.error->category + ": " + r.error->message : "failed") << ")\n";
    }
    std::cerr << "agenthost: session " << sid << "\n";
    return 0;
}

}  // namespace agenthost::cli
