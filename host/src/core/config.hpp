// The folded configuration a runtime runs with: harness chain + agent + model, the plugin
// instances it needs, and the policies. Built once by RuntimeBuilder::build, then read-only.
#pragma once

#include "net/network_access.hpp"
#include "plugins/harness.hpp"
#include "plugins/plugin_instance.hpp"

#include <agenthost/runtime.hpp>

#include <boost/asio/thread_pool.hpp>

#include <map>
#include <memory>

namespace agenthost {

/// A tool and the instance that serves it.
struct ToolBinding {
    ToolInfo info;
    std::shared_ptr<PluginInstance> plugin;
};

/// Everything a turn reads.
struct RuntimeConfig {
    Harness harness;
    std::string agent_name;
    std::string agent_prompt;
    std::string model;       ///< as given: "llmsim", "anthropic/claude-…"
    std::string model_name;  ///< sent to the driver: "claude-…"
    std::shared_ptr<PluginInstance> driver;
    std::vector<std::shared_ptr<PluginInstance>> capabilities;  ///< harness order
    std::vector<ToolBinding> tools;
    std::map<std::string, std::size_t, std::less<>> tool_index;  ///< name -> tools[i]
    json::array tools_json;  ///< [{name, description, parameters}] for model requests
    std::string tools_text;  ///< tools_json serialized once
    int max_iterations = 50;
    std::int64_t context_window = 200000;  ///< tokens, from the driver's describe when it says
    NetworkAccessList network_access;  ///< harness narrowed by the agent
    RetryPolicy retry;
    ApprovalPolicy approval_policy = ApprovalPolicy::kDeny;
    ApprovalHandler approval_handler;
    ConnectionResolver connection_resolver;
    Logger logger;  ///< the runtime's own (RuntimeBuilder::log), also its plugin instances'
};

}  // namespace agenthost
