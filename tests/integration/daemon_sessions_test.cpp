// `agenthost serve`: sessions over HTTP against a real daemon process (DESIGN §8, docs/daemon.md).
#include "support/daemon_client.hpp"

#include <gtest/gtest.h>

namespace agenthost::test {
namespace {

namespace json = boost::json;
using V = http::verb;

const std::set<std::string> kTerminal = {"turn.completed", "turn.failed", "turn.cancelled"};

/// Events (replayed, then live) until the first terminal event with sequence > after.
std::vector<json::object> until_turn_end(const Daemon& d, const std::string& id, std::uint64_t after = 0) {
    WsClient ws(d, "/v1/sessions/" + id + "/ws?after=" + std::to_string(after));
    std::vector<json::object> out;
    for (;;) {
        json::object m = ws.read();
        out.push_back(m);
        if (kTerminal.count(std::string(m.at("type").as_string()))) return out;
    }
}

/// The first message of `type`, or a null object.
json::object first_of(const std::vector<json::object>& events, const std::string& type) {
    for (const auto& e : events) {
        if (e.at("type") == type.c_str()) return e;
    }
    return {};
}

std::uint64_t seq(const json::object& e) { return e.at("sequence").to_number<std::uint64_t>(); }

json::object write_call(const std::string& path) {
    return call("write_file", json::object{{"path", path}, {"content", "written by the agent\n"}});
}

TEST(DaemonSessions, CreateRunsThePromptAndDescribesTheSession) {
    Daemon d({"--harness", "base"});
    fs::path wd = d.new_work_dir();
    HttpReply r = d.post("/v1/sessions", json::object{{"work_dir", wd.string()},
                                                      {"prompt", "hello"},
                                                      {"title", "greeting"},
                                                      {"tags", json::array{"a", "b"}},
                                                      {"driver_config", json::object{{"llmsim", json::object{{"responses", json::array{say("hi from llmsim")}}}}}}});
    ASSERT_EQ(r.status, 201) << r.body;
    json::object created = r.json().as_object();
    std::string id(created.at("session_id").as_string());
    EXPECT_EQ(created.at("events_url"), ("/v1/sessions/" + id + "/events").c_str());
    EXPECT_EQ(created.at("ws_url"), ("/v1/sessions/" + id + "/ws").c_str());
    ASSERT_TRUE(created.contains("turn_id"));
    auto events = until_turn_end(d, id);
    json::object done = first_of(events, "turn.completed");
    ASSERT_FALSE(done.empty()) << d.stderr_text();
    EXPECT_EQ(done.at("data").at("response"), "hi from llmsim");
    EXPECT_EQ(done.at("context").at("turn_id"), created.at("turn_id"));

    json::object s = d.get("/v1/sessions/" + id).json().as_object();
    EXPECT_EQ(s.at("session_id"), id.c_str());
    EXPECT_EQ(s.at("status"), "idle");
    EXPECT_EQ(s.at("harness"), "base");
    EXPECT_EQ(s.at("model"), "llmsim");
    EXPECT_EQ(s.at("work_dir"), wd.string().c_str());
    EXPECT_EQ(s.at("title"), "greeting");
    EXPECT_EQ(s.at("tags"), (json::array{"a", "b"}));
    EXPECT_EQ(s.at("last_sequence").to_number<std::uint64_t>(), seq(done));
    EXPECT_GT(s.at("usage").at("output_tokens").to_number<std::int64_t>(), 0);
    EXPECT_TRUE(s.at("pending_approvals").as_array().empty());
    for (const char* key : {"created_at", "agent"}) EXPECT_TRUE(s.contains(key)) << key;
}

TEST(DaemonSessions, EachSessionHasItsOwnModelScriptWorkspaceAndPolicy) {
    Daemon d({"--harness", "base"});
    std::string a = d.create_session(json::array{say("answer A")}, json::object{{"prompt", "q"}});
    std::string b = d.create_session(json::array{write_call("made.txt"), say("wrote it")},
                                     json::object{{"prompt", "write"}, {"harness", "coding"}, {"approval", "auto"}});
    EXPECT_EQ(first_of(until_turn_end(d, a), "turn.completed").at("data").at("response"), "answer A");
    auto events_b = until_turn_end(d, b);
    ASSERT_FALSE(first_of(events_b, "turn.completed").empty()) << d.stderr_text();
    EXPECT_EQ(first_of(events_b, "approval.decided").at("data").at("by"), "policy:auto");
    json::object sb = d.get("/v1/sessions/" + b).json().as_object();
    EXPECT_EQ(sb.at("harness"), "coding");
    fs::path made = fs::path(std::string(sb.at("work_dir").as_string())) / "made.txt";
    EXPECT_EQ(read_file(made), "written by the agent\n");
    // Session a (harness base: no tools) saw none of it.
    EXPECT_EQ(d.get("/v1/sessions/" + a).json().at("harness"), "base");
}

TEST(DaemonSessions, IdempotencyKeyGivesTheSameSessionAndNeverASecondRun) {
    Daemon d({"--harness", "base"});
    json::object body{{"work_dir", d.new_work_dir().string()}, {"prompt", "once"}, {"idempotency_key", "job-17"},
                      {"driver_config", json::object{{"llmsim", json::object{{"responses", json::array{say("ok")}}}}}}};
    HttpReply first = d.post("/v1/sessions", body);
    ASSERT_EQ(first.status, 201) << first.body;
    std::string id(first.json().at("session_id").as_string());
    until_turn_end(d, id);
    for (int i = 0; i < 3; ++i) {
        HttpReply again = d.post("/v1/sessions", body);
        ASSERT_EQ(again.status, 200) << again.body;
        EXPECT_EQ(again.json().at("session_id"), id.c_str());
    }
    int inputs = 0;
    for (const auto& e : d.events(id)) inputs += e.at("type") == "input.message";
    EXPECT_EQ(inputs, 1);
    // It survives a restart: the key is recorded in the session's log.
    d.stop();
    fs::remove(d.data_dir() / "index.jsonl");
    d.start();
    HttpReply after = d.post("/v1/sessions", body);
    EXPECT_EQ(after.status, 200) << after.body;
    EXPECT_EQ(after.json().at("session_id"), id.c_str());
}

TEST(DaemonSessions, MessagesRunTurnsAndABusySessionAnswers409) {
    Daemon d({"--harness", "coding"});
    std::string id = d.create_session(json::array{write_call("x.txt"), say("done"), say("second")},
                                      json::object{{"harness", "coding"}});
    HttpReply m = d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "write x"}});
    ASSERT_EQ(m.status, 202) << m.body;
    std::string turn(m.json().at("turn_id").as_string());
    // The turn waits on the approval (policy ask): a second message is refused meanwhile.
    WsClient ws(d, "/v1/sessions/" + id + "/ws");
    auto seen = ws.read_until("approval.requested");
    HttpReply busy = d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "again"}});
    EXPECT_EQ(busy.status, 409);
    EXPECT_EQ(busy.error_code(), "turn_running");
    EXPECT_EQ(d.get("/v1/sessions/" + id).json().at("status"), "waiting_approval");
    std::string approval(first_of(seen, "approval.requested").at("data").at("approval_id").as_string());
    json::array pending = d.get("/v1/sessions/" + id + "/approvals").json().at("approvals").as_array();
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].at("approval_id"), approval.c_str());
    EXPECT_EQ(pending[0].at("action"), "write");
    HttpReply yes = d.post("/v1/sessions/" + id + "/approvals/" + approval, json::object{{"decision", "approve"}});
    ASSERT_EQ(yes.status, 200) << yes.body;
    auto rest = ws.read_until("turn.completed");
    EXPECT_EQ(first_of(rest, "turn.completed").at("context").at("turn_id"), turn.c_str());
    EXPECT_EQ(first_of(rest, "approval.decided").at("data").at("approved"), true);
    HttpReply twice = d.post("/v1/sessions/" + id + "/approvals/" + approval, json::object{{"decision", "deny"}});
    EXPECT_EQ(twice.status, 404);
    HttpReply next = d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "more"}});
    ASSERT_EQ(next.status, 202) << next.body;
    EXPECT_EQ(first_of(ws.read_until("turn.completed"), "turn.completed").at("data").at("response"), "second");
}

