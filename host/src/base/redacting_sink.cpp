#include "base/redacting_sink.hpp"

#include "base/redactor.hpp"
#include "base/utf8.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>

namespace agenthost {

namespace {

class RedactingSink final : public spdlog::sinks::sink {
public:
    explicit RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

    void log(const spdlog::details::log_msg& msg) override {
        const std::string_view payload(msg.payload.data(), msg.payload.size());
        if (is_valid_utf8(payload) && Redactor::global().empty()) return inner_->log(msg);
        const std::string clean = clean_text(payload);
        spdlog::details::log_msg copy(msg);
        copy.payload = spdlog::string_view_t(clean.data(), clean.size());
        inner_->log(copy);
    }
    void flush() override { inner_->flush(); }
    void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
        inner_->set_formatter(std::move(formatter));
    }

private:
    std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace

std::shared_ptr<spdlog::sinks::sink> make_redacting_sink(std::shared_ptr<spdlog::sinks::sink> inner) {
    return std::make_shared<RedactingSink>(std::move(inner));
}

}  // namespace agenthost
