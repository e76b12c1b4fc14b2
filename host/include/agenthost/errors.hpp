// Typed errors the host throws for untrusted input; front ends catch them (DESIGN §10).
#pragma once

#include <agenthost/export.hpp>

#include <stdexcept>
#include <string>

namespace agenthost {

/// Bad configuration: a manifest, harness, flag or script. The message names the file, the
/// field and what was expected.
class AGENTHOST_API ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A request the host refuses to serve (unknown session, unknown command, busy session).
class AGENTHOST_API UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace agenthost
