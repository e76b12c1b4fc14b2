// Where a runtime's log lines go (RuntimeBuilder::log): its own messages and its plugins' `log`
// calls. Never stdout.
#pragma once

#include <functional>
#include <string_view>

namespace agenthost {

/// How severe a log line is, least first; kOff as a threshold logs nothing.
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

/// Receives each line of a runtime's log at or above its level: the message without a prefix or
/// newline. Called from any of the runtime's threads, one line at a time.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace agenthost
