// The host HTTP client against the fake server on 127.0.0.1 (no other address is ever a target):
// whole and streamed bodies, keep-alive reuse, timeouts, dropped connections, body caps,
// redirects, cancellation, proxies.
#include "net/http_client.hpp"

#include "support/fake_http_server.hpp"
#include "support/test_env.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http/write.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace agenthost {
namespace {

using test::FakeChunk;
using test::FakeHttpServer;
using test::FakeRequest;
using test::FakeResponse;
using ::testing::HasSubstr;
using ::testing::StartsWith;

HttpClient::Options no_proxy() {
    return HttpClient::Options{};
}

HttpRequest get(std::string url) {
    HttpRequest r;
    r.url = std::move(url);
    r.timeout = std::chrono::seconds(10);
    return r;
}

/// The HttpError a request ends with (fails the test if it succeeds).
HttpError error_of(HttpClient& client, const HttpRequest& r) {
    try {
        HttpResponse answer = client.send(r);
        ADD_FAILURE() << "expected a failure, got status " << answer.status;
    } catch (const HttpError& e) {
        return e;
    }
    return HttpError(HttpError::Kind::network_error, "none");
}

TEST(FakeHttpServer, ServesRoutesAndRecordsRequests) {
    FakeHttpServer server;
    server.route("GET", "/hello", FakeResponse::text("hi"));
    HttpClient client(no_proxy());
    HttpResponse r = client.send(get(server.url("/hello?x=1")));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hi");
    ASSERT_EQ(server.request_count(), 1u);
    EXPECT_EQ(server.requests()[0].target, "/hello?x=1");
    EXPECT_EQ(server.requests()[0].path(), "/hello");
    EXPECT_EQ(client.send(get(server.url("/nothing"))).status, 404);
}

TEST(HttpClient, GetReturnsStatusBodyAndLowerCasedHeaders) {
    FakeHttpServer server;
    FakeResponse page = FakeResponse::text("<p>page</p>", 200, "text/html; charset=utf-8");
    page.headers.emplace_back("X-Custom-Thing", "Value");
    server.route("GET", "/page", page);
    HttpClient client(no_proxy());
    HttpResponse r = client.send(get(server.url("/page")));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<p>page</p>");
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.header("x-custom-thing"), "Value");
    EXPECT_EQ(r.final_url, server.url("/page"));
    EXPECT_FALSE(r.truncated);
    EXPECT_FALSE(r.streamed);
    const FakeRequest got = server.requests().at(0);
    EXPECT_EQ(got.header("host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(got.header("user-agent"), "agenthost/0.1");
}

TEST(HttpClient, PostSendsBodyAndHeaders) {
    FakeHttpServer server;
    server.route("POST", "/v1/messages", [](const FakeRequest& r) {
        return FakeResponse::json("{\"got\":" + std::to_string(r.body.size()) + "}");
    });
    HttpClient client(no_proxy());
    HttpRequest r = get(server.url("/v1/messages"));
    r.method = "POST";
    r.body = R"({"model":"m","messages":[]})";
    r.headers = {
        {"Content-Type", "application/json"}, {"x-api-key", "k"}, {"Content-Length", "999"}, {"User-Agent", "mine"}};
    HttpResponse answer = client.send(r);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, "{\"got\":" + std::to_string(r.body.size()) + "}");
    const FakeRequest got = server.requests().at(0);
    EXPECT_EQ(got.method, "POST");
    EXPECT_EQ(got.body, r.body);
    EXPECT_EQ(got.header("content-type"), "application/json");
    EXPECT_EQ(got.header("x-api-key"), "k");
    EXPECT_EQ(got.header("content-length"), std::to_string(r.body.size())) << "the client owns Content-Length";
    EXPECT_EQ(got.header("user-agent"), "mine");
}

TEST(HttpClient, HeadHasNoBody) {
    FakeHttpServer server;
    server.route("HEAD", "/x", FakeResponse::text("not sent"));
    HttpClient client(no_proxy());
    HttpRequest r = get(server.url("/x"));
    r.method = "HEAD";
    HttpResponse answer = client.send(r);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, "");
    EXPECT_EQ(answer.header("content-length"), "8");
    EXPECT_EQ(client.send(r).status, 200) << "the connection is still usable";
    EXPECT_EQ(server.connections(), 1u);
}

