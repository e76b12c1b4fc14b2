#include "base/provider_environment.hpp"

#include "base/redactor.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace agenthost {

std::optional<std::string> wipe_environment_variable(const char* name) {
    char* value = std::getenv(name);
    if (!value) return std::nullopt;
    std::string old(value);
    // getenv points into the "NAME=value" string: the original block for a variable the process
    // started with, a copy of setenv's otherwise. Both are writable.
    std::memset(value, 0, old.size());
    ::unsetenv(name);
    return old;
}

namespace {

/// Register what of `value` is secret.
void register_secret(SecretPart part, const std::string& value) {
    if (part == SecretPart::kValue) Redactor::global().add(value);
    if (part != SecretPart::kUrlCredentials) return;
    const std::size_t scheme = value.find("://");
    const std::size_t from = scheme == std::string::npos ? 0 : scheme + 3;
    const std::size_t at = value.find('@', from);
    if (at == std::string::npos || value.find('/', from) < at) return;
    const std::string userinfo = value.substr(from, at - from);
    Redactor::global().add(userinfo);
    if (std::size_t colon = userinfo.find(':'); colon != std::string::npos) {
        Redactor::global().add(userinfo.substr(colon + 1));
    }
}

}  // namespace

namespace {
std::atomic<const ProviderEnvironment*> g_taken{nullptr};
}  // namespace

ProviderEnvironment ProviderEnvironment::current() {
    if (const ProviderEnvironment* taken = g_taken.load()) return *taken;
    ProviderEnvironment env;
    for (const ProviderVariable& v : kProviderVariables) {
        const char* value = std::getenv(std::string(v.variable).c_str());
        if (!value || !*value) continue;
        register_secret(v.secret, value);
        env.values_.emplace(std::string(v.variable), value);
    }
    return env;
}

const ProviderEnvironment& ProviderEnvironment::take() {
    static const ProviderEnvironment* taken = [] {
        auto* env = new ProviderEnvironment();  // never destroyed: read at any time until exit
        for (const ProviderVariable& v : kProviderVariables) {
            const std::string name(v.variable);
            std::optional<std::string> value = wipe_environment_variable(name.c_str());
            if (!value || value->empty()) continue;
            register_secret(v.secret, *value);
            env->values_.emplace(name, std::move(*value));
        }
        g_taken.store(env);
        return env;
    }();
    return *taken;
}

std::optional<std::string> ProviderEnvironment::get(std::string_view variable) const {
    auto it = values_.find(variable);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

boost::json::object ProviderEnvironment::driver_config(std::string_view driver) const {
    boost::json::object config;
    for (const ProviderVariable& v : kProviderVariables) {
        if (v.driver != driver) continue;
        if (auto value = get(v.variable)) config[v.field] = *value;
    }
    return config;
}

}  // namespace agenthost
