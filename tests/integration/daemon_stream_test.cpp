// `agenthost serve`: replay without gaps over NDJSON, SSE and WebSocket, client frames, and a slow
// reader closed without slowing anyone (DESIGN §8).
#include "support/daemon_client.hpp"

#include <gtest/gtest.h>

#include <random>

namespace agenthost::test {
namespace {

namespace json = boost::json;

/// A raw streaming GET: the header, then the body as it comes, line by line.
class LineReader {
public:
    LineReader(const Daemon& d, const std::string& target, const std::map<std::string, std::string>& headers = {})
        : socket_(io_) {
        socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), d.port()));
        bound_socket(socket_.native_handle());
        std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + d.token() + "\r\n";
        for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
        req += "\r\n";
        net::write(socket_, net::buffer(req));
        std::string head = until("\r\n\r\n");
        status_ = std::stoi(head.substr(9, 3));
        header_ = head;
    }
    /// The next line without its newline.
    std::string line() { return until("\n"); }
    int status() const { return status_; }
    const std::string& header() const { return header_; }

private:
    std::string until(const std::string& end) {
        for (;;) {
            if (auto at = buf_.find(end); at != std::string::npos) {
                std::string out = buf_.substr(0, at);
                buf_.erase(0, at + end.size());
                return out;
            }
            char chunk[4096];
            std::size_t n = socket_.read_some(net::buffer(chunk));
            buf_.append(chunk, n);
        }
    }
    net::io_context io_;
    tcp::socket socket_;
    std::string buf_;
    int status_ = 0;
    std::string header_;
};

std::uint64_t seq(const json::object& e) { return e.at("sequence").to_number<std::uint64_t>(); }

json::array math_script(int adds) {
    json::array r;
    for (int i = 0; i < adds; ++i) r.push_back(call("add", json::object{{"a", i}, {"b", 1}}));
    r.push_back(say("the sum is done, in a few words streamed one by one"));
    return r;
}

TEST(DaemonStream, NdjsonAfterLimitAndFollow) {
    Daemon d({"--harness", "base"});
    std::string id = d.create_session(json::array{say("one"), say("two")}, json::object{{"prompt", "first"}});
    LineReader follow(d, "/v1/sessions/" + id + "/events?after=0&follow=1");
    ASSERT_EQ(follow.status(), 200);
    EXPECT_NE(follow.header().find("application/x-ndjson"), std::string::npos);
    std::vector<json::object> got;
    while (got.empty() || got.back().at("type") != "turn.completed") got.push_back(json::parse(follow.line()).as_object());
    ASSERT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "second"}}).status, 202);
    do {
        got.push_back(json::parse(follow.line()).as_object());
    } while (got.back().at("type") != "turn.completed");
    EXPECT_EQ(sequence_gap(got, 0), std::nullopt);
    EXPECT_EQ(got.back().at("data").at("response"), "two");

    HttpReply page = d.get("/v1/sessions/" + id + "/events?after=2&limit=3");
    ASSERT_EQ(page.status, 200);
    std::vector<std::uint64_t> seqs;
    for (std::size_t pos = 0; pos < page.body.size();) {
        std::size_t nl = page.body.find('\n', pos);
        seqs.push_back(seq(json::parse(page.body.substr(pos, nl - pos)).as_object()));
        pos = nl + 1;
    }
    EXPECT_EQ(seqs, (std::vector<std::uint64_t>{3, 4, 5}));
    EXPECT_EQ(d.get("/v1/sessions/" + id + "/events?after=x").status, 400);
}

TEST(DaemonStream, SseHonoursLastEventId) {
    Daemon d({"--harness", "base"});
    std::string id = d.create_session(json::array{say("streamed words here")}, json::object{{"prompt", "go"}});
    d.events(id);  // the turn may still run: SSE follows it either way
    LineReader sse(d, "/v1/sessions/" + id + "/events", {{"Accept", "text/event-stream"}, {"Last-Event-ID", "3"}});
    ASSERT_EQ(sse.status(), 200);
    EXPECT_NE(sse.header().find("text/event-stream"), std::string::npos);
    std::vector<json::object> got;
    std::string last_id;
    while (got.empty() || got.back().at("type") != "turn.completed") {
        std::string line = sse.line();
        if (line.rfind("id: ", 0) == 0) last_id = line.substr(4);
        if (line.rfind("data: ", 0) == 0) {
            got.push_back(json::parse(line.substr(6)).as_object());
            if (got.back().at("type") != "output.message.delta") {
                EXPECT_EQ(last_id, std::to_string(seq(got.back())));
            }
        }
    }
    EXPECT_EQ(seq(got.front()), 4u);
    EXPECT_EQ(sequence_gap(got, 3), std::nullopt);
}

