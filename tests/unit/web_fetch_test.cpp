// The web_fetch plugin (build/plugins/web_fetch.so) through the SDK's fake host: what it asks
// http.request for, the head of its answer (title, final URL), JSON and text passed through,
// binary refused, the cap with the cut said (a 10 MB body), HEAD, HTTP errors and the host's
// refusals passed to the model. HTML → markdown itself is html_markdown_test.cpp.
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

namespace json = boost::json;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;
using ::testing::HasSubstr;
using ::testing::StartsWith;

FakeHost make_host(const std::string& config = "{}") {
    return FakeHost::open((agenthost::test::plugins_dir() / "web_fetch.so").string(), config);
}

json::value answer(const std::string& body, const std::string& content_type, int status = 200,
                   const std::string& final_url = "https://example.com/page", bool truncated = false) {
    json::object headers;
    if (!content_type.empty()) headers["content-type"] = content_type;
    return json::object{{"status", status},
                        {"headers", std::move(headers)},
                        {"body", body},
                        {"final_url", final_url},
                        {"truncated", truncated}};
}

/// A host whose http.request answers `a` and records the request.
FakeHost serving(json::value a, json::value* request = nullptr, const std::string& config = "{}") {
    FakeHost host = make_host(config);
    host.on_service("http.request", [a, request](const json::value& p) {
        if (request) *request = p;
        return a;
    });
    return host;
}

/// A host whose http.request streams `body` in pieces of `piece` bytes (raw bytes, as the real
/// host delivers a 2xx body to a plugin that asks for a stream) and then answers without a body.
FakeHost streaming(std::string body, const std::string& content_type, std::size_t piece = 4096) {
    FakeHost host = make_host();
    host.on_stream_service("http.request",
                           [body, content_type, piece](const json::value& p, const FakeHost::ChunkFn& chunk) {
                               EXPECT_EQ(p.at("stream"), true);
                               for (std::size_t i = 0; i < body.size(); i += piece) {
                                   if (!chunk(std::string_view(body).substr(i, piece))) break;
                               }
                               return json::value{{"status", 200},
                                                  {"headers", json::object{{"content-type", content_type}}},
                                                  {"final_url", "https://example.com/page"},
                                                  {"truncated", false}};
                           });
    return host;
}

std::string fetch(FakeHost& host, json::object args) {
    Outcome o = host.call_tool("web_fetch", args);
    EXPECT_TRUE(o.ok()) << o.error_code << ": " << o.error_message;
    return o.result.is_string() ? std::string(o.result.get_string()) : json::serialize(o.result);
}

TEST(WebFetch, AsksTheHostForAGetWithLimits) {
    json::value req;
    FakeHost host = serving(answer("<title>T</title><p>Hi</p>", "text/html"), &req,
                            R"({"timeout_ms":5000,"user_agent":"probe/1"})");
    fetch(host, {{"url", "https://example.com/page"}});
    const json::object& r = req.as_object();
    EXPECT_EQ(r.at("method"), "GET");
    EXPECT_EQ(r.at("url"), "https://example.com/page");
    EXPECT_EQ(r.at("timeout_ms"), 5000);
    EXPECT_EQ(r.at("max_body_bytes"), 10 * 1024 * 1024);
    EXPECT_EQ(r.at("stream"), true) << "a 2xx body comes as raw bytes, not as a JSON string";
    EXPECT_THAT(std::string(r.at("headers").at("accept").as_string()), StartsWith("text/html,"));
    EXPECT_EQ(r.at("headers").at("user-agent"), "probe/1");
}

TEST(WebFetch, TheTitleAndTheFinalUrlHeadTheResult) {
    FakeHost host =
        serving(answer("<html><head><title> Moved  page </title></head><body><p>See <a href=\"next\">next</a>.</p>",
                       "text/html; charset=utf-8", 200, "https://www.example.com/new/page.html"));
    EXPECT_EQ(fetch(host, {{"url", "http://example.com/old"}}),
              "Title: Moved page\nURL: https://www.example.com/new/page.html\n\n"
              "See [next](https://www.example.com/new/next).");
}

TEST(WebFetch, FormatTextAndRaw) {
    const std::string page = "<title>T</title><h2>Head</h2><p>A <em>b</em> <a href=\"/c\">c</a></p>";
    FakeHost host = serving(answer(page, "text/html"));
    EXPECT_EQ(fetch(host, {{"url", "https://example.com/page"}, {"format", "text"}}),
              "Title: T\nURL: https://example.com/page\n\nHead\n\nA b c");
    EXPECT_EQ(fetch(host, {{"url", "https://example.com/page"}, {"format", "raw"}}),
              "URL: https://example.com/page\nContent-Type: text/html\n\n" + page);
}

