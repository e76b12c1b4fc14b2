// What libagenthost.so exports. The build hides every symbol (-fvisibility=hidden); the public
// classes and functions of include/agenthost/ are marked AGENTHOST_API, so an embedder links
// them and an exception thrown inside the library is caught by type outside it.
#pragma once

/// Exported from libagenthost.so (and default-visible wherever the runtime is linked).
#define AGENTHOST_API __attribute__((visibility("default")))
