// `agenthost serve` limits (DESIGN §8): bounded bodies and headers, header and idle timeouts,
// connection and session caps, /v1/metrics, and /v1/openapi.json against the real routes.
#include "support/daemon_client.hpp"

#include <gtest/gtest.h>

#include <set>

namespace agenthost::test {
namespace {

namespace json = boost::json;
using V = http::verb;

/// A raw connection; reads until the server closes it and returns what came.
std::string read_to_close(tcp::socket& s) {
    std::string got;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
        std::size_t n = s.read_some(net::buffer(buf), ec);
        if (ec) return got;
        got.append(buf, n);
    }
}

tcp::socket connect(net::io_context& io, const Daemon& d) {
    tcp::socket s(io);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), d.port()));
    bound_socket(s.native_handle());
    return s;
}

TEST(DaemonLimits, BodiesAndHeadersAreBounded) {
    Daemon d({"--max-body", "1000"});
    HttpReply big = d.request(V::post, "/v1/sessions", "{\"work_dir\":\"" + std::string(2000, 'a') + "\"}");
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(big.error_code(), "body_too_large");
    HttpReply huge_header = d.request(V::get, "/v1/sessions", "", true, {{"X-Filler", std::string(20000, 'h')}});
    EXPECT_EQ(huge_header.status, 431);
    EXPECT_EQ(d.get("/v1/health").status, 200);  // and the daemon is fine
}

TEST(DaemonLimits, SlowHeadersAndIdleConnectionsAreClosed) {
    Daemon d({"--header-timeout", "300", "--idle-timeout", "300"});
    net::io_context io;
    tcp::socket slow = connect(io, d);
    net::write(slow, net::buffer(std::string("GET /v1/health HTTP/1.1\r\nHost: x\r\n")));  // and never the end
    EXPECT_EQ(read_to_close(slow), "");
    tcp::socket idle = connect(io, d);
    EXPECT_EQ(read_to_close(idle), "");
    EXPECT_EQ(d.get("/v1/health").status, 200);
}

TEST(DaemonLimits, ConnectionCapAnswers503WithRetryAfter) {
    Daemon d({"--max-connections", "2"});
    {
        net::io_context io;
        tcp::socket a = connect(io, d), b = connect(io, d);
        // The two are accepted before the third comes: one request each proves it.
        for (tcp::socket* s : {&a, &b}) {
            net::write(*s, net::buffer(std::string("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")));
            char buf[512];
            s->read_some(net::buffer(buf));
        }
        tcp::socket c = connect(io, d);
        std::string refused = read_to_close(c);
        EXPECT_NE(refused.find("503"), std::string::npos) << refused;
        EXPECT_NE(refused.find("Retry-After"), std::string::npos) << refused;
        EXPECT_NE(refused.find("too_many_connections"), std::string::npos) << refused;
    }
}

TEST(DaemonLimits, SessionCapAnswers503WithRetryAfter) {
    Daemon d({"--max-sessions", "2", "--harness", "base"});
    d.create_session(json::array{say("a")});
    d.create_session(json::array{say("b")});
    HttpReply third = d.post("/v1/sessions", json::object{{"work_dir", d.new_work_dir().string()}});
    EXPECT_EQ(third.status, 503);
    EXPECT_EQ(third.error_code(), "too_many_sessions");
    EXPECT_EQ(third.headers["Retry-After"], "1");
}

TEST(DaemonLimits, MetricsCountSessionsThreadsEventsAndRequests) {
    Daemon d({"--harness", "base", "--turn-threads", "3"});
    std::string id = d.create_session(json::array{say("m")}, json::object{{"prompt", "x"}});
    d.get("/v1/sessions/" + id);
    d.get("/v1/sessions/nosuch");
    HttpReply m = d.get("/v1/metrics");
    ASSERT_EQ(m.status, 200);
    EXPECT_NE(m.headers["Content-Type"].find("text/plain"), std::string::npos);
    auto value = [&](const std::string& name) -> long long {
        auto at = m.body.find("\n" + name + " ");
        if (at == std::string::npos) return -1;
        return std::stoll(m.body.substr(at + name.size() + 2));
    };
    EXPECT_EQ(value("agenthost_threads{role=\"turn\"}"), 3);
    EXPECT_EQ(value("agenthost_threads{role=\"io\"}"), 2);
    EXPECT_GT(value("agenthost_threads{role=\"process\"}"), 3);
    EXPECT_GE(value("agenthost_events_written_total"), 1);
    EXPECT_EQ(value("agenthost_sessions{status=\"deleted\"}"), 0);
    EXPECT_GE(value("agenthost_sessions{status=\"idle\"}") + value("agenthost_sessions{status=\"running\"}"), 1);
    EXPECT_EQ(value("agenthost_http_requests_total{route=\"/v1/sessions/{id}\",status=\"404\"}"), 1);
    EXPECT_GE(value("agenthost_http_requests_total{route=\"/v1/sessions/{id}\",status=\"200\"}"), 1);
    EXPECT_EQ(value("agenthost_subscribers"), 0);
    EXPECT_GT(value("agenthost_resident_bytes"), 0);
}

TEST(DaemonLimits, OpenApiDescribesExactlyTheRoutesTheServerHas) {
    Daemon d({"--harness", "base"});
    std::string id = d.create_session(json::array{say("x")});
    HttpReply doc = d.get("/v1/openapi.json");
    ASSERT_EQ(doc.status, 200);
    json::object api = doc.json().as_object();
    EXPECT_EQ(api.at("openapi"), "3.1.0");
    const json::object& paths = api.at("paths").as_object();
    // Every route of DESIGN §8 is described.
    for (const char* p : {"/v1/health", "/v1/metrics", "/v1/openapi.json", "/v1/sessions", "/v1/sessions/{id}",
                          "/v1/sessions/{id}/messages", "/v1/sessions/{id}/interrupt", "/v1/sessions/{id}/steer",
                          "/v1/sessions/{id}/approvals", "/v1/sessions/{id}/approvals/{approval_id}",
                          "/v1/sessions/{id}/events", "/v1/sessions/{id}/ws"}) {
        EXPECT_TRUE(paths.contains(p)) << p;
    }
    // For each described path the server allows exactly the described methods: a method no
    // route has (PATCH) gets 405 and the Allow list of the path's real routes.
    for (const auto& [path, item] : paths) {
        std::set<std::string> described;
        for (const auto& op : item.as_object()) {
            std::string m(op.key());
            for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            described.insert(m);
        }
        std::string target(path);
        for (auto [from, to] : {std::pair<std::string, std::string>{"{id}", id}, {"{approval_id}", "a1"}}) {
            if (auto at = target.find(from); at != std::string::npos) target.replace(at, from.size(), to);
        }
        HttpReply r = d.request(V::patch, target);
        ASSERT_EQ(r.status, 405) << path << " " << r.body;
        std::set<std::string> allowed;
        std::string allow = r.headers["Allow"];
        for (std::size_t pos = 0; pos <= allow.size();) {
            std::size_t comma = allow.find(',', pos);
            if (comma == std::string::npos) comma = allow.size();
            std::string m = allow.substr(pos, comma - pos);
            while (!m.empty() && m.front() == ' ') m.erase(0, 1);
            if (!m.empty()) allowed.insert(m);
            pos = comma + 1;
        }
        EXPECT_EQ(allowed, described) << path;
    }
    // And a path it does not describe is no route.
    EXPECT_EQ(d.request(V::patch, "/v1/sessions/" + id + "/nothing").error_code(), "no_route");
}

}  // namespace
}  // namespace agenthost::test
