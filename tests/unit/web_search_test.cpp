// The web_search plugin (build/plugins/web_search.so) through the SDK's fake host: the real
// DuckDuckGo results page (tests/fixtures/web/duckduckgo_html_foo.html, 10 results, every
// link a //duckduckgo.com/l/?uddg= redirect), max_results and the "Next" form, the anti-bot,
// changed-layout and no-results pages, and host refusals. The anti-bot, no-results and ad pages
// are written here after DuckDuckGo's markup (no recorded copies exist: fixtures NOTES §2).
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kEndpoint = "https://search.test/html/";

std::string ddg_page() {
    static const std::string page = agenthost::test::web_fixture("duckduckgo_html_foo.html");
    return page;
}

FakeHost make_host(const std::string& config = std::string(R"({"endpoint":")") + kEndpoint + "\"}") {
    return FakeHost::open((agenthost::test::plugins_dir() / "web_search.so").string(), config);
}

json::value answer(const std::string& body, int status = 200, const std::string& final_url = kEndpoint) {
    return json::object{{"status", status},
                        {"headers", json::object{{"content-type", "text/html; charset=UTF-8"}}},
                        {"body", body},
                        {"final_url", final_url},
                        {"truncated", false}};
}

struct Result {
    std::string title, url, snippet;
};

/// The numbered results of a web_search answer ("1. Title\n   URL\n   snippet", blank-line separated).
std::vector<Result> parse(const std::string& text) {
    std::vector<Result> out;
    static const std::regex entry(R"((\d+)\. ([^\n]*)\n   ([^\n]*)(?:\n   ([^\n]*))?)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator(); ++it) {
        EXPECT_EQ(std::stoul((*it)[1]), out.size() + 1) << "numbered from 1";
        out.push_back({(*it)[2], (*it)[3], (*it)[4]});
    }
    return out;
}

std::string text_of(const Outcome& o) {
    return o.result.is_string() ? std::string(o.result.get_string()) : "";
}

TEST(WebSearch, ReadsAllTenResultsOfTheRealPageUnwrapped) {
    FakeHost host = make_host();
    std::vector<json::value> seen;
    host.on_service("http.request", [&](const json::value& p) {
        seen.push_back(p);
        return answer(ddg_page());
    });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    ASSERT_EQ(seen.size(), 1u) << "10 results on the first page: no second request";
    const json::object& req = seen[0].as_object();
    EXPECT_EQ(req.at("method"), "POST");
    EXPECT_EQ(req.at("url"), kEndpoint);
    EXPECT_EQ(req.at("body"), "q=foo");
    EXPECT_EQ(req.at("headers").at("content-type"), "application/x-www-form-urlencoded");

    std::vector<Result> r = parse(text_of(o));
    ASSERT_EQ(r.size(), 10u) << text_of(o);
    const std::pair<const char*, const char*> expected[] = {
        {"Foo Fighters - Wikipedia", "https://en.wikipedia.org/wiki/Foo_Fighters"},
        {"foo | Meaning & Origin - Dictionary.com", "https://www.dictionary.com/e/tech-science/foo/"},
        {"FOO | definition in the Cambridge English Dictionary - Cambridge Dictionary",
         "https://dictionary.cambridge.org/us/dictionary/english/foo"},
        {"foo - Wiktionary, the free dictionary", "https://en.wiktionary.org/wiki/foo"},
        {"Foo Fighters - Everlong (Official HD Video) - YouTube", "https://www.youtube.com/watch?v=eBG7P-K-r1Y"},
        {"Foo Fighters", "https://foofighters.com/"},
        {"Foo Fighters - Best Of You (Official HD Video) - YouTube", "https://www.youtube.com/watch?v=h_L4Rixya64"},
        {"Foo Fighters Music: Greatest Hits - YouTube", "https://www.youtube.com/playlist?list=PL83F62FF359785F29"},
        {"FOO Definition & Meaning - Merriam-Webster", "https://www.merriam-webster.com/dictionary/foo"},
        {"Foo Tokyo｜Official Website（フートウキョウ公式）", "https://footokyo.jp/"},
    };
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(r[i].title, expected[i].first) << i;
        EXPECT_EQ(r[i].url, expected[i].second) << i;
        EXPECT_FALSE(r[i].snippet.empty()) << i;
        EXPECT_THAT(r[i].snippet, Not(HasSubstr("<b>")));
    }
    EXPECT_EQ(r[0].snippet,
              "Foo Fighters are a rock band formed in 1994 by former Nirvana drummer Dave Grohl. They have won 15 "
              "Grammy Awards and were inducted into the Rock and Roll Hall of Fame in 2021.");
    EXPECT_EQ(r[1].snippet,
              "Foo is a term used in computer programming to indicate a generic or unspecified value or object. It "
              "has no connection to the WWII graffiti \"Foo was here\" or the FUBAR acronym.");
    EXPECT_EQ(r[7].snippet,
              "Enjoy 16 videos of Foo Fighters' best songs from their album \"Greatest Hits\". Watch official HD "
              "videos of hits like All My Life, Best Of You, Everlong and more.");
    EXPECT_EQ(r[8].snippet, "The meaning of FOO is Scottish variant of how.");
    EXPECT_EQ(
        r[9].snippet,
        "シルクパジャマやルームウェアの高級ブランドFoo Tokyo(フートウキョウ)公式サイトです。「ただいま」から「いって"
        "きます」の間に流れる今日と明日を繋ぐひと時に、思わず空想に浸りたくなるような「安らぎ」を添えるアイテムを世に"
        "贈り出すブランド、それが私たちFoo Tokyoです。");
    EXPECT_THAT(text_of(o),
                ::testing::StartsWith("1. Foo Fighters - Wikipedia\n   https://en.wikipedia.org/wiki/Foo_Fighters\n"
                                      "   Foo Fighters are a rock band formed in 1994 by former"));
    EXPECT_THAT(text_of(o), HasSubstr("2021.\n\n2. foo | Meaning & Origin - Dictionary.com\n"));
}

