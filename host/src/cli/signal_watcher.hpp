// Signals handled outside a signal handler: blocked in every thread and taken by one thread
// with sigwait, which may then do anything (interrupt a turn, write an event).
#pragma once

#include <atomic>
#include <functional>
#include <initializer_list>
#include <thread>

#include <signal.h>

namespace agenthost::cli {

/// Blocks `signals` in the calling thread (and so in every thread it starts later: construct
/// it before any other thread) and calls `on_signal` on its own thread for each one that
/// arrives. Children started with the bash plugin's runner reset their mask, so they still see
/// the signals. Destroying it stops the thread; the signals stay blocked.
class SignalWatcher {
public:
    SignalWatcher(std::initializer_list<int> signals, std::function<void(int)> on_signal);
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

private:
    sigset_t set_;
    int wake_signal_ = 0;
    std::function<void(int)> on_signal_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

/// The exit status for a run ended by `signal`: 128 + its number (SIGINT 130, SIGTERM 143,
/// SIGHUP 129).
constexpr int exit_status_for_signal(int signal) { return 128 + signal; }

/// Write "agenthost: <what>" to stderr from any thread, without allocating or locking (so also
/// from a signal watcher while other threads hold stream locks).
void write_stderr_now(const char* what);

}  // namespace agenthost::cli
