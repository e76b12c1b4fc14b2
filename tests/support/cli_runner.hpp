// Run the built agenthost as a real process with a clean environment and captured output.
#pragma once

#include "support/test_env.hpp"

#include <fcntl.h>
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

/// Run `<build>/agenthost args…` with HOME set to `home` (so nothing of the user's leaks in),
/// provider keys removed, `env` added, and stdin from /dev/null.
inline CliResult run_cli(const std::vector<std::string>& args, const fs::path& home,
                         const std::map<std::string, std::string>& env = {}) {
    TempDir io;
    fs::path out = io / "out", err = io / "err";
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
        std::string kv(*e);
        std::string key = kv.substr(0, kv.find('='));
        if (key == "HOME" || key.rfind("ANTHROPIC_", 0) == 0 || key.rfind("OPENAI_", 0) == 0 || key.rfind("XDG_", 0) == 0 ||
            key.rfind("AGENTHOST_", 0) == 0 || env.count(key)) {
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
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    CliResult r;
    if (posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp.data()) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        r.err = "posix_spawn failed";
        return r;
    }
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
}

}  // namespace agenthost::test