TEST(WebFetch, JsonAndTextArePassedThrough) {
    const std::string body = "{\"name\": \"agenthost\",\n \"tags\": [\"<b>\", \"&amp;\"]}";
    FakeHost json_host = serving(answer(body, "application/json; charset=utf-8"));
    EXPECT_EQ(fetch(json_host, {{"url", "https://api.example.com/x"}}),
              "URL: https://example.com/page\nContent-Type: application/json\n\n" + body);
    for (const char* type :
         {"text/plain", "text/markdown", "text/csv", "application/xml", "application/ld+json", "application/rss+xml"}) {
        FakeHost host = serving(answer("a,b\n<1>,&2\n", type));
        EXPECT_EQ(fetch(host, {{"url", "https://example.com/f"}}),
                  std::string("URL: https://example.com/page\nContent-Type: ") + type + "\n\na,b\n<1>,&2\n")
            << type;
    }
}

TEST(WebFetch, BinaryIsRefusedNamingTheType) {
    for (const char* type :
         {"image/png", "application/pdf", "application/octet-stream", "application/zip", "video/mp4"}) {
        FakeHost host = streaming(std::string("\x89PNG\r\n\x1a\n\0\0", 10) + std::string(1990, '\xff'), type, 700);
        Outcome o = host.call_tool("web_fetch", {{"url", "https://example.com/file"}});
        ASSERT_FALSE(o.ok()) << type;
        EXPECT_EQ(o.error_code, "unsupported_content");
        EXPECT_EQ(o.error_message,
                  std::string("https://example.com/page is ") + type +
                      " (2,000 bytes), which web_fetch cannot read: only HTML and text (JSON, XML, CSV, "
                      "markdown, plain text) are supported");
    }
}

TEST(WebFetch, WithoutAContentTypeTheBytesDecide) {
    FakeHost pdf = streaming("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj", "");
    Outcome o = pdf.call_tool("web_fetch", {{"url", "https://example.com/doc"}});
    ASSERT_FALSE(o.ok());
    EXPECT_THAT(o.error_message, HasSubstr("is application/pdf (sniffed)"));
    FakeHost page = serving(answer("\n<!DOCTYPE html><title>S</title><p>sniffed</p>", ""));
    EXPECT_EQ(fetch(page, {{"url", "https://example.com/"}}), "Title: S\nURL: https://example.com/page\n\nsniffed");
    FakeHost text = serving(answer("plain words", ""));
    EXPECT_EQ(fetch(text, {{"url", "https://example.com/"}}),
              "URL: https://example.com/page\nContent-Type: text/plain (sniffed)\n\nplain words");
}

TEST(WebFetch, ATenMegabyteBodyIsCappedAndTheCutSaid) {
    std::string body;
    body.reserve(10'000'000);
    while (body.size() < 10'000'000) body += "line " + std::to_string(body.size()) + "\n";
    body.resize(10'000'000);
    FakeHost host = streaming(body, "text/plain", 65536);
    std::string out = fetch(host, {{"url", "https://example.com/big.txt"}});
    const std::string head = "URL: https://example.com/page\nContent-Type: text/plain\n\n";
    EXPECT_EQ(out, head + body.substr(0, 20000) + "\n\n[truncated: 9,980,000 more characters]");

    std::string out2 = fetch(host, {{"url", "https://example.com/big.txt"}, {"max_chars", 100}});
    EXPECT_EQ(out2, head + body.substr(0, 100) + "\n\n[truncated: 9,999,900 more characters]");
}

TEST(WebFetch, ALargeHtmlPageIsCappedAfterConversion) {
    std::string page =
        "<html><head><title>Big</title><script>" + std::string(1'000'000, 'x') + "</script></head><body>";
    for (int i = 0; page.size() < 10'000'000; ++i) page += "<p>Paragraph " + std::to_string(i) + " &amp; more.</p>\n";
    FakeHost host = serving(answer(page, "text/html"), nullptr, R"({"max_chars":50})");
    std::string out = fetch(host, {{"url", "https://example.com/"}});
    EXPECT_THAT(
        out,
        StartsWith("Title: Big\nURL: https://example.com/page\n\nParagraph 0 & more.\n\nParagraph 1 & more.\n\nParag"));
    EXPECT_THAT(out, HasSubstr("\n\n[truncated: "));
    EXPECT_THAT(out, HasSubstr(" more characters]"));
}

TEST(WebFetch, TheCapCountsCharactersNotBytes) {
    FakeHost host = serving(answer("ééééé日本語🎉x", "text/plain; charset=utf-8"));
    EXPECT_EQ(
        fetch(host, {{"url", "https://example.com/"}, {"max_chars", 9}}),
        "URL: https://example.com/page\nContent-Type: text/plain\n\nééééé日本語🎉\n\n[truncated: 1 more characters]");
}

TEST(WebFetch, ABodyTheHostCutIsSaid) {
    FakeHost host = serving(answer("partial", "text/plain", 200, "https://example.com/page", true));
    EXPECT_EQ(fetch(host, {{"url", "https://example.com/"}}),
              "URL: https://example.com/page\nContent-Type: text/plain\n\npartial\n\n"
              "[the download stopped at 7 bytes (the size limit); the document is longer]");
}

