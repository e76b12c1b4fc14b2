// The host's own stdout: a private descriptor no plugin can reach. At start-up fd 1 is copied
// to a close-on-exec descriptor for the host's output and then pointed at stderr, so whatever
// a plugin prints (printf, std::cout, write(1, …)) lands on stderr, and stdout holds only what
// the host writes: stream-json envelopes, the json answer, the text of a turn, listings.
#pragma once

#include <cstdio>
#include <ostream>

namespace agenthost::cli {

/// Take fd 1 for the host, and route std::cerr through the redactor. Call first in main,
/// before any plugin is loaded or thread started. If fd 1 was closed, the host's output goes
/// to /dev/null.
void take_stdout();
/// The host's stdout: what it writes here reaches the real stdout, redacted (base/redactor.hpp).
std::ostream& host_out();
/// The descriptor behind host_out() (for isatty), 1 before take_stdout().
int host_out_fd();
/// A stdio stream on the same descriptor (libedit's output), not redacted: it only echoes
/// what the user types.
std::FILE* host_out_file();

}  // namespace agenthost::cli
