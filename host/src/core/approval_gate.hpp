// The one approval gate of a session (DESIGN §3, §6): the approval.ask service (bash and any
// plugin) and the approval-gating file store decorator both decide through it, so one policy,
// one handler, one "always" memory and one pair of events cover every destructive action.
#pragma once

#include "core/session.hpp"

#include <agenthost/runtime.hpp>

#include <mutex>
#include <set>

namespace agenthost {

/// Decides approvals for one session under the runtime's policy and records each decision as
/// approval.requested + approval.decided events.
class ApprovalGate {
public:
    ApprovalGate(ApprovalPolicy policy, ApprovalHandler handler, Session& session)
        : policy_(policy), handler_(std::move(handler)), session_(session) {}

    /// A decision and why.
    struct Verdict {
        bool approved = false;
        std::string reason;  ///< "approved", "the user denied it", "denied by the approval policy (…)", or
                             ///< why no one was asked (the handler's exception)
        std::string by;      ///< "user", "user:always", "policy:…", "cancelled", "unasked"
    };

    /// Decide on `request` (session_id and approval_id are filled in here). `request.key`
    /// approved "always" earlier in this session passes without asking again.
    Verdict decide(ApprovalRequest request, const std::string& plugin);

private:
    ApprovalPolicy policy_;
    ApprovalHandler handler_;
    Session& session_;
    std::mutex mu_;
    std::set<std::string> always_;  // action + '\n' + key
};

}  // namespace agenthost