TEST(WebSearch, MaxResultsCutsTheList) {
    FakeHost host = make_host();
    host.on_service("http.request", [](const json::value&) { return answer(ddg_page()); });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}, {"max_results", 3}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    std::vector<Result> r = parse(text_of(o));
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[2].url, "https://dictionary.cambridge.org/us/dictionary/english/foo");
    EXPECT_THAT(text_of(o), Not(HasSubstr("\n4. ")));
}

TEST(WebSearch, MoreThanOnePageFollowsTheNextForm) {
    FakeHost host = make_host();
    std::string second = std::regex_replace(ddg_page(), std::regex("uddg=https%3A%2F%2F"), "uddg=https%3A%2F%2Fp2.");
    std::vector<json::object> seen;
    host.on_service("http.request", [&](const json::value& p) {
        seen.push_back(p.as_object());
        return answer(seen.size() == 1 ? ddg_page() : second);
    });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}, {"max_results", 15}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1].at("url"), "https://search.test/html/") << "the form's action, resolved against the page";
    EXPECT_EQ(
        seen[1].at("body"),
        "q=foo&s=10&nextParams=&v=l&o=json&dc=11&api=d.js&vqd=4-128689170714965609075396407614104177165&kl=wt-wt");
    std::vector<Result> r = parse(text_of(o));
    ASSERT_EQ(r.size(), 15u);
    EXPECT_EQ(r[9].url, "https://footokyo.jp/");
    EXPECT_EQ(r[10].url, "https://p2.en.wikipedia.org/wiki/Foo_Fighters");
    EXPECT_EQ(r[14].url, "https://p2.www.youtube.com/watch?v=eBG7P-K-r1Y");
}

TEST(WebSearch, APageWithNothingNewEndsTheSearch) {
    FakeHost host = make_host();
    int calls = 0;
    host.on_service("http.request", [&](const json::value&) {
        ++calls;
        return answer(ddg_page());
    });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}, {"max_results", 25}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(parse(text_of(o)).size(), 10u) << "duplicates are dropped";
    EXPECT_EQ(calls, 2);
}

