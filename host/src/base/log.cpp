#include "base/log.hpp"

#include "base/redacting_sink.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <utility>

namespace agenthost {

namespace {

/// Hands each formatted line (the message only, no pattern) to an embedder's function; the
/// base class's mutex makes the calls one at a time.
class FunctionSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit FunctionSink(LogSink sink) : sink_(std::move(sink)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        sink_(from_spdlog_level(msg.level), std::string_view(msg.payload.data(), msg.payload.size()));
    }
    void flush_() override {}

private:
    LogSink sink_;
};

Logger make_stderr_logger(LogLevel level) {
    auto logger = std::make_shared<spdlog::logger>(
        "agenthost", make_redacting_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>()));
    logger->set_pattern("agenthost: %l: %v");
    logger->set_level(to_spdlog_level(level));
    return logger;
}

}  // namespace

Logger make_logger(LogSink sink, LogLevel level) {
    if (!sink) return make_stderr_logger(level);
    // Every line passes the redactor before the embedder's sink sees it (docs/security.md).
    auto logger = std::make_shared<spdlog::logger>(
        "agenthost", make_redacting_sink(std::make_shared<FunctionSink>(std::move(sink))));
    logger->set_level(to_spdlog_level(level));
    return logger;
}

const Logger& stderr_logger() {
    static const Logger* logger = new Logger(make_stderr_logger(LogLevel::kWarn));  // leaked: used until exit
    return *logger;
}

spdlog::level::level_enum to_spdlog_level(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::kTrace:
            return spdlog::level::trace;
        case LogLevel::kDebug:
            return spdlog::level::debug;
        case LogLevel::kInfo:
            return spdlog::level::info;
        case LogLevel::kWarn:
            return spdlog::level::warn;
        case LogLevel::kError:
            return spdlog::level::err;
        case LogLevel::kOff:
            break;
    }
    return spdlog::level::off;
}

LogLevel from_spdlog_level(spdlog::level::level_enum level) noexcept {
    switch (level) {
        case spdlog::level::trace:
            return LogLevel::kTrace;
        case spdlog::level::debug:
            return LogLevel::kDebug;
        case spdlog::level::info:
            return LogLevel::kInfo;
        case spdlog::level::warn:
            return LogLevel::kWarn;
        case spdlog::level::err:
        case spdlog::level::critical:
            return LogLevel::kError;
        default:
            return LogLevel::kOff;
    }
}

}  // namespace agenthost
