// What the attack suites of tests/security share: a workspace, a data folder and a home for a
// real `agenthost run`, llmsim scripts and harness files written into them, and reading the
// session log back.
#pragma once

#include "support/cli_runner.hpp"
#include "support/test_env.hpp"

#include <boost/json.hpp>

#include <dirent.h>

#include <chrono>
#include <functional>
#include <random>
#include <thread>

namespace agenthost::test {

/// A random token of lowercase letters and digits (so planted values are unique to a run).
inline std::string random_token(std::size_t n = 16) {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += kChars[rd() % (sizeof kChars - 1)];
    return out;
}

/// One `agenthost run` setting: home, workspace, data folder, script and harness files.
class RunSetup {
public:
    RunSetup() { fs::create_directories(ws_.path()); }

    const fs::path& workspace() const { return ws_.path(); }
    const fs::path& home() const { return home_.path(); }
    fs::path data() const { return home_ / "data"; }

    /// Write the llmsim script.
    void script(const boost::json::array& responses) {
        write_file(home_ / "script.json", boost::json::serialize(boost::json::object{{"responses", responses}}));
    }
    /// Write a harness file with these capabilities (ids or {id, config}).
    void harness(const boost::json::array& capabilities) {
        write_file(home_ / "harness.json",
                   boost::json::serialize(boost::json::object{{"name", "harness"},
                                                              {"system_prompt", "test"},
                                                              {"capabilities", capabilities}}));
    }
    /// `run -p PROMPT` with llmsim, the harness file, auto approvals, this workspace and data folder.
    std::vector<std::string> run_args(const std::string& prompt, const std::string& format = "stream-json") const {
        return {"run", "-p", prompt, "--model", "llmsim", "--harness", (home_ / "harness.json").string(),
                "--approval", "auto", "--llmsim-script", (home_ / "script.json").string(), "--workspace",
                ws_.path().string(), "--data-dir", data().string(), "--output-format", format};
    }

    /// The only session log in the data folder, whole.
    std::string session_log() const {
        for (const auto& e : fs::directory_iterator(data() / "sessions")) {
            if (e.path().extension() == ".jsonl") return read_file(e.path());
        }
        return "";
    }
    /// The session id of the only session.
    std::string session_id() const {
        for (const auto& e : fs::directory_iterator(data() / "sessions")) {
            if (e.path().extension() == ".jsonl") return e.path().stem().string();
        }
        return "";
    }

private:
    TempDir home_;
    TempDir ws_;
};

/// The stored event types of a log, in order.
inline std::vector<std::string> event_types(const std::string& log) {
    std::vector<std::string> out;
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        out.emplace_back(boost::json::parse(line).at("type").as_string());
    }
    return out;
}

/// Wait until `done` holds, checking every 10 ms; false if it still does not after `limit`
/// (a guard against a hang, far longer than the condition takes).
inline bool eventually(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

/// The ids of the processes whose command line contains `marker`.
inline std::vector<int> processes_with(const std::string& marker) {
    std::vector<int> out;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), &::closedir);
    while (const dirent* e = dir ? ::readdir(dir.get()) : nullptr) {
        const std::string name = e->d_name;
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmdline = read_file(fs::path("/proc") / name / "cmdline");
        for (char& c : cmdline) c = c == '\0' ? ' ' : c;
        if (cmdline.find(marker) != std::string::npos) out.push_back(std::stoi(name));
    }
    return out;
}

}  // namespace agenthost::test
