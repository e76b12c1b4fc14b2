// The instructions.files host service (permission fs.read), read by the instructions plugin.
#pragma once

#include "core/session.hpp"
#include "plugins/plugin_instance.hpp"

namespace agenthost {

/// Add instructions.files {names} -> {files: [{path, scope: user|repository|workspace, content}]},
/// broadest first.
void add_instructions_service(ServiceRouter& router, Session& session);

}  // namespace agenthost
