#include "core/services.hpp"

#include <spdlog/spdlog.h>

namespace agenthost {

namespace {

std::string string_param(const json::value& params, std::string_view key) {
    const json::object* o = params.if_object();
    const json::value* v = o ? o->if_contains(key) : nullptr;
    if (!v || !v->is_string()) {
        throw ServiceError(AHP_INVALID_ARGUMENT, "missing string parameter '" + std::string(key) + "'");
    }
    return std::string(v->get_string());
}

bool bool_param(const json::value& params, std::string_view key) {
    const json::object* o = params.if_object();
    const json::value* v = o ? o->if_contains(key) : nullptr;
    return v && v->is_bool() && v->get_bool();
}

/// Run a file-store operation, turning its errors into service errors.
template <class Fn>
json::value with_files(Fn&& fn) {
    try {
        return fn();
    } catch (const FileStoreError& e) {
        ahp_status st = e.code() == "not_found"                                 ? AHP_NOT_FOUND
                        : e.code() == "invalid_path"                            ? AHP_INVALID_ARGUMENT
                        : e.code() == "read_only" || e.code() == "denied"       ? AHP_DENIED
                                                                                : AHP_ERROR;
        throw ServiceError(st, e.what());
    }
}

void add_storage(ServiceRouter& r, Session& s) {
    r.add("storage.get", "", [&s](const json::value& p, ServiceRequest&) -> json::value {
        auto v = s.kv_get(string_param(p, "key"));
        return json::object{{"value", v ? json::value(*v) : json::value()}};
    });
    r.add("storage.set", "", [&s](const json::value& p, ServiceRequest&) -> json::value {
        s.kv_set(string_param(p, "key"), string_param(p, "value"));
        return json::object{};
    });
    r.add("storage.delete", "", [&s](const json::value& p, ServiceRequest&) -> json::value {
        return json::object{{"deleted", s.kv_erase(string_param(p, "key"))}};
    });
    r.add("storage.list", "", [&s](const json::value&, ServiceRequest&) -> json::value {
        json::array keys;
        for (auto& k : s.kv_keys()) keys.push_back(json::string(k));
        return json::object{{"keys", std::move(keys)}};
    });
    r.add("secret.get", "", [&s](const json::value& p, ServiceRequest& req) -> json::value {
        std::string name = string_param(p, "name");
        auto v = s.secret(name);
        spdlog::debug("plugin={} read secret '{}' ({})", req.plugin.id, name, v ? "found" : "missing");
        if (!v) throw ServiceError(AHP_NOT_FOUND, "no secret named '" + name + "' in this session");
        return json::object{{"value", *v}};
    });
}

void add_connections(ServiceRouter& r, const RuntimeConfig& cfg, Session& s) {
    r.add("connection.get", "", [&cfg, &s](const json::value& p, ServiceRequest&) -> json::value {
        std::string provider = string_param(p, "provider");
        std::optional<json::value> c = cfg.connection_resolver ? cfg.connection_resolver(s.id(), provider) : std::nullopt;
        if (!c) throw ServiceError(AHP_NOT_FOUND, "no connection for '" + provider + "' in this session");
        return json::object{{"provider", provider}, {"connection", std::move(*c)}};
    });
}

void add_approvals(ServiceRouter& r, const RuntimeConfig& cfg, Session& s) {
    r.add("approval.ask", "", [&cfg, &s](const json::value& p, ServiceRequest& req) -> json::value {
        ApprovalRequest a;
        a.session_id = s.id();
        a.approval_id = new_uuid_v7();
        a.action = string_param(p, "action");
        a.summary = string_param(p, "summary");
        if (const json::value* d = p.as_object().if_contains("details"); d && d->is_string()) a.details = d->get_string();
        s.emit(event_type::kApprovalRequested,
               json::object{{"approval_id", a.approval_id}, {"action", a.action}, {"summary", a.summary},
                            {"details", a.details}, {"plugin", req.plugin.id}},
               req.call.turn_id);
        bool approved = false;
        std::string by;
        switch (cfg.approval_policy) {
            case ApprovalPolicy::kAuto: approved = true, by = "policy:auto"; break;
            case ApprovalPolicy::kDeny: approved = false, by = "policy:deny"; break;
            case ApprovalPolicy::kAsk:
                approved = cfg.approval_handler && !req.cancelled() && cfg.approval_handler(a);
                by = cfg.approval_handler ? "user" : "policy:no-handler";
                break;
        }
        s.emit(event_type::kApprovalDecided, json::object{{"approval_id", a.approval_id}, {"approved", approved}, {"by", by}},
               req.call.turn_id);
        return json::object{{"approved", approved},
                            {"reason", approved ? "approved" : by == "user" ? "the user denied it" : "denied by the approval policy (" + by + ")"}};
    });
}

void add_files(ServiceRouter& r, Session& s) {
    r.add("fs.read", "fs.read", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            std::string path = string_param(p, "path");
            auto content = s.files()->read(path);
            if (!content) throw ServiceError(AHP_NOT_FOUND, "no file '" + path + "' in the workspace");
            return json::object{{"content", *content}, {"size", content->size()}};
        });
    });
    r.add("fs.stat", "fs.read", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            FileStat st = s.files()->stat(string_param(p, "path"));
            return json::object{{"exists", st.exists}, {"is_dir", st.is_dir}, {"size", st.size}, {"read_only", st.read_only}};
        });
    });
    r.add("fs.list", "fs.read", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            json::array entries;
            for (const DirEntry& e : s.files()->list(string_param(p, "path"))) {
                entries.push_back(json::object{{"name", e.name}, {"is_dir", e.is_dir}, {"size", e.size}});
            }
            return json::object{{"entries", std::move(entries)}};
        });
    });
    r.add("fs.write", "fs.write", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            s.files()->write(string_param(p, "path"), string_param(p, "content"));
            return json::object{};
        });
    });
    r.add("fs.delete", "fs.write", [&s](const json::value& p, ServiceRequest&) {
        return with_files([&]() -> json::value {
            return json::object{{"deleted", s.files()->remove(string_param(p, "path"), bool_param(p, "recursive"))}};
        });
    });
}

}  // namespace

std::unique_ptr<ServiceRouter> make_session_services(const RuntimeConfig& config, Session& session,
                                                     NetworkAccessList network_access) {
    auto r = std::make_unique<ServiceRouter>();
    add_storage(*r, session);
    add_connections(*r, config, session);
    add_approvals(*r, config, session);
    add_files(*r, session);
    r->add("network.check", "net", [net = std::move(network_access)](const json::value& p, ServiceRequest&) -> json::value {
        auto d = net.check(string_param(p, "url"));
        return json::object{{"allowed", d.allowed}, {"rule", d.rule}};
    });
    return r;
}

}  // namespace agenthost
