#include "cli/output_channel.hpp"

#include "base/redactor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <streambuf>
#include <string>

namespace agenthost::cli {

namespace {

/// A stream buffer over a descriptor that redacts what it writes. It flushes on every
/// std::flush (std::cerr: after every output), so a secret is caught when one write holds it
/// whole; the events it prints were redacted whole already (Session::emit, the delta stream).
class RedactingFdBuf final : public std::streambuf {
public:
    explicit RedactingFdBuf(int fd) : fd_(fd) {}
    int fd() const { return fd_; }

protected:
    int_type overflow(int_type c) override {
        if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
        buffer_.push_back(traits_type::to_char_type(c));
        if (buffer_.size() >= kFlushAt && !write_out(buffer_.rfind('\n') + 1)) return traits_type::eof();
        return c;
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        buffer_.append(s, static_cast<std::size_t>(n));
        if (buffer_.size() >= kFlushAt && !write_out(buffer_.rfind('\n') + 1)) return 0;
        return n;
    }
    int sync() override { return write_out(buffer_.size()) ? 0 : -1; }

    /// Write the first `n` bytes of the buffer, redacted (a long text in whole lines: a secret
    /// is never cut in two by a flush the writer did not ask for).
    bool write_out(std::size_t n) {
        if (n == 0) return true;  // (no newline yet: rfind + 1 wraps to 0)
        std::string text = clean_text(std::string_view(buffer_).substr(0, n));
        buffer_.erase(0, n);
        std::size_t done = 0;
        while (done < text.size()) {
            ssize_t w = ::write(fd_, text.data() + done, text.size() - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return false;
            done += static_cast<std::size_t>(w);
        }
        return true;
    }

private:
    static constexpr std::size_t kFlushAt = 1 << 16;
    int fd_;
    std::string buffer_;
};

RedactingFdBuf* g_out_buf = nullptr;  // never destroyed: output may be written until exit
std::ostream* g_out = nullptr;

}  // namespace

void take_stdout() {
    if (g_out) return;
    int fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    // fd 1 becomes stderr: what a plugin (or a library) prints there is a diagnostic.
    if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0 && null != STDOUT_FILENO) {
            ::dup2(null, STDOUT_FILENO);
            ::close(null);
        }
    }
    g_out_buf = new RedactingFdBuf(fd);
    g_out = new std::ostream(g_out_buf);
    static RedactingFdBuf* err_buf = new RedactingFdBuf(STDERR_FILENO);
    std::cerr.rdbuf(err_buf);
}

std::ostream& host_out() { return g_out ? *g_out : std::cout; }

int host_out_fd() { return g_out_buf ? g_out_buf->fd() : STDOUT_FILENO; }

std::FILE* host_out_file() {
    static std::FILE* file = [] {
        int fd = ::fcntl(host_out_fd(), F_DUPFD_CLOEXEC, 3);
        std::FILE* f = fd >= 0 ? ::fdopen(fd, "w") : nullptr;
        return f ? f : stdout;
    }();
    return file;
}

}  // namespace agenthost::cli