TEST(HttpClient, ChunkedBodyIsDecodedAndStreamedInPieces) {
    FakeHttpServer server;
    server.route(
        "GET", "/sse",
        FakeResponse::sse({"data: one\n\n", FakeChunk("data: two\n\n", 100), FakeChunk("data: three\n\n", 100)}));
    HttpClient client(no_proxy());
    // whole
    HttpResponse whole = client.send(get(server.url("/sse")));
    EXPECT_EQ(whole.body, "data: one\n\ndata: two\n\ndata: three\n\n");
    // streamed: the pieces arrive as they are written (100 ms apart)
    std::vector<std::string> pieces;
    HttpRequest r = get(server.url("/sse"));
    r.on_body = [&](std::string_view bytes) {
        pieces.emplace_back(bytes);
        return true;
    };
    HttpResponse streamed = client.send(r);
    EXPECT_TRUE(streamed.streamed);
    EXPECT_EQ(streamed.body, "");
    std::string joined;
    for (const auto& p : pieces) joined += p;
    EXPECT_EQ(joined, "data: one\n\ndata: two\n\ndata: three\n\n");
    EXPECT_GE(pieces.size(), 2u);
    EXPECT_EQ(server.connections(), 1u) << "a complete chunked body keeps the connection";
}

TEST(HttpClient, StreamDeliversBytesBeforeTheBodyEnds) {
    FakeHttpServer server;
    // the second chunk would come after the request's own deadline: only streaming sees the first
    server.route("GET", "/slow", FakeResponse::sse({"first", FakeChunk("second", 60000)}));
    HttpClient client(no_proxy());
    HttpRequest r = get(server.url("/slow"));
    std::string seen;
    r.on_body = [&](std::string_view bytes) {
        seen.append(bytes);
        return false;  // stop here
    };
    HttpResponse answer = client.send(r);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(seen, "first");
    EXPECT_EQ(client.idle_connections(), 0u) << "a stopped stream does not go back to the pool";
}

TEST(HttpClient, NonSuccessBodyIsReturnedWholeEvenWhenStreaming) {
    FakeHttpServer server;
    server.route("POST", "/v1/messages",
                 FakeResponse::json(R"({"type":"error","error":{"type":"overloaded_error"}})", 529));
    HttpClient client(no_proxy());
    HttpRequest r = get(server.url("/v1/messages"));
    r.method = "POST";
    int calls = 0;
    r.on_body = [&](std::string_view) { return ++calls, true; };
    HttpResponse answer = client.send(r);
    EXPECT_EQ(answer.status, 529);
    EXPECT_THAT(answer.body, HasSubstr("overloaded_error"));
    EXPECT_FALSE(answer.streamed);
    EXPECT_EQ(calls, 0);
}

TEST(HttpClient, KeepAliveReusesOneConnection) {
    FakeHttpServer server;
    server.route("POST", "/v1/chat/completions", FakeResponse::json("{}"));
    server.route("GET", "/sse", FakeResponse::sse({"a", "b"}));
    HttpClient client(no_proxy());
    for (int i = 0; i < 5; ++i) {
        HttpRequest r = get(server.url("/v1/chat/completions"));
        r.method = "POST";
        r.body = "{\"i\":" + std::to_string(i) + "}";
        EXPECT_EQ(client.send(r).status, 200);
        EXPECT_EQ(client.send(get(server.url("/sse"))).body, "ab");
    }
    EXPECT_EQ(server.connections(), 1u);
    EXPECT_EQ(server.request_count(), 10u);
    EXPECT_EQ(client.idle_connections(), 1u);
    for (const auto& req : server.requests()) EXPECT_EQ(req.connection, 1u);
}

