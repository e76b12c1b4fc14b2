// The Anthropic Messages request body, built from agenthost's canonical model request.
#pragma once

#include <ahp/ahp.hpp>

#include <cstdint>
#include <string>

namespace anthropic {

namespace json = ahp::json;

/// Settings of the driver instance that shape the body.
struct BodyOptions {
    std::int64_t max_tokens = 8192;  ///< used unless the request carries its own
    bool stream = true;
};

/// Anthropic allows at most this many cache_control breakpoints in one request.
constexpr int kMaxCacheBreakpoints = 4;

/// The POST /v1/messages body for a driver.chat request {model, system, messages, tools,
/// max_tokens?, prompt_cache?{enabled, volatile_suffix}}: canonical messages become
/// alternating user/assistant messages (tool results grouped into one user message), tools get
/// input_schema, and with prompt_cache enabled cache_control breakpoints go on the system
/// prompt, the last tool and the two most recent non-volatile messages.
json::object build_body(const json::object& request, const BodyOptions& options);

/// The Anthropic messages array for canonical messages; with cache_breakpoints > 0 the last
/// block of each of the `cache_breakpoints` most recent messages (ignoring the last
/// `volatile_suffix` canonical messages) gets cache_control.
json::array map_messages(const json::array& messages, int cache_breakpoints = 0, std::size_t volatile_suffix = 0);

}  // namespace anthropic
