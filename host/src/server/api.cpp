#include "server/api.hpp"

#include "server/api_error.hpp"
#include "server/auth.hpp"

#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>

#include <set>

namespace agenthost::server {

namespace {

const std::set<std::string> kStatuses = {"idle", "running", "waiting_approval", "failed", "deleted"};

Outcome respond(const Request& req, http::status status, const json::value& body) {
    Outcome o;
    o.response = json_response(req.version(), status, body);
    return o;
}

/// The body as a JSON object with only `allowed` keys; an empty body is {}.
json::object body_object(const Request& req, std::initializer_list<std::string_view> allowed) {
    if (req.body().empty()) return {};
    boost::system::error_code ec;
    json::value v = json::parse(req.body(), ec);
    if (ec) throw ApiError(400, "invalid_json", "the body is not valid JSON: " + ec.message());
    if (!v.is_object()) throw ApiError(400, "invalid_json", "the body must be a JSON object");
    for (const auto& kv : v.get_object()) {
        if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
            std::string names;
            for (std::string_view a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
            throw ApiError(400, "invalid_request", "unknown field '" + std::string(kv.key()) + "' (expected " + names + ")");
        }
    }
    return std::move(v.get_object());
}

std::optional<std::string> opt_string(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) throw ApiError(400, "invalid_request", "field '" + std::string(key) + "' must be a string");
    return std::string(v->get_string());
}

std::string required_text(const json::object& o, std::string_view key) {
    std::optional<std::string> s = opt_string(o, key);
    if (!s || s->empty()) throw ApiError(400, "invalid_request", "field '" + std::string(key) + "' must be a non-empty string");
    return *s;
}

std::optional<std::string> one_of(const json::object& o, std::string_view key, std::initializer_list<std::string_view> allowed) {
    std::optional<std::string> s = opt_string(o, key);
    if (!s) return s;
    if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
        std::string names;
        for (std::string_view a : allowed) names += (names.empty() ? "" : " | ") + std::string(a);
        throw ApiError(400, "invalid_request", "field '" + std::string(key) + "' must be " + names + ", not '" + *s + "'");
    }
    return s;
}

std::uint64_t query_number(const std::map<std::string, std::string>& q, const std::string& key, std::uint64_t fallback) {
    auto it = q.find(key);
    if (it == q.end()) return fallback;
    const std::string& v = it->second;
    if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) {
        throw ApiError(400, "invalid_request", "query parameter '" + key + "' must be a non-negative integer");
    }
    return std::stoull(v);
}

bool query_flag(const std::map<std::string, std::string>& q, const std::string& key) {
    auto it = q.find(key);
    if (it == q.end()) return false;
    if (it->second == "1" || it->second == "true") return true;
    if (it->second == "0" || it->second == "false") return false;
    throw ApiError(400, "invalid_request", "query parameter '" + key + "' must be 1, 0, true or false");
}

json::object summary(const SessionRecord& r) {
    return json::object{{"session_id", r.id},         {"status", r.status},     {"harness", r.effective_harness},
                        {"model", r.effective_model}, {"work_dir", r.work_dir}, {"title", r.title},
                        {"tags", r.tags},             {"created_at", r.created_at}, {"last_sequence", r.last_sequence}};
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        out.emplace_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

}  // namespace

Response json_response(unsigned version, http::status status, const json::value& body) {
    Response res{status, version};
    res.set(http::field::server, "agenthost");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.body() = json::serialize(body);
    res.prepare_payload();
    return res;
}

Response error_response(unsigned version, int status, const std::string& code, const std::string& message) {
    Response res = json_response(version, static_cast<http::status>(status),
                                 json::object{{"error", json::object{{"code", code}, {"message", message}}}});
    if (status == 503) res.set(http::field::retry_after, "1");
    if (status == 401) res.set(http::field::www_authenticate, "Bearer");
    return res;
}

