#include "services/session_services.hpp"

#include "services/context_services.hpp"
#include "services/fs_services.hpp"
#include "services/http_service.hpp"
#include "services/instructions_service.hpp"

#include <spdlog/logger.h>

namespace agenthost {

namespace {


void add_storage(ServiceRouter& r, Session& s) {
    r.add("storage.get", "", [&s](const json::value& p, ServiceRequest&) -> json::value {
        auto v = s.kv_get(service_string(p, "key"));
        return json::object{{"value", v ? json::value(*v) : json::value()}};
    });
    r.add("storage.set", "", [&s](const json::value& p, ServiceRequest&) -> json::value {
        s.kv_set(service_string(p, "key"), service_string(p, "value"));
        return json::object{};
    });
    r.add("storage.delete", "", [&s](const json::value& p, ServiceRequest&) -> json::value {
        return json::object{{"deleted", s.kv_erase(service_string(p, "key"))}};
    });
    r.add("storage.list", "", [&s](const json::value&, ServiceRequest&) -> json::value {
        json::array keys;
        for (auto& k : s.kv_keys()) keys.push_back(json::string(k));
        return json::object{{"keys", std::move(keys)}};
    });
    r.add("secret.get", "", [&s](const json::value& p, ServiceRequest& req) -> json::value {
        std::string name = service_string(p, "name");
        auto v = s.secret(name);
        req.log.debug("plugin={} read secret '{}' ({})", req.plugin.id, name, v ? "found" : "missing");
        if (!v) throw ServiceError(AHP_NOT_FOUND, "no secret named '" + name + "' in this session");
        return json::object{{"value", *v}};
    });
}

void add_connections(ServiceRouter& r, const RuntimeConfig& cfg, Session& s) {
    r.add("connection.get", "", [&cfg, &s](const json::value& p, ServiceRequest&) -> json::value {
        std::string provider = service_string(p, "provider");
        std::optional<json::value> c = cfg.connection_resolver ? cfg.connection_resolver(s.id(), provider) : std::nullopt;
        if (!c) throw ServiceError(AHP_NOT_FOUND, "no connection for '" + provider + "' in this session");
        return json::object{{"provider", provider}, {"connection", std::move(*c)}};
    });
}

void add_approvals(ServiceRouter& r, ApprovalGate& gate) {
    r.add("approval.ask", "", [&gate](const json::value& p, ServiceRequest& req) -> json::value {
        ApprovalRequest a;
        a.action = service_string(p, "action");
        a.summary = service_string(p, "summary");
        const json::object& o = p.as_object();
        if (const json::value* d = o.if_contains("details"); d && d->is_string()) a.details = d->get_string();
        if (const json::value* k = o.if_contains("key"); k && k->is_string()) a.key = k->get_string();
        ApprovalGate::Verdict v = gate.decide(std::move(a), req.plugin.id);
        return json::object{{"approved", v.approved}, {"reason", v.reason}};
    });
}

}  // namespace

std::unique_ptr<ServiceRouter> make_session_services(const RuntimeConfig& config, Session& session,
                                                     ApprovalGate& gate, NetworkAccessList network_access) {
    auto r = std::make_unique<ServiceRouter>();
    add_storage(*r, session);
    add_connections(*r, config, session);
    add_approvals(*r, gate);
    add_file_services(*r, session);
    add_instructions_service(*r, session);
    add_context_services(*r, config, session);
    add_http_service(*r, network_access);
    r->add("network.check", "net", [net = std::move(network_access)](const json::value& p, ServiceRequest&) -> json::value {
        auto d = net.check(service_string(p, "url"));
        return json::object{{"allowed", d.allowed}, {"rule", d.rule}};
    });
    return r;
}

}  // namespace agenthost
