#include "process_runner.hpp"

#include "output_capture.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/process/v2/default_launcher.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace bash_plugin {

namespace {

namespace asio = boost::asio;
namespace bp2 = boost::process::v2;
using Clock = std::chrono::steady_clock;

/// How often cancellation, the deadline and (without pidfd) the exit are checked.
constexpr std::chrono::milliseconds kTick{5};
/// How long output is still read after the command ended and its group was killed: only a
/// process that left the group (setsid) can keep a pipe open longer.
constexpr std::chrono::milliseconds kDrainGrace{250};
/// How long a killed PID namespace may take to empty before the result says it did not.
constexpr std::chrono::milliseconds kNamespaceGrace{5000};
constexpr std::size_t kChunk = 64 * 1024;

/// Child-side setup, run between fork and exec: a new session (so the child leads its own
/// process group and has no controlling terminal), SIGKILL when the thread that started it
/// dies (agenthost killed), default signal dispositions and an empty signal mask (a host that
/// ignores SIGPIPE must not pass that on: `yes | head` relies on it).
struct ChildSetup {
    pid_t parent = ::getpid();
    template <class Launcher>
    bp2::error_code on_exec_setup(Launcher&, const bp2::filesystem::path&, const char* const*) {
        if (::setsid() == -1) return bp2::error_code(errno, boost::system::system_category());
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return bp2::error_code(errno, boost::system::system_category());
        if (::getppid() != parent) return bp2::error_code(ESRCH, boost::system::system_category());
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for KILL/STOP
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        return {};
    }
};

/// The child's environment. (bp2::process_environment's on_setup is missing from 1.81's
/// header-only build: impl/environment.ipp is only compiled into src.hpp.)
struct Environment {
    explicit Environment(const std::vector<std::string>& vars) {
        for (const auto& v : vars) ptrs.push_back(v.c_str());
        ptrs.push_back(nullptr);
    }
    bp2::error_code on_setup(bp2::posix::default_launcher& launcher, const bp2::filesystem::path&, const char* const*) {
        launcher.env = ptrs.data();
        return {};
    }
    std::vector<const char*> ptrs;
};

/// Descriptors the child keeps under their own numbers (they are close-on-exec here).
struct InheritFds {
    const std::vector<int>& fds;
    bp2::error_code on_setup(bp2::posix::default_launcher& launcher, const bp2::filesystem::path&, const char* const*) {
        launcher.fd_whitelist.insert(launcher.fd_whitelist.end(), fds.begin(), fds.end());
        return {};
    }
    bp2::error_code on_exec_setup(bp2::posix::default_launcher&, const bp2::filesystem::path&, const char* const*) {
        for (int fd : fds) {
            if (::fcntl(fd, F_SETFD, 0) != 0) return bp2::error_code(errno, boost::system::system_category());
        }
        return {};
    }
};

/// One output pipe and what was read from it.
struct Stream {
    explicit Stream(asio::io_context& ctx, std::size_t keep) : pipe(ctx), buffer(keep) {}
    asio::readable_pipe pipe;
    HeadTailBuffer buffer;
    std::array<char, kChunk> chunk{};
    bool eof = false;
};

class Runner {
public:
    explicit Runner(const RunSpec& spec) : spec_(spec), out_(ctx_, spec.keep_bytes), err_(ctx_, spec.keep_bytes) {}
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    ~Runner() {
        // Only reached unreaped when something threw: never leave the group running.
        if (proc_ && !reaped_) {
            ::kill(-pid_, SIGKILL);
            kill_namespace();
            bp2::error_code ec;
            proc_->wait(ec);
        }
        if (proc_) proc_->detach();  // reaped: its destructor must not waitpid a reused pid
        if (init_fd_ >= 0) ::close(init_fd_);
    }

    RunResult run() {
        Clock::time_point start = Clock::now();
        launch();
        if (spec_.on_started) spec_.on_started();
        Clock::time_point deadline = start + spec_.timeout;
        auto work = asio::make_work_guard(ctx_);
        read(out_);
        read(err_);
        watch_exit();
        watch_namespace();
        Clock::time_point drain_deadline{};
        for (;;) {
            ctx_.run_one_for(kTick);
            Clock::time_point now = Clock::now();
            if (!exited_ && !pidfd_) exited_ = exited_now();
            if (!exited_ && !killed_) {
                if (total_ > spec_.max_output_bytes) {
                    stop(StopReason::kOutputLimit);
                } else if (now >= deadline) {
                    stop(StopReason::kTimedOut);
                } else if (spec_.cancelled && spec_.cancelled()) {
                    stop(StopReason::kCancelled);
                }
            }
            if (exited_ && !reaped_) {
                ::kill(-pid_, SIGKILL);  // whatever it left behind; the unreaped leader pins the pgid
                reap();
                drain_deadline = Clock::now() + kDrainGrace;
            }
            if (reaped_ && ((out_.eof && err_.eof) || now >= drain_deadline)) break;
        }
        result_.contained = namespace_gone();
        result_.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        finish(work);
        return std::move(result_);
    }

private:
    void launch() {
        bp2::error_code ec;
        proc_.emplace(bp2::posix::default_launcher()(ctx_.get_executor(), ec, bp2::filesystem::path(spec_.executable),
                                                     spec_.args, bp2::process_stdio{nullptr, out_.pipe, err_.pipe},
                                                     bp2::process_start_dir{spec_.cwd}, Environment(spec_.env),
                                                     InheritFds{spec_.inherit_fds}, ChildSetup{}));
        if (ec) {
            proc_.reset();
            throw std::runtime_error("cannot start " + spec_.executable + " in " + spec_.cwd + ": " + ec.message());
        }
        pid_ = proc_->id();
    }