Api::Api(SessionManager& manager, Metrics& metrics, std::string token, int io_threads)
    : manager_(manager), metrics_(metrics), token_(std::move(token)), io_threads_(io_threads) {
    using V = http::verb;
    add(V::get, "/v1/health", [](const Request& req, const Params&, const Params&) {
        return respond(req, http::status::ok, json::object{{"status", "ok"}});
    });
    add(V::get, "/v1/metrics", [this](const Request& req, const Params&, const Params&) {
        Outcome o;
        o.response = Response{http::status::ok, req.version()};
        o.response.set(http::field::content_type, "text/plain; version=0.0.4");
        o.response.body() = metrics_.render(manager_, io_threads_);
        o.response.prepare_payload();
        return o;
    });
    add(V::get, "/v1/openapi.json", [](const Request& req, const Params&, const Params&) {
        Outcome o;
        o.response = Response{http::status::ok, req.version()};
        o.response.set(http::field::content_type, "application/json");
        o.response.body() = openapi_document();
        o.response.prepare_payload();
        return o;
    });
    add(V::post, "/v1/sessions", [this](const Request& req, const Params&, const Params&) {
        json::object b = body_object(req, {"work_dir", "harness", "model", "agent", "approval", "sandbox", "prompt", "title",
                                           "tags", "driver_config", "idempotency_key"});
        if (b.contains("agent")) {
            throw ApiError(400, "invalid_request", "field 'agent': external agents are not supported by this daemon yet");
        }
        CreateRequest c;
        std::optional<std::string> work_dir = opt_string(b, "work_dir");
        if (!work_dir) throw ApiError(400, "invalid_request", "field 'work_dir' is required (an absolute folder path)");
        c.work_dir = *work_dir;
        c.harness = opt_string(b, "harness");
        if (c.harness && (c.harness->empty() || c.harness->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") !=
                                                    std::string::npos)) {
            throw ApiError(400, "invalid_request", "field 'harness' must be a harness name ([a-z0-9_-]), not a path");
        }
        c.model = opt_string(b, "model");
        c.approval = one_of(b, "approval", {"ask", "auto", "deny"});
        c.sandbox = one_of(b, "sandbox", {"off", "read-only", "workspace-write"});
        c.prompt = opt_string(b, "prompt");
        if (c.prompt && c.prompt->empty()) throw ApiError(400, "invalid_request", "field 'prompt' must not be empty");
        c.title = opt_string(b, "title");
        c.idempotency_key = opt_string(b, "idempotency_key");
        if (c.idempotency_key && (c.idempotency_key->empty() || c.idempotency_key->size() > 256)) {
            throw ApiError(400, "invalid_request", "field 'idempotency_key' must be 1 to 256 characters");
        }
        if (const json::value* t = b.if_contains("tags")) {
            if (!t->is_array()) throw ApiError(400, "invalid_request", "field 'tags' must be an array of strings");
            for (const json::value& tag : t->get_array()) {
                if (!tag.is_string()) throw ApiError(400, "invalid_request", "field 'tags' must be an array of strings");
            }
            c.tags = t->get_array();
        }
        if (const json::value* d = b.if_contains("driver_config")) {
            if (!d->is_object()) throw ApiError(400, "invalid_request", "field 'driver_config' must be an object {driver id: config}");
            for (const auto& kv : d->get_object()) {
                if (!kv.value().is_object()) {
                    throw ApiError(400, "invalid_request",
                                   "field 'driver_config." + std::string(kv.key()) + "' must be an object (the driver's config)");
                }
            }
            c.driver_config = d->get_object();
        }
        Created made = manager_.create(c);
        const std::string& id = made.record.id;
        json::object out{{"session_id", id},
                         {"status", made.record.status},
                         {"events_url", "/v1/sessions/" + id + "/events"},
                         {"ws_url", "/v1/sessions/" + id + "/ws"}};
        if (!made.turn_id.empty()) out["turn_id"] = made.turn_id;
        return respond(req, made.existed ? http::status::ok : http::status::created, out);
    });
    add(V::get, "/v1/sessions", [this](const Request& req, const Params&, const Params& q) {
        std::string status = q.count("status") ? q.at("status") : "";
        if (!status.empty() && !kStatuses.count(status)) {
            throw ApiError(400, "invalid_request",
                           "query parameter 'status' must be idle, running, waiting_approval, failed or deleted");
        }
        json::array list;
        for (const SessionRecord& r : manager_.list(status, q.count("tag") ? q.at("tag") : "")) list.push_back(summary(r));
        return respond(req, http::status::ok, json::object{{"sessions", std::move(list)}});
    });
    add(V::get, "/v1/sessions/{id}", [this](const Request& req, const Params& p, const Params&) {
        return respond(req, http::status::ok, manager_.describe(p.at("id")));
    });
    add(V::delete_, "/v1/sessions/{id}", [this](const Request& req, const Params& p, const Params&) {
        manager_.remove(p.at("id"));
        return respond(req, http::status::ok, json::object{{"session_id", p.at("id")}, {"status", "deleted"}});
    });
    add(V::post, "/v1/sessions/{id}/messages", [this](const Request& req, const Params& p, const Params&) {
        json::object b = body_object(req, {"text"});
        std::string turn = manager_.post_message(p.at("id"), required_text(b, "text"));
        return respond(req, http::status::accepted, json::object{{"turn_id", turn}});
    });
    add(V::post, "/v1/sessions/{id}/interrupt", [this](const Request& req, const Params& p, const Params&) {
        body_object(req, {});
        manager_.interrupt(p.at("id"));
        return respond(req, http::status::accepted, json::object{{"session_id", p.at("id")}});
    });
    add(V::post, "/v1/sessions/{id}/steer", [this](const Request& req, const Params& p, const Params&) {
        json::object b = body_object(req, {"text"});
        manager_.steer(p.at("id"), required_text(b, "text"));
        return respond(req, http::status::accepted, json::object{{"session_id", p.at("id")}});
    });
    add(V::get, "/v1/sessions/{id}/approvals", [this](const Request& req, const Params& p, const Params&) {
        return respond(req, http::status::ok, json::object{{"approvals", manager_.approvals(p.at("id"))}});
    });
    add(V::post, "/v1/sessions/{id}/approvals/{approval_id}", [this](const Request& req, const Params& p, const Params&) {
        json::object b = body_object(req, {"decision"});
        std::optional<std::string> d = opt_string(b, "decision");
        if (!d) throw ApiError(400, "invalid_request", "field 'decision' is required: approve, deny or approve_always");
        manager_.decide(p.at("id"), p.at("approval_id"), *d);
        return respond(req, http::status::ok, json::object{{"approval_id", p.at("approval_id")}, {"decision", *d}});
    });
    add(V::get, "/v1/sessions/{id}/events", [this](const Request& req, const Params& p, const Params& q) {
        std::uint64_t after = query_number(q, "after", 0);
        std::uint64_t limit = query_number(q, "limit", 0);
        bool follow = query_flag(q, "follow");
        bool sse = req[http::field::accept].find("text/event-stream") != std::string_view::npos;
        if (sse) {
            if (auto last = req.find("Last-Event-ID"); last != req.end()) {
                Params h{{"Last-Event-ID", std::string(last->value())}};
                after = query_number(h, "Last-Event-ID", after);
            }
        }
        if (sse || follow) {
            manager_.describe(p.at("id"));  // 404 before the stream starts
            Outcome o;
            o.kind = Outcome::kStream;
            o.session_id = p.at("id");
            o.after = after;
            o.sse = sse;
            return o;
        }
        std::vector<Event> events = manager_.events(p.at("id"), after, limit);
        Outcome o;
        o.response = Response{http::status::ok, req.version()};
        o.response.set(http::field::content_type, "application/x-ndjson");
        for (const Event& e : events) o.response.body() += to_json_line(e) + "\n";
        o.response.prepare_payload();
        return o;
    });
    add(V::get, "/v1/sessions/{id}/ws", [this](const Request& req, const Params& p, const Params& q) {
        if (!beast::websocket::is_upgrade(req)) {
            throw ApiError(426, "upgrade_required", "this route is a WebSocket: send an Upgrade: websocket request");
        }
        manager_.describe(p.at("id"));  // 404 before the upgrade
        Outcome o;
        o.kind = Outcome::kWebSocket;
        o.session_id = p.at("id");
        o.after = query_number(q, "after", 0);
        return o;
    });
}