TEST(DaemonSessions, DenyAndInterruptAndSteerOverTheApi) {
    Daemon d({"--harness", "base"});
    std::string id = d.create_session(json::array{write_call("no.txt"), say("after deny"), write_call("no2.txt")},
                                      json::object{{"harness", "coding"}});
    WsClient ws(d, "/v1/sessions/" + id + "/ws");
    ASSERT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "w"}}).status, 202);
    std::string approval(first_of(ws.read_until("approval.requested"), "approval.requested").at("data").at("approval_id").as_string());
    ASSERT_EQ(d.post("/v1/sessions/" + id + "/approvals/" + approval, json::object{{"decision", "deny"}}).status, 200);
    auto first = ws.read_until("turn.completed");
    EXPECT_EQ(first_of(first, "tool.completed").at("data").at("status"), "denied");
    EXPECT_FALSE(fs::exists(fs::path(std::string(d.get("/v1/sessions/" + id).json().at("work_dir").as_string())) / "no.txt"));

    // Interrupt while the turn waits on an approval: the turn ends cancelled.
    ASSERT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", "w2"}}).status, 202);
    ws.read_until("approval.requested");
    ASSERT_EQ(d.request(V::post, "/v1/sessions/" + id + "/interrupt").status, 202);
    ws.read_until("turn.cancelled");
    EXPECT_EQ(d.get("/v1/sessions/" + id).json().at("status"), "idle");

    // Steer while idle: a user message the next turn sees.
    ASSERT_EQ(d.post("/v1/sessions/" + id + "/steer", json::object{{"text", "note this"}}).status, 202);
    json::object steer = ws.read();
    EXPECT_EQ(steer.at("type"), "input.message");
    EXPECT_EQ(steer.at("data").at("steer"), true);
}

