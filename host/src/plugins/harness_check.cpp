#include "plugins/harness_check.hpp"

#include "plugins/model_ref.hpp"
#include "plugins/plugin_instance.hpp"

#include <agenthost/errors.hpp>

#include <map>

namespace agenthost {

namespace {

/// The plugin `id` created with `config`, or nullptr with the reason added to `problems`.
std::shared_ptr<PluginInstance> create(PluginCatalog& catalog, const std::string& id, const boost::json::object& config,
                                       const std::string& kind, const std::string& what,
                                       std::vector<std::string>& problems) {
    try {
        auto lib = catalog.load(id);
        if (library_manifest(*lib).kind != kind) {
            problems.push_back(what + ": plugin '" + id + "' is a " + library_manifest(*lib).kind + ", not a " + kind);
            return nullptr;
        }
        return PluginInstance::create(lib, config, nullptr, catalog.log());
    } catch (const PluginError& e) {
        problems.push_back(what + ": " + e.what());
    }
    return nullptr;
}

}  // namespace

std::vector<std::string> harness_problems(const Harness& harness, PluginCatalog& catalog) {
    std::vector<std::string> problems;
    std::map<std::string, std::string> tools;  // tool name -> the capability offering it
    for (const CapabilityRef& c : harness.capabilities) {
        auto inst = create(catalog, c.id, c.config, "capability", "capability '" + c.id + "'", problems);
        if (!inst) continue;
        for (const ToolDescription& t : inst->tools()) {
            auto [it, fresh] = tools.emplace(t.name, c.id);
            if (!fresh)
                problems.push_back("tool '" + t.name + "' is offered by both '" + it->second + "' and '" + c.id + "'");
        }
    }
    if (harness.model) {
        try {
            ModelRef ref = parse_model_ref(*harness.model);
            if (auto driver = create(catalog, ref.driver, {}, "driver", "model '" + *harness.model + "'", problems)) {
                resolve_model(ref, *driver);
            }
        } catch (const ConfigError& e) {
            problems.push_back(e.what());
        }
    }
    return problems;
}

}  // namespace agenthost
