// openai: the model driver for OpenAI and any OpenAI-compatible server (Ollama, llama.cpp
// server, vLLM, …). It speaks Chat Completions (the default) or the Responses API, chosen by
// the config's `api`, and reaches the network only through the host's http.request service.
// It reads nothing from the environment: the host takes OPENAI_API_KEY, OPENAI_BASE_URL and
// AGENTHOST_OPENAI_API out of its own at start-up and passes them in the config.
#include "conversion.hpp"

namespace {

namespace json = ahp::json;
using openai::Settings;

[[noreturn]] void bad_config(const std::string& field, const std::string& what) {
    throw ahp::Error("invalid_config", "openai driver config '" + field + "': " + what, AHP_INVALID_ARGUMENT);
}

/// Settings from the config, then the defaults.
Settings settings_of(const json::object& config) {
    Settings s;
    std::string api, base_url, api_key;
    for (const auto& kv : config) {
        std::string key(kv.key());
        const json::value& v = kv.value();
        if (key == "api" || key == "base_url" || key == "api_key") {
            if (!v.is_string()) bad_config(key, "must be a string");
            std::string text(v.get_string());
            if (key == "api") {
                api = text;
            } else if (key == "base_url") {
                base_url = text;
            } else {
                api_key = text;
            }
        } else if (key == "max_tokens") {
            if (!v.is_int64() || v.get_int64() < 1) bad_config(key, "must be a positive integer");
            s.max_tokens = v.get_int64();
        } else {
            bad_config(key, "unknown field (expected api, base_url, api_key or max_tokens)");
        }
    }
    if (api.empty()) api = "chat";
    if (api != "chat" && api != "responses") {
        bad_config("api",
                   "'" + api + "' is neither \"chat\" nor \"responses\" (from the config or AGENTHOST_OPENAI_API)");
    }
    s.api = api;
    if (base_url.empty()) base_url = "https://api.openai.com/v1";
    if (base_url.compare(0, 7, "http://") != 0 && base_url.compare(0, 8, "https://") != 0) {
        bad_config("base_url",
                   "'" + base_url + "' is not an http:// or https:// URL (from the config or OPENAI_BASE_URL)");
    }
    while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
    s.base_url = base_url;
    s.api_key = api_key;
    s.local = openai::is_local_url(s.base_url);
    s.official = openai::url_host(s.base_url) == "api.openai.com";
    return s;
}

class OpenAi : public ahp::Driver {
public:
    explicit OpenAi(json::object cfg) : Driver(std::move(cfg)), settings_(settings_of(config())) {}

    /// The models of api.openai.com that this driver knows of (any other name is passed on);
    /// another server (Ollama, llama.cpp, vLLM) serves names of its own, so none are listed.
    json::object driver_info() const override {
        json::array models;
        if (settings_.official) {
            models = json::array{"gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini", "o3", "o4-mini"};
        }
        return json::object{{"models", std::move(models)},
                            {"other_models", true},  // the provider releases models without asking
                            {"default_model", "gpt-4.1"},
                            {"api", settings_.api},
                            {"base_url", settings_.base_url}};
    }

    json::value chat(const json::object& request, ahp::Call& call) override {
        return answer(request, openai::request_body(api(), request, settings_), call);
    }

    /// driver.chat from the raw request text: the history and tools it shares with the last
    /// call in its session are not parsed or converted again (conversion.hpp). Anything the
    /// split cannot read goes the ordinary way, through chat().
    std::optional<std::string> invoke_raw(std::string_view method, std::string_view params,
                                          ahp::Call& call) override {
        if (method != "driver.chat") return std::nullopt;
        std::optional<openai::RawRequest> raw = openai::split_request(params);
        if (!raw) return std::nullopt;
        json::monotonic_resource arena;
        boost::system::error_code ec;
        json::value fields = json::parse(raw->fields, ec, json::storage_ptr(&arena));
        if (ec || !fields.is_object()) return std::nullopt;
        const openai::Api& a = api();
        std::string history, tools;
        if (raw->messages) {
            std::optional<std::string> h = cache_.history(a, openai::str(fields.get_object(), "session_id"), *raw->messages);
            if (!h) return std::nullopt;
            history = std::move(*h);
        }
        if (raw->tools) {
            std::optional<std::string> t = cache_.tools(a, *raw->tools);
            if (!t) return std::nullopt;
            tools = std::move(*t);
        }
        return json::serialize(answer(fields.get_object(), a.body(fields.get_object(), history, tools, settings_), call));
    }

private:
    const openai::Api& api() const { return settings_.api == "responses" ? openai::responses_api() : openai::chat_api(); }

    /// Send body and read the answer.
    json::value answer(const json::object& request, const std::string& body, ahp::Call& call) {
        if (settings_.api_key.empty() && !settings_.local) {
            throw ahp::Error("auth_error", "openai: no API key for " + settings_.base_url +
                                               ": set OPENAI_API_KEY (or the driver config 'api_key'); a local "
                                               "OpenAI-compatible server (OPENAI_BASE_URL on localhost or a private "
                                               "address, e.g. http://localhost:11434/v1 for Ollama) needs none");
        }
        const openai::Api& a = api();
        std::unique_ptr<openai::Protocol> protocol = a.protocol(call);
        openai::exchange(call, settings_, a.path, body, *protocol);
        return openai::result_of(protocol->answer, openai::num(request, "iteration"));
    }

    Settings settings_;
    openai::ConversionCache cache_;
};

}  // namespace

AHP_PLUGIN(OpenAi, "openai", "1.0.0")