TEST(DaemonStream, WebSocketReplayThenLiveHasNoGapOrDuplicateHoweverTheyInterleave) {
    Daemon d({"--harness", "math"});
    std::mt19937 rng(20261206);
    for (int round = 0; round < 8; ++round) {
        json::object cfg{{"responses", math_script(6)}, {"delay_ms", 1}};
        std::string id = d.create_session({}, json::object{{"harness", "math"},
                                                          {"driver_config", json::object{{"llmsim", cfg}}}});
        WsClient watcher(d, "/v1/sessions/" + id + "/ws");
        watcher.read();  // stream.ready
        ASSERT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "sum"}}).status, 202);
        // Let the turn get somewhere (a random number of its events), then join at a random cursor.
        int wait_for = std::uniform_int_distribution<int>(0, 30)(rng);
        std::uint64_t last_seen = 1;
        for (int i = 0; i < wait_for; ++i) {
            json::object m = watcher.read();
            last_seen = seq(m);
            if (m.at("type") == "turn.completed") break;
        }
        std::uint64_t after = std::uniform_int_distribution<std::uint64_t>(0, last_seen)(rng);
        WsClient joiner(d, "/v1/sessions/" + id + "/ws?after=" + std::to_string(after));
        json::object ready = joiner.read();
        ASSERT_EQ(ready.at("type"), "stream.ready");
        EXPECT_FALSE(ready.contains("sequence"));
        auto got = joiner.read_until("turn.completed");
        EXPECT_EQ(sequence_gap(got, after), std::nullopt) << "round " << round << " after " << after;
        auto stored = d.events(id);
        EXPECT_EQ(seq(got.back()), seq(stored.back())) << "round " << round;
        for (const auto& e : got) {
            if (e.at("type") == "output.message.delta") {
                EXPECT_LE(seq(e), seq(stored.back()));
            }
        }
    }
}

TEST(DaemonStream, ClientFramesOverTheWebSocket) {
    Daemon d({"--harness", "base"});
    std::string id = d.create_session(
        json::array{call("write_file", json::object{{"path", "f.txt"}, {"content", "x"}}), say("done via ws")},
        json::object{{"harness", "coding"}});
    WsClient ws(d, "/v1/sessions/" + id + "/ws?after=1");  // after session.created: nothing to replay
    json::object ready = ws.read();
    EXPECT_EQ(ready.at("type"), "stream.ready");
    EXPECT_EQ(ready.at("replay_through"), 1);
    ws.send(json::object{{"type", "ping"}, {"id", 7}});
    json::object pong = ws.read();
    EXPECT_EQ(pong.at("type"), "pong");
    EXPECT_EQ(pong.at("id"), 7);
    ws.send(json::object{{"type", "dance"}});
    json::object err = ws.read();
    EXPECT_EQ(err.at("type"), "error");
    EXPECT_FALSE(err.contains("sequence"));
    ws.send(json::object{{"type", "message"}, {"text", "write it"}});
    auto upto = ws.read_until("approval.requested");
    std::string approval(upto.back().at("data").at("approval_id").as_string());
    ws.send(json::object{{"type", "message"}, {"text", "again"}});
    json::object busy = ws.read();
    EXPECT_EQ(busy.at("type"), "error");
    EXPECT_EQ(busy.at("error").at("code"), "turn_running");
    ws.send(json::object{{"type", "approval"}, {"approval_id", approval}, {"decision", "approve_always"}});
    auto rest = ws.read_until("turn.completed");
    EXPECT_EQ(rest.back().at("data").at("response"), "done via ws");
}

TEST(DaemonStream, ASlowReaderIsClosedAndNobodyWaitsForIt) {
    Daemon d({"--harness", "base", "--stream-buffer", "65536", "--max-body", "2000000"});
    std::string id = d.create_session(json::array{say("ok")});
    WsClient fast(d, "/v1/sessions/" + id + "/ws");
    fast.read();
    WsClient slow(d, "/v1/sessions/" + id + "/ws", false, 4096);  // never reads until the end
    // Each message's input.message is ~1 MB; twenty of them are far more than the sockets hold.
    std::string big(1000000, 'w');
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", big}}).status, 202) << i;
        auto got = fast.read_until("turn.completed");
        EXPECT_EQ(got.back().at("data").at("response"), "ok");
    }
    // The slow reader gets what fitted, then the close, with the reason and where to resume.
    std::uint64_t last = 0;
    try {
        for (;;) {
            json::object m = slow.read();
            if (m.contains("sequence")) last = seq(m);
        }
    } catch (const boost::system::system_error&) {
    }
    EXPECT_NE(slow.close_reason().find("backpressure"), std::string::npos) << slow.close_reason();
    EXPECT_NE(slow.close_reason().find("after="), std::string::npos) << slow.close_reason();
    EXPECT_LT(last, d.get("/v1/sessions/" + id).json().at("last_sequence").to_number<std::uint64_t>());
}

}  // namespace
}  // namespace agenthost::test
