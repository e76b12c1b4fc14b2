// ahp.hpp — the header-only C++17 layer over ahp.h for plugin authors.
//
// A plugin is one class derived from ahp::Capability (tools, commands, hooks) or ahp::Driver
// (a model driver), registered with AHP_PLUGIN(Class, "id", "version"). The macro emits the
// only exported symbol, ahp_plugin_entry_v1, and noexcept thunks that turn every exception
// into an error status, so no exception ever crosses the ABI. JSON is Boost.JSON; nothing of
// it crosses the ABI either: the boundary carries JSON text.
#pragma once

#include <ahp/ahp.h>

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The lowest host ABI minor this plugin needs; define it before including ahp.hpp to target
/// an older host (a plugin built against 1.3 headers that uses nothing newer than 1.1).
#ifndef AHP_TARGET_MINOR
#define AHP_TARGET_MINOR AHP_ABI_MINOR
#endif

namespace ahp {
inline namespace v1 {

namespace json = boost::json;

/// Borrow a string_view as an ahp_str.
inline ahp_str to_str(std::string_view s) noexcept { return ahp_str{s.data(), s.size()}; }
/// View an ahp_str (NULL-safe).
inline std::string_view to_view(ahp_str s) noexcept {
    return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

/// The body bytes of an http.request answer: its "body", or its "body_base64" decoded (the host
/// sends a body that is not UTF-8 that way); "" when it has neither (a streamed body).
inline std::string http_body(const json::object& answer) {
    if (const json::value* b = answer.if_contains("body"); b && b->is_string()) return std::string(b->get_string());
    const json::value* b64 = answer.if_contains("body_base64");
    if (!b64 || !b64->is_string()) return {};
    std::string out;
    std::uint32_t bits = 0;
    int have = 0;
    for (char c : b64->get_string()) {
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+'             ? 62
                : c == '/'             ? 63
                                       : -1;
        if (v < 0) continue;  // padding (or anything else): no bits
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        if ((have += 6) >= 8) {
            have -= 8;
            out += static_cast<char>((bits >> have) & 0xFF);
        }
    }
    return out;
}

/// A failure with a category code ("invalid_arguments", "not_found", "rate_limit", …).
class Error : public std::runtime_error {
public:
    Error(std::string code, const std::string& message, ahp_status status = AHP_ERROR)
        : std::runtime_error(message), code_(std::move(code)), status_(status) {}
    /// The category code.
    const std::string& code() const noexcept { return code_; }
    /// The ABI status this error maps to.
    ahp_status status() const noexcept { return status_; }

private:
    std::string code_;
    ahp_status status_;
};

/// Thrown by Call::emit and Call::check_cancelled once the host interrupted the call.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled", "the call was interrupted", AHP_CANCELLED) {}
};

/// A service answer delivered through a sink.
struct ServiceAnswer {
    ahp_status status = AHP_ERROR;
    std::string body;  // JSON on success, the message on failure
};

/// One host call in progress: the way back to the host while a method runs.
class Call {
public:
    Call(const ahp_host_api_v1* host, ahp_call* call) noexcept : host_(host), call_(call) {}

    /// Whether the host interrupted this call.
    bool cancelled() const noexcept { return host_->call_is_cancelled(call_) != 0; }
    /// Throw Cancelled if the host interrupted this call.
    void check_cancelled() const {
        if (cancelled()) throw Cancelled();
    }
    /// Stream one event to the host (a model text delta); throws Cancelled when told to stop.
    void emit(const json::value& event) const {
        std::string text = json::serialize(event);
        if (host_->call_emit(call_, to_str(text)) == AHP_CANCELLED) throw Cancelled();
    }
    /// Ask the host for a service and return its JSON answer; throws Error on failure.
    json::value request(std::string_view service, const json::value& params) const {
        return request_stream(service, params, nullptr);
    }
    /// Like request, delivering streamed chunks (an HTTP body) to on_chunk as they arrive.
    /// on_chunk returns false to stop the stream. A non-empty `body` travels beside the params,
    /// not escaped into them (request_with_body, ABI 1.1); on a 1.0 host it becomes the
    /// params' "body" field.
    json::value request_stream(std::string_view service, const json::value& params,
                               const std::function<bool(std::string_view)>& on_chunk,
                               std::string_view body = {}) const {
        struct State {
            const std::function<bool(std::string_view)>* chunk;
            ServiceAnswer answer;
            bool done = false;
        } state{on_chunk ? &on_chunk : nullptr, {}, false};
        ahp_sink sink{};
        sink.struct_size = sizeof(ahp_sink);
        sink.abi_version = AHP_ABI_VERSION;
        sink.user = &state;
        sink.on_chunk = [](void* user, ahp_str data) noexcept -> ahp_status {
            auto* st = static_cast<State*>(user);
            if (!st->chunk) return AHP_OK;
            try {
                return (*st->chunk)(to_view(data)) ? AHP_OK : AHP_CANCELLED;
            } catch (...) {
                return AHP_ERROR;
            }
        };
        sink.on_done = [](void* user, ahp_status status, ahp_str body) noexcept {
            auto* st = static_cast<State*>(user);
            st->answer.status = status;
            try {
                st->answer.body.assign(to_view(body));
            } catch (...) {
            }
            st->done = true;
        };
        ahp_status rc;
        if (body.empty()) {
            std::string text = json::serialize(params);
            rc = host_->request(call_, to_str(service), to_str(text), &sink);
        } else if (host_has_request_with_body()) {
            std::string text = json::serialize(params);
            rc = host_->request_with_body(call_, to_str(service), to_str(text), to_str(body), &sink);
        } else {
            json::value with_body = params;
            if (!with_body.is_object()) throw Error("invalid_arguments", "params must be a JSON object", AHP_INVALID_ARGUMENT);
            with_body.get_object()["body"] = body;
            std::string text = json::serialize(with_body);
            rc = host_->request(call_, to_str(service), to_str(text), &sink);
        }
        if (!state.done) state.answer = {rc == AHP_OK ? AHP_ERROR : rc, "the host gave no answer"};
        if (state.answer.status != AHP_OK) {
            throw Error(status_code(state.answer.status), state.answer.body, state.answer.status);
        }
        return state.answer.body.empty() ? json::value() : json::parse(state.answer.body);
    }
    /// Write a log line tagged with this plugin's id.
    void log(ahp_log_level level, std::string_view message) const noexcept {
        host_->log(call_, level, to_str(message));
    }
    /// Whether the host has the 1.1 slot request_with_body.
    bool host_has_request_with_body() const noexcept {
        return host_->struct_size >= offsetof(ahp_host_api_v1, request_with_body) + sizeof host_->request_with_body &&
               host_->request_with_body != nullptr;
    }
    /// The raw handles, for code that talks to ahp.h directly.
    ahp_call* raw() const noexcept { return call_; }
    const ahp_host_api_v1* host() const noexcept { return host_; }

    /// The category code for a status.
    static std::string status_code(ahp_status status) {
        switch (status) {
            case AHP_OK: return "ok";
            case AHP_INVALID_ARGUMENT: return "invalid_arguments";
            case AHP_NOT_FOUND: return "not_found";
            case AHP_UNSUPPORTED: return "unsupported";
            case AHP_CANCELLED: return "cancelled";
            case AHP_DENIED: return "denied";
            default: return "error";
        }
    }

private:
    const ahp_host_api_v1* host_;
    ahp_call* call_;
};

/// What a tool looks like to the model.
struct ToolSpec {
    std::string name;
    std::string description;
    json::value parameters;  // a JSON schema with "type":"object"
    bool mutating = false;   // writes or executes: the host runs it alone, in order
};

/// A model-callable tool. Return a string (text) or any JSON; throw ahp::Error for a tool error.
class Tool {
public:
    virtual ~Tool() = default;
    /// The tool's name, description and parameter schema. The name is read once, when the tool
    /// is added; calls are routed by it.
    virtual ToolSpec spec() const = 0;
    /// Run the tool with the model's arguments.
    virtual json::value call(const json::object& arguments, Call& call) = 0;
};

/// A user-invocable command ("/btw QUESTION").
struct CommandSpec {
    std::string name;
    std::string description;
    json::array args;  // [{name, description, required}]
};

/// Base of every plugin instance: config in, describe and invoke out.
class Plugin {
public:
    explicit Plugin(json::object config) : config_(std::move(config)) {}
    virtual ~Plugin() = default;
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;

    /// The describe answer's kind-specific part (tools, commands, hooks, driver).
    virtual json::object describe() const = 0;
    /// Dispatch one method; throw Error(…, AHP_NOT_FOUND) for an unknown one.
    virtual json::value invoke(std::string_view method, const json::object& params, Call& call) = 0;
    /// A fast path on the raw params text, tried before they are parsed: return the JSON answer
    /// text to answer the call, or nullopt to have it parsed and dispatched by invoke(). For hooks
    /// that run before every model call and can usually answer from a few fields.
    virtual std::optional<std::string> invoke_raw(std::string_view method, std::string_view params, Call& call) {
        (void)method, (void)params, (void)call;
        return std::nullopt;
    }

protected:
    /// The instance's config, as given by the harness.
    const json::object& config() const noexcept { return config_; }

private:
    json::object config_;
};

/// A capability: tools, commands and hooks, registered in the constructor.
class Capability : public Plugin {
public:
    using ToolFn = std::function<json::value(const json::object&, Call&)>;
    using HookFn = std::function<json::value(const json::object&, Call&)>;

    using Plugin::Plugin;

    json::object describe() const override {
        json::array tools;
        for (const auto& tool : tools_) {
            ToolSpec s = tool.second->spec();
            tools.push_back(json::object{{"name", s.name},
                                         {"description", s.description},
                                         {"parameters", s.parameters},
                                         {"mutating", s.mutating}});
        }
        json::array commands;
        for (const auto& c : commands_) {
            commands.push_back(json::object{
                {"name", c.first.name}, {"description", c.first.description}, {"args", c.first.args}});
        }
        json::array hooks;
        for (const auto& h : hooks_) hooks.push_back(json::string(h.first));
        return json::object{{"tools", std::move(tools)}, {"commands", std::move(commands)},
                            {"hooks", std::move(hooks)}};
    }

    json::value invoke(std::string_view method, const json::object& params, Call& call) override {
        if (method == "tool.call") {
            std::string_view name = string_field(params, "name");
            for (auto& tool : tools_) {
                if (tool.first == name) {  // not spec().name: that copies the whole spec, schema and all
                    static const json::object kEmpty;
                    const json::value* args = params.if_contains("arguments");
                    return tool.second->call(args && args->is_object() ? args->get_object() : kEmpty, call);
                }
            }
            throw Error("not_found", "no tool named '" + std::string(name) + "'", AHP_NOT_FOUND);
        }
        if (method == "command.execute") {
            std::string_view name = string_field(params, "name");
            for (auto& c : commands_) {
                if (c.first.name == name) return c.second(params, call);
            }
            throw Error("not_found", "no command named '" + std::string(name) + "'", AHP_NOT_FOUND);
        }
        constexpr std::string_view kHook = "hook.";
        if (method.substr(0, kHook.size()) == kHook) {
            std::string_view hook = method.substr(kHook.size());
            for (auto& h : hooks_) {
                if (h.first == hook) return h.second(params, call);
            }
        }
        throw Error("not_found", "unknown method '" + std::string(method) + "'", AHP_NOT_FOUND);
    }

protected:
    /// Register a tool object.
    void add_tool(std::unique_ptr<Tool> tool) {
        std::string name = tool->spec().name;
        tools_.emplace_back(std::move(name), std::move(tool));
    }
    /// Register a tool from a spec and a function.
    void add_tool(ToolSpec spec, ToolFn fn) {
        add_tool(std::make_unique<FnTool>(std::move(spec), std::move(fn)));
    }
    /// Register a command; its function gets {name, arguments, session_id} and returns
    /// {success, message}.
    void add_command(CommandSpec spec, HookFn fn) { commands_.emplace_back(std::move(spec), std::move(fn)); }
    /// Register a hook: "system_prompt", "before_model" or "after_tool".
    void on_hook(std::string name, HookFn fn) { hooks_.emplace_back(std::move(name), std::move(fn)); }

    /// A required string field of params, or an invalid_arguments Error naming it.
    static std::string_view string_field(const json::object& params, std::string_view key) {
        const json::value* v = params.if_contains(key);
        if (!v || !v->is_string()) {
            throw Error("invalid_arguments", "missing string field '" + std::string(key) + "'",
                        AHP_INVALID_ARGUMENT);
        }
        return v->get_string();
    }

private:
    class FnTool : public Tool {
    public:
        FnTool(ToolSpec spec, ToolFn fn) : spec_(std::move(spec)), fn_(std::move(fn)) {}
        ToolSpec spec() const override { return spec_; }
        json::value call(const json::object& a, Call& c) override { return fn_(a, c); }

    private:
        ToolSpec spec_;
        ToolFn fn_;
    };

    std::vector<std::pair<std::string, std::unique_ptr<Tool>>> tools_;  // by name
    std::vector<std::pair<CommandSpec, HookFn>> commands_;
    std::vector<std::pair<std::string, HookFn>> hooks_;
};

/// A model driver. chat() gets the model request
/// {model, system, messages, tools, session_id, max_tokens, …}, streams
/// {"type":"text_delta","text":…} events with call.emit, and returns
/// {text, tool_calls:[{id,name,arguments}], usage:{input_tokens,output_tokens,
/// cache_read_tokens,cache_write_tokens}, stop_reason}. Failures throw Error with a category:
/// auth_error, rate_limit, model_not_found, context_length, upstream_api_error, network_error.
class Driver : public Plugin {
public:
    using Plugin::Plugin;

    /// Stream one model response.
    virtual json::value chat(const json::object& request, Call& call) = 0;
    /// The models this driver serves and its default ({"models":[…],"default_model":…}).
    virtual json::object driver_info() const = 0;

    json::object describe() const override { return json::object{{"driver", driver_info()}}; }

    json::value invoke(std::string_view method, const json::object& params, Call& call) override {
        if (method == "driver.chat") return chat(params, call);
        throw Error("not_found", "unknown method '" + std::string(method) + "'", AHP_NOT_FOUND);
    }
};

namespace detail {

/// Report an exception on the call; never throws.
inline ahp_status report(const ahp_host_api_v1* host, ahp_call* call, ahp_status status,
                         std::string_view code, std::string_view message) noexcept {
    if (host && call) host->call_set_error(call, to_str(code), to_str(message));
    return status;
}

/// Run fn, turning every exception into an error status on the call.
template <class Fn>
ahp_status guarded(const ahp_host_api_v1* host, ahp_call* call, Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const Error& e) {
        return report(host, call, e.status(), e.code(), e.what());
    } catch (const std::exception& e) {
        return report(host, call, AHP_ERROR, "internal", std::string("plugin threw: ") + e.what());
    } catch (...) {
        return report(host, call, AHP_ERROR, "internal", "plugin threw a non-standard exception");
    }
}

/// What an instance handle points at.
struct Instance {
    const ahp_host_api_v1* host;
    std::unique_ptr<Plugin> plugin;
};

/// The thunks behind AHP_PLUGIN for class T.
template <class T>
struct Thunks {
    static ahp_status create(const ahp_host_api_v1* host, ahp_str config, ahp_call* call,
                             ahp_instance** out) noexcept {
        if (out) *out = nullptr;
        return guarded(host, call, [&]() -> ahp_status {
            if (!host || !out) return AHP_INVALID_ARGUMENT;
            json::object cfg;
            if (config.len != 0) {
                json::value v = json::parse(to_view(config));
                if (!v.is_object()) throw Error("invalid_config", "config must be a JSON object", AHP_INVALID_ARGUMENT);
                cfg = std::move(v.get_object());
            }
            auto inst = std::make_unique<Instance>();
            inst->host = host;
            inst->plugin = std::make_unique<T>(std::move(cfg));
            *out = reinterpret_cast<ahp_instance*>(inst.release());
            return AHP_OK;
        });
    }
    static void destroy(ahp_instance* instance) noexcept {
        try {
            delete reinterpret_cast<Instance*>(instance);
        } catch (...) {
        }
    }
    static ahp_status invoke(ahp_instance* instance, ahp_str method, ahp_str params, ahp_call* call,
                             const char* id, const char* version) noexcept {
        auto* inst = reinterpret_cast<Instance*>(instance);
        if (!inst) return AHP_INVALID_ARGUMENT;
        return guarded(inst->host, call, [&]() -> ahp_status {
            std::string_view m = to_view(method);
            Call c(inst->host, call);
            json::value answer;
            if (m == "describe") {
                json::object d = inst->plugin->describe();
                d.emplace("id", id);
                d.emplace("version", version);
                d.emplace("abi", std::to_string(AHP_ABI_MAJOR) + "." + std::to_string(AHP_TARGET_MINOR));
                answer = std::move(d);
            } else if (std::optional<std::string> raw = inst->plugin->invoke_raw(m, to_view(params), c)) {
                inst->host->call_set_result(call, to_str(*raw));
                return AHP_OK;
            } else {
                // The params live for this call only: parsed into one arena (a driver's request
                // carries the whole history), freed at once. The arena is reference-counted, so
                // a copy a plugin keeps stays valid (json::value's copy shares its storage).
                json::value v = params.len != 0
                                    ? json::parse(to_view(params), json::make_shared_resource<json::monotonic_resource>())
                                    : json::value(json::object());
                if (!v.is_object()) throw Error("invalid_arguments", "params must be a JSON object", AHP_INVALID_ARGUMENT);
                answer = inst->plugin->invoke(m, v.get_object(), c);
            }
            std::string text = json::serialize(answer);
            inst->host->call_set_result(call, to_str(text));
            return AHP_OK;
        });
    }
};

}  // namespace detail
}  // namespace v1
}  // namespace ahp

/// Export class T as the plugin `id` at `version`. Use once per shared object, at file scope.
#define AHP_PLUGIN(T, ID, VERSION)                                                              \
    namespace {                                                                                 \
    ahp_status ahp_thunk_invoke(ahp_instance* i, ahp_str m, ahp_str p, ahp_call* c) noexcept {  \
        return ::ahp::detail::Thunks<T>::invoke(i, m, p, c, ID, VERSION);                       \
    }                                                                                           \
    const ahp_plugin_v1 ahp_plugin_table = {sizeof(ahp_plugin_v1),                              \
                                            AHP_MAKE_VERSION(AHP_ABI_MAJOR, AHP_TARGET_MINOR),  \
                                            ID,                                                 \
                                            VERSION,                                            \
                                            &::ahp::detail::Thunks<T>::create,                  \
                                            &::ahp::detail::Thunks<T>::destroy,                 \
                                            &ahp_thunk_invoke};                                 \
    }                                                                                           \
    extern "C" __attribute__((visibility("default"))) const ahp_plugin_v1* ahp_plugin_entry_v1( \
        void) {                                                                                 \
        return &ahp_plugin_table;                                                               \
    }