TEST(DaemonSessions, ListFiltersByStatusAndTagAndDeleteArchives) {
    Daemon d({"--harness", "base"});
    std::string a = d.create_session(json::array{say("a")}, json::object{{"tags", json::array{"red"}}});
    std::string b = d.create_session(json::array{write_call("w.txt")}, json::object{{"harness", "coding"}, {"tags", json::array{"blue"}}});
    WsClient ws(d, "/v1/sessions/" + b + "/ws");
    ASSERT_EQ(d.post("/v1/sessions/" + b + "/messages", json::object{{"text", "w"}}).status, 202);
    ws.read_until("approval.requested");
    auto ids = [&](const std::string& query) {
        std::vector<std::string> out;
        json::value listed = d.get("/v1/sessions" + query).json();
        for (const auto& s : listed.at("sessions").as_array()) {
            out.emplace_back(s.at("session_id").as_string());
        }
        return out;
    };
    EXPECT_EQ(ids(""), (std::vector<std::string>{b, a}));
    EXPECT_EQ(ids("?tag=red"), std::vector<std::string>{a});
    EXPECT_EQ(ids("?status=waiting_approval"), std::vector<std::string>{b});
    EXPECT_EQ(ids("?status=idle"), std::vector<std::string>{a});
    EXPECT_EQ(d.get("/v1/sessions?status=sleepy").status, 400);

    // DELETE cancels the running turn and archives the log; the events stay readable.
    ASSERT_EQ(d.request(V::delete_, "/v1/sessions/" + b).status, 200);
    auto rest = ws.read_until("turn.cancelled");
    EXPECT_FALSE(first_of(rest, "turn.cancelled").empty());
    EXPECT_EQ(d.get("/v1/sessions/" + b).json().at("status"), "deleted");
    auto stored = d.events(b);
    EXPECT_EQ(stored.back().at("type"), "turn.cancelled");
    EXPECT_TRUE(fs::exists(d.data_dir() / "archive" / (b + ".jsonl")));
    EXPECT_FALSE(fs::exists(d.data_dir() / "sessions" / (b + ".jsonl")));
    EXPECT_EQ(d.post("/v1/sessions/" + b + "/messages", json::object{{"text", "x"}}).error_code(), "session_deleted");
    EXPECT_EQ(ids("?status=deleted"), std::vector<std::string>{b});
    // A restart still knows it as deleted, from the archive.
    d.stop();
    fs::remove(d.data_dir() / "index.jsonl");
    d.start();
    EXPECT_EQ(d.get("/v1/sessions/" + b).json().at("status"), "deleted");
    EXPECT_EQ(d.get("/v1/sessions/" + a).json().at("status"), "idle");
}

