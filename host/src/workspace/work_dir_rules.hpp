// Which folders a session may take as its workspace (DESIGN §8 work_dir): never a folder that
// is, holds or sits inside the user's credentials.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace agenthost {

/// The rule `dir` breaks, as a message naming the rule and the path, or nullopt if it may be a
/// workspace: absolute, exists, a folder, no "..", not "/", not `home` itself nor a folder that
/// holds it, and neither inside nor holding (as a child or grandchild) .ssh, .gnupg, .aws, .kube,
/// .docker or .config/gcloud. Checked on the path as given and on where its symlinks lead.
std::optional<std::string> validate_work_dir(const std::filesystem::path& dir, const std::filesystem::path& home);

}  // namespace agenthost
