#include "cli/signal_watcher.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cstring>

namespace agenthost::cli {

SignalWatcher::SignalWatcher(std::initializer_list<int> signals, std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)) {
    sigemptyset(&set_);
    for (int s : signals) {
        sigaddset(&set_, s);
        if (wake_signal_ == 0) wake_signal_ = s;
    }
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] {
        int sig = 0;
        while (sigwait(&set_, &sig) == 0) {
            if (stopping_) return;
            on_signal_(sig);
        }
    });
}

SignalWatcher::~SignalWatcher() {
    stopping_ = true;
    pthread_kill(thread_.native_handle(), wake_signal_);
    thread_.join();
}

void write_stderr_now(const char* what) {
    static constexpr char kPrefix[] = "agenthost: ";
    (void)!::write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
    (void)!::write(STDERR_FILENO, what, std::strlen(what));
    (void)!::write(STDERR_FILENO, "\n", 1);
}

}  // namespace agenthost::cli
