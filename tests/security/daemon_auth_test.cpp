// The daemon's boundary (docs/security.md "The daemon's API"): one bearer token from a 0600 file,
// compared in constant time, never taken from the URL; only /v1/health answers without it; a
// session's work_dir never is, holds or sits in the user's credentials.
#include "support/daemon_client.hpp"

#include "workspace/work_dir_rules.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace agenthost::test {
namespace {

namespace json = boost::json;
using V = http::verb;

TEST(DaemonAuth, TokenFileIsMadeOwnerOnlyAndKeptAcrossStarts) {
    Daemon d;
    struct stat st {};
    ASSERT_EQ(::stat((d.data_dir() / "token").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_GE(d.token().size(), 32u);
    std::string first = d.token();
    d.stop();
    d.start();
    EXPECT_EQ(d.token(), first);
}

TEST(DaemonAuth, OnlyHealthAnswersWithoutTheToken) {
    Daemon d;
    EXPECT_EQ(d.request(V::get, "/v1/health", "", false).status, 200);
    for (const char* target : {"/v1/sessions", "/v1/metrics", "/v1/openapi.json", "/v1/sessions/x", "/v1/nothing"}) {
        HttpReply r = d.request(V::get, target, "", false);
        EXPECT_EQ(r.status, 401) << target;
        EXPECT_EQ(r.error_code(), "unauthorized") << target;
        EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer");
    }
    HttpReply post = d.request(V::post, "/v1/sessions", "{\"work_dir\":\"/tmp\"}", false);
    EXPECT_EQ(post.status, 401);
    std::string wrong = d.token();
    wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
    for (const std::string& header : std::vector<std::string>{"Bearer " + wrong, "Bearer " + d.token().substr(1), "Basic " + d.token(), "Bearer",
                                      "Bearer " + d.token() + "x"}) {
        HttpReply r = d.request(V::get, "/v1/sessions", "", false, {{"Authorization", header}});
        EXPECT_EQ(r.status, 401) << header;
    }
    EXPECT_EQ(d.request(V::get, "/v1/sessions", "", false, {{"Authorization", "bearer " + d.token()}}).status, 200);
}

TEST(DaemonAuth, ATokenInTheUrlIsRefusedEvenWhenTheHeaderIsRight) {
    Daemon d;
    for (const std::string& q : std::vector<std::string>{"?token=" + d.token(), "?access_token=" + d.token(), "?after=0&Token=x", "?auth=x"}) {
        HttpReply r = d.get("/v1/sessions" + q);
        EXPECT_EQ(r.status, 400) << q;
        EXPECT_EQ(r.error_code(), "token_in_url") << q;
        EXPECT_EQ(r.body.find(d.token()), std::string::npos) << "the token is echoed back";
    }
    // A WebSocket with the token in the URL and nothing else is refused.
    net::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), d.port()));
    bound_socket(s.native_handle());
    websocket::stream<tcp::socket&> ws(s);
    EXPECT_THROW(ws.handshake("127.0.0.1", "/v1/sessions/x/ws?token=" + d.token()), boost::system::system_error);
}

TEST(DaemonAuth, WebSocketTakesTheHeaderOrTheSubprotocol) {
    Daemon d({"--harness", "base"});
    std::string id = d.create_session(json::array{say("hi")});
    WsClient by_header(d, "/v1/sessions/" + id + "/ws");
    EXPECT_EQ(by_header.read().at("type"), "stream.ready");
    WsClient by_protocol(d, "/v1/sessions/" + id + "/ws", true);
    EXPECT_EQ(by_protocol.read().at("type"), "stream.ready");
    EXPECT_EQ(by_protocol.handshake_response()[http::field::sec_websocket_protocol], "agenthost.bearer." + d.token());
    // No token, or a wrong one: the upgrade is refused with 401.
    net::io_context io;
    for (const std::string& proto : std::vector<std::string>{"", "agenthost.bearer.nottheone"}) {
        tcp::socket s(io);
        s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), d.port()));
        bound_socket(s.native_handle());
        websocket::stream<tcp::socket&> ws(s);
        ws.set_option(websocket::stream_base::decorator([proto](websocket::request_type& req) {
            if (!proto.empty()) req.set(http::field::sec_websocket_protocol, proto);
        }));
        websocket::response_type res;
        EXPECT_THROW(ws.handshake(res, "127.0.0.1", "/v1/sessions/" + id + "/ws"), boost::system::system_error);
        EXPECT_EQ(res.result_int(), 401u) << proto;
    }
}

TEST(DaemonAuth, ATokenFileReadableByOthersIsRefused) {
    TempDir t;
    fs::create_directories(t / "data");
    write_file(t / "data" / "token", "0123456789abcdef0123456789abcdef\n");
    ::chmod((t / "data" / "token").c_str(), 0644);
    EXPECT_THROW(Daemon({}, t / "data"), std::runtime_error);
    ::chmod((t / "data" / "token").c_str(), 0600);
    Daemon ok({}, t / "data");
    EXPECT_EQ(ok.token(), "0123456789abcdef0123456789abcdef");
}

TEST(DaemonAuth, WorkDirRulesRefuseEachBrokenRuleByName) {
    Daemon d({"--harness", "base"});
    fs::path home = d.home();
    fs::create_directories(home / ".ssh");
    fs::create_directories(home / "project");
    fs::path holder = d.new_work_dir();
    fs::create_directories(holder / "team" / ".aws");
    fs::path gcloud = d.new_work_dir() / ".config" / "gcloud" / "x";
    fs::create_directories(gcloud);
    write_file(holder / "file.txt", "x");
    fs::create_directory_symlink(home / ".ssh", holder / "link-to-ssh");
    struct Case {
        std::string dir;
        std::string words;
    };
    std::vector<Case> cases = {{"relative/path", "absolute"},
                               {(holder / "missing").string(), "does not exist"},
                               {(holder / "file.txt").string(), "not a folder"},
                               {holder.string() + "/../" + holder.filename().string(), "'..'"},
                               {"/", "root"},
                               {home.string(), "home folder itself"},
                               {home.parent_path().string(), "contain the home folder"},
                               {(home / ".ssh").string(), ".ssh"},
                               {(holder / "link-to-ssh").string(), ".ssh"},
                               {holder.string(), "credentials folder"},
                               {gcloud.string(), ".config/gcloud"}};
    for (const Case& c : cases) {
        HttpReply r = d.post("/v1/sessions", json::object{{"work_dir", c.dir}});
        EXPECT_EQ(r.status, 400) << c.dir << " " << r.body;
        EXPECT_EQ(r.error_code(), "invalid_work_dir") << c.dir;
        EXPECT_NE(r.body.find(c.words), std::string::npos) << c.dir << ": " << r.body;
    }
    EXPECT_EQ(d.post("/v1/sessions", json::object{{"work_dir", (home / "project").string()}}).status, 201);
    // The shared rule, called directly: the same answers.
    EXPECT_EQ(validate_work_dir(home / "project", home), std::nullopt);
    EXPECT_NE(validate_work_dir(home, home), std::nullopt);
}

}  // namespace
}  // namespace agenthost::test
