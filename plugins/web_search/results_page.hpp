// results_page.hpp — reading a DuckDuckGo HTML results page (html.duckduckgo.com/html/) with
// gumbo: results, the "no results" and anti-bot pages, and the form for the next page.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// One organic result.
struct SearchResult {
    std::string title;
    std::string url;      // the target, unwrapped from DuckDuckGo's /l/?uddg= redirect
    std::string snippet;  // whitespace collapsed, markup removed
};

/// The "Next" form: where to POST and the form-encoded body.
struct NextPage {
    std::string action;
    std::string body;
};

/// What a results page holds.
struct ResultsPage {
    std::vector<SearchResult> results;
    bool no_results = false;       // DuckDuckGo says there are none
    bool anti_bot = false;         // the anomaly modal or a challenge form instead of results
    bool results_marker = false;   // the results container or the "Web results are present" comment
    bool too_deep = false;         // nested too deeply to parse safely (not parsed)
    std::string title;             // the page's <title>
    std::optional<NextPage> next;  // the next page's form, if any
};

/// Elements nested deeper than this are not handed to gumbo, whose memory grows with the
/// square of the depth (20,000 nested <div>s take 3 GB); a results page nests about 15 deep.
constexpr std::size_t kMaxNesting = 1000;

/// Parse a results page (UTF-8 HTML).
ResultsPage parse_results_page(std::string_view html);

/// A result link's target: the uddg parameter of //duckduckgo.com/l/?uddg=…, percent-decoded;
/// other links made absolute (protocol-relative ones get https:).
std::string unwrap_result_url(std::string_view href);