TEST(WebSearch, ALaterPageFailingKeepsTheFirstPagesResults) {
    FakeHost host = make_host();
    int calls = 0;
    host.on_service("http.request", [&](const json::value&) -> json::value {
        if (++calls > 1) throw ahp::Error("error", "timeout: no answer within 15000 ms");
        return answer(ddg_page());
    });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}, {"max_results", 20}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(parse(text_of(o)).size(), 10u);
}

TEST(WebSearch, TheQueryIsFormEncodedWithTheRegion) {
    FakeHost host = make_host(std::string(R"({"endpoint":")") + kEndpoint + R"(","region":"de-de"})");
    std::string body;
    host.on_service("http.request", [&](const json::value& p) {
        body = std::string(p.at("body").as_string());
        return answer(ddg_page());
    });
    ASSERT_TRUE(host.call_tool("web_search", {{"query", "  c++ & rust/ü  "}}).ok());
    EXPECT_EQ(body, "q=c%2B%2B+%26+rust%2F%C3%BC&kl=de-de");
}

// DuckDuckGo's anti-bot answer: HTTP 202 and the anomaly modal with a challenge form.
const char* const kAntiBot = R"(<!DOCTYPE html><html lang="en-US"><head><title>DuckDuckGo</title></head>
<body><div class="anomaly-modal__mask"><div class="anomaly-modal__modal" data-testid="anomaly-modal">
<div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>
<div class="anomaly-modal__description">Please complete the following challenge to confirm this search was made by a human.</div>
<form id="challenge-form" action="//duckduckgo.com/anomaly.js?sv=html&amp;cc=sre&amp;ti=1" method="POST">
<div class="anomaly-modal__instructions">Select all squares containing a duck:</div>
<input type="hidden" name="challenge" value="x"><button type="submit" class="anomaly-modal__submit">Submit</button>
</form></div></div></body></html>)";

TEST(WebSearch, TheAntiBotPageIsAToolError) {
    for (int status : {202, 200}) {
        FakeHost host = make_host();
        host.on_service("http.request", [&](const json::value&) { return answer(kAntiBot, status); });
        Outcome o = host.call_tool("web_search", {{"query", "foo"}});
        ASSERT_FALSE(o.ok()) << status;
        EXPECT_EQ(o.error_code, "blocked");
        EXPECT_THAT(o.error_message, HasSubstr("anti-bot check (HTTP " + std::to_string(status) + ")"));
    }
}

TEST(WebSearch, A202WithoutTheModalIsStillTheAntiBotAnswer) {
    FakeHost host = make_host();
    host.on_service("http.request", [](const json::value&) { return answer("", 202); });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}});
    ASSERT_FALSE(o.ok());
    EXPECT_THAT(o.error_message, HasSubstr("anti-bot"));
}

TEST(WebSearch, RateLimitingIsAToolError) {
    FakeHost host = make_host();
    host.on_service("http.request", [](const json::value&) { return answer("slow down", 429); });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}});
    ASSERT_FALSE(o.ok());
    EXPECT_THAT(o.error_message, HasSubstr("HTTP 429 Too Many Requests"));
}

TEST(WebSearch, AChangedLayoutIsAToolErrorNotAnEmptySuccess) {
    // The same page with DuckDuckGo's result classes renamed: the marker says results are there.
    std::string changed = std::regex_replace(ddg_page(), std::regex("result__a|result__snippet"), "x-gone");
    changed = std::regex_replace(changed, std::regex("class=\"result "), "class=\"x-result ");
    FakeHost host = make_host();
    host.on_service("http.request", [&](const json::value&) { return answer(changed); });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}});
    ASSERT_FALSE(o.ok()) << text_of(o);
    EXPECT_EQ(o.error_code, "unexpected_page");
    EXPECT_THAT(o.error_message, HasSubstr("says it has web results, but none could be read"));
    EXPECT_THAT(o.error_message, HasSubstr("title \"foo at DuckDuckGo\""));
    EXPECT_THAT(o.error_message, HasSubstr("layout may have changed"));
}