TEST(DaemonSessions, IdleSessionsAreClosedAndReopenedOnDemand) {
    Daemon d({"--harness", "base", "--max-open-sessions", "2"});
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(d.create_session(json::array{say("r" + std::to_string(i))}, json::object{{"prompt", "go"}}));
        until_turn_end(d, ids.back());
    }
    std::string metrics = d.get("/v1/metrics").body;
    auto at = metrics.find("\nagenthost_sessions_open ");
    ASSERT_NE(at, std::string::npos);
    EXPECT_LE(std::stoi(metrics.substr(at + 25)), 3);  // the cap, give or take the last one being used
    // The oldest was closed; a message reopens it and continues its sequence.
    std::uint64_t before = d.get("/v1/sessions/" + ids[0]).json().at("last_sequence").to_number<std::uint64_t>();
    ASSERT_EQ(d.post("/v1/sessions/" + ids[0] + "/messages", json::object{{"text", "again"}}).status, 202);
    auto events = until_turn_end(d, ids[0], before);
    EXPECT_EQ(sequence_gap(events, before), std::nullopt);
    EXPECT_EQ(seq(events.at(1)), before + 1);
}

TEST(DaemonSessions, BadRequestsNameTheField) {
    Daemon d({"--harness", "base"});
    auto code_of = [&](const std::string& body) { return d.request(V::post, "/v1/sessions", body); };
    HttpReply bad_json = code_of("{\"work_dir\": ");
    EXPECT_EQ(bad_json.status, 400);
    EXPECT_EQ(bad_json.error_code(), "invalid_json");
    HttpReply wrong_type = code_of("{\"work_dir\": 5}");
    EXPECT_EQ(wrong_type.status, 400);
    EXPECT_NE(wrong_type.body.find("'work_dir'"), std::string::npos) << wrong_type.body;
    std::string wd = d.new_work_dir().string();
    HttpReply unknown = code_of("{\"work_dir\": \"" + wd + "\", \"colour\": 1}");
    EXPECT_NE(unknown.body.find("'colour'"), std::string::npos) << unknown.body;
    HttpReply policy = code_of("{\"work_dir\": \"" + wd + "\", \"approval\": \"maybe\"}");
    EXPECT_NE(policy.body.find("'approval'"), std::string::npos) << policy.body;
    HttpReply model = code_of("{\"work_dir\": \"" + wd + "\", \"model\": \"nosuch/model\"}");
    EXPECT_EQ(model.status, 400);
    EXPECT_EQ(model.error_code(), "invalid_config");
    HttpReply script = code_of("{\"work_dir\": \"" + wd + "\", \"driver_config\": {\"llmsim\": {\"responses\": 3}}}");
    EXPECT_EQ(script.status, 400) << script.body;
    EXPECT_NE(script.body.find("responses"), std::string::npos) << script.body;
    EXPECT_EQ(d.get("/v1/sessions/nosuch").status, 404);
    EXPECT_EQ(d.get("/v1/sessions/nosuch").error_code(), "session_not_found");
    EXPECT_EQ(d.post("/v1/sessions/nosuch/messages", json::object{{"text", "x"}}).status, 404);
    EXPECT_EQ(d.get("/v1/nothing").error_code(), "no_route");
    std::string id = d.create_session(json::array{say("x")});
    EXPECT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"text", ""}}).status, 400);
    EXPECT_EQ(d.post("/v1/sessions/" + id + "/messages", json::object{{"txt", "x"}}).status, 400);
}

}  // namespace
}  // namespace agenthost::test
