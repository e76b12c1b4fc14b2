// net_probe.cpp — fixtures for the http.request service through the real ABI. Built twice:
// as the capability `net_probe` (tool fetch{url, stream?, method?}: status, body, how many
// chunks streamed, final_url) and, with FIXTURE_NET_DRIVER, as the driver `net_driver`, whose
// answer is the body of config.url (drivers are not subject to the network access list).
#include <ahp/ahp.hpp>

#include <cstdint>
#include <string>

namespace {

namespace json = ahp::json;

/// What one fetch sends.
struct Fetch {
    std::string url;
    bool stream = false;
    std::string method = "GET";
    std::string body;         ///< passed beside the params (request_with_body)
    json::value params_body;  ///< put into the params' "body" as well, when not null
    std::string service = "http.request";
};

/// `method` `url` through http.request; {status, body, chunks, final_url, truncated}.
json::object fetch(ahp::Call& call, const Fetch& f) {
    json::object params{{"url", f.url}, {"method", f.method}};
    if (f.stream) params["stream"] = true;
    if (!f.params_body.is_null()) params["body"] = f.params_body;
    std::int64_t chunks = 0;
    std::string streamed;
    json::value answer = call.request_stream(
        f.service, params,
        [&](std::string_view bytes) {
            ++chunks;
            streamed.append(bytes);
            return true;
        },
        f.body);
    const json::object& a = answer.as_object();
    json::object out{{"status", a.at("status")},
                     {"chunks", chunks},
                     {"final_url", a.at("final_url")},
                     {"truncated", a.at("truncated")}};
    out["body"] = a.contains("body") ? a.at("body") : json::value(streamed);
    // The bytes as the SDK reads them (body, or body_base64 for bytes that are not UTF-8), in hex.
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : ahp::http_body(a)) (hex += kHex[c >> 4]) += kHex[c & 0xF];
    out["body_hex"] = hex;
    out["had_base64"] = a.contains("body_base64");
    return out;
}

#ifndef FIXTURE_NET_DRIVER

class NetProbe : public ahp::Capability {
public:
    explicit NetProbe(json::object config) : Capability(std::move(config)) {
        json::object string{{"type", "string"}};
        json::object schema{{"type", "object"},
                            {"properties", json::object{{"url", string},
                                                        {"stream", json::object{{"type", "boolean"}}},
                                                        {"method", string},
                                                        {"body", string},
                                                        {"params_body", string},
                                                        {"service", string}}},
                            {"required", json::array{"url"}}};
        add_tool({"fetch", "Fetch a URL through the host (http.request).", std::move(schema)},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     auto text = [&a](std::string_view key, std::string fallback) {
                         const json::value* v = a.if_contains(key);
                         return v && v->is_string() ? std::string(v->get_string()) : fallback;
                     };
                     Fetch f;
                     f.url = text("url", "");
                     const json::value* stream = a.if_contains("stream");
                     f.stream = stream && stream->is_bool() && stream->get_bool();
                     f.method = text("method", "GET");
                     f.body = text("body", "");
                     if (const json::value* pb = a.if_contains("params_body")) f.params_body = *pb;
                     f.service = text("service", "http.request");
                     return fetch(call, f);
                 });
    }
};

}  // namespace

AHP_PLUGIN(NetProbe, "net_probe", "1.0.0")

#else

class NetDriver : public ahp::Driver {
public:
    explicit NetDriver(json::object config) : Driver(std::move(config)) {
        if (const json::value* u = this->config().if_contains("url"); u && u->is_string())
            url_ = std::string(u->get_string());
    }
    json::object driver_info() const override {
        return json::object{{"models", json::array{"net_driver"}}, {"default_model", "net_driver"}};
    }
    json::value chat(const json::object&, ahp::Call& call) override {
        Fetch f;
        f.url = url_;
        f.stream = true;
        f.method = "POST";
        json::object got = fetch(call, f);
        return json::object{{"text", got.at("body")},
                            {"tool_calls", json::array{}},
                            {"usage", json::object{{"input_tokens", 1}, {"output_tokens", 1}}},
                            {"stop_reason", "end_turn"}};
    }

private:
    std::string url_;
};

}  // namespace

AHP_PLUGIN(NetDriver, "net_driver", "1.0.0")

#endif
