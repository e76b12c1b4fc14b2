#include "plugins/model_ref.hpp"

#include <agenthost/errors.hpp>

#include <algorithm>

namespace agenthost {

ModelRef parse_model_ref(const std::string& reference) {
    ModelRef ref;
    const std::size_t slash = reference.find('/');
    if (slash == std::string::npos) {
        ref.driver = reference;
    } else {
        ref.driver = reference.substr(0, slash);
        ref.model = reference.substr(slash + 1);
        if (ref.model.empty()) throw ConfigError("model '" + reference + "': expected PROVIDER/MODEL or a driver id");
    }
    if (ref.driver.empty()) throw ConfigError("model '" + reference + "': expected PROVIDER/MODEL or a driver id");
    return ref;
}

DriverModels driver_models(const PluginInstance& driver) {
    DriverModels out;
    const boost::json::value* info = driver.description().if_contains("driver");
    if (!info || !info->is_object()) return out;
    if (const boost::json::value* m = info->get_object().if_contains("models"); m && m->is_array()) {
        for (const boost::json::value& name : m->get_array()) {
            if (name.is_string() && !name.get_string().empty()) out.models.emplace_back(name.get_string());
        }
    }
    if (const boost::json::value* o = info->get_object().if_contains("other_models"); o && o->is_bool()) {
        out.other_models = o->get_bool();
    }
    if (const boost::json::value* d = info->get_object().if_contains("default_model"); d && d->is_string()) {
        out.default_model = std::string(d->get_string());
    }
    return out;
}

std::string resolve_model(const ModelRef& ref, const PluginInstance& driver) {
    DriverModels known = driver_models(driver);
    if (ref.model.empty()) return known.default_model.empty() ? ref.driver : known.default_model;
    if (known.models.empty() || known.other_models || ref.model == known.default_model ||
        std::find(known.models.begin(), known.models.end(), ref.model) != known.models.end()) {
        return ref.model;
    }
    std::string names;
    for (const std::string& m : known.models) names += (names.empty() ? "" : ", ") + m;
    throw ConfigError("model '" + ref.driver + "/" + ref.model + "': driver '" + ref.driver + "' does not serve '" +
                      ref.model + "'; it serves " + names);
}

std::string model_label(const std::string& driver, const std::string& model) {
    return model == driver ? driver : driver + "/" + model;
}

}  // namespace agenthost
