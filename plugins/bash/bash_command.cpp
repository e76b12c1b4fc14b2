#include "bash_command.hpp"

#include "output_capture.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace bash_plugin {

bool is_basic_variable(std::string_view name) {
    static constexpr std::string_view kNames[] = {"PATH", "HOME",    "LANG",  "LANGUAGE", "TERM", "USER",
                                                  "LOGNAME", "SHELL", "TMPDIR", "TZ"};
    if (std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames)) return true;
    return name.size() > 3 && name.substr(0, 3) == "LC_";
}

bool is_variable_name(std::string_view name) {
    if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::vector<std::string> child_environment(const char* const* envp, const std::vector<std::string>& passthrough,
                                           const std::string& cwd) {
    std::vector<std::string> out;
    for (; envp && *envp; ++envp) {
        std::string_view entry(*envp);
        std::size_t eq = entry.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        std::string_view name = entry.substr(0, eq);
        if (name == "PWD") continue;
        bool passed = std::find(passthrough.begin(), passthrough.end(), name) != passthrough.end();
        if (passed || is_basic_variable(name)) out.emplace_back(entry);
    }
    out.push_back("PWD=" + cwd);
    return out;
}

std::string approval_summary(std::string_view command) {
    std::string_view first = command.substr(0, command.find('\n'));
    return "run bash: " + std::string(utf8_prefix(first, 200));
}

std::string find_program(std::string_view name, std::string_view path_list) {
    while (true) {
        std::size_t colon = path_list.find(':');
        std::string_view dir = path_list.substr(0, colon);
        if (!dir.empty() && dir.front() == '/') {
            std::string candidate = std::string(dir) + "/" + std::string(name);
            struct stat st {};
            if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
                return candidate;
            }
        }
        if (colon == std::string_view::npos) return "";
        path_list.remove_prefix(colon + 1);
    }
}

}  // namespace bash_plugin