TEST(HttpClient, ConnectionCloseAndServerClosedIdleConnectionsAreNotReused) {
    FakeHttpServer server;
    FakeResponse closing = FakeResponse::text("bye");
    closing.headers.emplace_back("Connection", "close");
    server.route("GET", "/close", closing);
    // announces nothing, then the server closes: the idle connection is dead when reused
    FakeResponse quiet;
    quiet.raw = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    server.route("GET", "/quiet", quiet);
    server.route("GET", "/ok", FakeResponse::text("fine"));
    HttpClient client(no_proxy());
    EXPECT_EQ(client.send(get(server.url("/close"))).body, "bye");
    EXPECT_EQ(client.idle_connections(), 0u);
    EXPECT_EQ(client.send(get(server.url("/quiet"))).body, "ok");
    server.wait_for_requests(2);
    // the server has closed the pooled connection; the next request must still succeed
    EXPECT_EQ(client.send(get(server.url("/ok"))).body, "fine");
    EXPECT_EQ(server.connections(), 3u);
}

TEST(HttpClient, ServerThatNeverAnswersTimesOut) {
    FakeHttpServer server;
    server.never_answer();
    HttpClient client(no_proxy());
    HttpRequest r = get(server.url("/hang"));
    r.timeout = std::chrono::milliseconds(300);
    HttpError e = error_of(client, r);
    EXPECT_EQ(e.kind(), HttpError::Kind::timeout);
    EXPECT_THAT(e.what(), StartsWith("timeout: "));
    EXPECT_THAT(e.what(), HasSubstr(server.url("/hang")));
    EXPECT_EQ(server.request_count(), 1u);
}

TEST(HttpClient, ConnectionDroppedMidBodyIsANetworkErrorAfterTheChunksBeforeIt) {
    FakeHttpServer server;
    FakeResponse cut = FakeResponse::sse({"event: a\n\n", "event: b\n\n"});
    cut.close_after = true;
    server.route("GET", "/cut", cut);
    FakeResponse short_body = FakeResponse::text("abc");
    short_body.close_after = true;
    server.route("GET", "/short", short_body);
    HttpClient client(no_proxy());
    std::string seen;
    HttpRequest r = get(server.url("/cut"));
    r.on_body = [&](std::string_view bytes) { return seen.append(bytes), true; };
    HttpError e = error_of(client, r);
    EXPECT_EQ(e.kind(), HttpError::Kind::network_error);
    EXPECT_THAT(e.what(), StartsWith("network_error: "));
    EXPECT_EQ(seen, "event: a\n\nevent: b\n\n");
    EXPECT_EQ(error_of(client, get(server.url("/short"))).kind(), HttpError::Kind::network_error);
}

TEST(HttpClient, ConnectionRefusedIsANetworkError) {
    unsigned short port = 0;
    {
        FakeHttpServer gone;
        port = gone.port();
    }
    HttpClient client(no_proxy());
    HttpError e = error_of(client, get("http://127.0.0.1:" + std::to_string(port) + "/"));
    EXPECT_EQ(e.kind(), HttpError::Kind::network_error);
    EXPECT_THAT(e.what(), HasSubstr("cannot connect to 127.0.0.1:" + std::to_string(port)));
}

TEST(HttpClient, TlsToAPlainServerFailsCleanly) {
    FakeHttpServer server;
    HttpClient client(no_proxy());
    HttpError e = error_of(client, get("https://127.0.0.1:" + std::to_string(server.port()) + "/"));
    EXPECT_EQ(e.kind(), HttpError::Kind::network_error);
    EXPECT_THAT(e.what(), HasSubstr("TLS handshake"));
}

/// A self-signed certificate (EC P-256) for `san` ("IP:127.0.0.1,DNS:localhost"), as PEM.
struct TestCert {
    std::string cert;
    std::string key;
};

TestCert make_cert(const std::string& san) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("agenthost test"), -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, key, EVP_sha256());
    auto pem = [](auto write) {
        BIO* bio = BIO_new(BIO_s_mem());
        write(bio);
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        std::string out(data, static_cast<std::size_t>(n));
        BIO_free(bio);
        return out;
    };
    TestCert c{pem([&](BIO* b) { PEM_write_bio_X509(b, x); }),
               pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); })};
    X509_free(x);
    EVP_PKEY_free(key);
    return c;
}

