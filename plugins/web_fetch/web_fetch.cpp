// web_fetch: read a web page through the host's http.request (so the session's network access
// list and the SSRF guard apply): HTML as markdown or plain text, JSON/XML/text passed through,
// binary content refused; the output capped with the cut said.
#include "content.hpp"

#include <ahp/ahp.hpp>

#include "html/charset.hpp"
#include "html/markdown.hpp"
#include "html/text.hpp"
#include "html/url.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

namespace {

namespace json = ahp::json;

constexpr std::int64_t kDefaultTimeoutMs = 30000;
constexpr std::int64_t kDefaultMaxBodyBytes = 10 * 1024 * 1024;
constexpr std::int64_t kDefaultMaxChars = 20000;
constexpr std::int64_t kMaxMaxChars = 1000000;
constexpr const char* kAccept =
    "text/html,application/xhtml+xml,application/json;q=0.9,text/plain;q=0.9,text/*;q=0.8,*/*;q=0.5";

ahp::Error bad_argument(const std::string& message) {
    return ahp::Error("invalid_arguments", message, AHP_INVALID_ARGUMENT);
}

std::int64_t int_config(const json::object& config, const char* key, std::int64_t fallback, std::int64_t min) {
    const json::value* v = config.if_contains(key);
    if (!v) return fallback;
    if (!v->is_int64() && !v->is_uint64()) {
        throw ahp::Error("invalid_config", std::string("web_fetch: config '") + key + "' must be an integer",
                         AHP_INVALID_ARGUMENT);
    }
    std::int64_t n = v->to_number<std::int64_t>();
    if (n < min) {
        throw ahp::Error("invalid_config",
                         std::string("web_fetch: config '") + key + "' must be at least " + std::to_string(min),
                         AHP_INVALID_ARGUMENT);
    }
    return n;
}

std::string optional_string(const json::object& o, const char* key, const std::string& fallback) {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) return fallback;
    if (!v->is_string()) throw bad_argument(std::string("'") + key + "' must be a string");
    return std::string(v->get_string());
}

json::value parameters() {
    return json::object{
        {"type", "object"},
        {"properties",
         json::object{
             {"url", json::object{{"type", "string"}, {"description", "The absolute http:// or https:// URL to read"}}},
             {"method",
              json::object{{"type", "string"},
                           {"enum", json::array{"GET", "HEAD"}},
                           {"description", "GET (default) reads the page; HEAD returns only the status and headers"}}},
             {"format", json::object{{"type", "string"},
                                     {"enum", json::array{"markdown", "text", "raw"}},
                                     {"description",
                                      "How to return HTML: markdown (default), plain text, or the raw HTML source"}}},
             {"max_chars",
              json::object{
                  {"type", "integer"},
                  {"minimum", 1},
                  {"maximum", kMaxMaxChars},
                  {"description",
                   "Most characters of content to return (default 20000); the rest is cut and the cut is said"}}}}},
        {"required", json::array{"url"}},
        {"additionalProperties", false}};
}

/// The capped content: its first max_chars characters and a note saying how much was cut.
std::string cap(std::string content, std::size_t max_chars) {
    std::size_t total = html::count_chars(content);
    if (total <= max_chars) return content;
    content.resize(html::prefix_bytes(content, max_chars));
    content += "\n\n[truncated: " + html::with_commas(total - max_chars) + " more characters]";
    return content;
}

