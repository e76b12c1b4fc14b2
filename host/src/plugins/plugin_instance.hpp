// A created plugin instance, the host side of the C ABI (the ahp_host_api_v1 table), and the
// service router that answers a plugin's host->request calls.
#pragma once

#include "plugins/loader.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace agenthost {

/// A service failure the plugin sees as a status and a message.
class ServiceError : public std::runtime_error {
public:
    ServiceError(ahp_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    /// The status the plugin receives.
    ahp_status status() const noexcept { return status_; }

private:
    ahp_status status_;
};

struct CallContext;

/// One service request in progress, as a handler sees it.
struct ServiceRequest {
    const PluginManifest& plugin;  ///< who asks
    CallContext& call;             ///< the call it is part of
    /// Deliver one chunk of a streamed answer; false once the plugin stopped the stream.
    std::function<bool(std::string_view)> chunk;
    /// The bytes passed beside the params (request_with_body, ABI 1.1); only a service added
    /// with takes_body sees a non-empty one.
    std::string_view body;
    /// The asking instance's logger (its runtime's sink).
    spdlog::logger& log = *stderr_logger();
    /// Whether the call was interrupted.
    bool cancelled() const;
};

/// A required string parameter of a service request; ServiceError(INVALID_ARGUMENT) naming it.
std::string service_string(const boost::json::value& params, std::string_view key);

/// Named host services ("fs.read", "storage.get", …), each with the manifest permission it
/// needs ("" for none).
class ServiceRouter {
public:
    using Handler = std::function<boost::json::value(const boost::json::value& params, ServiceRequest& request)>;
    /// Add or replace a service. One without takes_body refuses a request that carries a body.
    void add(std::string name, std::string permission, Handler handler, bool takes_body = false);
    /// Answer a request: NOT_FOUND for an unknown service, DENIED for a missing permission.
    boost::json::value handle(std::string_view name, const boost::json::value& params, ServiceRequest& request) const;

private:
    struct Service {
        std::string permission;
        Handler handler;
        bool takes_body = false;
    };
    std::map<std::string, Service, std::less<>> services_;
};

/// What the host knows about a call while it runs.
struct CallContext {
    const std::atomic<bool>* cancelled = nullptr;  ///< the turn's interrupt flag
    /// An event the plugin streamed; return false to tell it to stop.
    std::function<bool(boost::json::value&& event)> on_emit;
    const ServiceRouter* services = nullptr;  ///< none: every request is NOT_FOUND
    std::string session_id;
    std::string turn_id;
};

/// The outcome of one invoke.
struct CallOutcome {
    ahp_status status = AHP_ERROR;
    boost::json::value result;  ///< the parsed result; may carry hints even on failure
    std::string error_code;     ///< category on failure ("internal" if the plugin gave none)
    std::string error_message;  ///< on failure
    /// Whether the call succeeded.
    bool ok() const noexcept { return status == AHP_OK; }
};

/// A tool as a plugin describes it.
struct ToolDescription {
    std::string name;
    std::string description;
    boost::json::value parameters;
    bool mutating = false;
};

/// An instance created from a loaded library with a config. Holds its library alive.
class PluginInstance {
public:
    /// Step 5 of the pipeline: create(config), then describe, cross-checked against the
    /// manifest (id, version, abi, kind) and validated (tool names, schemas). Throws PluginError,
    /// logged on `log`, which also takes the instance's own log lines and those of the host
    /// services it calls.
    static std::shared_ptr<PluginInstance> create(std::shared_ptr<PluginLibrary> library,
                                                  const boost::json::object& config,
                                                  const ServiceRouter* services, Logger log);
    ~PluginInstance();
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    /// Call one method with JSON params; never throws for a plugin failure.
    CallOutcome invoke(std::string_view method, const boost::json::value& params, CallContext& context) const;
    /// Same, with params already serialized.
    CallOutcome invoke_text(std::string_view method, std::string_view params_json, CallContext& context) const;

    /// The manifest it was loaded from.
    const PluginManifest& manifest() const;
    /// The plugin id.
    const std::string& id() const;
    /// The describe answer.
    const boost::json::object& description() const noexcept { return description_; }
    /// The tools it offers.
    const std::vector<ToolDescription>& tools() const noexcept { return tools_; }
    /// The hooks it implements ("system_prompt", "before_model", "after_tool").
    bool has_hook(std::string_view hook) const;

private:
    PluginInstance() = default;
    static std::shared_ptr<PluginInstance> create_and_describe(std::shared_ptr<PluginLibrary> library,
                                                         const boost::json::object& config,
                                                         const ServiceRouter* services, Logger log);

    std::shared_ptr<PluginLibrary> library_;  // first: destroyed last
    Logger log_;
    ahp_instance* handle_ = nullptr;
    boost::json::object description_;
    std::vector<ToolDescription> tools_;
    std::vector<std::string> hooks_;
};

}  // namespace agenthost
