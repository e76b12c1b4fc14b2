// web_search: search the web through DuckDuckGo's HTML endpoint, via the host's http.request
// (so the session's network access list applies). Results are read with gumbo; a page whose
// layout changed or an anti-bot page is a tool error, never an empty success.
#include "results_page.hpp"

#include <ahp/ahp.hpp>

#include "html/text.hpp"
#include "html/url.hpp"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

namespace {

namespace json = ahp::json;

constexpr const char* kDefaultEndpoint = "https://html.duckduckgo.com/html/";
constexpr std::int64_t kDefaultTimeoutMs = 15000;
constexpr std::int64_t kDefaultResults = 10;
constexpr std::int64_t kMaxResults = 25;
constexpr int kMaxPages = 3;

ahp::Error config_error(const std::string& message) {
    return ahp::Error("invalid_config", "web_search: " + message, AHP_INVALID_ARGUMENT);
}

std::string string_config(const json::object& c, const char* key, const std::string& fallback) {
    const json::value* v = c.if_contains(key);
    if (!v) return fallback;
    if (!v->is_string()) throw config_error(std::string("config '") + key + "' must be a string");
    return std::string(v->get_string());
}

json::value parameters() {
    return json::object{
        {"type", "object"},
        {"properties",
         json::object{
             {"query",
              json::object{
                  {"type", "string"}, {"minLength", 1}, {"maxLength", 500}, {"description", "What to search for"}}},
             {"max_results", json::object{{"type", "integer"},
                                          {"minimum", 1},
                                          {"maximum", kMaxResults},
                                          {"description", "How many results to return (default 10, at most 25)"}}}}},
        {"required", json::array{"query"}},
        {"additionalProperties", false}};
}

std::string http_status_text(int status) {
    switch (status) {
        case 403:
            return "403 Forbidden";
        case 429:
            return "429 Too Many Requests";
        case 503:
            return "503 Service Unavailable";
        default:
            return std::to_string(status);
    }
}

class WebSearch : public ahp::Capability {
public:
    explicit WebSearch(json::object config) : Capability(std::move(config)) {
        const json::object& c = this->config();
        endpoint_ = string_config(c, "endpoint", kDefaultEndpoint);
        if (!html::is_http_url(endpoint_)) throw config_error("config 'endpoint' must be an http:// or https:// URL");
        region_ = string_config(c, "region", "");
        user_agent_ = string_config(c, "user_agent", "");
        if (const json::value* t = c.if_contains("timeout_ms")) {
            if (!t->is_int64() && !t->is_uint64()) throw config_error("config 'timeout_ms' must be an integer");
            timeout_ms_ = std::max<std::int64_t>(1, t->to_number<std::int64_t>());
        }
        add_tool({"web_search",
                  "Search the web (DuckDuckGo). Returns a numbered list of results: title, URL and a short "
                  "snippet each. Use web_fetch to read a result.",
                  parameters(), false},
                 [this](const json::object& args, ahp::Call& call) { return search(args, call); });
    }

private:
    json::value search(const json::object& args, ahp::Call& call) const {
        std::string query = html::collapse_whitespace(string_field(args, "query"));
        if (query.empty()) throw ahp::Error("invalid_arguments", "'query' must not be empty", AHP_INVALID_ARGUMENT);
        std::int64_t max_results = kDefaultResults;
        if (const json::value* m = args.if_contains("max_results"); m && !m->is_null()) {
            if (!m->is_int64() && !m->is_uint64()) {
                throw ahp::Error("invalid_arguments", "'max_results' must be an integer", AHP_INVALID_ARGUMENT);
            }
            max_results = std::clamp<std::int64_t>(m->to_number<std::int64_t>(), 1, kMaxResults);
        }

        std::string body = "q=" + html::form_encode(query);
        if (!region_.empty()) body += "&kl=" + html::form_encode(region_);
        std::string url = endpoint_;
        std::vector<SearchResult> results;
        std::set<std::string> seen;
        for (int page = 0; page < kMaxPages && static_cast<std::int64_t>(results.size()) < max_results; ++page) {
            Fetched f;
            try {
                f = fetch_page(url, body, call);
            } catch (const ahp::Error& e) {
                if (page == 0 || e.status() == AHP_CANCELLED) throw;
                break;  // a later page failing leaves the results already found
            }
            ResultsPage& p = f.page;
            if (page == 0 && p.results.empty()) return json::string(empty_page(f, query));
            std::size_t before = results.size();
            for (auto& r : p.results) {
                if (static_cast<std::int64_t>(results.size()) >= max_results) break;
                if (seen.insert(r.url).second) results.push_back(std::move(r));
            }
            if (results.size() == before || !p.next) break;
            url = html::resolve_url(f.final_url, p.next->action);
            body = p.next->body;
        }
        std::string out;
        for (std::size_t i = 0; i < results.size(); ++i) {
            const SearchResult& r = results[i];
            if (i) out += "\n\n";
            out += std::to_string(i + 1) + ". " + r.title + "\n   " + r.url;
            if (!r.snippet.empty()) out += "\n   " + r.snippet;
        }
        return json::string(out);
    }

