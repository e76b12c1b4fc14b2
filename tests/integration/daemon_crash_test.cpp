// `agenthost serve` after kill -9 (DESIGN §8 Crash safety): every session is there, a turn the
// crash cut is recorded as failed (interrupted) with its dangling tool calls answered, nothing
// stored is lost or renumbered, and the session takes a new message at once.
#include "support/daemon_client.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace agenthost::test {
namespace {

namespace json = boost::json;

std::uint64_t seq(const json::object& e) { return e.at("sequence").to_number<std::uint64_t>(); }

/// Events until a terminal one after `after`.
std::vector<json::object> until_turn_end(const Daemon& d, const std::string& id, std::uint64_t after) {
    WsClient ws(d, "/v1/sessions/" + id + "/ws?after=" + std::to_string(after));
    std::vector<json::object> out;
    for (;;) {
        json::object m = ws.read();
        out.push_back(m);
        const auto& t = m.at("type");
        if (t == "turn.completed" || t == "turn.failed" || t == "turn.cancelled") return out;
    }
}

/// Everything wrong with one stored log: gaps, duplicates, turns without exactly one end, tool
/// calls without a result.
std::vector<std::string> log_problems(const fs::path& file) {
    std::vector<std::string> problems;
    std::string text = read_file(file);
    std::uint64_t expect = 1;
    std::set<std::string> ids, started, ended, calls, answered;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) {
            problems.push_back("a last line without newline");
            break;
        }
        json::object e = json::parse(text.substr(pos, nl - pos)).as_object();
        pos = nl + 1;
        if (seq(e) != expect) problems.push_back("sequence " + std::to_string(seq(e)) + " where " + std::to_string(expect));
        expect = seq(e) + 1;
        if (!ids.insert(std::string(e.at("id").as_string())).second) problems.push_back("duplicate id");
        std::string type(e.at("type").as_string());
        std::string turn;
        if (const auto* c = e.if_contains("context"); c && c->as_object().contains("turn_id")) {
            turn = std::string(c->at("turn_id").as_string());
        }
        if (type == "turn.started") started.insert(turn);
        if (type == "turn.completed" || type == "turn.failed" || type == "turn.cancelled") {
            if (!ended.insert(turn).second) problems.push_back("turn " + turn + " ended twice");
        }
        if (type == "output.message.completed") {
            for (const auto& part : e.at("data").at("message").at("content").as_array()) {
                if (part.at("type") == "tool_call") calls.insert(std::string(part.at("id").as_string()));
            }
        }
        if (type == "tool.completed") answered.insert(std::string(e.at("data").at("tool_call_id").as_string()));
    }
    for (const auto& t : started) {
        if (!ended.count(t)) problems.push_back("turn " + t + " has no end");
    }
    for (const auto& c : calls) {
        if (!answered.count(c)) problems.push_back("tool call " + c + " has no result");
    }
    return problems;
}

TEST(DaemonCrash, AKilledTurnIsRecordedAsInterruptedAndTheSessionGoesOn) {
    Daemon d({"--harness", "base"});
    std::string id = d.create_session(
        json::array{call("write_file", json::object{{"path", "a.txt"}, {"content", "x"}}), say("after the crash")},
        json::object{{"harness", "coding"}});
    {
        WsClient ws(d, "/v1/sessions/" + id + "/ws");
        ASSERT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "write"}}).status, 202);
        ws.read_until("approval.requested");  // the turn is mid-tool-call, waiting
    }
    auto before = d.events(id);
    d.kill();
    d.start();
    json::object s = d.get("/v1/sessions/" + id).json().as_object();
    EXPECT_EQ(s.at("status"), "failed");
    auto after = d.events(id);
    ASSERT_GT(after.size(), before.size());
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << "event " << i << " changed";
    EXPECT_EQ(sequence_gap(after, 0), std::nullopt);
    std::vector<std::string> added;
    for (std::size_t i = before.size(); i < after.size(); ++i) added.emplace_back(after[i].at("type").as_string());
    EXPECT_EQ(added, (std::vector<std::string>{"approval.decided", "tool.completed", "turn.failed"}));
    EXPECT_EQ(after.back().at("data").at("error_code"), "interrupted");
    EXPECT_EQ(after[after.size() - 2].at("data").at("status"), "error");
    EXPECT_NE(d.stderr_text().find("did not finish"), std::string::npos) << d.stderr_text();
    EXPECT_EQ(log_problems(d.data_dir() / "sessions" / (id + ".jsonl")), std::vector<std::string>{});

    ASSERT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "go on"}}).status, 202);
    auto next = until_turn_end(d, id, seq(after.back()));
    EXPECT_EQ(next.back().at("type"), "turn.completed");
    EXPECT_EQ(next.back().at("data").at("response"), "after the crash");
}

TEST(DaemonCrash, KilledAtRandomPointsEveryLogStaysWhole) {
    std::mt19937 rng(8420);
    TempDir data;
    std::vector<std::string> ids;
    json::array script;
    for (int i = 0; i < 6; ++i) script.push_back(call("add", json::object{{"a", i}, {"b", 2}}));
    script.push_back(say("sums done"));
    for (int round = 0; round < 5; ++round) {
        Daemon d({"--harness", "math"}, data.path());
        if (ids.empty()) {
            for (int i = 0; i < 4; ++i) {
                fs::path wd = data.path() / ("work" + std::to_string(i));  // outlives each daemon
                fs::create_directories(wd);
                ids.push_back(d.create_session({}, json::object{{"harness", "math"},
                                                               {"work_dir", wd.string()},
                                                               {"driver_config", json::object{{"llmsim", json::object{{"responses", script}, {"delay_ms", 1}}}}}}));
            }
        }
        for (const auto& id : ids) {
            // After each restart: every log whole, every session ready for a message.
            EXPECT_EQ(log_problems(data.path() / "sessions" / (id + ".jsonl")), std::vector<std::string>{})
                << "round " << round << " session " << id;
            json::object s = d.get("/v1/sessions/" + id).json().as_object();
            EXPECT_NE(s.at("status"), "running") << "round " << round;
            HttpReply posted = d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "add"}});
            ASSERT_EQ(posted.status, 202) << posted.body << d.stderr_text();
        }
        // Where the kill lands varies; what is checked holds wherever it lands.
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 150)(rng)));
        d.kill();
    }
    Daemon d({"--harness", "math"}, data.path());
    for (const auto& id : ids) {
        EXPECT_EQ(log_problems(data.path() / "sessions" / (id + ".jsonl")), std::vector<std::string>{}) << id;
        json::object s = d.get("/v1/sessions/" + id).json().as_object();
        std::uint64_t last = s.at("last_sequence").to_number<std::uint64_t>();
        ASSERT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "once more"}}).status, 202);
        auto end = until_turn_end(d, id, last);
        EXPECT_EQ(end.back().at("type"), "turn.completed") << id;
        EXPECT_EQ(sequence_gap(end, last), std::nullopt);
    }
}

}  // namespace
}  // namespace agenthost::test
