// ahp_fake.hpp — a fake host, so a plugin can be unit-tested without agenthost.
//
//   // The built plugin with its manifest: refused as the host would refuse it (bad manifest,
//   // table or describe disagreeing with it, a config its config_schema rejects), and every
//   // service it asks for is checked against the permissions it declares.
//   auto host = ahp::fake::FakeHost::open_with_manifest("build/plugins/x.json", {{"threshold", 3}});
//   host.use_memory_fs({{"a.txt", "hi\n"}});   // fs.* over an in-memory workspace (fake_fs.hpp)
//   host.use_memory_storage();                 // storage.*
//   host.on_service("model.complete", [](const json::value& p) { return json::value{{"text", "ok"}}; });
//   auto r = host.call_tool("add", {{"a", 1}, {"b", 2}});   // r.ok(), r.result, r.error_message
//   host.run_command("btw", "what is x?");                  // and hook_system_prompt, hook_before_model,
//                                                           // hook_after_tool, driver_chat
//   // Or without a manifest, nothing enforced: FakeHost(ahp_plugin_entry_v1()) for a plugin
//   // linked into the test, FakeHost::open("build/plugins/x.so").
//   host.on_stream_service("http.request", [](const json::value& p, const auto& chunk) {
//       chunk("event: a\ndata: 1\n\n");                     // streamed to the sink's on_chunk
//       return json::value{{"status", 200}};                  // then the final answer
//   });
// A body passed beside the params (request_with_body) reaches a service as params["body"].
// FakeHost(table, config, 0) plays a 1.0 host, which has no request_with_body slot.
// Every method sends the params the host sends (docs/abi.md); outcomes read like the host's
// (a failure without a code is "internal").
#pragma once

