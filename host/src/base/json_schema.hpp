// A small JSON-schema subset for tool parameters and plugin config: type, properties,
// required, additionalProperties, items, enum, minimum, maximum, minLength, maxLength.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace agenthost {

/// Why `instance` does not match `schema` ("config.threshold: expected integer, got string"),
/// or nullopt. `where` prefixes the path in the message.
std::optional<std::string> schema_violation(const boost::json::value& schema,
                                            const boost::json::value& instance,
                                            const std::string& where);

/// A short rendering of a value for error messages: "an object", "an array", or the JSON text
/// of a scalar cut at 60 characters.
std::string json_excerpt(const boost::json::value& value);

/// Why `schema` is not a usable schema of the supported subset, or nullopt.
std::optional<std::string> schema_problem(const boost::json::value& schema, const std::string& where);

/// The strings of a config that its schema marks secret.
struct SchemaSecrets {
    std::vector<std::string> values;     ///< under "writeOnly": true: the strings are secrets
    std::vector<std::string> env_names;  ///< under "x-secret-env": true: they name variables whose values are
};
/// Collect them from `instance` (which matches `schema`), through properties,
/// additionalProperties and items.
SchemaSecrets schema_secrets(const boost::json::value& schema, const boost::json::value& instance);

}  // namespace agenthost
