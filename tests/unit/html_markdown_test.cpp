// HTML → markdown (and plain text) as web_fetch returns it, through build/plugins/web_fetch.so
// and the SDK's fake host streaming the page's raw bytes: realistic pages (an article with
// site chrome, a docs page with code and tables, nested lists, relative links), charsets
// (Latin-1, Windows-1252 from <meta>, Shift_JIS through iconv), character references and
// broken markup, each asserted exactly.
#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gtest/gtest.h>

#include <chrono>

namespace {

namespace json = boost::json;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;

/// web_fetch's whole answer for a page served as raw bytes with this Content-Type.
std::string fetch(const std::string& page, const std::string& final_url, const std::string& format = "markdown",
                  const std::string& content_type = "text/html; charset=utf-8") {
    FakeHost host = FakeHost::open((agenthost::test::plugins_dir() / "web_fetch.so").string());
    host.on_stream_service("http.request", [&](const json::value&, const FakeHost::ChunkFn& chunk) {
        for (std::size_t i = 0; i < page.size(); i += 1000) chunk(std::string_view(page).substr(i, 1000));
        return json::value{{"status", 200},
                           {"headers", json::object{{"content-type", content_type}}},
                           {"final_url", final_url},
                           {"truncated", false}};
    });
    Outcome o = host.call_tool("web_fetch", {{"url", final_url}, {"format", format}});
    EXPECT_TRUE(o.ok()) << o.error_message;
    return o.result.is_string() ? std::string(o.result.get_string()) : std::string();
}

/// The converted content only (what follows the head's blank line).
std::string body(const std::string& page, const std::string& final_url = "https://example.com/",
                 const std::string& content_type = "text/html; charset=utf-8", const std::string& format = "markdown") {
    std::string out = fetch(page, final_url, format, content_type);
    std::size_t at = out.find("\n\n");
    return at == std::string::npos ? out : out.substr(at + 2);
}

const char* const kArticle = R"(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Understanding  the &quot;Event Loop&quot; &mdash; Dev Notes</title>
  <link rel="stylesheet" href="/css/site.css">
  <style>body { font-family: sans-serif; } .hidden { display: none }</style>
  <script>window.dataLayer = window.dataLayer || []; if (a < b && c) { document.write("<p>x</p>"); }</script>
</head>
<body>
  <header class="site-header">
    <a href="/" class="logo"><img src="/logo.svg" alt="Dev Notes"></a>
    <nav><ul><li><a href="/">Home</a></li><li><a href="/archive/">Archive</a></li></ul></nav>
  </header>
  <div id="cookie-banner" hidden>We use cookies. <button>OK</button></div>
  <main>
    <article>
      <header>
        <h1>Understanding the Event Loop</h1>
        <p class="byline">By <a href="/authors/ada">Ada</a> &middot; <time datetime="2024-03-01">March 1, 2024</time></p>
      </header>
      <p>JavaScript runs on a <strong>single thread</strong>, yet it handles
         thousands of   concurrent connections. The trick is the <em>event loop</em>.</p>
      <h2 id="tasks">Tasks and <i>micro</i>tasks</h2>
      <p>Every turn of the loop takes one task from the queue. See
         <a href="../specs/html.html#event-loops">the HTML spec</a> and
         <a href="https://nodejs.org/en/docs/">Node's docs</a>.</p>
      <figure>
        <img src="images/loop.png" alt="Diagram of the event loop" width="600">
        <figcaption>The loop, simplified.</figcaption>
      </figure>
      <blockquote>
        <p>Don't block the event loop.</p>
        <p>&mdash; every Node.js talk</p>
      </blockquote>
      <p>Call <code>setTimeout(fn, 0)</code> to defer work.<br>It runs after the current task.</p>
      <script>trackScroll();</script>
      <noscript><img src="/pixel.gif" alt="tracking"></noscript>
      <aside class="related"><h3>Related posts</h3><a href="/p/1">Promises</a></aside>
      <p class="share" style="display: none">Share this</p>
    </article>
  </main>
  <footer><p>&copy; 2024 Dev Notes. <a href="/privacy">Privacy</a></p>
    <form action="/subscribe"><input type="email" name="e"><button>Subscribe</button></form></footer>
  <svg width="0" height="0"><symbol id="i"><title>icon</title><path d="M0 0h1"/></symbol></svg>
</body>
</html>)";

