#include "bash_command.hpp"

#include "output_capture.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace bash_plugin {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

bool is_secret_name(std::string_view name) {
    static constexpr std::string_view kParts[] = {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"};
    static constexpr std::string_view kPrefixes[] = {"ANTHROPIC_", "OPENAI_", "AWS_", "AGENTHOST_"};
    std::string n = upper(name);
    for (std::string_view part : kParts) {
        if (n.find(part) != std::string::npos) return true;
    }
    for (std::string_view prefix : kPrefixes) {
        if (std::string_view(n).substr(0, prefix.size()) == prefix) return true;
    }
    return false;
}

std::vector<std::string> scrubbed_environment(const char* const* envp, const std::vector<std::string>& passthrough) {
    std::vector<std::string> out;
    for (; envp && *envp; ++envp) {
        std::string_view entry(*envp);
        std::size_t eq = entry.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        std::string_view name = entry.substr(0, eq);
        bool allowed = std::find(passthrough.begin(), passthrough.end(), name) != passthrough.end();
        if (allowed || !is_secret_name(name)) out.emplace_back(entry);
    }
    return out;
}

std::vector<std::string> bwrap_args(Sandbox mode, bool network, const std::string& root, const std::string& bash,
                                    const std::string& command) {
    std::vector<std::string> a = {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"};
    // After --tmpfs /tmp, so a workspace under /tmp is still there.
    a.insert(a.end(), {mode == Sandbox::kWorkspaceWrite ? "--bind" : "--ro-bind", root, root});
    if (!network) a.emplace_back("--unshare-net");
    a.insert(a.end(),
             {"--unshare-pid", "--die-with-parent", "--new-session", "--chdir", root, "--", bash, "-c", command});
    return a;
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
