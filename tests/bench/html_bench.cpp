// HTML → markdown throughput (goal: ≥ 50 MB/s) on a ~5 MB real-world-shaped page: a news
// article with site chrome (header, nav, scripts, footer) and a docs page (code blocks,
// tables, nested lists) repeated, through the built web_fetch.so and the SDK's fake host, the
// page streamed in 64 KiB pieces as the real host does. Also the plain-text format, and
// the real DuckDuckGo results page repeated (link-heavy).
//
//   build/html_bench --benchmark_counters_tabular=true
#include <ahp/ahp_fake.hpp>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using ahp::fake::FakeHost;

/// The real results page (tests/fixtures/web).
std::string ddg_fixture() {
    fs::path p = fs::path(AGENTHOST_SOURCE_DIR) / "tests/fixtures/web/duckduckgo_html_foo.html";
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const char* const kHead = R"(<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Release notes and configuration guide &mdash; Example Docs</title>
<link rel="stylesheet" href="/assets/site.4f2a.css"><link rel="icon" href="/favicon.ico">
<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());
if (window.innerWidth < 768 && document.cookie.indexOf("m=1") < 0) { document.body.className += " mobile"; }</script>
<style>:root{--fg:#222;--bg:#fff}body{margin:0;font:16px/1.5 system-ui}.nav a{padding:4px 8px}</style>
</head><body class="docs">
<header class="site"><a class="logo" href="/"><img src="/logo.svg" alt="Example"></a>
<nav class="nav"><ul><li><a href="/docs/">Docs</a></li><li><a href="/blog/">Blog</a></li><li><a href="/community/">Community</a></li>
<li><a href="https://github.com/example/example">GitHub</a></li></ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search"><button>Go</button></form></header>
<main>)";

const char* const kArticle = R"(<article class="post"><header><h1>Version 4.2 is out</h1>
<p class="meta">By <a href="/authors/jlee">J. Lee</a> &middot; <time datetime="2024-05-02">May 2, 2024</time> &middot; 6 min read</p></header>
<p>We are happy to announce <strong>Example 4.2</strong>, the biggest release since 4.0. It brings a new
<a href="/docs/scheduler/">scheduler</a>, faster startup and <em>many</em> smaller fixes contributed by
<a href="https://github.com/example/example/graphs/contributors">83 people</a>. Thank you!</p>
<figure><img src="/blog/2024/4.2/startup.png" alt="Startup time, 4.1 against 4.2" width="720" height="360">
<figcaption>Startup time fell by 38&nbsp;% on our reference machine.</figcaption></figure>
<h2 id="scheduler">A new scheduler</h2>
<p>The scheduler now uses a work-stealing queue per core. Tasks that block are moved to a
separate pool, so a slow disk no longer stalls the event loop. See <a href="../design/scheduler.html#queues">the design notes</a>
for the details, and <a href="https://arxiv.org/abs/2101.00001">the paper</a> that inspired it.</p>
<blockquote><p>&ldquo;Our p99 latency dropped from 41&nbsp;ms to 9&nbsp;ms after upgrading.&rdquo;</p><p>&mdash; an early tester</p></blockquote>
<h3>Upgrading</h3>
<ol><li>Read the <a href="/docs/upgrade/4.2/">upgrade guide</a>.</li><li>Update your lock file:<pre><code class="language-shell">example update --to 4.2
example check --strict</code></pre></li><li>Run your test suite. If anything breaks, <a href="/issues/new">tell us</a>.</li></ol>
<aside class="newsletter"><h4>Stay in touch</h4><p>Get release notes by email.</p><form><input type="email"><button>Subscribe</button></form></aside>
<p>Full changelog: <a href="https://github.com/example/example/blob/main/CHANGELOG.md#420">CHANGELOG.md</a>.</p>
<script>document.querySelectorAll('pre code').forEach(function (b) { hljs.highlightElement(b); });</script>
</article>
)";