class WebFetch : public ahp::Capability {
public:
    explicit WebFetch(json::object config) : Capability(std::move(config)) {
        timeout_ms_ = int_config(this->config(), "timeout_ms", kDefaultTimeoutMs, 1);
        max_body_bytes_ = int_config(this->config(), "max_body_bytes", kDefaultMaxBodyBytes, 1024);
        max_chars_ = std::min(int_config(this->config(), "max_chars", kDefaultMaxChars, 1), kMaxMaxChars);
        if (const json::value* ua = this->config().if_contains("user_agent"); ua && ua->is_string()) {
            user_agent_ = std::string(ua->get_string());
        }
        add_tool({"web_fetch",
                  "Read a web page or file by URL. HTML comes back as markdown (links made absolute; scripts, "
                  "navigation, headers and footers left out) or plain text; JSON, XML, CSV and plain text come back "
                  "as they are; images, PDFs and other binary files are refused. The result starts with the page "
                  "title and the final URL after redirects; long pages are cut at max_chars.",
                  parameters(), false},
                 [this](const json::object& args, ahp::Call& call) { return fetch(args, call); });
    }

private:
    json::value fetch(const json::object& args, ahp::Call& call) const {
        std::string url(html::trim(string_field(args, "url")));
        if (!html::is_http_url(url)) {
            throw bad_argument("web_fetch needs an absolute http:// or https:// URL, got '" + url + "'");
        }
        const std::string method_arg = optional_string(args, "method", "GET");
        std::string method = html::ascii_lower(method_arg);
        if (method != "get" && method != "head") {
            throw bad_argument("'method' must be GET or HEAD, got '" + method_arg + "'");
        }
        std::string format = optional_string(args, "format", "markdown");
        if (format != "markdown" && format != "text" && format != "raw") {
            throw bad_argument("'format' must be markdown, text or raw, got '" + format + "'");
        }
        std::int64_t max_chars = max_chars_;
        if (const json::value* m = args.if_contains("max_chars"); m && !m->is_null()) {
            if (!m->is_int64() && !m->is_uint64()) throw bad_argument("'max_chars' must be an integer");
            max_chars = std::clamp<std::int64_t>(m->to_number<std::int64_t>(), 1, kMaxMaxChars);
        }

        json::object headers{{"accept", kAccept}};
        if (!user_agent_.empty()) headers["user-agent"] = user_agent_;
        // Streamed: a 2xx body arrives as raw bytes (any charset, or binary) rather than as a
        // JSON string, which must be UTF-8.
        json::object request{{"method", method == "head" ? "HEAD" : "GET"},
                             {"url", url},
                             {"headers", std::move(headers)},
                             {"timeout_ms", timeout_ms_},
                             {"max_body_bytes", max_body_bytes_},
                             {"stream", true}};
        std::string streamed;
        json::value answer;
        try {
            answer = call.request_stream("http.request", request, [&](std::string_view bytes) {
                if (call.cancelled()) return false;
                streamed.append(bytes);
                return true;
            });
        } catch (const ahp::Error& e) {
            if (e.status() == AHP_CANCELLED) throw;
            throw ahp::Error(e.code(), "could not fetch " + url + ": " + e.what(), e.status());
        } catch (const std::exception& e) {
            throw ahp::Error("error",
                             "could not fetch " + url + ": the host's answer was not readable JSON (" + e.what() + ")");
        }
        call.check_cancelled();
        Response r = read_response(answer, url);
        if (!r.has_body) r.body = std::move(streamed);
        if (method == "head") return json::string(head_report(r));
        return json::string(read_body(r, format, static_cast<std::size_t>(max_chars)));
    }

    std::string read_body(Response& r, const std::string& format, std::size_t max_chars) const {
        Content c = classify(r.content_type, r.body);
        if (c.kind == ContentKind::kBinary && r.status >= 400) {
            throw ahp::Error("http_error", "HTTP " + std::to_string(r.status) + status_text(r.status) + " from " +
                                               r.final_url + " (" + c.mime + " content)");
        }
        if (c.kind == ContentKind::kBinary) {
            throw ahp::Error("unsupported_content",
                             r.final_url + " is " + c.mime + " (" + html::with_commas(r.body.size()) +
                                 " bytes), which web_fetch cannot read: only HTML and text (JSON, XML, CSV, "
                                 "markdown, plain text) are supported",
                             AHP_UNSUPPORTED);
        }
        std::string charset = html::charset_from_content_type(r.content_type);
        if (charset.empty() && c.kind == ContentKind::kHtml) charset = html::charset_from_meta(r.body);
        const std::size_t body_bytes = r.body.size();
        html::Decoded decoded = html::to_utf8(std::move(r.body), charset);

        std::string title, content;
        if (c.kind == ContentKind::kHtml && format != "raw") {
            html::Converted conv = html::convert_html(
                decoded.text, format == "text" ? html::Format::kText : html::Format::kMarkdown, r.final_url);
            title = std::move(conv.title);
            content = std::move(conv.text);
        } else {
            content = std::move(decoded.text);
        }
        if (r.status >= 400) {
            std::string excerpt = cap(content, 1000);
            throw ahp::Error("http_error", "HTTP " + std::to_string(r.status) + status_text(r.status) + " from " +
                                               r.final_url + (excerpt.empty() ? std::string() : ":\n\n" + excerpt));
        }

        std::string out;
        if (!title.empty()) out += "Title: " + title + "\n";
        out += "URL: " + r.final_url + "\n";
        if (r.status != 200) out += "Status: " + std::to_string(r.status) + status_text(r.status) + "\n";
        if (c.kind != ContentKind::kHtml || format == "raw") out += "Content-Type: " + c.mime + "\n";
        if (decoded.unknown) out += "Charset: '" + charset + "' is unknown; read as UTF-8\n";
        out += "\n";
        if (content.empty()) {
            out += c.kind == ContentKind::kHtml ? "(the page has no readable text)" : "(empty)";
        } else {
            out += cap(std::move(content), max_chars);
        }
        if (r.truncated) {
            out += "\n\n[the download stopped at " + html::with_commas(body_bytes) +
                   " bytes (the size limit); the document is longer]";
        }
        return out;
    }

    std::int64_t timeout_ms_ = kDefaultTimeoutMs;
    std::int64_t max_body_bytes_ = kDefaultMaxBodyBytes;
    std::int64_t max_chars_ = kDefaultMaxChars;
    std::string user_agent_;
};

}  // namespace

AHP_PLUGIN(WebFetch, "web_fetch", "1.0.0")