    /// A results page as fetched.
    struct Fetched {
        ResultsPage page;
        std::string final_url;
        std::size_t bytes = 0;
    };

    /// POST one results page and read it; throws for transport errors, refusals and anti-bot pages.
    Fetched fetch_page(const std::string& url, const std::string& body, ahp::Call& call) const {
        json::object headers{{"content-type", "application/x-www-form-urlencoded"}, {"accept", "text/html"}};
        if (!user_agent_.empty()) headers["user-agent"] = user_agent_;
        json::object request{{"method", "POST"},
                             {"url", url},
                             {"headers", std::move(headers)},
                             {"body", body},
                             {"timeout_ms", timeout_ms_},
                             {"max_body_bytes", 4 * 1024 * 1024},
                             {"stream", true}};
        std::string page_html;  // streamed as raw bytes: a 2xx body
        json::value answer;
        try {
            answer = call.request_stream("http.request", request, [&](std::string_view bytes) {
                page_html.append(bytes);
                return !call.cancelled();
            });
        } catch (const ahp::Error& e) {
            if (e.status() == AHP_CANCELLED) throw;
            throw ahp::Error(e.code(), "web_search could not reach " + url + ": " + e.what(), e.status());
        } catch (const std::exception& e) {
            throw ahp::Error("error",
                             "web_search: the host's answer from " + url + " was not readable JSON (" + e.what() + ")");
        }
        call.check_cancelled();
        const json::object* o = answer.if_object();
        int status = 0;
        std::string final_url = url;
        if (o) {
            if (const json::value* s = o->if_contains("status"); s && s->is_number()) status = s->to_number<int>();
            if (o->contains("body") || o->contains("body_base64")) page_html = ahp::http_body(*o);
            if (const json::value* f = o->if_contains("final_url"); f && f->is_string() && !f->get_string().empty()) {
                final_url = f->get_string();
            }
        }
        ResultsPage p = parse_results_page(html::repair_utf8(page_html));
        if (status == 202 || p.anti_bot) {
            throw ahp::Error("blocked",
                             "DuckDuckGo answered with its anti-bot check (HTTP " + std::to_string(status) +
                                 ") instead of results: it limits automated searches. Try again later, or point "
                                 "web_search's 'endpoint' at another DuckDuckGo-compatible server.");
        }
        if (status == 403 || status == 429 || status == 503) {
            throw ahp::Error("blocked",
                             "DuckDuckGo refused the search (HTTP " + http_status_text(status) + "); try again later.");
        }
        if (status < 200 || status >= 300) {
            throw ahp::Error("upstream_error", "DuckDuckGo answered HTTP " + std::to_string(status) + " for " + url);
        }
        if (p.too_deep) {
            throw ahp::Error("unexpected_page", "could not read the results page from " + url +
                                                    ": its markup is nested more than " + std::to_string(kMaxNesting) +
                                                    " elements deep");
        }
        return Fetched{std::move(p), std::move(final_url), page_html.size()};
    }

    /// The answer for a first page without results: "no results", or an error if it is not a
    /// results page as this plugin knows them.
    static std::string empty_page(const Fetched& f, const std::string& query) {
        if (f.page.no_results) return "No results for \"" + query + "\".";
        std::string what = f.page.results_marker ? "the page says it has web results, but none could be read"
                                                 : "it has no results container";
        std::string title = f.page.title.empty() ? "no title" : "title \"" + f.page.title + "\"";
        throw ahp::Error("unexpected_page", "could not read DuckDuckGo's results page: " + what + " (" + title + ", " +
                                                html::with_commas(f.bytes) + " bytes). Its layout may have changed.");
    }

    std::string endpoint_;
    std::string region_;
    std::string user_agent_;
    std::int64_t timeout_ms_ = kDefaultTimeoutMs;
};

}  // namespace

AHP_PLUGIN(WebSearch, "web_search", "1.0.0")
