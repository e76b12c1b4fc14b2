// The host services a session offers its plugins through host->request (DESIGN §3).
#pragma once

#include "core/approval_gate.hpp"
#include "core/config.hpp"
#include "core/session.hpp"

namespace agenthost {

/// storage.*, secret.get, connection.get, approval.ask (through `gate`), fs.* and network.check for one session,
/// under the given effective network access list.
std::unique_ptr<ServiceRouter> make_session_services(const RuntimeConfig& config, Session& session,
                                                     ApprovalGate& gate, NetworkAccessList network_access);

}  // namespace agenthost
