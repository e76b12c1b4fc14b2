// GET /v1/openapi.json: the routes of api.cpp in OpenAPI 3.1. Written by hand; the test
// daemon_openapi_test checks it against the routes the server answers.
#include "server/api.hpp"

namespace agenthost::server {

namespace {

json::object error_ref(const char* description) {
    return json::object{{"description", description},
                        {"content", json::object{{"application/json", json::object{{"schema", json::object{{"$ref", "#/components/schemas/Error"}}}}}}}};
}

json::object json_body(json::object schema) {
    return json::object{{"required", true}, {"content", json::object{{"application/json", json::object{{"schema", std::move(schema)}}}}}};
}

json::object ok(const char* description, const char* media = "application/json") {
    return json::object{{"description", description}, {"content", json::object{{media, json::object{}}}}};
}

json::object op(const char* summary, json::object responses, json::array params = {}, json::object body = {}) {
    json::object o{{"summary", summary}, {"responses", std::move(responses)}};
    if (!params.empty()) o["parameters"] = std::move(params);
    if (!body.empty()) o["requestBody"] = std::move(body);
    return o;
}

json::object param(const char* name, const char* in, const char* type, bool required = false) {
    return json::object{{"name", name}, {"in", in}, {"required", required}, {"schema", json::object{{"type", type}}}};
}

json::object text_body() {
    return json_body(json::object{{"type", "object"},
                                  {"required", json::array{"text"}},
                                  {"properties", json::object{{"text", json::object{{"type", "string"}}}}}});
}

std::string build() {
    json::object sid = param("id", "path", "string", true);
    json::object common{{"401", error_ref("missing or invalid bearer token")}, {"404", error_ref("unknown session")}};
    auto with = [&](json::object r) {
        for (const auto& kv : common) r[kv.key()] = kv.value();
        return r;
    };
    json::object create_schema{
        {"type", "object"},
        {"required", json::array{"work_dir"}},
        {"properties",
         json::object{{"work_dir", json::object{{"type", "string"}, {"description", "absolute folder; see the work_dir rules"}}},
                      {"harness", json::object{{"type", "string"}}},
                      {"model", json::object{{"type", "string"}}},
                      {"approval", json::object{{"enum", json::array{"ask", "auto", "deny"}}}},
                      {"sandbox", json::object{{"enum", json::array{"off", "read-only", "workspace-write"}}}},
                      {"prompt", json::object{{"type", "string"}}},
                      {"title", json::object{{"type", "string"}}},
                      {"tags", json::object{{"type", "array"}, {"items", json::object{{"type", "string"}}}}},
                      {"driver_config", json::object{{"type", "object"}, {"description", "{driver id: config}"}}},
                      {"idempotency_key", json::object{{"type", "string"}}}}}};
    json::object paths{
        {"/v1/health", json::object{{"get", op("liveness; needs no token", json::object{{"200", ok("ok")}})}}},
        {"/v1/metrics", json::object{{"get", op("Prometheus metrics", json::object{{"200", ok("metrics", "text/plain")},
                                                                                      {"401", error_ref("unauthorized")}})}}},
        {"/v1/openapi.json", json::object{{"get", op("this document", json::object{{"200", ok("OpenAPI 3.1")},
                                                                                    {"401", error_ref("unauthorized")}})}}},
        {"/v1/sessions",
         json::object{{"post", op("create a session (idempotent with idempotency_key)",
                                  json::object{{"201", ok("created: {session_id, status, events_url, ws_url, turn_id?}")},
                                               {"200", ok("the session this idempotency_key made")},
                                               {"400", error_ref("invalid body or work_dir")},
                                               {"401", error_ref("unauthorized")},
                                               {"503", error_ref("session cap reached; Retry-After")}},
                                  {}, json_body(create_schema))},
                      {"get", op("list sessions, newest first",
                                 json::object{{"200", ok("{sessions: [...]}")}, {"401", error_ref("unauthorized")}},
                                 json::array{param("status", "query", "string"), param("tag", "query", "string")})}}},
        {"/v1/sessions/{id}",
         json::object{{"get", op("one session", with(json::object{{"200", ok("the session")}}), json::array{sid})},
                      {"delete", op("cancel its turn, archive its log", with(json::object{{"200", ok("deleted")}}),
                                    json::array{sid})}}},
        {"/v1/sessions/{id}/messages",
         json::object{{"post", op("start a turn", with(json::object{{"202", ok("{turn_id}")}, {"409", error_ref("a turn runs")}}),
                                  json::array{sid}, text_body())}}},
        {"/v1/sessions/{id}/interrupt",
         json::object{{"post", op("interrupt the running turn", with(json::object{{"202", ok("accepted")}}), json::array{sid})}}},
        {"/v1/sessions/{id}/steer",
         json::object{{"post", op("add a user message the running turn sees next", with(json::object{{"202", ok("accepted")}}),
                                  json::array{sid}, text_body())}}},
        {"/v1/sessions/{id}/approvals",
         json::object{{"get", op("approvals waiting for an answer", with(json::object{{"200", ok("{approvals: [...]}")}}),
                                 json::array{sid})}}},
        {"/v1/sessions/{id}/approvals/{approval_id}",
         json::object{{"post", op("answer an approval",
                                  with(json::object{{"200", ok("answered")}, {"409", error_ref("already answered")}}),
                                  json::array{sid, param("approval_id", "path", "string", true)},
                                  json_body(json::object{{"type", "object"},
                                                         {"required", json::array{"decision"}},
                                                         {"properties", json::object{{"decision", json::object{{"enum", json::array{"approve", "deny", "approve_always"}}}}}}}))}}},
        {"/v1/sessions/{id}/events",
         json::object{{"get", op("stored events after a sequence: NDJSON, or SSE with Accept: text/event-stream",
                                 with(json::object{{"200", ok("events", "application/x-ndjson")}}),
                                 json::array{sid, param("after", "query", "integer"), param("limit", "query", "integer"),
                                             param("follow", "query", "boolean")})}}},
        {"/v1/sessions/{id}/ws",
         json::object{{"get", op("WebSocket: stored events after a sequence, then live ones",
                                 with(json::object{{"101", json::object{{"description", "switching protocols"}}},
                                                   {"426", error_ref("not a WebSocket upgrade")}}),
                                 json::array{sid, param("after", "query", "integer")})}}},
    };
    json::object doc{
        {"openapi", "3.1.0"},
        {"info", json::object{{"title", "agenthost daemon"}, {"version", "0.1.0"}}},
        {"paths", std::move(paths)},
        {"components",
         json::object{{"securitySchemes", json::object{{"bearer", json::object{{"type", "http"}, {"scheme", "bearer"}}}}},
                      {"schemas",
                       json::object{{"Error",
                                     json::object{{"type", "object"},
                                                  {"properties", json::object{{"error", json::object{{"type", "object"},
                                                                                                      {"properties", json::object{{"code", json::object{{"type", "string"}}},
                                                                                                                                  {"message", json::object{{"type", "string"}}}}}}}}}}}}}}},
        {"security", json::array{json::object{{"bearer", json::array{}}}}},
    };
    return json::serialize(doc);
}

}  // namespace

const std::string& openapi_document() {
    static const std::string doc = build();
    return doc;
}

}  // namespace agenthost::server
