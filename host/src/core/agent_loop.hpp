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

/// Run one turn of `text` in the session. The session must have begun the turn.
TurnResult run_agent_turn(TurnEnvironment& env, const std::string& text);

/// The system prompt of a turn: harness and agent prompts, then the system_prompt hooks.
std::string assemble_system_prompt(const RuntimeConfig& config, Session& session, const ServiceRouter& services,
                                   const std::string& turn_id);

}  // namespace agenthost