TEST(WebFetch, HeadReturnsStatusAndHeaders) {
    json::value req;
    json::value a = json::object{{"status", 200},
                                 {"headers", json::object{{"content-type", "application/pdf"},
                                                          {"content-length", "52311"},
                                                          {"last-modified", "Tue, 05 Mar 2024 10:00:00 GMT"}}},
                                 {"final_url", "https://cdn.example.com/paper.pdf"},
                                 {"truncated", false}};
    FakeHost host = serving(a, &req);
    EXPECT_EQ(fetch(host, {{"url", "https://example.com/paper.pdf"}, {"method", "HEAD"}}),
              "URL: https://cdn.example.com/paper.pdf\nStatus: 200 OK\n\ncontent-type: application/pdf\n"
              "content-length: 52311\nlast-modified: Tue, 05 Mar 2024 10:00:00 GMT");
    EXPECT_EQ(req.at("method"), "HEAD");
}

TEST(WebFetch, AnHttpErrorIsAToolErrorWithTheStartOfThePage) {
    FakeHost host = serving(answer("<title>Oops</title><h1>Not here</h1><p>Try the <a href=\"/\">home page</a>.</p>",
                                   "text/html", 404, "https://example.com/missing"));
    Outcome o = host.call_tool("web_fetch", {{"url", "https://example.com/missing"}});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error_code, "http_error");
    EXPECT_EQ(o.error_message,
              "HTTP 404 Not Found from https://example.com/missing:\n\n# Not here\n\nTry the [home "
              "page](https://example.com/).");
}

TEST(WebFetch, AnHttpErrorWithABinaryBodyIsStillAnHttpError) {
    FakeHost host = streaming("\x89PNG\r\n", "image/png");
    host.on_stream_service("http.request", [](const json::value&, const FakeHost::ChunkFn&) {
        return json::value{{"status", 403},
                           {"headers", json::object{{"content-type", "image/png"}}},
                           {"body", "PNG"},
                           {"final_url", "https://example.com/x.png"},
                           {"truncated", false}};
    });
    Outcome o = host.call_tool("web_fetch", {{"url", "https://example.com/x.png"}});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error_code, "http_error");
    EXPECT_EQ(o.error_message, "HTTP 403 Forbidden from https://example.com/x.png (image/png content)");
}

TEST(WebFetch, OtherStatusesAreShown) {
    FakeHost host = serving(answer("<p>cached</p>", "text/html", 203));
    EXPECT_EQ(fetch(host, {{"url", "https://example.com/"}}),
              "URL: https://example.com/page\nStatus: 203 Non-Authoritative Information\n\ncached");
}

TEST(WebFetch, TheHostsRefusalsAndTimeoutsReachTheModel) {
    struct Case {
        ahp_status status;
        const char* code;
        const char* message;
    } cases[] = {
        {AHP_DENIED, "denied", "network access: http://10.0.0.5/admin refused by allow list (no entry matches)"},
        {AHP_DENIED, "denied", "ssrf: intranet.example resolves to 10.0.0.5 (private)"},
        {AHP_ERROR, "error", "timeout: no answer from 10.0.0.5:80 within 30000 ms"},
        {AHP_ERROR, "error", "network_error: connection refused"},
    };
    for (const Case& c : cases) {
        FakeHost host = make_host();
        host.on_service("http.request",
                        [&](const json::value&) -> json::value { throw ahp::Error(c.code, c.message, c.status); });
        Outcome o = host.call_tool("web_fetch", {{"url", "http://10.0.0.5/admin"}});
        EXPECT_EQ(o.status, c.status);
        EXPECT_EQ(o.error_code, c.code);
        EXPECT_EQ(o.error_message, std::string("could not fetch http://10.0.0.5/admin: ") + c.message);
    }
}

TEST(WebFetch, BadArgumentsAreRefusedBeforeAnyRequest) {
    FakeHost host = make_host();
    int requests = 0;
    host.on_service("http.request", [&](const json::value&) {
        ++requests;
        return answer("", "text/plain");
    });
    for (json::object args : {json::object{{"url", "ftp://example.com/x"}}, json::object{{"url", "/relative"}},
                              json::object{{"url", "https://example.com"}, {"method", "POST"}},
                              json::object{{"url", "https://example.com"}, {"format", "pdf"}},
                              json::object{{"url", "https://example.com"}, {"max_chars", "many"}}, json::object{}}) {
        Outcome o = host.call_tool("web_fetch", args);
        EXPECT_EQ(o.status, AHP_INVALID_ARGUMENT) << json::serialize(args);
    }
    EXPECT_EQ(requests, 0);
    EXPECT_THROW(make_host(R"({"max_chars":"lots"})"), std::runtime_error);
}

}  // namespace
