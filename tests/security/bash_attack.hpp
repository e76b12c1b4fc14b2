// Attacking the bash tool the way it was attacked (issue 11): the real agenthost binary, its
// scripted model calling bash once, run as root or as an unprivileged user, and /proc searched
// for what a command left behind.
#pragma once

#include "support/cli_runner.hpp"

#include <boost/json.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace agenthost::test {

/// Who runs agenthost: the test's own user (root here), or nobody/nogroup through setpriv.
enum class RunAs { kSelf, kUnprivileged };

/// The id an unprivileged run uses (nobody, nogroup on Debian).
constexpr uid_t kNobodyId = 65534;

inline const char* run_as_name(RunAs who) { return who == RunAs::kSelf ? "self" : "unprivileged"; }

/// Whether `who` can be used here, and why not. kUnprivileged needs root (to switch) and setpriv.
inline bool can_run_as(RunAs who, std::string& why) {
    if (who == RunAs::kSelf) return true;
    if (::geteuid() != 0) return why = "dropping to nobody needs the tests to run as root", false;
    if (::access("/usr/bin/setpriv", X_OK) != 0) return why = "setpriv (util-linux) is not installed", false;
    return true;
}

/// Whether bubblewrap is installed and can make its namespaces as `who` (the sandbox tests
/// skip with this reason, e.g. inside a container that forbids user namespaces).
inline bool bwrap_works_as(RunAs who, std::string& why) {
    if (!can_run_as(who, why)) return false;
    if (::access("/usr/bin/bwrap", X_OK) != 0) return why = "bubblewrap (/usr/bin/bwrap) is not installed", false;
    std::string prefix = who == RunAs::kSelf ? "" : "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    std::string probe = prefix + "bwrap --unshare-all --unshare-user --ro-bind / / --proc /proc true >/dev/null 2>&1";
    if (std::system(probe.c_str()) != 0) return why = "bwrap cannot make user and PID namespaces here", false;
    return true;
}

