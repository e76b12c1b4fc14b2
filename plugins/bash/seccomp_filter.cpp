#include "seccomp_filter.hpp"

#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace bash_plugin {

namespace {

/// Refused with EPERM. A name this libseccomp or architecture does not know is skipped.
constexpr const char* kDenied[] = {
    // mounts and the root
    "mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "chroot",
    // namespaces
    "unshare", "setns",
    // other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    // the kernel itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf", "perf_event_open",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "iopl", "ioperm", "lookup_dcookie",
    "open_by_handle_at", "name_to_handle_at", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register",
    // keyrings
    "keyctl", "add_key", "request_key"};

[[noreturn]] void fail(const char* step, int rc) {
    throw std::runtime_error(std::string("seccomp filter: ") + step + " failed: " + std::strerror(rc < 0 ? -rc : rc));
}

}  // namespace

std::string seccomp_program() {
    std::unique_ptr<void, decltype(&::seccomp_release)> ctx(::seccomp_init(SCMP_ACT_ALLOW), &::seccomp_release);
    if (!ctx) throw std::runtime_error("seccomp filter: seccomp_init failed");
    for (const char* name : kDenied) {
        int nr = ::seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) continue;
        if (int rc = ::seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0); rc != 0) fail(name, rc);
    }
    // Typing into the terminal of whoever started agenthost.
    for (unsigned long request : {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)}) {
        int rc = ::seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                                    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFul, request));
        if (rc != 0) fail("ioctl", rc);
    }
    int fd = ::memfd_create("agenthost-seccomp", MFD_CLOEXEC);
    if (fd < 0) fail("memfd_create", errno);
    std::unique_ptr<int, void (*)(int*)> guard(&fd, [](int* f) { ::close(*f); });
    if (int rc = ::seccomp_export_bpf(ctx.get(), fd); rc != 0) fail("seccomp_export_bpf", rc);
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size <= 0) fail("lseek", errno);
    std::string program(static_cast<std::size_t>(size), '\0');
    if (::pread(fd, program.data(), program.size(), 0) != size) fail("pread", errno);
    return program;
}

}  // namespace bash_plugin
