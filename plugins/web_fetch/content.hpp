// content.hpp — web_fetch's reading of an http.request answer: the response fields, what kind
// of content the body is, and the HEAD report.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// An http.request answer.
struct Response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, as the host sent them
    std::string content_type;
    std::string body;
    bool has_body = false;  // the answer carried the body (not streamed)
    std::string final_url;
    bool truncated = false;
};

/// The fields of an http.request answer (final_url defaults to the requested URL).
Response read_response(const boost::json::value& answer, const std::string& requested_url);

/// What a body is.
enum class ContentKind { kHtml, kText, kBinary };

/// A body's kind and media type.
struct Content {
    ContentKind kind = ContentKind::kBinary;
    std::string mime;  // lower case, without parameters; sniffed ones say so
};

/// Classify by Content-Type; without one, by looking at the first bytes.
Content classify(std::string_view content_type, std::string_view body);

/// " Not Found" for 404 (with the leading space), "" for codes it does not know.
std::string status_text(int status);

/// The answer to a HEAD request: final URL, status and every header.
std::string head_report(const Response& r);
