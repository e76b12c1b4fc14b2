#include "core/approval_gate.hpp"

namespace agenthost {

ApprovalGate::Verdict ApprovalGate::decide(ApprovalRequest request, const std::string& plugin) {
    request.session_id = session_.id();
    request.approval_id = new_uuid_v7();
    const std::string turn_id = session_.current_turn_id();
    const std::string memo = request.action + '\n' + request.key;
    session_.emit(event_type::kApprovalRequested,
                  json::object{{"approval_id", request.approval_id}, {"action", request.action},
                               {"summary", request.summary}, {"details", request.details}, {"plugin", plugin}},
                  turn_id);
    bool remembered = false;
    {
        std::lock_guard<std::mutex> lock(mu_);
        remembered = !request.key.empty() && always_.count(memo) > 0;
    }
    Verdict v;
    std::string by;
    if (remembered) {
        v.approved = true;
        by = "user:always";
    } else {
        switch (policy_) {
            case ApprovalPolicy::kAuto: v.approved = true, by = "policy:auto"; break;
            case ApprovalPolicy::kDeny: by = "policy:deny"; break;
            case ApprovalPolicy::kAsk: {
                if (!handler_ || session_.cancel_flag().load()) {
                    by = handler_ ? "cancelled" : "policy:no-handler";
                    break;
                }
                ApprovalDecision d = ApprovalDecision::kDeny;
                try {
                    d = handler_(request);
                } catch (const std::exception& e) {  // nobody could be asked: denied, and why
                    by = "unasked";
                    v.reason = e.what();
                    break;
                }
                v.approved = d != ApprovalDecision::kDeny;
                by = d == ApprovalDecision::kApproveAlways ? "user:always" : "user";
                if (d == ApprovalDecision::kApproveAlways && !request.key.empty()) {
                    std::lock_guard<std::mutex> lock(mu_);
                    always_.insert(memo);
                }
                break;
            }
        }
    }
    if (by != "unasked") {
        v.reason = v.approved ? "approved" : by == "user" ? "the user denied it" : "denied by the approval policy (" + by + ")";
    }
    v.by = by;
    session_.emit(event_type::kApprovalDecided,
                  json::object{{"approval_id", request.approval_id}, {"approved", v.approved}, {"by", by},
                               {"reason", v.reason}},
                  turn_id);
    return v;
}

}  // namespace agenthost
