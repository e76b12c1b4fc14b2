// What goes around a bash command before it runs: the scrubbed environment, the bubblewrap
// command line, the approval summary, finding programs on PATH.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bash_plugin {

/// Whether a variable name looks like a secret: it contains KEY, TOKEN, SECRET, PASSWORD,
/// PASSWD or CREDENTIAL, or starts with ANTHROPIC_, OPENAI_, AWS_ or AGENTHOST_ (any case).
bool is_secret_name(std::string_view name);

/// `envp` ("NAME=value", NULL-terminated) minus secret names, except those in `passthrough`.
std::vector<std::string> scrubbed_environment(const char* const* envp, const std::vector<std::string>& passthrough);

/// The OS sandbox mode (config `sandbox`).
enum class Sandbox { kOff, kReadOnly, kWorkspaceWrite };

/// The bwrap arguments that run `bash -c command` in `root`: the whole file system read-only,
/// fresh /dev, /proc and /tmp, the workspace bound read-only or writable, no network unless
/// `network`, its own pid namespace (so killing bwrap kills everything inside) and session.
std::vector<std::string> bwrap_args(Sandbox mode, bool network, const std::string& root, const std::string& bash,
                                    const std::string& command);

/// "run bash: <first line of the command, cut to 200 bytes>".
std::string approval_summary(std::string_view command);

/// The absolute path of an executable `name` on `path_list` (a PATH value), or "".
std::string find_program(std::string_view name, std::string_view path_list);

}  // namespace bash_plugin