TEST(HtmlMarkdown, AnArticleWithoutItsSiteChrome) {
    EXPECT_EQ(fetch(kArticle, "https://blog.example.com/posts/2024/event-loop.html"),
              R"(Title: Understanding the "Event Loop" — Dev Notes
URL: https://blog.example.com/posts/2024/event-loop.html

# Understanding the Event Loop

By [Ada](https://blog.example.com/authors/ada) · March 1, 2024

JavaScript runs on a **single thread**, yet it handles thousands of concurrent connections. The trick is the *event loop*.

## Tasks and *micro*tasks

Every turn of the loop takes one task from the queue. See [the HTML spec](https://blog.example.com/posts/specs/html.html#event-loops) and [Node's docs](https://nodejs.org/en/docs/).

![Diagram of the event loop](https://blog.example.com/posts/2024/images/loop.png)
The loop, simplified.

> Don't block the event loop.
>
> — every Node.js talk

Call `setTimeout(fn, 0)` to defer work.
It runs after the current task.)");
}

TEST(HtmlMarkdown, TheSameArticleAsPlainText) {
    EXPECT_EQ(body(kArticle, "https://blog.example.com/posts/2024/event-loop.html", "text/html", "text"),
              R"(Understanding the Event Loop

By Ada · March 1, 2024

JavaScript runs on a single thread, yet it handles thousands of concurrent connections. The trick is the event loop.

Tasks and microtasks

Every turn of the loop takes one task from the queue. See the HTML spec and Node's docs.

The loop, simplified.

Don't block the event loop.

— every Node.js talk

Call setTimeout(fn, 0) to defer work.
It runs after the current task.)");
}

const char* const kDocs =
    R"(<html><head><title>Config reference | mytool docs</title><base href="https://docs.example.org/v2/"></head>
<body>
<div class="sidebar"><nav aria-label="Docs"><a href="intro.html">Intro</a></nav></div>
<div class="content" role="main">
<h1>Configuration</h1>
<p>Install it first:</p>
<pre><code class="language-bash">$ pip install mytool
$ mytool --version
</code></pre>
<h2>Options</h2>
<table class="options">
  <caption>Table 1. Options</caption>
  <thead><tr><th>Name</th><th>Type</th><th>Default</th></tr></thead>
  <tbody>
    <tr><td><code>timeout</code></td><td>int</td><td>30</td></tr>
    <tr><td><code>mode</code></td><td>"fast" | "safe"</td><td><em>safe</em></td></tr>
    <tr><td>retries<td>int<td>3
  </tbody>
</table>
<h3>Example</h3>
<pre class="highlight"><span class="k">def</span> <span class="nf">main</span>():
    print(<span class="s">"a &lt; b &amp;&amp; c"</span>)

    return 0</pre>
<p>A literal backtick: <code>a`b</code>, and <kbd>Ctrl</kbd>+<kbd>C</kbd>.</p>
<pre>x = "```"</pre>
<table><tr><td><p>Layout tables</p><p>with one column</p></td></tr><tr><td>become paragraphs.</td></tr></table>
<dl><dt>TTL</dt><dd>Time to live.</dd></dl>
<hr>
<p>See also <a href="/v1/config.html">v1</a> and <a href="#options">options</a>.</p>
</div>
</body></html>)";

TEST(HtmlMarkdown, ADocsPageWithCodeBlocksAndATable) {
    EXPECT_EQ(fetch(kDocs, "https://docs.example.org/v2/config/"), R"(Title: Config reference | mytool docs
URL: https://docs.example.org/v2/config/

# Configuration

Install it first:

```bash
$ pip install mytool
$ mytool --version
```

## Options

Table 1. Options

| Name | Type | Default |
| --- | --- | --- |
| `timeout` | int | 30 |
| `mode` | "fast" \| "safe" | *safe* |
| retries | int | 3 |

### Example

```
def main():
    print("a < b && c")

    return 0
```

A literal backtick: `` a`b ``, and `Ctrl`+`C`.

````
x = "```"
````

Layout tables with one column

become paragraphs.

TTL
: Time to live.

---

See also [v1](https://docs.example.org/v1/config.html) and options.)");
}

TEST(HtmlMarkdown, NestedListsWithBlocksInside) {
    const char* page = R"(<ul>
  <li>Fruit
    <ul>
      <li>Apple</li>
      <li>Pear<ol start="3"><li>Conference<li>Williams</ol>
    </ul>
  <li>Vegetables: <em>none</em>
</ul>
<ol>
  <li><p>First paragraph.</p><p>Second paragraph.</p></li>
  <li>Code:
<pre><code>make
make install
</code></pre>
  </li>
  <li><blockquote>Quoted <strong>item</strong></blockquote></li>
</ol>
<p>After the list.</p>)";
    EXPECT_EQ(body(page), R"(- Fruit
  - Apple
  - Pear
    3. Conference
    4. Williams
- Vegetables: *none*

1. First paragraph.
   Second paragraph.
2. Code:
   ```
   make
   make install
   ```
3. > Quoted **item**

After the list.)");
    EXPECT_EQ(body(page, "https://example.com/", "text/html", "text"), R"(- Fruit
  - Apple
  - Pear
    3. Conference
    4. Williams
- Vegetables: none

1. First paragraph.
   Second paragraph.
2. Code:
   make
   make install
3. Quoted item

After the list.)");
}

TEST(HtmlMarkdown, LinksAndImagesResolveAgainstTheFinalUrl) {
    const char* page = R"html(<p><a href="sibling.html">sibling</a>
<a href="./same/dir/">dot</a>
<a href="../up/one?x=1&amp;y=2">up</a>
<a href="/root">root</a>
<a href="//cdn.example.net/lib.js">protocol-relative</a>
<a href="?page=2">query</a>
<a href="#top">fragment only</a>
<a href="https://other.example/a b(c)">absolute with space and parens</a>
<a href="mailto:me@example.com">mail</a>
<a href="javascript:void(0)">script</a>
<a href=" /trimmed ">trimmed</a>
<a>no href</a>
<a href="/empty"></a>
<a href="/img"><img src="pic.jpg" alt="a [pic]"></a>
<img src="data:image/png;base64,AAAA" alt="inline">
<img src="/decorative.png" alt="">
<img data-src="/lazy.png" src="data:image/gif;base64,R0l" alt="lazy">
</p>)html";
    EXPECT_EQ(body(page, "https://www.example.com/docs/guide/page.html?ref=1#intro"),
              "[sibling](https://www.example.com/docs/guide/sibling.html) "
              "[dot](https://www.example.com/docs/guide/same/dir/) "
              "[up](https://www.example.com/docs/up/one?x=1&y=2) "
              "[root](https://www.example.com/root) "
              "[protocol-relative](https://cdn.example.net/lib.js) "
              "[query](https://www.example.com/docs/guide/page.html?page=2) "
              "fragment only "
              "[absolute with space and parens](https://other.example/a%20b%28c%29) "
              "[mail](mailto:me@example.com) "
              "script "
              "[trimmed](https://www.example.com/trimmed) "
              "no href "
              "[![a \\[pic\\]](https://www.example.com/docs/guide/pic.jpg)](https://www.example.com/img) "
              "![lazy](https://www.example.com/lazy.png)");
}

TEST(HtmlMarkdown, ALatin1PageIsConverted) {
    // ISO-8859-1 bytes, declared in the Content-Type; read as Windows-1252 as browsers do.
    std::string page =
        "<html><head><title>Caf\xE9 cr\xE8me</title></head><body>"
        "<h1>Men\xFC</h1><p>\x93Na\xEFve\x94 \xA3"
        "5 \x80"
        "3 \xBD \xA9 Stra\xDF"
        "e</p></body></html>";
    EXPECT_EQ(fetch(page, "https://example.de/", "markdown", "text/html; charset=ISO-8859-1"),
              "Title: Café crème\nURL: https://example.de/\n\n# Menü\n\n“Naïve” £5 €3 ½ © Straße");
}

TEST(HtmlMarkdown, TheCharsetComesFromMetaWithoutAHeaderOne) {
    std::string w1252 =
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"
        "</head><p>It\x92s \x96 fine\x85</p>";
    EXPECT_EQ(body(w1252, "https://example.com/", "text/html"), "It’s – fine…");
    std::string sjis =
        "<meta charset=\"Shift_JIS\"><title>\x93\xFA\x96\x7B\x8C\xEA</title>"
        "<p>\x93\xFA\x96\x7B\x8C\xEA\x82\xCC\x83\x79\x81\x5B\x83\x57</p>";
    EXPECT_EQ(fetch(sjis, "https://example.jp/", "markdown", "text/html"),
              "Title: 日本語\nURL: https://example.jp/\n\n日本語のページ");
    // The header wins over <meta>; bytes that are not UTF-8 become U+FFFD.
    EXPECT_EQ(body("<meta charset=\"iso-8859-1\"><p>d\xC3\xA9j\xC3\xA0 \xFF</p>", "https://example.com/",
                   "text/html; charset=utf-8"),
              "déjà \xEF\xBF\xBD");
}

TEST(HtmlMarkdown, CharacterReferences) {
    const char* page =
        "<p>AT&amp;T &lt;tag&gt; &quot;q&quot; &apos;a&apos; caf&eacute; &copy2024 &ampx &notin; "
        "&NotANamedOne; &#8212; &#x1F600; &#150; &#0; a&nbsp;&nbsp;b &hellip;</p>"
        "<p><a href=\"/s?a=1&copy=2&amp;b=3\">attr</a></p>";
    EXPECT_EQ(body(page),
              "AT&T <tag> \"q\" 'a' café ©2024 &x ∉ &NotANamedOne; — 😀 – \xEF\xBF\xBD a b …\n\n"
              "[attr](https://example.com/s?a=1&copy=2&b=3)");
}

TEST(HtmlMarkdown, BrokenMarkupStillReads) {
    const char* page = R"(<html><body>
<p>One<p>Two <b>bold <i>both</b> italic?</i> plain
<div>Block in <span>inline
<ul><li>a<li>b</ul>
<table><tr><td>1<td>2<tr><td>3<td>4</table>
</div></div></div></span>
<p>Unclosed <a href="/x">link
<p>Next paragraph
<h2>Heading<br>with break</h2>
<p>Text with a stray </em> end tag and < less-than and a <!-- comment --> here.
<P CLASS="x">UPPER <STRONG>CASE</STRONG></P>
<custom-element>Custom <inner-thing>content</inner-thing></custom-element>
<p>end <em>  </em><a href="/nothing"> </a>)";
    EXPECT_EQ(body(page), R"(One

Two **bold *both*** italic? plain

Block in inline

- a
- b

| 1 | 2 |
| --- | --- |
| 3 | 4 |

Unclosed [link](https://example.com/x)

Next paragraph

## Heading with break

Text with a stray end tag and < less-than and a here.

UPPER **CASE**

Custom content

end)");
}

TEST(HtmlMarkdown, DeepNestingStaysBounded) {
    std::string page;
    for (int i = 0; i < 100000; ++i) page += "<div><span><li><blockquote>";
    page += "deep <b>text</b>";
    auto start = std::chrono::steady_clock::now();
    std::string out = body(page);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
    EXPECT_NE(out.find("deep"), std::string::npos) << out.substr(0, 200);
    EXPECT_NE(out.find("**text**"), std::string::npos) << "nesting past the cap replaces the innermost element";
    EXPECT_LT(out.size(), 2000u);
}

TEST(HtmlMarkdown, TheRealDuckDuckGoPageReads) {
    std::string page = agenthost::test::web_fixture("duckduckgo_html_foo.html");
    std::string out = fetch(page, "https://html.duckduckgo.com/html/");
    EXPECT_EQ(out.substr(0, out.find('\n')), "Title: foo at DuckDuckGo");
    EXPECT_NE(
        out.find("\n\n## [Foo Fighters - Wikipedia](https://duckduckgo.com/l/?uddg=https%3A%2F%2Fen.wikipedia.org"),
        std::string::npos);
    EXPECT_NE(out.find("シルクパジャマやルームウェアの高級ブランド**Foo** Tokyo"), std::string::npos);
    EXPECT_EQ(out.find("All Regions"), std::string::npos) << "the region <select> is a form control";
}

}  // namespace