void Api::add(http::verb method, std::string pattern, Handler handler) {
    Route r{method, pattern, split_path(pattern), std::move(handler)};
    routes_.push_back(std::move(r));
}

bool Api::authorized(const Request& req, std::string* subprotocol) const {
    if (auto h = req.find(http::field::authorization); h != req.end()) {
        auto token = bearer_token(h->value());
        return token && token_matches(token_, *token);
    }
    if (auto h = req.find(http::field::sec_websocket_protocol); h != req.end() && beast::websocket::is_upgrade(req)) {
        auto token = subprotocol_token(h->value());
        if (!token || !token_matches(token_, *token)) return false;
        *subprotocol = "agenthost.bearer." + *token;
        return true;
    }
    return false;
}

Outcome Api::handle(const Request& req) {
    Outcome out;
    std::string route = "-";
    try {
        out = dispatch(req, route);
    } catch (const ApiError& e) {
        out = Outcome{};
        out.response = error_response(req.version(), e.status(), e.code(), e.what());
    } catch (const std::exception& e) {
        out = Outcome{};
        out.response = error_response(req.version(), 500, "internal_error", e.what());
    }
    out.route = route;
    return out;
}

Outcome Api::dispatch(const Request& req, std::string& route) {
    auto url = boost::urls::parse_origin_form(req.target());
    if (!url) throw ApiError(400, "invalid_request", "the request target is not a valid path");
    Params query;
    for (const auto& param : url->params()) {
        std::string key = param.key;
        std::string lower = key;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.find("token") != std::string::npos || lower == "auth" || lower == "authorization" || lower == "bearer") {
            throw ApiError(400, "token_in_url",
                           "credentials are never accepted in the URL (query parameter '" + key +
                               "'); send Authorization: Bearer, or for a WebSocket the subprotocol agenthost.bearer.<token>");
        }
        query[key] = param.has_value ? std::string(param.value) : std::string();
    }
    std::vector<std::string> segments;
    for (auto seg : url->segments()) segments.emplace_back(seg);
    std::vector<const Route*> matched;
    Params path;
    const Route* chosen = nullptr;
    for (const Route& r : routes_) {
        if (r.segments.size() != segments.size()) continue;
        Params p;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            const std::string& s = r.segments[i];
            if (s.size() > 2 && s.front() == '{' && s.back() == '}') p[s.substr(1, s.size() - 2)] = segments[i];
            else ok = s == segments[i];
        }
        if (!ok) continue;
        matched.push_back(&r);
        if (r.method == req.method() || (r.method == http::verb::get && req.method() == http::verb::head)) {
            chosen = &r;
            path = std::move(p);
        }
    }
    if (!matched.empty()) route = matched.front()->pattern;
    if (route == "/v1/health" && chosen) return chosen->handler(req, path, query);
    std::string subprotocol;
    if (!authorized(req, &subprotocol)) {
        bool presented = req.find(http::field::authorization) != req.end() ||
                         req.find(http::field::sec_websocket_protocol) != req.end();
        throw ApiError(401, "unauthorized",
                       presented ? "the bearer token is not valid"
                                 : "missing bearer token: send Authorization: Bearer <token> (the token is in the data "
                                   "folder's file 'token')");
    }
    if (matched.empty()) {
        throw ApiError(404, "no_route", "no route " + std::string(req.method_string()) + " " + std::string(url->path()));
    }
    if (!chosen) {
        std::string allow;
        for (const Route* r : matched) allow += (allow.empty() ? "" : ", ") + std::string(http::to_string(r->method));
        Outcome o;
        o.response = error_response(req.version(), 405, "method_not_allowed",
                                    std::string(req.method_string()) + " is not allowed here; allowed: " + allow);
        o.response.set(http::field::allow, allow);
        return o;
    }
    route = chosen->pattern;
    Outcome o = chosen->handler(req, path, query);
    o.subprotocol = subprotocol;
    return o;
}

}  // namespace agenthost::server