const char* const kDocs = R"(<section class="docs-page"><h1 id="config">Configuration</h1>
<p>Every option can be set in <code>example.toml</code>, through an environment variable
(<code>EXAMPLE_&lt;NAME&gt;</code>) or on the command line. Later sources win.</p>
<table class="options"><caption>Core options</caption><thead><tr><th>Name</th><th>Type</th><th>Default</th><th>Description</th></tr></thead>
<tbody><tr><td><code>workers</code></td><td>int</td><td>number of cores</td><td>Worker threads for the scheduler.</td></tr>
<tr><td><code>timeout</code></td><td>duration</td><td><code>30s</code></td><td>How long a request may take, <em>including</em> retries.</td></tr>
<tr><td><code>log.level</code></td><td>string</td><td><code>"info"</code></td><td>One of <code>debug</code>, <code>info</code>, <code>warn</code>, <code>error</code>.</td></tr>
<tr><td><code>cache.dir</code></td><td>path</td><td><code>~/.cache/example</code></td><td>Where downloaded artifacts live.</td></tr></tbody></table>
<h2 id="example">Example</h2>
<pre class="highlight"><code class="language-toml"><span class="k">[server]</span>
<span class="n">workers</span> = <span class="m">8</span>
<span class="n">timeout</span> = <span class="s">"45s"</span>

<span class="k">[log]</span>
<span class="n">level</span> = <span class="s">"debug"</span>   <span class="c"># verbose &amp; slow</span>
</code></pre>
<h2 id="precedence">Precedence</h2>
<ul><li>Built-in defaults<ul><li>compiled into the binary</li><li>listed in <a href="./defaults.html">defaults</a></li></ul></li>
<li>The config file<ul><li><code>/etc/example/example.toml</code></li><li><code>$XDG_CONFIG_HOME/example/example.toml</code></li></ul></li>
<li>Environment variables, then flags.</li></ul>
<div class="admonition warning"><p class="admonition-title">Warning</p><p>Options marked <b>experimental</b> may change in a minor release.</p></div>
<p>Next: <a href="./plugins.html">Plugins &rarr;</a></p></section>
)";

const char* const kTail =
    R"(</main><footer class="site"><p>&copy; 2024 Example contributors. <a href="/privacy">Privacy</a> &middot;
<a href="/terms">Terms</a></p><svg class="icon" viewBox="0 0 16 16"><path d="M8 0a8 8 0 100 16A8 8 0 008 0z"/></svg></footer>
<script src="/assets/app.93bd.js"></script></body></html>)";

/// About `size` bytes of article + docs sections between one site header and footer.
std::string make_page(std::size_t size) {
    std::string page = kHead;
    while (page.size() < size) {
        page += kArticle;
        page += kDocs;
    }
    return page + kTail;
}

std::string repeated_ddg(std::size_t size) {
    std::string one = ddg_fixture();
    if (one.find("<body") == std::string::npos) return {};
    std::string body = one.substr(one.find("<body"), one.rfind("</body>") - one.find("<body"));
    std::string page = one.substr(0, one.find("<body"));
    while (page.size() < size) page += body;
    return page + "</body></html>";
}

void convert(benchmark::State& state, const std::string& page, const char* format) {
    if (page.empty()) {
        state.SkipWithError("the page is missing");
        return;
    }
    FakeHost host = FakeHost::open((fs::path(AGENTHOST_BUILD_DIR) / "plugins" / "web_fetch.so").string());
    host.on_stream_service("http.request", [&](const json::value&, const FakeHost::ChunkFn& chunk) {
        for (std::size_t i = 0; i < page.size(); i += 65536) chunk(std::string_view(page).substr(i, 65536));
        return json::value{{"status", 200},
                           {"headers", json::object{{"content-type", "text/html; charset=utf-8"}}},
                           {"final_url", "https://example.com/docs/4.2/notes.html"},
                           {"truncated", false}};
    });
    const json::object args{
        {"url", "https://example.com/docs/4.2/notes.html"}, {"format", format}, {"max_chars", 1000000}};
    std::size_t out = 0;
    for (auto _ : state) {
        ahp::fake::Outcome o = host.call_tool("web_fetch", args);
        if (!o.ok()) {
            state.SkipWithError(o.error_message.c_str());
            return;
        }
        out = o.result.as_string().size();
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * page.size()));
    state.counters["page_MB"] = static_cast<double>(page.size()) / 1e6;
    state.counters["output_chars"] = static_cast<double>(out);
}

void BM_HtmlToMarkdown_5MB(benchmark::State& state) {
    static const std::string page = make_page(5u << 20);
    convert(state, page, "markdown");
}
BENCHMARK(BM_HtmlToMarkdown_5MB)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_HtmlToText_5MB(benchmark::State& state) {
    static const std::string page = make_page(5u << 20);
    convert(state, page, "text");
}
BENCHMARK(BM_HtmlToText_5MB)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_DuckDuckGoPageToMarkdown_5MB(benchmark::State& state) {
    static const std::string page = repeated_ddg(5u << 20);
    convert(state, page, "markdown");
}
BENCHMARK(BM_DuckDuckGoPageToMarkdown_5MB)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
