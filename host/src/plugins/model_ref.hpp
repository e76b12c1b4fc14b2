// A model reference ("provider/model", or a bare driver id such as "llmsim" or "openai") and
// how a driver's describe answer ({driver: {models, default_model}}) resolves it.
#pragma once

#include "plugins/plugin_instance.hpp"

#include <string>
#include <vector>

namespace agenthost {

/// A model reference split into the driver plugin's id and the model it names (empty: the
/// driver's default).
struct ModelRef {
    std::string driver;
    std::string model;
};

/// Split "provider/model" or a bare driver id; ConfigError names the reference when either half
/// is empty.
ModelRef parse_model_ref(const std::string& reference);

/// The models a driver's describe answer lists (empty: it accepts any name) and its default
/// (empty: none), read defensively from whatever the plugin answered.
struct DriverModels {
    std::vector<std::string> models;
    bool other_models = false;  ///< the list is what it knows of; other names go to the provider
    std::string default_model;
};
/// What `driver` says it serves.
DriverModels driver_models(const PluginInstance& driver);

/// The model name `ref` asks `driver` for: the named one, or for a bare id the driver's
/// default_model (the id itself when it has none). ConfigError naming the known models when the
/// driver lists its models and neither they nor its default are this one.
std::string resolve_model(const ModelRef& ref, const PluginInstance& driver);

/// "driver/model", or just "driver" when the model is the driver's own name (llmsim).
std::string model_label(const std::string& driver, const std::string& model);

}  // namespace agenthost