/// An HTTPS server on 127.0.0.1 answering "tls ok <target>" to every request, on its own thread.
class TlsServer {
public:
    explicit TlsServer(const TestCert& cert) : ctx_(boost::asio::ssl::context::tls_server), acceptor_(ioc_) {
        namespace asio = boost::asio;
        ctx_.use_certificate_chain(asio::buffer(cert.cert));
        ctx_.use_private_key(asio::buffer(cert.key), asio::ssl::context::pem);
        const asio::ip::tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), 0);
        acceptor_.open(at.protocol());
        acceptor_.bind(at);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(ioc_, accept(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~TlsServer() {
        ioc_.stop();
        thread_.join();
    }
    unsigned short port() const { return port_; }
    std::size_t connections() const { return connections_; }
    std::size_t failed_handshakes() const { return failed_; }

private:
    boost::asio::awaitable<void> accept() {
        namespace asio = boost::asio;
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            ++connections_;
            asio::co_spawn(ioc_, serve(std::move(socket)), asio::detached);
        }
    }
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket) {
        namespace asio = boost::asio;
        namespace http = boost::beast::http;
        asio::ssl::stream<asio::ip::tcp::socket> s(std::move(socket), ctx_);
        auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
        if (hec) {
            ++failed_;
            co_return;
        }
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [rec, n] = co_await http::async_read(s, buffer, req, asio::as_tuple(asio::use_awaitable));
            if (rec) co_return;
            const std::string body = "tls ok " + std::string(req.target());
            const std::string out =
                "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
            auto [wec, wn] = co_await asio::async_write(s, asio::buffer(out), asio::as_tuple(asio::use_awaitable));
            if (wec) co_return;
        }
    }

    boost::asio::io_context ioc_{1};
    boost::asio::ssl::context ctx_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::size_t> failed_{0};
    std::thread thread_;
};

TEST(HttpClientTls, VerifiesTheCertificateAndReusesTheConnection) {
    const TestCert cert = make_cert("IP:127.0.0.1,DNS:localhost");
    TlsServer server(cert);
    test::TempDir dir;
    test::write_file(dir / "ca.pem", cert.cert);
    HttpClient::Options o;
    o.ca_file = (dir / "ca.pem").string();
    HttpClient client(o);
    const std::string base = "https://127.0.0.1:" + std::to_string(server.port());
    EXPECT_EQ(client.send(get(base + "/one")).body, "tls ok /one");
    EXPECT_EQ(client.send(get(base + "/two")).body, "tls ok /two");
    EXPECT_EQ(server.connections(), 1u);
    // by name: SNI and DNS name verification
    EXPECT_EQ(client.send(get("https://localhost:" + std::to_string(server.port()) + "/three")).body, "tls ok /three");
}

TEST(HttpClientTls, RefusesAnUntrustedOrMismatchedCertificate) {
    const TestCert wrong_name = make_cert("DNS:elsewhere.test");
    TlsServer server(wrong_name);
    test::TempDir dir;
    test::write_file(dir / "ca.pem", wrong_name.cert);
    HttpClient::Options trusted;
    trusted.ca_file = (dir / "ca.pem").string();
    HttpClient trusting(trusted);
    const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
    HttpError mismatch = error_of(trusting, get(url));
    EXPECT_EQ(mismatch.kind(), HttpError::Kind::network_error);
    EXPECT_THAT(mismatch.what(),
                HasSubstr("TLS handshake with 127.0.0.1:" + std::to_string(server.port()) + " failed"));

    HttpClient system_store(no_proxy());  // a self-signed certificate is not in it
    HttpError untrusted = error_of(system_store, get(url));
    EXPECT_EQ(untrusted.kind(), HttpError::Kind::network_error);
    EXPECT_THAT(untrusted.what(), HasSubstr("certificate verify failed"));
}

TEST(HttpClient, MaxBodySizeCutsWholeAndStreamedBodies) {
    FakeHttpServer server;
    server.route("GET", "/big", FakeResponse::text(std::string(100000, 'x')));
    server.route("GET", "/big-stream", FakeResponse::sse({std::string(600, 'a'), std::string(600, 'b')}));
    HttpClient client(no_proxy());
    HttpRequest r = get(server.url("/big"));
    r.max_body_bytes = 1000;
    HttpResponse answer = client.send(r);
    EXPECT_TRUE(answer.truncated);
    EXPECT_EQ(answer.body, std::string(1000, 'x'));

    std::size_t streamed = 0;
    HttpRequest s = get(server.url("/big-stream"));
    s.max_streamed_bytes = 1000;
    s.on_body = [&](std::string_view bytes) { return streamed += bytes.size(), true; };
    EXPECT_TRUE(client.send(s).truncated);
    EXPECT_EQ(streamed, 1000u);
}