TEST(WebSearch, APageThatIsNotAResultsPageIsAToolError) {
    FakeHost host = make_host();
    host.on_service("http.request", [](const json::value&) {
        return answer("<html><title>Welcome to nginx!</title><p>It works.</p></html>");
    });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}});
    ASSERT_FALSE(o.ok());
    EXPECT_THAT(o.error_message, HasSubstr("no results container (title \"Welcome to nginx!\", 61 bytes)"));
}

TEST(WebSearch, APathologicallyNestedPageIsRefusedBeforeParsing) {
    std::string page;
    for (int i = 0; i < 3000; ++i) page += "<div class=\"result\">";
    FakeHost host = make_host();
    host.on_service("http.request", [&](const json::value&) { return answer(page); });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error_code, "unexpected_page");
    EXPECT_THAT(o.error_message, HasSubstr("nested more than 1000 elements deep"));
}

TEST(WebSearch, NoResultsIsAClearAnswer) {
    const char* page = R"(<html><head><title>zzqxjv at DuckDuckGo</title></head><body>
<div class="serp__results"><div id="links" class="results">
<div class="no-results">No  results.</div></div></div></body></html>)";
    FakeHost host = make_host();
    host.on_service("http.request", [&](const json::value&) { return answer(page); });
    Outcome o = host.call_tool("web_search", {{"query", "zzqxjv"}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(text_of(o), "No results for \"zzqxjv\".");
}

TEST(WebSearch, AdsAreSkipped) {
    std::string ad = R"(<div class="result results_links results_links_deep result--ad result--ad--small">
<h2 class="result__title"><a class="result__a" href="https://duckduckgo.com/y.js?ad_domain=shop.example&amp;u3=x">Buy Foo</a></h2>
<a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=shop.example">Cheap foo.</a></div>)";
    std::string page = ddg_page();
    page.insert(page.find("<div class=\"result results_links"), ad);
    FakeHost host = make_host();
    host.on_service("http.request", [&](const json::value&) { return answer(page); });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_THAT(text_of(o), Not(HasSubstr("Buy Foo")));
    EXPECT_EQ(parse(text_of(o)).at(0).title, "Foo Fighters - Wikipedia");
}

TEST(WebSearch, TheHostsRefusalReachesTheModel) {
    FakeHost host = make_host("{}");
    std::string url;
    host.on_service("http.request", [&](const json::value& p) -> json::value {
        url = std::string(p.at("url").as_string());
        throw ahp::Error("denied",
                         "network access: https://html.duckduckgo.com/html/ refused by block rule 'duckduckgo.com'",
                         AHP_DENIED);
    });
    Outcome o = host.call_tool("web_search", {{"query", "foo"}});
    EXPECT_EQ(url, "https://html.duckduckgo.com/html/") << "the default endpoint";
    ASSERT_EQ(o.status, AHP_DENIED);
    EXPECT_EQ(o.error_code, "denied");
    EXPECT_THAT(o.error_message, HasSubstr("refused by block rule 'duckduckgo.com'"));
}

TEST(WebSearch, DescribesOneToolAndRejectsABadEndpoint) {
    FakeHost host = make_host();
    json::object d = host.describe();
    ASSERT_EQ(d.at("tools").as_array().size(), 1u);
    const json::object& tool = d.at("tools").as_array()[0].as_object();
    EXPECT_EQ(tool.at("name"), "web_search");
    EXPECT_EQ(tool.at("parameters").at("required"), (json::array{"query"}));
    EXPECT_EQ(tool.at("parameters").at("properties").at("max_results").at("maximum"), 25);
    EXPECT_THROW(make_host(R"({"endpoint":"ftp://example.com/"})"), std::runtime_error);
    Outcome empty = host.call_tool("web_search", {{"query", "   "}});
    EXPECT_EQ(empty.status, AHP_INVALID_ARGUMENT);
}

}  // namespace
