#include "errors.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace anthropic {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view string_or_empty(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

/// Whether an invalid_request_error message says the prompt does not fit the context window.
bool says_too_long(std::string_view message) {
    std::string m = lower(message);
    for (const char* needle : {"prompt is too long", "exceed context limit", "context window", "context length",
                               "too many tokens", "request too large", "request_too_large"}) {
        if (m.find(needle) != std::string::npos) return true;
    }
    return false;
}

}  // namespace

std::string category_of(std::string_view error_type, int status, std::string_view message) {
    if (error_type == "authentication_error" || error_type == "permission_error" || status == 401 || status == 403) {
        return "auth_error";
    }
    if (error_type == "not_found_error" || status == 404) return "model_not_found";
    if (error_type == "rate_limit_error" || status == 429) return "rate_limit";
    if (error_type == "request_too_large" || status == 413) return "context_length";
    if ((error_type == "invalid_request_error" || status == 400) && says_too_long(message)) return "context_length";
    // invalid_request_error, overloaded_error (529), api_error (500), timeouts (504), anything else
    return "upstream_api_error";
}

std::int64_t retry_after_ms(const json::object& headers) {
    auto number = [&](std::string_view key) -> double {
        std::string_view v = string_or_empty(headers, key);
        if (v.empty()) return -1;
        std::string text(v);
        char* end = nullptr;
        double d = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || !std::isfinite(d) || d < 0) return -1;  // an HTTP date: no hint
        return d;
    };
    if (double ms = number("retry-after-ms"); ms >= 0) return static_cast<std::int64_t>(ms);
    if (double s = number("retry-after"); s >= 0) return static_cast<std::int64_t>(s * 1000.0);
    return -1;
}

std::string excerpt(std::string_view body, std::size_t max) {
    if (body.size() <= max) return std::string(body);
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;  // not mid-character
    return std::string(body.substr(0, n)) + "…";
}

Failure http_failure(const json::object& answer) {
    Failure f;
    int status = 0;
    if (const json::value* s = answer.if_contains("status"); s && s->is_number()) status = s->to_number<int>();
    static const json::object kNoHeaders;
    const json::value* h = answer.if_contains("headers");
    const json::object& headers = h && h->is_object() ? h->get_object() : kNoHeaders;
    const std::string body = ahp::http_body(answer);

    std::string type, message, request_id(string_or_empty(headers, "request-id"));
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (!ec && parsed.is_object()) {
        const json::object& o = parsed.get_object();
        if (const json::value* e = o.if_contains("error"); e && e->is_object()) {
            type = std::string(string_or_empty(e->get_object(), "type"));
            message = std::string(string_or_empty(e->get_object(), "message"));
        }
        if (std::string_view id = string_or_empty(o, "request_id"); !id.empty()) request_id = std::string(id);
    }
    if (type.empty() && message.empty()) message = body.empty() ? "(empty body)" : excerpt(body);

    f.category = category_of(type, status, message);
    f.message = (type.empty() ? std::string("HTTP error") : type) + ": " + message + " (HTTP " + std::to_string(status);
    if (!request_id.empty()) f.message += ", request_id " + request_id;
    f.message += ")";
    f.retry_after_ms = retry_after_ms(headers);
    std::string should_retry = lower(string_or_empty(headers, "x-should-retry"));
    f.retryable = should_retry != "false" && type != "invalid_request_error";
    return f;
}

Failure stream_failure(const json::object& event) {
    Failure f;
    std::string_view type, message;
    if (const json::value* e = event.if_contains("error"); e && e->is_object()) {
        type = string_or_empty(e->get_object(), "type");
        message = string_or_empty(e->get_object(), "message");
    }
    f.category = category_of(type, 0, message);
    f.message = std::string(type.empty() ? "error" : type) + ": " +
                std::string(message.empty() ? "(no message)" : message) + " (an error event in the stream)";
    f.retryable = type != "invalid_request_error";
    return f;
}

}  // namespace anthropic