/// The argv prefix that runs a program as `who`.
inline std::vector<std::string> as_user(RunAs who) {
    if (who == RunAs::kSelf) return {};
    return {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
}

/// Run `sh -c script` as `who` with HOME=`home`; its exit status.
inline int shell_as(RunAs who, const std::string& script, const fs::path& home) {
    std::string line = "HOME='" + home.string() + "' ";
    for (const std::string& a : as_user(who)) line += a + " ";
    line += "sh -c '" + std::regex_replace(script, std::regex("'"), "'\\''") + "'";
    return std::system(line.c_str());
}

/// A temporary folder `who` owns.
class OwnedDir : public TempDir {
public:
    explicit OwnedDir(RunAs who) {
        if (who == RunAs::kUnprivileged && ::chown(path().c_str(), kNobodyId, kNobodyId) != 0) {
            throw std::runtime_error("cannot chown " + path().string() + " to nobody");
        }
    }
};

/// The processes alive now whose command line contains `marker` (a zombie's is empty).
inline std::vector<pid_t> processes_with(const std::string& marker) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        // read(2), not a stream: a process that exits meanwhile fails the read with ESRCH.
        int fd = ::open((e.path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        std::string cmdline;
        char buf[4096];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) cmdline.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        if (cmdline.find(marker) != std::string::npos) out.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return out;
}

/// Wait (up to `limit`) until `done()`; whether it happened. For events that are asynchronous
/// by nature (a SIGKILL delivered, a process started), never to judge how fast something is.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    for (auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

/// Kill whatever a failed test left running, so it does not outlive the test either.
inline void kill_leftovers(const std::string& marker) {
    for (pid_t p : processes_with(marker)) ::kill(p, SIGKILL);
}

/// A marker unique to this test process and call: "ahsec<pid>x<n>".
inline std::string unique_marker() {
    static int n = 0;
    return "ahsec" + std::to_string(::getpid()) + "x" + std::to_string(++n);
}

/// The `data` of every tool.completed event in stream-json output.
inline std::vector<boost::json::object> tool_results(const std::string& stream) {
    std::vector<boost::json::object> out;
    std::size_t pos = 0;
    while (pos < stream.size()) {
        std::size_t nl = stream.find('\n', pos);
        std::string line = stream.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? stream.size() : nl + 1;
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(line, ec);
        if (ec || !v.is_object()) continue;
        const auto& o = v.as_object();
        if (o.contains("type") && o.at("type") == "tool.completed" && o.contains("data") && o.at("data").is_object()) {
            out.push_back(o.at("data").as_object());
        }
    }
    return out;
}

/// One `agenthost run` whose model calls bash once with a command, then says "done": a home,
/// a data folder and a workspace owned by `who`.
class AgentRun {
public:
    explicit AgentRun(RunAs who) : who_(who), home_(who), ws_(who) {}

    /// The workspace folder (--workspace).
    const fs::path& workspace() const { return ws_.path(); }
    /// The home folder (HOME).
    const fs::path& home() const { return home_.path(); }
    /// The bash call's timeout_ms when positive.
    int timeout_ms = 0;

    /// The argv of `agenthost run` calling bash with `command`, `extra` flags added.
    std::vector<std::string> argv(const std::string& command, const std::vector<std::string>& extra = {},
                                  const std::string& harness = "coding") {
        boost::json::object arguments{{"command", command}};
        if (timeout_ms > 0) arguments["timeout_ms"] = timeout_ms;
        boost::json::object call{{"name", "bash"}, {"arguments", arguments}};
        boost::json::object script{
            {"responses", boost::json::array{boost::json::object{{"tool_calls", boost::json::array{call}}},
                                             boost::json::object{{"text", "done"}}}}};
        fs::path file = home_ / "script.json";
        write_file(file, boost::json::serialize(script));
        if (who_ == RunAs::kUnprivileged) {
            [[maybe_unused]] int rc = ::chown(file.c_str(), kNobodyId, kNobodyId);
        }
        std::vector<std::string> a = as_user(who_);
        std::vector<std::string> rest = {(build_dir() / "agenthost").string(), "run", "-p", "go", "--model", "llmsim",
                                         "--harness", harness, "--workspace", ws_.path().string(), "--approval", "auto",
                                         "--output-format", "stream-json", "--llmsim-script", file.string(),
                                         "--data-dir", (home_ / "data").string()};
        a.insert(a.end(), rest.begin(), rest.end());
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }

    /// Start it in the background with `env` added (stdout and stderr to files in the home).
    pid_t start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}) {
        std::vector<std::string> envs;
        for (char** e = environ; *e; ++e) {
            std::string kv(*e);
            std::string key = kv.substr(0, kv.find('='));
            if (key == "HOME" || key.rfind("ANTHROPIC_", 0) == 0 || key.rfind("OPENAI_", 0) == 0 ||
                key.rfind("XDG_", 0) == 0 || key.rfind("AGENTHOST_", 0) == 0 || env.count(key)) {
                continue;
            }
            envs.push_back(kv);
        }
        envs.push_back("HOME=" + home_.path().string());
        for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
        std::vector<std::string> copy = argv;
        std::vector<char*> args;
        for (auto& a : copy) args.push_back(a.data());
        args.push_back(nullptr);
        std::vector<char*> envp;
        for (auto& e : envs) envp.push_back(e.data());
        envp.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, (home_ / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, (home_ / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        pid_t pid = -1;
        int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) throw std::runtime_error("posix_spawn " + copy[0] + " failed");
        return pid;
    }

    /// Wait for a started run.
    CliResult wait(pid_t pid) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        CliResult r;
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.out = read_file(home_ / "out");
        r.err = read_file(home_ / "err");
        return r;
    }

    /// Run bash once with `command` and return the whole run.
    CliResult run(const std::string& command, const std::vector<std::string>& extra = {},
                  const std::map<std::string, std::string>& env = {}, const std::string& harness = "coding") {
        return wait(start(argv(command, extra, harness), env));
    }

    /// The bash tool's result object of a finished run (an empty object when there was none).
    static boost::json::object bash_result(const CliResult& r) {
        for (const auto& d : tool_results(r.out)) {
            if (d.contains("result") && d.at("result").is_object()) return d.at("result").as_object();
        }
        return {};
    }

    /// A string field of the bash result ("stdout", "stderr", "note").
    static std::string field(const CliResult& r, const char* key) {
        boost::json::object o = bash_result(r);
        const boost::json::value* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    }

private:
    RunAs who_;
    OwnedDir home_;
    OwnedDir ws_;
};

}  // namespace agenthost::test
