// Host services for the context capabilities (docs/context-services.md): model.complete,
// session_data.*, history.messages, history.compact, skills.user.
#pragma once

#include "core/config.hpp"
#include "core/session.hpp"

namespace agenthost {

/// Add the context services of one session.
void add_context_services(ServiceRouter& router, const RuntimeConfig& config, Session& session);

/// The workspace-style prefix under which every fs.* read sees a session's data folder
/// ("@session/x", "/@session/x", "@session", …: fs_services.cpp routes them all alike).
inline constexpr std::string_view kSessionDataPrefix = "@session/";

}  // namespace agenthost
