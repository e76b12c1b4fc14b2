// The error every route answers with: {error:{code, message}} and a fitting status (DESIGN §8).
#pragma once

#include <stdexcept>
#include <string>

namespace agenthost::server {

/// A refused request: the HTTP status, a stable code ("invalid_work_dir", "turn_running") and a
/// message naming what was wrong.
class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, const std::string& message)
        : std::runtime_error(message), status_(status), code_(std::move(code)) {}
    /// The HTTP status.
    int status() const noexcept { return status_; }
    /// The stable error code.
    const std::string& code() const noexcept { return code_; }

private:
    int status_;
    std::string code_;
};

}  // namespace agenthost::server
