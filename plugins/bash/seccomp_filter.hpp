// The seccomp filter a sandboxed command runs under (bwrap --seccomp): the system calls that
// change mounts, trace or read other processes, load kernels, modules or BPF programs, reach the
// kernel keyrings, or push input into a terminal fail with EPERM; everything else is allowed.
#pragma once

#include <string>

namespace bash_plugin {

/// The compiled BPF program for this machine's architecture (libseccomp); other
/// architectures' system calls kill the process. Throws std::runtime_error naming the step.
std::string seccomp_program();

}  // namespace bash_plugin
