// ahp_fake.hpp — a fake host, so a plugin can be unit-tested without agenthost.
//
//   ahp::fake::FakeHost host(ahp_plugin_entry_v1());            // a plugin linked in, or
//   auto host = ahp::fake::FakeHost::open("build/plugins/x.so"); // a built plugin
//   host.on_service("fs.read", [](const json::value& p) { return json::value{{"content","hi"}}; });
//   auto r = host.call_tool("add", {{"a", 1}, {"b", 2}});      // r.ok(), r.result
//   host.on_stream_service("http.request", [](const json::value& p, const auto& chunk) {
//       chunk("event: a\ndata: 1\n\n");                         // streamed to the sink's on_chunk
//       return json::value{{"status", 200}};                      // then the final answer
//   });
// A body passed beside the params (request_with_body) reaches a service as params["body"].
// FakeHost(table, config, 0) plays a 1.0 host, which has no request_with_body slot.
#pragma once

#include <ahp/ahp.hpp>

#include <dlfcn.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ahp {
inline namespace v1 {
namespace fake {

/// The outcome of one invoke through the fake host.
struct Outcome {
    ahp_status status = AHP_ERROR;
    json::value result;              // the parsed result on success
    std::string error_code;          // set on failure
    std::string error_message;       // set on failure
    std::vector<json::value> events; // everything the plugin emitted
    /// Whether the call succeeded.
    bool ok() const { return status == AHP_OK; }
};

/// An in-process host for one plugin instance.
class FakeHost {
public:
    using Service = std::function<json::value(const json::value& params)>;
    /// Sends one chunk to the plugin's sink; false once the plugin asked to stop.
    using ChunkFn = std::function<bool(std::string_view chunk)>;
    /// A streaming service: gets the params and a chunk function, returns the final answer.
    using StreamService = std::function<json::value(const json::value& params, const ChunkFn& chunk)>;

    /// Wrap a plugin table (from a linked-in entry or dlsym) and create an instance. host_minor
    /// 0 plays a 1.0 host (a host table without the 1.1 slots).
    explicit FakeHost(const ahp_plugin_v1* table, const std::string& config = "{}",
                      unsigned host_minor = AHP_ABI_MINOR)
        : table_(table) {
        if (!table_) throw std::runtime_error("fake host: the plugin table is NULL");
        CallState st{this, {}};
        const ahp_host_api_v1* host = host_minor == 0 ? &api_1_0() : &api();
        if (table_->create(host, to_str(config), reinterpret_cast<ahp_call*>(&st), &instance_) != AHP_OK) {
            throw std::runtime_error("fake host: create failed: " + st.out.error_message);
        }
    }

    /// dlopen a built plugin and wrap it; the library stays loaded for the process.
    static FakeHost open(const std::string& path, const std::string& config = "{}",
                         unsigned host_minor = AHP_ABI_MINOR) {
        void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib) throw std::runtime_error(std::string("fake host: dlopen: ") + ::dlerror());
        auto entry = reinterpret_cast<ahp_plugin_entry_v1_fn>(::dlsym(lib, AHP_ENTRY_SYMBOL_V1));
        if (!entry) throw std::runtime_error("fake host: no " AHP_ENTRY_SYMBOL_V1 " in " + path);
        return FakeHost(entry(), config, host_minor);
    }

    FakeHost(FakeHost&& o) noexcept
        : table_(o.table_), instance_(o.instance_), services_(std::move(o.services_)),
          stream_services_(std::move(o.stream_services_)) {
        o.instance_ = nullptr;
    }
    FakeHost(const FakeHost&) = delete;
    FakeHost& operator=(const FakeHost&) = delete;
    ~FakeHost() {
        if (instance_) table_->destroy(instance_);
    }

    /// Answer a host service ("fs.read", "http.request", …) with fn; throw ahp::Error to fail it.
    void on_service(const std::string& name, Service fn) { services_[name] = std::move(fn); }
    /// Answer a host service with fn, which may stream chunks (an HTTP body) before its answer;
    /// it takes precedence over an on_service of the same name.
    void on_stream_service(const std::string& name, StreamService fn) { stream_services_[name] = std::move(fn); }
    /// Make every later call see itself as interrupted (or not).
    void set_cancelled(bool v) { cancelled_ = v; }
    /// Log lines the plugin wrote.
    std::vector<std::string> logs() const {
        std::lock_guard<std::mutex> l(mu_);
        return logs_;
    }

    /// Invoke a method with JSON params.
    Outcome invoke(std::string_view method, const json::value& params = json::object()) {
        CallState st{this, {}};
        std::string text = json::serialize(params);
        st.out.status = table_->invoke(instance_, to_str(method), to_str(text), reinterpret_cast<ahp_call*>(&st));
        return std::move(st.out);
    }
    /// The plugin's describe answer (throws if it fails).
    json::object describe() {
        Outcome o = invoke("describe");
        if (!o.ok()) throw std::runtime_error("describe failed: " + o.error_message);
        return o.result.as_object();
    }
    /// Call a tool by name.
    Outcome call_tool(std::string_view name, const json::object& arguments = {}) {
        return invoke("tool.call", json::object{{"name", name}, {"arguments", arguments}});
    }

private:
    struct CallState {
        FakeHost* host;
        Outcome out;
    };
    static CallState& state(ahp_call* c) { return *reinterpret_cast<CallState*>(c); }

    static void set_result(ahp_call* c, ahp_str json_text) noexcept {
        try {
            state(c).out.result = json::parse(to_view(json_text));
        } catch (const std::exception& e) {
            state(c).out.error_message = std::string("result is not JSON: ") + e.what();
        }
    }
    static void set_error(ahp_call* c, ahp_str code, ahp_str message) noexcept {
        state(c).out.error_code.assign(to_view(code));
        state(c).out.error_message.assign(to_view(message));
    }
    static ahp_status emit(ahp_call* c, ahp_str event) noexcept {
        if (state(c).host->cancelled_) return AHP_CANCELLED;
        try {
            state(c).out.events.push_back(json::parse(to_view(event)));
        } catch (...) {
            return AHP_INVALID_ARGUMENT;
        }
        return AHP_OK;
    }
    static int is_cancelled(const ahp_call* c) noexcept {
        return reinterpret_cast<const CallState*>(c)->host->cancelled_ ? 1 : 0;
    }
    static ahp_status request(ahp_call* c, ahp_str service, ahp_str params, const ahp_sink* sink) noexcept {
        return request_with_body(c, service, params, ahp_str{nullptr, 0}, sink);
    }
    /// The params as a service sees them: a body beside them becomes their "body".
    static json::value params_of(ahp_str params, ahp_str body) {
        json::value p = json::parse(to_view(params));
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
    static ahp_status request_with_body(ahp_call* c, ahp_str service, ahp_str params, ahp_str body,
                                        const ahp_sink* sink) noexcept {
        FakeHost* self = state(c).host;
        if (auto st = self->stream_services_.find(std::string(to_view(service))); st != self->stream_services_.end()) {
            return request_stream(st->second, params, body, sink);
        }
        auto it = self->services_.find(std::string(to_view(service)));
        if (it == self->services_.end()) {
            std::string msg = "fake host has no service '" + std::string(to_view(service)) + "'";
            sink->on_done(sink->user, AHP_NOT_FOUND, to_str(msg));
            return AHP_NOT_FOUND;
        }
        return answer(sink, [&] { return it->second(params_of(params, body)); });
    }
    static ahp_status request_stream(const StreamService& fn, ahp_str params, ahp_str body,
                                     const ahp_sink* sink) noexcept {
        ChunkFn chunk = [sink](std::string_view data) {
            return !sink->on_chunk || sink->on_chunk(sink->user, to_str(data)) == AHP_OK;
        };
        return answer(sink, [&] { return fn(params_of(params, body), chunk); });
    }
    /// Deliver fn's answer, or the error it throws, to the sink.
    template <class Fn>
    static ahp_status answer(const ahp_sink* sink, Fn&& fn) noexcept {
        try {
            std::string text = json::serialize(fn());
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
        FakeHost* self = state(c).host;
        std::lock_guard<std::mutex> l(self->mu_);
        self->logs_.emplace_back(to_view(message));
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

    const ahp_plugin_v1* table_;
    ahp_instance* instance_ = nullptr;
    std::map<std::string, Service> services_;
    std::map<std::string, StreamService> stream_services_;
    std::atomic<bool> cancelled_{false};
    mutable std::mutex mu_;
    std::vector<std::string> logs_;
};

}  // namespace fake
}  // namespace v1
}  // namespace ahp
