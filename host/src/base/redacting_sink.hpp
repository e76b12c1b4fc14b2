// A spdlog sink that passes every log line through the redactor before the sink it wraps.
#pragma once

#include <spdlog/sinks/sink.h>

#include <memory>

namespace agenthost {

/// `inner`, with every message repaired to UTF-8 and redacted (clean_text) first. Every logger
/// the host makes writes through one of these.
std::shared_ptr<spdlog::sinks::sink> make_redacting_sink(std::shared_ptr<spdlog::sinks::sink> inner);

}  // namespace agenthost
