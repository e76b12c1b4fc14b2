// The agent loop (DESIGN §6): input, then reason (hooks, driver.chat) and act (tool calls)
// until the model answers without tool calls, max_iterations, a failure or an interrupt.
#pragma once

#include "core/config.hpp"
#include "core/session.hpp"

namespace boost::asio {
class thread_pool;
}

namespace agenthost {

/// Everything one session needs from its runtime while a turn runs.
struct TurnEnvironment {
    const RuntimeConfig& config;
    Session& session;
    const ServiceRouter& services;
    boost::asio::thread_pool& workers;
};

/// Run one turn of `text` in the session. The session must have begun the turn. `turn_id`
/// empty: a new UUIDv7.
TurnResult run_agent_turn(TurnEnvironment& env, const std::string& text, const std::string& turn_id = {});

/// After a crash (DESIGN §8): if the session's last turn has no terminal event, give each of its
/// tool calls without a result an error result, each approval without a decision a denial, and
/// the turn a turn.failed with error_code "interrupted", so the session takes a new message at
/// once. Returns the interrupted turn's id, or nullopt when nothing needed repair.
std::optional<std::string> recover_interrupted_turn(Session& session);

/// The system prompt of a turn: harness and agent prompts, then the system_prompt hooks.
std::string assemble_system_prompt(const RuntimeConfig& config, Session& session, const ServiceRouter& services,
                                   const std::string& turn_id);

}  // namespace agenthost