TEST(HttpClient, RedirectsAreFollowedAndCapped) {
    FakeHttpServer server;
    server.redirect("GET", "/a", "/b", 301);
    server.redirect("GET", "/b", server.url("/c"), 307);
    server.route("GET", "/c", FakeResponse::text("landed"));
    server.redirect("GET", "/loop", "/loop");
    HttpClient client(no_proxy());
    HttpResponse answer = client.send(get(server.url("/a")));
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, "landed");
    EXPECT_EQ(answer.final_url, server.url("/c"));
    EXPECT_EQ(server.connections(), 1u) << "redirect bodies are drained and the connection reused";

    HttpRequest loop = get(server.url("/loop"));
    loop.max_redirects = 3;
    server.clear_requests();
    HttpError e = error_of(client, loop);
    EXPECT_EQ(e.kind(), HttpError::Kind::too_many_redirects);
    EXPECT_THAT(e.what(), StartsWith("too_many_redirects: "));
    EXPECT_EQ(server.request_count(), 4u);

    HttpRequest manual = get(server.url("/a"));
    manual.follow_redirects = false;
    HttpResponse first = client.send(manual);
    EXPECT_EQ(first.status, 301);
    EXPECT_EQ(first.header("location"), "/b");
}

TEST(HttpClient, SeeOtherTurnsAPostIntoAGetAndCrossOriginDropsCredentials) {
    FakeHttpServer server;
    FakeHttpServer other;
    server.redirect("POST", "/form", "/result", 303);
    server.route("GET", "/result", FakeResponse::text("result"));
    server.redirect("GET", "/away", other.url("/there"));
    other.route("GET", "/there", FakeResponse::text("there"));
    HttpClient client(no_proxy());
    HttpRequest post = get(server.url("/form"));
    post.method = "POST";
    post.body = "a=1";
    EXPECT_EQ(client.send(post).body, "result");
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[1].method, "GET");
    EXPECT_EQ(reqs[1].body, "");

    HttpRequest away = get(server.url("/away"));
    away.headers = {{"Authorization", "Bearer secret"}, {"Accept", "text/plain"}};
    EXPECT_EQ(client.send(away).body, "there");
    const FakeRequest landed = other.requests().at(0);
    EXPECT_EQ(landed.header("authorization"), "");
    EXPECT_EQ(landed.header("accept"), "text/plain");
}

TEST(HttpClient, CancellationMidStreamEndsTheRequest) {
    FakeHttpServer server;
    server.route("GET", "/stream", FakeResponse::sse({"one", FakeChunk("two", 60000)}));
    HttpClient client(no_proxy());
    std::atomic<bool> cancelled{false};
    HttpRequest r = get(server.url("/stream"));
    r.timeout = std::chrono::seconds(60);
    r.cancelled = &cancelled;
    std::string seen;
    r.on_body = [&](std::string_view bytes) {
        seen.append(bytes);
        cancelled = true;  // an interrupt arriving while the stream runs
        return true;
    };
    HttpError e = error_of(client, r);
    EXPECT_EQ(e.kind(), HttpError::Kind::cancelled);
    EXPECT_THAT(e.what(), StartsWith("cancelled: "));
    EXPECT_EQ(seen, "one");
    EXPECT_EQ(client.idle_connections(), 0u);
}

TEST(HttpClient, CancellationWhileWaitingForAnAnswer) {
    FakeHttpServer server;
    server.never_answer();
    HttpClient client(no_proxy());
    std::atomic<bool> cancelled{false};
    HttpRequest r = get(server.url("/"));
    r.timeout = std::chrono::seconds(60);
    r.cancelled = &cancelled;
    std::thread interrupter([&] {
        server.wait_for_requests(1);
        cancelled = true;
    });
    HttpError e = error_of(client, r);
    interrupter.join();
    EXPECT_EQ(e.kind(), HttpError::Kind::cancelled);
}

