// bash: the `bash` tool of the coding agent (DESIGN §11). Every command is approved first
// (approval.ask), then runs as `bash -c` in the workspace (workspace.info) in its own process
// group, optionally inside a bubblewrap sandbox, with a timeout, capped output and an
// environment scrubbed of secrets.
#include "bash_command.hpp"
#include "output_capture.hpp"
#include "process_runner.hpp"

#include <ahp/ahp.hpp>

#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace json = ahp::json;
using namespace bash_plugin;

constexpr std::int64_t kDefaultTimeoutMs = 120000;
constexpr std::int64_t kMaxTimeoutMs = 600000;
constexpr std::int64_t kDefaultKeepBytes = 30 * 1024;
constexpr std::int64_t kDefaultMaxOutputBytes = 64ll << 20;
/// The kernel's limit on one exec argument (MAX_ARG_STRLEN).
constexpr std::size_t kMaxCommandBytes = 128 * 1024 - 1;

[[noreturn]] void bad_config(const std::string& message) {
    throw ahp::Error("invalid_config", "bash config: " + message, AHP_INVALID_ARGUMENT);
}
[[noreturn]] void bad_args(const std::string& message) {
    throw ahp::Error("invalid_arguments", message, AHP_INVALID_ARGUMENT);
}

/// An integral JSON number in [lo, hi], or nullopt when absent; `fail` reports anything else.
std::optional<std::int64_t> integer_in(const json::object& o, std::string_view key, std::int64_t lo, std::int64_t hi,
                                       void (*fail)(const std::string&)) {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    std::int64_t n = 0;
    bool ok = true;
    if (v->is_int64()) {
        n = v->get_int64();
    } else if (v->is_uint64()) {
        ok = v->get_uint64() <= static_cast<std::uint64_t>(hi);
        n = ok ? static_cast<std::int64_t>(v->get_uint64()) : hi;
    } else if (v->is_double() && v->get_double() == static_cast<double>(static_cast<std::int64_t>(v->get_double()))) {
        n = static_cast<std::int64_t>(v->get_double());
    } else {
        ok = false;
    }
    if (!ok || n < lo || n > hi) {
        fail("'" + std::string(key) + "' must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    return n;
}

/// The parsed config.
struct Settings {
    Sandbox sandbox = Sandbox::kOff;
    std::string sandbox_name = "off";
    bool network = false;
    std::vector<std::string> env_passthrough;
    std::int64_t default_timeout_ms = kDefaultTimeoutMs;
    std::size_t keep_bytes = kDefaultKeepBytes;
    std::uint64_t max_output_bytes = kDefaultMaxOutputBytes;
};

Settings parse_settings(const json::object& c) {
    static constexpr std::string_view kKnown[] = {
        "sandbox", "network", "env_passthrough", "default_timeout_ms", "keep_bytes", "max_output_bytes"};
    for (const auto& kv : c) {
        if (std::find(std::begin(kKnown), std::end(kKnown), kv.key()) == std::end(kKnown)) {
            bad_config("unknown field '" + std::string(kv.key()) + "'");
        }
    }
    Settings s;
    if (const json::value* v = c.if_contains("sandbox")) {
        std::string_view m = v->is_string() ? std::string_view(v->get_string()) : std::string_view();
        if (m == "off") {
            s.sandbox = Sandbox::kOff;
        } else if (m == "read-only") {
            s.sandbox = Sandbox::kReadOnly;
        } else if (m == "workspace-write") {
            s.sandbox = Sandbox::kWorkspaceWrite;
        } else {
            bad_config("'sandbox' must be \"off\", \"read-only\" or \"workspace-write\"");
        }
        s.sandbox_name = std::string(m);
    }
    if (const json::value* v = c.if_contains("network")) {
        if (!v->is_bool()) bad_config("'network' must be true or false");
        s.network = v->get_bool();
    }
    if (const json::value* v = c.if_contains("env_passthrough")) {
        if (!v->is_array()) bad_config("'env_passthrough' must be a list of variable names");
        for (const auto& name : v->get_array()) {
            if (!name.is_string()) bad_config("'env_passthrough' must be a list of variable names");
            s.env_passthrough.emplace_back(name.get_string());
        }
    }
    s.default_timeout_ms =
        integer_in(c, "default_timeout_ms", 1, kMaxTimeoutMs, bad_config).value_or(kDefaultTimeoutMs);
    s.keep_bytes =
        static_cast<std::size_t>(integer_in(c, "keep_bytes", 1024, 16ll << 20, bad_config).value_or(kDefaultKeepBytes));
    s.max_output_bytes = static_cast<std::uint64_t>(
        integer_in(c, "max_output_bytes", 1024, std::numeric_limits<std::int64_t>::max(), bad_config)
            .value_or(kDefaultMaxOutputBytes));
    return s;
}

std::string mib(std::uint64_t bytes) {
    return bytes % (1 << 20) == 0 ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

json::value parameters_schema() {
    return json::object{
        {"type", "object"},
        {"properties",
         json::object{
             {"command", json::object{{"type", "string"}, {"description", "the bash command line"}}},
             {"timeout_ms",
              json::object{
                  {"type", "integer"}, {"minimum", 1}, {"maximum", kMaxTimeoutMs}, {"description", "default 120000"}}},
             {"description", json::object{{"type", "string"}, {"description", "what it does, in 5-10 words"}}}}},
        {"required", json::array{"command"}},
        {"additionalProperties", false}};
}

class BashPlugin : public ahp::Capability {
public:
    explicit BashPlugin(json::object config)
        : Capability(std::move(config)), settings_(parse_settings(this->config())) {
        const char* path = std::getenv("PATH");
        std::string path_list = std::string(path ? path : "") + ":/usr/local/bin:/usr/bin:/bin";
        bash_ = find_program("bash", path_list);
        bwrap_ = find_program("bwrap", path_list);
        add_tool({"bash",
                  "Run a command with `bash -c` in the workspace; returns exit_code, stdout and stderr (long output "
                  "is cut in the middle). Processes it starts are killed when it ends or times out.",
                  parameters_schema(), true},
                 [this](const json::object& args, ahp::Call& call) { return run(args, call); });
    }

private:
    json::value run(const json::object& args, ahp::Call& call) {
        const json::value* cv = args.if_contains("command");
        if (!cv || !cv->is_string()) bad_args("'command' (a string) is required");
        std::string command(cv->get_string());
        if (command.find_first_not_of(" \t\r\n") == std::string::npos) bad_args("'command' is empty");
        if (command.find('\0') != std::string::npos) bad_args("'command' contains a NUL byte");
        if (command.size() > kMaxCommandBytes) {
            bad_args("'command' is " + std::to_string(command.size()) +
                     " bytes; the limit is 128 KiB: write a script file and run that instead");
        }
        std::int64_t timeout_ms =
            integer_in(args, "timeout_ms", 1, kMaxTimeoutMs, bad_args).value_or(settings_.default_timeout_ms);
        if (bash_.empty()) throw ahp::Error("unavailable", "bash is not installed on this machine (not found on PATH)");
        if (settings_.sandbox != Sandbox::kOff && bwrap_.empty()) {
            throw ahp::Error("sandbox_unavailable",
                             "the bash sandbox '" + settings_.sandbox_name +
                                 "' needs bubblewrap (bwrap), which is not installed; the command did not run "
                                 "(install the bubblewrap package, or set the bash config 'sandbox' to \"off\")");
        }

        // The approval gate comes first: nothing starts unless it says yes.
        json::value verdict = call.request(
            "approval.ask",
            json::object{
                {"action", "exec"}, {"summary", approval_summary(command)}, {"details", command}, {"key", command}});
        const json::value* approved = verdict.is_object() ? verdict.get_object().if_contains("approved") : nullptr;
        if (!approved || !approved->is_bool() || !approved->get_bool()) {
            const json::value* r = verdict.is_object() ? verdict.get_object().if_contains("reason") : nullptr;
            std::string reason = r && r->is_string() ? std::string(r->get_string()) : "no reason given";
            throw ahp::Error("denied", "the command was not run: " + reason, AHP_DENIED);
        }
        call.check_cancelled();

        json::value info = call.request("workspace.info", json::object{});
        const json::value* rv = info.is_object() ? info.get_object().if_contains("root") : nullptr;
        if (!rv || !rv->is_string() || rv->get_string().empty() || rv->get_string().front() != '/') {
            throw ahp::Error("unavailable", "the workspace has no folder on disk to run bash in");
        }
        std::string root(rv->get_string());
        struct stat st {};
        if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            throw ahp::Error("unavailable", "the workspace folder " + root + " does not exist or is not a folder");
        }

        RunSpec spec;
        spec.cwd = root;
        spec.env = scrubbed_environment(environ, settings_.env_passthrough);
        spec.timeout = std::chrono::milliseconds(timeout_ms);
        spec.keep_bytes = settings_.keep_bytes;
        spec.max_output_bytes = settings_.max_output_bytes;
        spec.cancelled = [&call] { return call.cancelled(); };
        if (settings_.sandbox == Sandbox::kOff) {
            spec.executable = bash_;
            spec.args = {"-c", command};
        } else {
            spec.executable = bwrap_;
            spec.args = bwrap_args(settings_.sandbox, settings_.network, root, bash_, command);
        }
        RunResult r;
        try {
            r = run_process(spec);
        } catch (const std::runtime_error& e) {
            throw ahp::Error("exec_failed", e.what());
        }
        if (settings_.sandbox != Sandbox::kOff) check_sandbox_started(r);
        return to_json(r, timeout_ms);
    }

    /// bwrap reports a failed setup (no user namespaces, a mount refused) on stderr as
    /// "bwrap: …" and exits 1 before the command ran: that is an error, never a result.
    void check_sandbox_started(const RunResult& r) const {
        constexpr std::string_view kPrefix = "bwrap: ";
        if (r.stop != StopReason::kExited || r.exit_code != 1 ||
            r.stderr_text.compare(0, kPrefix.size(), kPrefix) != 0) {
            return;
        }
        std::string first = r.stderr_text.substr(0, r.stderr_text.find('\n'));
        throw ahp::Error("sandbox_failed", "the bash sandbox '" + settings_.sandbox_name +
                                               "' could not be set up, so the command did not run: " + first);
    }

    json::value to_json(const RunResult& r, std::int64_t timeout_ms) const {
        json::object o{{"exit_code", r.exit_code},
                       {"stdout", r.stdout_text},
                       {"stderr", r.stderr_text},
                       {"timed_out", r.stop == StopReason::kTimedOut},
                       {"cancelled", r.stop == StopReason::kCancelled},
                       {"truncated", r.truncated},
                       {"duration_ms", r.duration.count()}};
        std::string note;
        switch (r.stop) {
            case StopReason::kTimedOut:
                note = "timed out after " + std::to_string(timeout_ms) +
                       " ms: the command and every process it started were killed";
                break;
            case StopReason::kCancelled:
                note = "interrupted by the user: the command and every process it started were killed";
                break;
            case StopReason::kOutputLimit:
                note = "killed: the output passed the " + mib(settings_.max_output_bytes) + " limit (stdout " +
                       std::to_string(r.stdout_bytes) + " bytes, stderr " + std::to_string(r.stderr_bytes) + " bytes)";
                break;
            case StopReason::kExited:
                if (r.signal != 0) {
                    const char* abbrev = ::sigabbrev_np(r.signal);
                    note = "ended by signal " + std::to_string(r.signal) +
                           (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
                }
                break;
        }
        if (!note.empty()) o["note"] = note;
        return o;
    }

    Settings settings_;
    std::string bash_;
    std::string bwrap_;
};

}  // namespace

AHP_PLUGIN(BashPlugin, "bash", "1.0.0")
