// Run the built agenthost as a real process with a clean environment and captured output.
#pragma once

#include "support/test_env.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <vector>

extern char** environ;

namespace agenthost::test {

/// What a process did.
struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// A started `<build>/agenthost args…` whose stdout and stderr go to files.
class CliProcess {
public:
    /// Start it with HOME set to `home` (so nothing of the user's leaks in), provider keys
    /// removed, `env` added, and stdin from /dev/null.
    CliProcess(const std::vector<std::string>& args, const fs::path& home, const std::map<std::string, std::string>& env = {}) {
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
        envs.push_back("HOME=" + home.string());
        for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
        std::string exe = (build_dir() / "agenthost").string();
        std::vector<char*> argv{exe.data()};
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<char*> envp;
        for (auto& e : envs) envp.push_back(e.data());
        envp.push_back(nullptr);

        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 2, err_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~CliProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    CliProcess(const CliProcess&) = delete;
    CliProcess& operator=(const CliProcess&) = delete;

    /// The process id (-1 if it could not start).
    pid_t pid() const { return pid_; }
    /// What it wrote to stdout so far.
    std::string out() const { return read_file(out_path()); }
    /// What it wrote to stderr so far.
    std::string err() const { return read_file(err_path()); }
    /// Wait for it to end: its exit code (128 + the signal that killed it), output and errors.
    CliResult wait() {
        CliResult r;
        if (pid_ <= 0) {
            r.err = "posix_spawn failed";
            return r;
        }
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.out = out();
        r.err = err();
        return r;
    }

    /// The file its stdout goes to.
    fs::path out_path() const { return io_ / "out"; }
    /// The file its stderr goes to.
    fs::path err_path() const { return io_ / "err"; }

private:
    TempDir io_;
    pid_t pid_ = -1;
};

/// Run `<build>/agenthost args…` to the end (see CliProcess).
inline CliResult run_cli(const std::vector<std::string>& args, const fs::path& home,
                         const std::map<std::string, std::string>& env = {}) {
    return CliProcess(args, home, env).wait();
}

}  // namespace agenthost::test
