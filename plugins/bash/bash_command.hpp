// What goes around a bash command before it runs: the child's environment (an allow list), the
// approval summary, finding programs on PATH.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bash_plugin {

/// Whether the host variable `name` reaches a command without being named in env_passthrough:
/// PATH, HOME, LANG, LANGUAGE, LC_*, TERM, USER, LOGNAME, SHELL, TMPDIR, TZ.
bool is_basic_variable(std::string_view name);

/// Whether `name` is a valid environment variable name for env_passthrough ([A-Za-z_][A-Za-z0-9_]*).
bool is_variable_name(std::string_view name);

/// The environment a command runs with, built from an allow list: the basic variables and the
/// names in `passthrough` taken from `envp` ("NAME=value", NULL-terminated), then PWD=`cwd`.
/// Every other host variable (keys, tokens, DATABASE_URL, …) stays out, whatever its name.
std::vector<std::string> child_environment(const char* const* envp, const std::vector<std::string>& passthrough,
                                           const std::string& cwd);

/// "run bash: <first line of the command, cut to 200 bytes>".
std::string approval_summary(std::string_view command);

/// The absolute path of an executable `name` on `path_list` (a PATH value), or "".
std::string find_program(std::string_view name, std::string_view path_list);

}  // namespace bash_plugin
