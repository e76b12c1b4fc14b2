// The model providers' settings (ANTHROPIC_API_KEY, OPENAI_BASE_URL, …): read from the
// environment once, at start-up, then wiped from it, so no process of the same user (a bash
// command reading /proc/<host pid>/environ) finds them. The host hands them to the driver
// plugins through their config; the keys are registered with the redactor.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost {

/// What of a provider variable is secret.
enum class SecretPart {
    kNone,
    kValue,           ///< the whole value (a key)
    kUrlCredentials,  ///< the user:password of a URL, if it has one
};

/// One environment variable the host reads for a driver plugin, and the config field it fills.
struct ProviderVariable {
    std::string_view variable;
    std::string_view driver;
    std::string_view field;
    SecretPart secret;
};

/// Every provider variable the host takes from the environment.
inline constexpr ProviderVariable kProviderVariables[] = {
    {"ANTHROPIC_API_KEY", "anthropic", "api_key", SecretPart::kValue},
    {"ANTHROPIC_BASE_URL", "anthropic", "base_url", SecretPart::kUrlCredentials},
    {"OPENAI_API_KEY", "openai", "api_key", SecretPart::kValue},
    {"OPENAI_BASE_URL", "openai", "base_url", SecretPart::kUrlCredentials},
    {"AGENTHOST_OPENAI_API", "openai", "api", SecretPart::kNone},
};

/// The provider variables as they were when the process started.
class ProviderEnvironment {
public:
    /// The first call reads every kProviderVariables entry that is set (and not empty),
    /// registers the secret ones with Redactor::global(), overwrites their values in place in the
    /// environment block (what /proc/self/environ shows) and unsets them. Later calls return
    /// the same capture. Call it before any thread starts (getenv/unsetenv are not thread-safe).
    static const ProviderEnvironment& take();
    /// What take() captured if the process took it (the CLI does, at start); otherwise the
    /// variables as they are now, read without wiping them: an embedder's environment is its
    /// own, and it may set them between two builds. The secret ones are registered either way.
    static ProviderEnvironment current();

    /// A variable's value, or nullopt if it was not set.
    std::optional<std::string> get(std::string_view variable) const;
    /// The config fields the captured variables give `driver` ({"api_key": …, "base_url": …}).
    boost::json::object driver_config(std::string_view driver) const;

private:
    std::map<std::string, std::string, std::less<>> values_;
};

/// Overwrite `name`'s value in place with NUL bytes, then unset it; returns the old value.
/// What /proc/<pid>/environ shows is the block the process started with, which unsetenv alone
/// leaves as it was.
std::optional<std::string> wipe_environment_variable(const char* name);

}  // namespace agenthost
