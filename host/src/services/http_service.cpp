#include "services/http_service.hpp"

#include "base/utf8.hpp"
#include "net/http_client.hpp"

#include <openssl/evp.h>
#include <spdlog/logger.h>

#include <array>
#include <chrono>

namespace agenthost {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 6> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};

/// Standard base64 of bytes (RFC 4648, with padding).
std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

[[noreturn]] void invalid(const std::string& what) {
    throw ServiceError(AHP_INVALID_ARGUMENT, "invalid_request: " + what);
}

std::int64_t integer(const json::value& v, std::string_view key, std::int64_t min) {
    std::int64_t n = 0;
    if (v.is_int64())
        n = v.get_int64();
    else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        n = static_cast<std::int64_t>(v.get_uint64());
    else if (v.is_double() && v.get_double() == static_cast<double>(static_cast<std::int64_t>(v.get_double())))
        n = static_cast<std::int64_t>(v.get_double());
    else
        invalid("'" + std::string(key) + "' must be an integer");
    if (n < min) invalid("'" + std::string(key) + "' must be at least " + std::to_string(min));
    return n;
}

bool boolean(const json::value& v, std::string_view key) {
    if (!v.is_bool()) invalid("'" + std::string(key) + "' must be true or false");
    return v.get_bool();
}

ahp_status status_of(HttpError::Kind kind) {
    switch (kind) {
        case HttpError::Kind::invalid_request:
            return AHP_INVALID_ARGUMENT;
        case HttpError::Kind::denied:
            return AHP_DENIED;
        case HttpError::Kind::cancelled:
            return AHP_CANCELLED;
        default:
            return AHP_ERROR;
    }
}

}  // namespace

json::value http_request_service(HttpClient& client, const json::value& params, ServiceRequest& request,
                                 const NetworkAccessList& network_access) {
    if (!params.is_object()) invalid("params must be an object");
    const bool driver = request.plugin.kind == "driver";
    HttpRequest r;
    r.timeout = std::chrono::milliseconds(driver ? 600000 : 30000);
    bool stream = false;
    std::optional<bool> follow;
    bool has_url = false;
    for (const auto& [key, value] : params.get_object()) {
        if (key == "method") {
            if (!value.is_string()) invalid("'method' must be a string");
            std::string m(value.get_string());
            for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (std::find(kMethods.begin(), kMethods.end(), m) == kMethods.end())
                invalid("'method' must be GET, HEAD, POST, PUT, PATCH or DELETE, not '" +
                        std::string(value.get_string()) + "'");
            r.method = std::move(m);
        } else if (key == "url") {
            if (!value.is_string()) invalid("'url' must be a string");
            r.url = std::string(value.get_string());
            has_url = true;
        } else if (key == "headers") {
            if (!value.is_object()) invalid("'headers' must be an object of strings");
            for (const auto& [name, v] : value.get_object()) {
                if (!v.is_string()) invalid("header '" + std::string(name) + "' must be a string");
                r.headers.emplace_back(std::string(name), std::string(v.get_string()));
            }
        } else if (key == "body") {
            if (!value.is_string() && !value.is_null()) invalid("'body' must be a string");
            if (!request.body.empty() && !value.is_null())
                invalid("a body both in the params and beside them (request_with_body): give one");
            if (value.is_string()) r.body = std::string(value.get_string());
        } else if (key == "timeout_ms") {
            r.timeout = std::chrono::milliseconds(integer(value, key, 1));
        } else if (key == "connect_timeout_ms") {
            r.connect_timeout = std::chrono::milliseconds(integer(value, key, 1));
        } else if (key == "max_body_bytes") {
            r.max_body_bytes = static_cast<std::size_t>(integer(value, key, 0));
            r.max_streamed_bytes = r.max_body_bytes;
        } else if (key == "stream") {
            stream = boolean(value, key);
        } else if (key == "follow_redirects") {
            follow = boolean(value, key);
        } else if (key == "max_redirects") {
            r.max_redirects = static_cast<int>(std::min<std::int64_t>(integer(value, key, 0), 100));
        } else {
            invalid("unknown field '" + std::string(key) + "'");
        }
    }
    if (!has_url) invalid("missing 'url'");
    if (!request.body.empty()) r.body.assign(request.body);
    r.follow_redirects = follow.value_or(r.method == "GET" || r.method == "HEAD");
    if (stream && request.chunk) r.on_body = [&request](std::string_view bytes) { return request.chunk(bytes); };
    r.cancelled = request.call.cancelled;
    if (!driver) r.access = &network_access;

    try {
        HttpResponse answer = client.send(r);
        request.log.debug("plugin={} http {} {} -> {}", request.plugin.id, r.method, answer.final_url, answer.status);
        json::object headers;
        for (auto& [name, value] : answer.headers) {
            if (json::value* seen = headers.if_contains(name)) {
                json::string& s = seen->as_string();
                s.append(", ");
                s.append(value);
            } else {
                headers.emplace(name, value);
            }
        }
        json::object out{{"status", answer.status}, {"headers", std::move(headers)}};
        // A JSON string must be UTF-8: a body that is not (a Latin-1 error page) goes as base64,
        // byte for byte, for the plugin to decode with the charset it names.
        if (!answer.streamed && is_valid_utf8(answer.body))
            out.emplace("body", std::move(answer.body));
        else if (!answer.streamed)
            out.emplace("body_base64", base64(answer.body));
        out.emplace("final_url", std::move(answer.final_url));
        out.emplace("truncated", answer.truncated);
        return out;
    } catch (const HttpError& e) {
        if (e.kind() == HttpError::Kind::denied)
            request.log.info("plugin={} {}", request.plugin.id, e.what());
        else
            request.log.debug("plugin={} http {} {}: {}", request.plugin.id, r.method, r.url, e.what());
        throw ServiceError(status_of(e.kind()), e.what());
    }
}

void add_http_service(ServiceRouter& router, NetworkAccessList network_access) {
    router.add("http.request", "net", [access = std::move(network_access)](const json::value& p, ServiceRequest& req) {
        return http_request_service(HttpClient::shared(), p, req, access);
    }, /*takes_body=*/true);
}

}  // namespace agenthost
