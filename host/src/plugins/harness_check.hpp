// A harness checked against the plugins it would load: what `harnesses show` reports and what a
// front end can ask before it builds a runtime.
#pragma once

#include "plugins/harness.hpp"
#include "plugins/loader.hpp"

#include <string>
#include <vector>

namespace agenthost {

/// Every reason `harness` would not build with the plugins in `catalog`: a capability that is
/// unknown, refused or not a capability, a config its plugin's config_schema (or the plugin)
/// rejects, a tool name two capabilities offer, and a model whose driver is unknown or does
/// not serve it. Empty when it would build. Runs each plugin's create and describe.
std::vector<std::string> harness_problems(const Harness& harness, PluginCatalog& catalog);

}  // namespace agenthost