#include <ahp/ahp.hpp>
#include <ahp/fake_fs.hpp>
#include <ahp/fake_load.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ahp {
inline namespace v1 {
namespace fake {

/// The outcome of one invoke through the fake host.
struct Outcome {
    ahp_status status = AHP_ERROR;
    json::value result;              // the parsed result on success
    std::string error_code;          // set on failure ("internal" if the plugin gave none)
    std::string error_message;       // set on failure
    std::vector<json::value> events; // everything the plugin emitted
    /// Whether the call succeeded.
    bool ok() const { return status == AHP_OK; }
};

/// The params of hook.before_model (docs/context-services.md); estimated_tokens and
/// message_count left negative are worked out from recent_messages as the host does.
struct BeforeModel {
    std::string turn_id = "fake-turn";
    std::int64_t iteration = 1;
    std::string model = "fake/model";
    std::int64_t context_window = 200000;
    std::int64_t estimated_tokens = -1;  // the history's bytes / 4 when negative
    std::int64_t message_count = -1;     // recent_messages.size() when negative
    json::array recent_messages;
};

/// An in-process host for one plugin instance.
class FakeHost {
public:
    using Service = std::function<json::value(const json::value& params)>;
    /// Sends one chunk to the plugin's sink; false once the plugin asked to stop.
    using ChunkFn = std::function<bool(std::string_view chunk)>;
    /// A streaming service: gets the params and a chunk function, returns the final answer.
    using StreamService = std::function<json::value(const json::value& params, const ChunkFn& chunk)>;

    /// Wrap a plugin table (from a linked-in entry or dlsym) and create an instance, enforcing
    /// nothing. host_minor 0 plays a 1.0 host (a host table without the 1.1 slots).
    explicit FakeHost(const ahp_plugin_v1* table, const std::string& config = "{}",
                      unsigned host_minor = AHP_ABI_MINOR)
        : s_(std::make_unique<State>()) {
        if (!table) throw std::runtime_error("fake host: the plugin table is NULL");
        std::memcpy(&s_->table, table, std::min<std::size_t>(table->struct_size, sizeof(ahp_plugin_v1)));
        s_->host_minor = host_minor;
        Outcome o = create(config);
        if (!o.ok()) throw std::runtime_error("fake host: create failed: " + o.error_message);
    }

    /// dlopen a built plugin and wrap it, enforcing nothing; the library stays loaded.
    static FakeHost open(const std::string& path, const std::string& config = "{}",
                         unsigned host_minor = AHP_ABI_MINOR) {
        void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib) throw std::runtime_error(std::string("fake host: dlopen: ") + ::dlerror());
        auto entry = reinterpret_cast<ahp_plugin_entry_v1_fn>(::dlsym(lib, AHP_ENTRY_SYMBOL_V1));
        if (!entry) throw std::runtime_error("fake host: no " AHP_ENTRY_SYMBOL_V1 " in " + path);
        return FakeHost(entry(), config, host_minor);
    }

    /// Load a built plugin through its manifest (`x.json`, or `x.so` with `x.json` beside it) and
    /// hold it to what the host holds it to: the load checks and config_schema (a refusal throws
    /// PluginRefused, worded as the host's), the declared permissions on every service request
    /// (AHP_DENIED as from the host), tool arguments against the tool's schema.
    static FakeHost open_with_manifest(const std::string& path, const json::object& config = {}) {
        Manifest m = load::manifest_for(path);
        load::check_manifest_abi(m);
        FakeHost host(Unloaded{});
        load::check_table(m, load::open_library(m), host.s_->table);
        load::check_config(m, config);
        host.s_->manifest = std::move(m);
        Outcome created = host.create(json::serialize(config));
        const std::string& id = host.s_->manifest->id;
        if (!created.ok()) {
            throw PluginRefused(id, "create failed: " + (created.error_message.empty() ? std::string("no message")
                                                                                         : created.error_message));
        }
        Outcome d = host.invoke("describe");
        if (!d.ok()) throw PluginRefused(id, "describe failed: " + d.error_message);
        if (!d.result.is_object()) throw PluginRefused(id, "describe did not answer a JSON object");
        host.s_->described = load::check_description(*host.s_->manifest, d.result.get_object());
        return host;
    }

    FakeHost(FakeHost&&) noexcept = default;
    FakeHost& operator=(FakeHost&&) = delete;
    FakeHost(const FakeHost&) = delete;
    FakeHost& operator=(const FakeHost&) = delete;
    ~FakeHost() {
        if (s_ && s_->instance) s_->table.destroy(s_->instance);
    }

    /// Answer a host service ("fs.read", "http.request", …) with fn; throw ahp::Error to fail it.
    void on_service(const std::string& name, Service fn) { s_->services[name] = std::move(fn); }
    /// Answer a host service with fn, which may stream chunks (an HTTP body) before its answer;
    /// it takes precedence over an on_service of the same name.
    void on_stream_service(const std::string& name, StreamService fn) { s_->stream_services[name] = std::move(fn); }
    /// Serve fs.* and session_data.* from an in-memory workspace holding `files`; returns it.
    MemoryFs& use_memory_fs(std::initializer_list<std::pair<const std::string, std::string>> files = {}) {
        auto fs = std::make_shared<MemoryFs>(files);
        for (const std::string& name : MemoryFs::services()) {
            on_service(name, [fs, name](const json::value& p) { return fs->handle(name, p); });
        }
        s_->fs = fs;
        return *fs;
    }
    /// The workspace use_memory_fs made (throws if it was not called).
    MemoryFs& memory_fs() {
        if (!s_->fs) throw std::logic_error("fake host: call use_memory_fs() first");
        return *s_->fs;
    }
    /// Serve storage.get/set/delete/list from a map, as the host does per session.
    void use_memory_storage() {
        auto kv = std::make_shared<std::pair<std::mutex, std::map<std::string, std::string>>>();
        auto key = [](const json::value& p, const char* k) {
            const json::value* v = p.is_object() ? p.get_object().if_contains(k) : nullptr;
            if (!v || !v->is_string())
                throw Error("invalid_arguments", "missing string parameter '" + std::string(k) + "'", AHP_INVALID_ARGUMENT);
            return std::string(v->get_string());
        };
        on_service("storage.get", [kv, key](const json::value& p) -> json::value {
            std::string k = key(p, "key");
            std::lock_guard<std::mutex> l(kv->first);
            auto it = kv->second.find(k);
            return json::object{{"value", it == kv->second.end() ? json::value() : json::value(it->second)}};
        });
        on_service("storage.set", [kv, key](const json::value& p) -> json::value {
            std::string k = key(p, "key"), v = key(p, "value");
            std::lock_guard<std::mutex> l(kv->first);
            kv->second[k] = v;
            return json::object{};
        });
        on_service("storage.delete", [kv, key](const json::value& p) -> json::value {
            std::string k = key(p, "key");
            std::lock_guard<std::mutex> l(kv->first);
            return json::object{{"deleted", kv->second.erase(k) > 0}};
        });
        on_service("storage.list", [kv](const json::value&) -> json::value {
            std::lock_guard<std::mutex> l(kv->first);
            json::array keys;
            for (const auto& e : kv->second) keys.push_back(json::string(e.first));
            return json::object{{"keys", std::move(keys)}};
        });
    }
    /// The manifest open_with_manifest read; null otherwise.
    const Manifest* manifest() const { return s_->manifest ? &*s_->manifest : nullptr; }
    /// The session id every method's params carry ("fake-session" unless set).
    void set_session_id(std::string id) { s_->session_id = std::move(id); }
    /// Make every later call see itself as interrupted (or not).
    void set_cancelled(bool v) { s_->cancelled = v; }
    /// Log lines the plugin wrote.
    std::vector<std::string> logs() const {
        std::lock_guard<std::mutex> l(s_->mu);
        return s_->logs;
    }

    /// Invoke a method with JSON params.
    Outcome invoke(std::string_view method, const json::value& params = json::object()) {
        CallState st{s_.get(), {}, {}, false};
        std::string text = json::serialize(params);
        ahp_status rc = s_->table.invoke(s_->instance, to_str(method), to_str(text), reinterpret_cast<ahp_call*>(&st));
        return finish(rc, st);
    }
    /// The plugin's describe answer (throws if it fails).
    json::object describe() {
        Outcome o = invoke("describe");
        if (!o.ok()) throw std::runtime_error("describe failed: " + o.error_message);
        return o.result.as_object();
    }
    /// Call a tool as the agent loop does: {name, arguments, tool_call_id, session_id, turn_id}.
    /// Opened with a manifest, an unknown tool or arguments its schema rejects fail as they
    /// would in the host, before the plugin is called (AHP_INVALID_ARGUMENT here).
    Outcome call_tool(std::string_view name, const json::object& arguments = {}) {
        if (s_->manifest) {
            const auto& tools = s_->described.tools;
            auto it = std::find_if(tools.begin(), tools.end(), [&](const auto& t) { return t.first == name; });
            if (it == tools.end()) {
                std::string names;
                for (const auto& t : tools) names += (names.empty() ? "" : ", ") + t.first;
                return refused("unknown tool '" + std::string(name) + "'; available tools: " + (names.empty() ? "none" : names));
            }
            if (auto v = schema::violation(it->second, arguments, "arguments"))
                return refused("invalid arguments for '" + std::string(name) + "': " + *v);
        }
        return invoke("tool.call", json::object{{"name", name},
                                                {"arguments", arguments},
                                                {"tool_call_id", "fake-call-" + std::to_string(++s_->calls)},
                                                {"session_id", s_->session_id},
                                                {"turn_id", "fake-turn"}});
    }
    /// Run a command ("/btw QUESTION" is run_command("btw", "QUESTION")): `arguments` is the one
    /// string after the name; `messages` the session's history the host passes along.
    Outcome run_command(std::string_view name, std::string_view arguments = "", json::array messages = {}) {
        if (!name.empty() && name.front() == '/') name.remove_prefix(1);
        return invoke("command.execute", json::object{{"name", name},
                                                      {"arguments", arguments},
                                                      {"session_id", s_->session_id},
                                                      {"messages", std::move(messages)}});
    }
    /// hook.system_prompt {session_id, model}; the answer is {text}.
    Outcome hook_system_prompt(std::string_view model = "fake/model") {
        return invoke("hook.system_prompt", json::object{{"session_id", s_->session_id}, {"model", model}});
    }
    /// hook.before_model with the host's params, scalars first (hooks may scan the raw text).
    Outcome hook_before_model(const BeforeModel& p = {}) {
        std::size_t bytes = 0;
        for (const json::value& m : p.recent_messages) bytes += json::serialize(m).size();
        json::object params;
        params["session_id"] = s_->session_id;
        params["turn_id"] = p.turn_id;
        params["iteration"] = p.iteration;
        params["model"] = p.model;
        params["context_window"] = p.context_window;
        params["estimated_tokens"] = p.estimated_tokens >= 0 ? p.estimated_tokens : static_cast<std::int64_t>(bytes / 4);
        params["message_count"] =
            p.message_count >= 0 ? p.message_count : static_cast<std::int64_t>(p.recent_messages.size());
        params["recent_messages"] = p.recent_messages;
        return invoke("hook.before_model", params);
    }
    /// hook.after_tool {tool_call: {id, name, arguments}, result, is_error, session_id}; the answer
    /// may carry a replacement {result}.
    Outcome hook_after_tool(const json::object& tool_call, const json::value& result, bool is_error = false) {
        return invoke("hook.after_tool", json::object{{"tool_call", tool_call},
                                                      {"result", result},
                                                      {"is_error", is_error},
                                                      {"session_id", s_->session_id}});
    }
    /// driver.chat with a model request (docs/abi.md, "The driver contract"); session_id, turn_id
    /// and iteration are added when missing. The text deltas are in the outcome's events.
    Outcome driver_chat(json::object request) {
        if (!request.contains("session_id")) request["session_id"] = s_->session_id;
        if (!request.contains("turn_id")) request["turn_id"] = "fake-turn";
        if (!request.contains("iteration")) request["iteration"] = 1;
        return invoke("driver.chat", request);
    }

private:
    struct State {
        ahp_plugin_v1 table{};
        ahp_instance* instance = nullptr;
        unsigned host_minor = AHP_ABI_MINOR;
        std::optional<Manifest> manifest;
        load::Described described;
        std::map<std::string, Service> services;
        std::map<std::string, StreamService> stream_services;
        std::shared_ptr<MemoryFs> fs;
        std::string session_id = "fake-session";
        std::atomic<std::uint64_t> calls{0};
        std::atomic<bool> cancelled{false};
        mutable std::mutex mu;
        std::vector<std::string> logs;
    };
    struct CallState {
        State* host;
        Outcome out;
        std::string result;
        bool has_result;
    };

    struct Unloaded {};
    /// A host with no plugin yet (open_with_manifest fills it in).
    explicit FakeHost(Unloaded) : s_(std::make_unique<State>()) {}

    static CallState& state(ahp_call* c) { return *reinterpret_cast<CallState*>(c); }

    Outcome create(const std::string& config) {
        CallState st{s_.get(), {}, {}, false};
        const ahp_host_api_v1* host = s_->host_minor == 0 ? &api_1_0() : &api();
        ahp_status rc = s_->table.create(host, to_str(config), reinterpret_cast<ahp_call*>(&st), &s_->instance);
        if (rc != AHP_OK || !s_->instance) {
            s_->instance = nullptr;
            if (rc == AHP_OK) rc = AHP_ERROR;
        }
        return finish(rc, st);
    }
    /// The outcome as the host reads it: a result that is not JSON fails the call; a failure
    /// without a code is "internal".
    static Outcome finish(ahp_status rc, CallState& st) {
        Outcome out = std::move(st.out);
        out.status = rc;
        if (st.has_result && !st.result.empty()) {
            boost::system::error_code ec;
            out.result = json::parse(st.result, ec);
            if (ec && rc == AHP_OK) {
                out.status = AHP_ERROR;
                out.error_code = "internal";
                out.error_message = "the plugin's result is not JSON: " + ec.message();
            }
        }
        if (out.status != AHP_OK) {
            if (out.error_code.empty()) out.error_code = "internal";
            if (out.error_message.empty())
                out.error_message = "the plugin failed without a message (status " + std::to_string(static_cast<int>(rc)) + ")";
        }
        return out;
    }
    /// A call the host refuses before it reaches the plugin.
    static Outcome refused(std::string message) {
        Outcome o;
        o.status = AHP_INVALID_ARGUMENT;
        o.error_code = "invalid_arguments";
        o.error_message = std::move(message);
        return o;
    }

    static void set_result(ahp_call* c, ahp_str json_text) noexcept {
        try {
            state(c).result.assign(to_view(json_text));
            state(c).has_result = true;
        } catch (...) {
        }
    }
    static void set_error(ahp_call* c, ahp_str code, ahp_str message) noexcept {
        try {
            state(c).out.error_code.assign(to_view(code));
            state(c).out.error_message.assign(to_view(message));
        } catch (...) {
        }
    }
    static ahp_status emit(ahp_call* c, ahp_str event) noexcept {
        if (state(c).host->cancelled) return AHP_CANCELLED;
        try {
            state(c).out.events.push_back(json::parse(to_view(event)));
        } catch (...) {
            return AHP_INVALID_ARGUMENT;
        }
        return AHP_OK;
    }
    static int is_cancelled(const ahp_call* c) noexcept {
        return reinterpret_cast<const CallState*>(c)->host->cancelled ? 1 : 0;
    }
    static ahp_status request(ahp_call* c, ahp_str service, ahp_str params, const ahp_sink* sink) noexcept {
        return request_with_body(c, service, params, ahp_str{nullptr, 0}, sink);
    }
    /// The params as a service sees them: a body beside them becomes their "body".
    static json::value params_of(ahp_str params, ahp_str body) {
        json::value p = params.len ? json::parse(to_view(params)) : json::value(json::object());
        if (body.len != 0) {
            json::object* o = p.if_object();
            if (!o) throw Error("invalid_arguments", "params must be a JSON object", AHP_INVALID_ARGUMENT);
            if (o->contains("body")) {
                throw Error("invalid_arguments", "a body both in the params and beside them", AHP_INVALID_ARGUMENT);
            }
            (*o)["body"] = to_view(body);
        }
        return p;
    }
    /// With a manifest, what the host's service router refuses: an unknown service
    /// (AHP_NOT_FOUND), an undeclared permission (AHP_DENIED), a body to a service without one.
    static void check_request(const State& s, const std::string& service, ahp_str body) {
        if (!s.manifest) return;
        std::optional<std::string_view> need = service_permission(service);
        if (!need) throw Error("not_found", "no host service named '" + service + "'", AHP_NOT_FOUND);
        if (!need->empty() && !s.manifest->allows(*need)) {
            throw Error("denied",
                        "plugin '" + s.manifest->id + "' did not declare the permission '" + std::string(*need) + "' that " +
                            service + " needs in its manifest",
                        AHP_DENIED);
        }
        if (body.len != 0 && service != "http.request") {
            throw Error("invalid_arguments", "the host service " + service + " takes no body", AHP_INVALID_ARGUMENT);
        }
    }
    static ahp_status request_with_body(ahp_call* c, ahp_str service, ahp_str params, ahp_str body,
                                        const ahp_sink* sink) noexcept {
        if (!sink || !sink->on_done) return AHP_INVALID_ARGUMENT;
        State* self = state(c).host;
        return answer(sink, [&](const ChunkFn& chunk) -> json::value {
            const std::string name(to_view(service));
            check_request(*self, name, body);
            if (auto st = self->stream_services.find(name); st != self->stream_services.end()) {
                return st->second(params_of(params, body), chunk);
            }
            auto it = self->services.find(name);
            if (it == self->services.end()) {
                throw Error("not_found",
                            "fake host has no service '" + name + "' (register one with on_service, or use_memory_fs)",
                            AHP_NOT_FOUND);
            }
            return it->second(params_of(params, body));
        });
    }
    /// Deliver fn's answer, or the error it throws, to the sink.
    template <class Fn>
    static ahp_status answer(const ahp_sink* sink, Fn&& fn) noexcept {
        ChunkFn chunk = [sink](std::string_view data) {
            return !sink->on_chunk || sink->on_chunk(sink->user, to_str(data)) == AHP_OK;
        };
        try {
            std::string text = json::serialize(fn(chunk));
            sink->on_done(sink->user, AHP_OK, to_str(text));
            return AHP_OK;
        } catch (const Error& e) {
            sink->on_done(sink->user, e.status(), to_str(e.what()));
            return e.status();
        } catch (const std::exception& e) {
            sink->on_done(sink->user, AHP_ERROR, to_str(e.what()));
            return AHP_ERROR;
        }
    }
    static void log(ahp_call* c, ahp_log_level, ahp_str message) noexcept {
        if (!c) return;
        State* self = state(c).host;
        try {
            std::lock_guard<std::mutex> l(self->mu);
            self->logs.emplace_back(to_view(message));
        } catch (...) {
        }
    }

    /// One host table for every fake host: an instance keeps this pointer for its lifetime.
    static const ahp_host_api_v1& api() {
        static const ahp_host_api_v1 table = {sizeof(ahp_host_api_v1), AHP_ABI_VERSION, &set_result, &set_error,
                                              &emit, &is_cancelled, &request, &log, &request_with_body};
        return table;
    }
    /// A 1.0 host's table: it ends before request_with_body.
    static const ahp_host_api_v1& api_1_0() {
        static const ahp_host_api_v1 table = {static_cast<std::uint32_t>(offsetof(ahp_host_api_v1, request_with_body)),
                                              AHP_MAKE_VERSION(1, 0), &set_result, &set_error, &emit, &is_cancelled,
                                              &request, &log, nullptr};
        return table;
    }

    std::unique_ptr<State> s_;  // on the heap: a moved host keeps its address for services and calls
};

}  // namespace fake
}  // namespace v1
}  // namespace ahp
