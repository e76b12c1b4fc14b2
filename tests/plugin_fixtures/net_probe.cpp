// net_probe.cpp — fixtures for the http.request service through the real ABI. Built twice:
// as the capability `net_probe` (tool fetch{url, stream?, method?}: status, body, how many
// chunks streamed, final_url) and, with FIXTURE_NET_DRIVER, as the driver `net_driver`, whose
// answer is the body of config.url (drivers are not subject to the network access list).
#include <ahp/ahp.hpp>

#include <cstdint>
#include <string>

namespace {

namespace json = ahp::json;

/// GET (or `method`) `url` through http.request; {status, body, chunks, final_url, truncated}.
json::object fetch(ahp::Call& call, const std::string& url, bool stream, const std::string& method) {
    json::object params{{"url", url}, {"method", method}};
    if (stream) params["stream"] = true;
    std::int64_t chunks = 0;
    std::string streamed;
    json::value answer = call.request_stream("http.request", params, [&](std::string_view bytes) {
        ++chunks;
        streamed.append(bytes);
        return true;
    });
    const json::object& a = answer.as_object();
    json::object out{{"status", a.at("status")},
                     {"chunks", chunks},
                     {"final_url", a.at("final_url")},
                     {"truncated", a.at("truncated")}};
    out["body"] = a.contains("body") ? a.at("body") : json::value(streamed);
    return out;
}

#ifndef FIXTURE_NET_DRIVER

class NetProbe : public ahp::Capability {
public:
    explicit NetProbe(json::object config) : Capability(std::move(config)) {
        json::object schema{{"type", "object"},
                            {"properties", json::object{{"url", json::object{{"type", "string"}}},
                                                        {"stream", json::object{{"type", "boolean"}}},
                                                        {"method", json::object{{"type", "string"}}}}},
                            {"required", json::array{"url"}}};
        add_tool({"fetch", "Fetch a URL through the host (http.request).", std::move(schema)},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     const json::value* stream = a.if_contains("stream");
                     const json::value* method = a.if_contains("method");
                     return fetch(call, std::string(a.at("url").as_string()),
                                  stream && stream->is_bool() && stream->get_bool(),
                                  method && method->is_string() ? std::string(method->get_string()) : "GET");
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
        json::object got = fetch(call, url_, true, "POST");
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
