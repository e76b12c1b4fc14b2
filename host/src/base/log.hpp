// The host's loggers: one per runtime, never spdlog's process-global default (which writes to
// stdout), so two runtimes in one process each send their own lines to their own sink.
#pragma once

#include <agenthost/log.hpp>

#include <spdlog/common.h>

#include <memory>

namespace spdlog {
class logger;
}

namespace agenthost {

/// A logger of the host: every message of the host and of its plugins goes through one.
using Logger = std::shared_ptr<spdlog::logger>;

/// A logger that hands each line at or above `level` to `sink` (a null sink: stderr_logger's).
Logger make_logger(LogSink sink, LogLevel level);
/// The default for code without a runtime's logger: stderr as "agenthost: warning: …", from
/// warnings up.
const Logger& stderr_logger();

/// The spdlog level of a LogLevel, and back.
spdlog::level::level_enum to_spdlog_level(LogLevel level) noexcept;
/// The LogLevel of an spdlog level.
LogLevel from_spdlog_level(spdlog::level::level_enum level) noexcept;

}  // namespace agenthost
