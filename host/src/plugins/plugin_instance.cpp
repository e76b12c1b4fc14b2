#include "plugins/plugin_instance.hpp"

#include "base/json_schema.hpp"
#include "base/redactor.hpp"
#include "base/utf8.hpp"

#include <spdlog/logger.h>

#include <algorithm>
#include <cstdlib>
#include <regex>

namespace agenthost {

namespace json = boost::json;

namespace {

std::string_view view(ahp_str s) noexcept { return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view(); }
ahp_str str(std::string_view s) noexcept { return ahp_str{s.data(), s.size()}; }

/// What an ahp_call* points at on the host side.
struct CallFrame {
    const PluginManifest* plugin = nullptr;
    CallContext* context = nullptr;
    spdlog::logger* log = nullptr;  ///< the instance's: its runtime's sink
    std::string result;
    bool has_result = false;
    std::string error_code;
    std::string error_message;
};

CallFrame* frame(ahp_call* call) noexcept { return reinterpret_cast<CallFrame*>(call); }

void host_set_result(ahp_call* call, ahp_str json_text) noexcept {
    if (!call) return;
    try {
        frame(call)->result.assign(view(json_text));
        frame(call)->has_result = true;
    } catch (...) {
    }
}

void host_set_error(ahp_call* call, ahp_str code, ahp_str message) noexcept {
    if (!call) return;
    try {
        // Messages end up in events, which are JSON: text that is not UTF-8 (an error page's
        // bytes quoted by a plugin) is repaired here.
        frame(call)->error_code = repair_utf8(view(code));
        frame(call)->error_message = repair_utf8(view(message));
    } catch (...) {
    }
}

int host_is_cancelled(const ahp_call* call) noexcept {
    const auto* f = reinterpret_cast<const CallFrame*>(call);
    return f && f->context && f->context->cancelled && f->context->cancelled->load(std::memory_order_relaxed) ? 1 : 0;
}

ahp_status host_emit(ahp_call* call, ahp_str event_json) noexcept {
    if (!call) return AHP_INVALID_ARGUMENT;
    if (host_is_cancelled(call)) return AHP_CANCELLED;
    CallFrame* f = frame(call);
    if (!f->context || !f->context->on_emit) return AHP_OK;
    try {
        json::value v = json::parse(view(event_json));
        return f->context->on_emit(std::move(v)) ? AHP_OK : AHP_CANCELLED;
    } catch (const std::exception& e) {
        if (f->log) f->log->warn("plugin={} emitted an event that is not JSON: {}", f->plugin ? f->plugin->id : "?", e.what());
        return AHP_INVALID_ARGUMENT;
    }
}

ahp_status host_request_with_body(ahp_call* call, ahp_str service, ahp_str params, ahp_str body,
                                  const ahp_sink* sink) noexcept {
    if (!sink || !sink->on_done) return AHP_INVALID_ARGUMENT;
    auto done = [&](ahp_status status, std::string_view body) {
        sink->on_done(sink->user, status, str(body));
        return status;
    };
    CallFrame* f = call ? frame(call) : nullptr;
    if (!f || !f->context || !f->context->services || !f->plugin) {
        return done(AHP_NOT_FOUND, "no host services are available to this call");
    }
    try {
        // The params live for this request only: one arena, freed at once (an http.request
        // carries a driver's whole request body). Reference-counted: a service that keeps a
        // copy keeps the arena.
        json::value p = params.len ? json::parse(view(params), json::make_shared_resource<json::monotonic_resource>())
                                   : json::value(json::object());
        ServiceRequest request{*f->plugin, *f->context,
                               [sink](std::string_view chunk) {
                                   return !sink->on_chunk || sink->on_chunk(sink->user, str(chunk)) == AHP_OK;
                               },
                               view(body), f->log ? *f->log : *stderr_logger()};
        json::value answer = f->context->services->handle(view(service), p, request);
        return done(AHP_OK, json::serialize(answer));
    } catch (const ServiceError& e) {
        return done(e.status(), e.what());
    } catch (const std::exception& e) {
        return done(AHP_ERROR, e.what());
    } catch (...) {
        return done(AHP_ERROR, "the host service failed");
    }
}

ahp_status host_request(ahp_call* call, ahp_str service, ahp_str params, const ahp_sink* sink) noexcept {
    return host_request_with_body(call, service, params, ahp_str{nullptr, 0}, sink);
}

void host_log(ahp_call* call, ahp_log_level level, ahp_str message) noexcept {
    try {
        // A call carries its instance's logger (its runtime's sink); a NULL call belongs to no
        // runtime, so its line goes to the default logger (stderr), never to stdout.
        const CallFrame* f = call ? frame(call) : nullptr;
        std::string_view id = f && f->plugin ? std::string_view(f->plugin->id) : std::string_view("?");
        spdlog::logger& log = f && f->log ? *f->log : *stderr_logger();
        spdlog::level::level_enum lvl = level == AHP_LOG_ERROR  ? spdlog::level::err
                                        : level == AHP_LOG_WARN ? spdlog::level::warn
                                        : level == AHP_LOG_INFO ? spdlog::level::info
                                                                : spdlog::level::debug;
        log.log(lvl, "plugin={} {}", id, view(message));
    } catch (...) {
    }
}

const ahp_host_api_v1 kHostApi = {sizeof(ahp_host_api_v1), AHP_ABI_VERSION, &host_set_result, &host_set_error,
                                  &host_emit, &host_is_cancelled, &host_request, &host_log,
                                  &host_request_with_body};

CallOutcome finish(ahp_status status, CallFrame& f) {
    CallOutcome out;
    out.status = status;
    if (f.has_result && !f.result.empty()) {
        boost::system::error_code ec;
        out.result = json::parse(f.result, ec);
        if (ec && status == AHP_OK) {
            out.status = AHP_ERROR;
            f.error_code = "internal";
            f.error_message = "the plugin's result is not JSON: " + ec.message();
        }
    }
    if (out.status == AHP_OK && !f.has_result) out.result = json::value();
    if (out.status != AHP_OK) {
        out.error_code = f.error_code.empty() ? "internal" : f.error_code;
        out.error_message = f.error_message.empty() ? "the plugin failed without a message (status " +
                                                          std::to_string(static_cast<int>(status)) + ")"
                                                    : f.error_message;
    }
    return out;
}

/// Refuse a plugin; PluginInstance::create logs it once.
[[noreturn]] void refuse(const std::string& id, const std::string& reason) { throw PluginError(id, reason); }

std::string string_or(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

/// Check the describe answer against the manifest and parse its tools.
void check_description(const PluginManifest& m, const json::object& d, std::vector<ToolDescription>& tools,
                       std::vector<std::string>& hooks) {
    const std::string& id = m.id;
    auto mismatch = [&](std::string_view field, const std::string& got, const std::string& want) {
        refuse(id, "describe says " + std::string(field) + " '" + got + "' but the manifest " + m.file.string() +
                       " says '" + want + "'");
    };
    if (string_or(d, "id") != m.id) mismatch("id", string_or(d, "id"), m.id);
    if (string_or(d, "version") != m.version) mismatch("version", string_or(d, "version"), m.version);
    if (string_or(d, "abi") != m.abi) {
        unsigned a = 0, b = 0, c = 0, e = 0;
        bool ok = parse_abi_version(string_or(d, "abi"), a, b) && parse_abi_version(m.abi, c, e) && a == c && b >= e;
        if (!ok) mismatch("abi", string_or(d, "abi"), m.abi);
    }
    bool is_driver = d.contains("driver");
    if (is_driver != (m.kind == "driver")) {
        refuse(id, "describe " + std::string(is_driver ? "offers" : "lacks") + " a driver but the manifest's kind is '" +
                       m.kind + "'");
    }
    static const std::regex kToolName("^[A-Za-z0-9_-]{1,64}$");
    if (const json::value* t = d.if_contains("tools")) {
        if (!t->is_array()) refuse(id, "describe: 'tools' must be an array");
        for (const json::value& item : t->get_array()) {
            if (!item.is_object()) refuse(id, "describe: every tool must be an object");
            const json::object& o = item.get_object();
            ToolDescription td;
            td.name = string_or(o, "name");
            if (!std::regex_match(td.name, kToolName)) {
                refuse(id, "describe: tool name '" + td.name + "' must match [A-Za-z0-9_-]{1,64}");
            }
            if (std::any_of(tools.begin(), tools.end(), [&](const auto& x) { return x.name == td.name; })) {
                refuse(id, "describe: tool '" + td.name + "' is listed twice");
            }
            td.description = string_or(o, "description");
            td.parameters = o.contains("parameters") ? o.at("parameters") : json::value(json::object{{"type", "object"}});
            if (auto p = schema_problem(td.parameters, "tool '" + td.name + "' parameters")) refuse(id, "describe: " + *p);
            if (!td.parameters.is_object() || string_or(td.parameters.get_object(), "type") != "object") {
                refuse(id, "describe: tool '" + td.name + "' parameters must be a schema of \"type\": \"object\"");
            }
            const json::value* mut = o.if_contains("mutating");
            td.mutating = mut && mut->is_bool() && mut->get_bool();
            tools.push_back(std::move(td));
        }
    }
    if (const json::value* h = d.if_contains("hooks")) {
        if (!h->is_array()) refuse(id, "describe: 'hooks' must be an array");
        for (const json::value& item : h->get_array()) {
            if (!item.is_string()) refuse(id, "describe: every hook must be a string");
            std::string name(item.get_string());
            if (name != "system_prompt" && name != "before_model" && name != "after_tool") {
                refuse(id, "describe: unknown hook '" + name + "' (expected system_prompt, before_model or after_tool)");
            }
            hooks.push_back(std::move(name));
        }
    }
}

}  // namespace

std::string service_string(const json::value& params, std::string_view key) {
    const json::object* o = params.if_object();
    const json::value* v = o ? o->if_contains(key) : nullptr;
    if (!v || !v->is_string()) {
        throw ServiceError(AHP_INVALID_ARGUMENT, "missing string parameter '" + std::string(key) + "'");
    }
    return std::string(v->get_string());
}

bool ServiceRequest::cancelled() const { return call.cancelled && call.cancelled->load(std::memory_order_relaxed); }

void ServiceRouter::add(std::string name, std::string permission, Handler handler, bool takes_body) {
    services_[std::move(name)] = Service{std::move(permission), std::move(handler), takes_body};
}

json::value ServiceRouter::handle(std::string_view name, const json::value& params, ServiceRequest& request) const {
    auto it = services_.find(name);
    if (it == services_.end()) throw ServiceError(AHP_NOT_FOUND, "no host service named '" + std::string(name) + "'");
    const std::string& need = it->second.permission;
    if (!need.empty()) {
        const auto& perms = request.plugin.permissions;
        if (std::find(perms.begin(), perms.end(), need) == perms.end()) {
            throw ServiceError(AHP_DENIED, "plugin '" + request.plugin.id + "' did not declare the permission '" + need +
                                               "' that " + std::string(name) + " needs in its manifest");
        }
    }
    if (!request.body.empty() && !it->second.takes_body) {
        throw ServiceError(AHP_INVALID_ARGUMENT, "the host service " + std::string(name) + " takes no body");
    }
    return it->second.handler(params, request);
}

std::shared_ptr<PluginInstance> PluginInstance::create(std::shared_ptr<PluginLibrary> library,
                                                       const json::object& config, const ServiceRouter* services,
                                                       Logger log) {
    const std::string id = library_manifest(*library).id;
    try {
        return create_and_describe(std::move(library), config, services, log);
    } catch (const PluginError& e) {
        log->warn("plugin={} refused: {}", id, e.reason());
        throw;
    }
}

std::shared_ptr<PluginInstance> PluginInstance::create_and_describe(std::shared_ptr<PluginLibrary> library,
                                                              const json::object& config,
                                                              const ServiceRouter* services, Logger log) {
    const PluginManifest& m = library_manifest(*library);
    const ahp_plugin_v1& table = library_table(*library);
    if (!m.config_schema.is_null()) {
        if (auto v = schema_violation(m.config_schema, config, "config")) refuse(m.id, "invalid config: " + *v);
        // What the manifest marks secret is redacted from everything shown or stored from now on.
        SchemaSecrets secrets = schema_secrets(m.config_schema, config);
        for (const std::string& value : secrets.values) Redactor::global().add(value);
        for (const std::string& name : secrets.env_names) {
            if (const char* value = std::getenv(name.c_str())) Redactor::global().add(value);
        }
    }
    std::shared_ptr<PluginInstance> inst(new PluginInstance());
    inst->library_ = std::move(library);
    inst->log_ = std::move(log);
    CallContext context;
    context.services = services;
    CallFrame f;
    f.plugin = &m;
    f.context = &context;
    f.log = inst->log_.get();
    std::string config_text = json::serialize(config);
    ahp_status rc = table.create(&kHostApi, str(config_text), reinterpret_cast<ahp_call*>(&f), &inst->handle_);
    if (rc != AHP_OK || !inst->handle_) {
        inst->handle_ = nullptr;
        refuse(m.id, "create failed: " + (f.error_message.empty() ? std::string("no message") : f.error_message));
    }
    CallOutcome d = inst->invoke_text("describe", "{}", context);
    if (!d.ok()) refuse(m.id, "describe failed: " + d.error_message);
    if (!d.result.is_object()) refuse(m.id, "describe did not answer a JSON object");
    inst->description_ = std::move(d.result.get_object());
    check_description(m, inst->description_, inst->tools_, inst->hooks_);
    return inst;
}

PluginInstance::~PluginInstance() {
    if (handle_) library_table(*library_).destroy(handle_);
}

CallOutcome PluginInstance::invoke(std::string_view method, const json::value& params, CallContext& context) const {
    return invoke_text(method, json::serialize(params), context);
}

CallOutcome PluginInstance::invoke_text(std::string_view method, std::string_view params_json,
                                        CallContext& context) const {
    CallFrame f;
    f.plugin = &manifest();
    f.context = &context;
    f.log = log_.get();
    ahp_status rc = library_table(*library_).invoke(handle_, str(method), str(params_json), reinterpret_cast<ahp_call*>(&f));
    return finish(rc, f);
}

const PluginManifest& PluginInstance::manifest() const { return library_manifest(*library_); }
const std::string& PluginInstance::id() const { return manifest().id; }
bool PluginInstance::has_hook(std::string_view hook) const {
    return std::find(hooks_.begin(), hooks_.end(), hook) != hooks_.end();
}

}  // namespace agenthost