    void read(Stream& s) {
        s.pipe.async_read_some(asio::buffer(s.chunk), [this, &s](const bp2::error_code& ec, std::size_t n) {
            if (n > 0) {
                s.buffer.append(std::string_view(s.chunk.data(), n));
                total_ += n;
            }
            if (ec) {
                s.eof = true;
                return;
            }
            read(s);
        });
    }

    /// Wait for the exit without reaping (a pidfd turns readable), so the group can still be
    /// killed by its id while the leader is a zombie. Without pidfd, the loop polls instead.
    void watch_exit() {
        int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        if (fd < 0) return;
        bp2::error_code ec;
        exit_fd_.assign(fd, ec);
        if (ec) {
            ::close(fd);
            return;
        }
        pidfd_ = true;
        exit_fd_.async_wait(asio::posix::descriptor_base::wait_read, [this](const bp2::error_code& e) {
            if (!e) exited_ = true;
        });
    }

    /// Read bwrap's --info-fd to its end; its "child-pid" is the PID namespace's init, watched
    /// from then on through a pidfd (so a reused pid is never mistaken for it).
    void watch_namespace() {
        if (spec_.namespace_info_fd < 0) return;
        int fd = ::fcntl(spec_.namespace_info_fd, F_DUPFD_CLOEXEC, 0);
        bp2::error_code ec;
        if (fd >= 0) info_.assign(fd, ec);
        if (fd < 0 || ec) {
            if (fd >= 0) ::close(fd);
            info_eof_ = true;
            info_failed_ = true;
            return;
        }
        read_info();
    }

    void read_info() {
        info_.async_read_some(asio::buffer(info_chunk_), [this](const bp2::error_code& ec, std::size_t n) {
            if (n > 0 && info_text_.size() < 4096) info_text_.append(info_chunk_.data(), n);
            if (!ec) return read_info();
            info_eof_ = true;
            std::size_t key = info_text_.find("\"child-pid\"");
            std::size_t colon = key == std::string::npos ? key : info_text_.find(':', key);
            if (colon == std::string::npos) return;
            long pid = std::strtol(info_text_.c_str() + colon + 1, nullptr, 10);
            if (pid <= 0) return;
            init_pid_ = static_cast<pid_t>(pid);
            int fd = static_cast<int>(::syscall(SYS_pidfd_open, init_pid_, 0));
            if (fd >= 0) {
                init_fd_ = fd;
            } else if (errno == ESRCH) {
                init_reaped_ = true;
            }
            if (killed_) kill_namespace();
        });
    }

    void kill_namespace() {
        if (init_fd_ >= 0) ::syscall(SYS_pidfd_send_signal, init_fd_, SIGKILL, nullptr, 0);
    }

    /// Whether every process in the command's PID namespace is gone: its init has exited (the
    /// kernel kills and reaps the rest before that), or bwrap never made one. Without a
    /// namespace nothing can be claimed about processes that left the group.
    bool namespace_gone() {
        if (spec_.namespace_info_fd < 0 || info_failed_) return false;
        Clock::time_point until = Clock::now() + kNamespaceGrace;
        while (!info_eof_ && Clock::now() < until) ctx_.run_one_for(kTick);  // ends with bwrap
        if (!info_eof_) return false;
        if (info_text_.empty()) return true;  // bwrap stopped before it made the namespace
        if (init_reaped_) return true;
        if (init_fd_ < 0) return false;
        pollfd p{init_fd_, POLLIN, 0};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        return ::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0))) == 1;
    }

    bool exited_now() const {
        siginfo_t info{};
        if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
        return info.si_pid != 0;
    }

    void stop(StopReason reason) {
        result_.stop = reason;
        killed_ = true;
        ::kill(-pid_, SIGKILL);
        kill_namespace();
    }

    void reap() {
        bp2::error_code ec;
        proc_->wait(ec);
        reaped_ = true;
        int status = proc_->native_exit_code();
        if (WIFEXITED(status)) {
            result_.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            result_.signal = WTERMSIG(status);
            result_.exit_code = 128 + result_.signal;
        }
    }

    template <class Work>
    void finish(Work& work) {
        bp2::error_code ec;
        out_.pipe.close(ec);
        err_.pipe.close(ec);
        exit_fd_.close(ec);
        info_.close(ec);
        work.reset();
        ctx_.restart();
        ctx_.poll();  // let the cancelled handlers run while everything they touch is alive
        result_.stdout_text = out_.buffer.render();
        result_.stderr_text = err_.buffer.render();
        result_.stdout_bytes = out_.buffer.total_bytes();
        result_.stderr_bytes = err_.buffer.total_bytes();
        result_.truncated = out_.buffer.truncated() || err_.buffer.truncated();
    }

    const RunSpec& spec_;
    asio::io_context ctx_;
    Stream out_;
    Stream err_;
    asio::posix::stream_descriptor exit_fd_{ctx_};
    asio::posix::stream_descriptor info_{ctx_};
    std::array<char, 512> info_chunk_{};
    std::string info_text_;
    bool info_eof_ = false;
    bool info_failed_ = false;
    pid_t init_pid_ = -1;
    int init_fd_ = -1;  // the namespace init's pidfd
    bool init_reaped_ = false;
    std::optional<bp2::process> proc_;
    pid_t pid_ = -1;
    bool pidfd_ = false;
    bool exited_ = false;
    bool killed_ = false;
    bool reaped_ = false;
    std::uint64_t total_ = 0;
    RunResult result_;
};

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = other.release();
    }
    return *this;
}

int UniqueFd::release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

void UniqueFd::reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Pipe Pipe::make() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("cannot make a pipe: ") + std::strerror(errno));
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

RunResult run_process(const RunSpec& spec) {
    Runner runner(spec);
    return runner.run();
}

}  // namespace bash_plugin