TEST(HttpClient, InvalidRequestsAreRefusedBeforeAnyTraffic) {
    HttpClient client(no_proxy());
    EXPECT_EQ(error_of(client, get("ftp://127.0.0.1/")).kind(), HttpError::Kind::invalid_request);
    EXPECT_EQ(error_of(client, get("not a url")).kind(), HttpError::Kind::invalid_request);
    HttpRequest injected = get("http://127.0.0.1:1/");
    injected.headers = {{"X-A", "1\r\nX-B: 2"}};
    EXPECT_EQ(error_of(client, injected).kind(), HttpError::Kind::invalid_request);
}

TEST(HttpClient, HttpProxyGetsTheAbsoluteFormAndHttpsProxyACONNECT) {
    FakeHttpServer proxy;
    proxy.fallback([](const FakeRequest& r) {
        if (r.method == "CONNECT") return FakeResponse::text("no tunnels here", 403);
        return FakeResponse::text("proxied " + r.target);
    });
    HttpClient::Options o;
    o.proxy.http_proxy = "http://user:pw@127.0.0.1:" + std::to_string(proxy.port());
    o.proxy.https_proxy = proxy.url();
    HttpClient client(o);
    // names under .invalid never resolve: only the proxy (on 127.0.0.1) sees them
    EXPECT_EQ(client.send(get("http://api.example.invalid/v1/models?x=1")).body,
              "proxied http://api.example.invalid/v1/models?x=1");
    FakeRequest seen = proxy.requests().at(0);
    EXPECT_EQ(seen.header("host"), "api.example.invalid");
    EXPECT_EQ(seen.header("proxy-authorization"), "Basic dXNlcjpwdw==");

    HttpError e = error_of(client, get("https://api.example.invalid/v1/models"));
    EXPECT_EQ(e.kind(), HttpError::Kind::network_error);
    EXPECT_THAT(e.what(), HasSubstr("refused CONNECT api.example.invalid:443: 403"));
    EXPECT_EQ(proxy.requests().at(1).method, "CONNECT");
    EXPECT_EQ(proxy.requests().at(1).target, "api.example.invalid:443");
    // loopback targets never go through the proxy
    FakeHttpServer direct;
    direct.route("GET", "/", FakeResponse::text("direct"));
    EXPECT_EQ(client.send(get(direct.url("/"))).body, "direct");
}

TEST(ProxyConfig, NoProxyRules) {
    ProxyConfig c;
    c.http_proxy = "proxy.corp:3128";
    c.https_proxy = "http://proxy.corp:3128";
    c.no_proxy = " .internal.corp, example.com,10.0.0.0/8 , api.local:8080";
    auto target = [](const std::string& url) { return std::get<HttpTarget>(parse_http_url(url)); };
    EXPECT_EQ(c.proxy_for(target("http://api.openai.com/")), "http://proxy.corp:3128");
    EXPECT_EQ(c.proxy_for(target("https://api.openai.com/")), "http://proxy.corp:3128");
    EXPECT_EQ(c.proxy_for(target("http://a.internal.corp/")), "");
    EXPECT_EQ(c.proxy_for(target("http://example.com/")), "");
    EXPECT_EQ(c.proxy_for(target("http://www.example.com/")), "");
    EXPECT_EQ(c.proxy_for(target("http://notexample.com/")), "http://proxy.corp:3128");
    EXPECT_EQ(c.proxy_for(target("http://10.1.2.3/")), "");
    EXPECT_EQ(c.proxy_for(target("http://11.1.2.3/")), "http://proxy.corp:3128");
    EXPECT_EQ(c.proxy_for(target("http://api.local:8080/")), "");
    EXPECT_EQ(c.proxy_for(target("http://api.local:9090/")), "http://proxy.corp:3128");
    EXPECT_EQ(c.proxy_for(target("http://localhost:11434/")), "") << "loopback is never proxied";
    EXPECT_EQ(c.proxy_for(target("http://[::1]:11434/")), "");
    c.no_proxy = "*";
    EXPECT_EQ(c.proxy_for(target("https://api.anthropic.com/")), "");
}

}  // namespace
}  // namespace agenthost
