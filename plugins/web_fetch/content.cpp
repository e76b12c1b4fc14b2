#include "content.hpp"

#include "html/text.hpp"

#include <ahp/ahp.hpp>

#include <cstring>

namespace json = boost::json;

Response read_response(const json::value& answer, const std::string& requested_url) {
    Response r;
    r.final_url = requested_url;
    const json::object* o = answer.if_object();
    if (!o) return r;
    if (const json::value* s = o->if_contains("status"); s && s->is_number()) r.status = s->to_number<int>();
    if (const json::value* h = o->if_contains("headers"); h && h->is_object()) {
        for (const auto& kv : h->get_object()) {
            std::string value =
                kv.value().is_string() ? std::string(kv.value().get_string()) : json::serialize(kv.value());
            std::string name = html::ascii_lower(kv.key());
            if (name == "content-type") r.content_type = value;
            r.headers.emplace_back(std::move(name), std::move(value));
        }
    }
    if (o->contains("body") || o->contains("body_base64")) {  // body_base64: bytes that are not UTF-8
        r.body = ahp::http_body(*o);
        r.has_body = true;
    }
    if (const json::value* u = o->if_contains("final_url"); u && u->is_string() && !u->get_string().empty()) {
        r.final_url = std::string(u->get_string());
    }
    if (const json::value* t = o->if_contains("truncated"); t && t->is_bool()) r.truncated = t->get_bool();
    return r;
}

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool text_mime(std::string_view m) {
    if (m.substr(0, 5) == "text/") return true;
    if (ends_with(m, "+json") || ends_with(m, "+xml")) return true;
    static const char* const kText[] = {"application/json",       "application/xml",
                                        "application/javascript", "application/x-javascript",
                                        "application/ecmascript", "application/x-ndjson",
                                        "application/yaml",       "application/x-yaml",
                                        "application/toml",       "application/x-sh",
                                        "application/sql",        "application/graphql",
                                        "application/csv",        "application/x-www-form-urlencoded",
                                        "application/x-tex",      "application/x-httpd-php"};
    for (const char* t : kText) {
        if (m == t) return true;
    }
    return false;
}

/// A media type from the first bytes of a body without a Content-Type.
Content sniff(std::string_view body) {
    std::string_view head = body.substr(0, 1024);
    struct Magic {
        std::string_view bytes;
        const char* mime;
    };
    static const Magic kMagic[] = {
        {"%PDF-", "application/pdf"},        {"\x89PNG", "image/png"},          {"GIF8", "image/gif"},
        {"\xFF\xD8\xFF", "image/jpeg"},      {"PK\x03\x04", "application/zip"}, {"\x1F\x8B", "application/gzip"},
        {"RIFF", "application/octet-stream"}};
    for (const Magic& m : kMagic) {
        if (head.substr(0, m.bytes.size()) == m.bytes)
            return {ContentKind::kBinary, std::string(m.mime) + " (sniffed)"};
    }
    if (std::memchr(head.data(), '\0', head.size()))
        return {ContentKind::kBinary, "application/octet-stream (sniffed)"};
    std::string lower = html::ascii_lower(html::trim(head));
    if (!lower.empty() && lower[0] == '<' &&
        (lower.find("<html") != std::string::npos || lower.find("<!doctype html") != std::string::npos ||
         lower.find("<head") != std::string::npos || lower.find("<body") != std::string::npos)) {
        return {ContentKind::kHtml, "text/html (sniffed)"};
    }
    return {ContentKind::kText, "text/plain (sniffed)"};
}

}  // namespace

Content classify(std::string_view content_type, std::string_view body) {
    std::string mime = html::ascii_lower(html::trim(content_type.substr(0, content_type.find(';'))));
    if (mime.empty()) return sniff(body);
    if (mime == "text/html" || mime == "application/xhtml+xml") return {ContentKind::kHtml, mime};
    if (text_mime(mime)) return {ContentKind::kText, mime};
    return {ContentKind::kBinary, mime};
}

std::string status_text(int status) {
    switch (status) {
        case 200:
            return " OK";
        case 201:
            return " Created";
        case 202:
            return " Accepted";
        case 203:
            return " Non-Authoritative Information";
        case 204:
            return " No Content";
        case 206:
            return " Partial Content";
        case 301:
            return " Moved Permanently";
        case 302:
            return " Found";
        case 303:
            return " See Other";
        case 304:
            return " Not Modified";
        case 307:
            return " Temporary Redirect";
        case 308:
            return " Permanent Redirect";
        case 400:
            return " Bad Request";
        case 401:
            return " Unauthorized";
        case 403:
            return " Forbidden";
        case 404:
            return " Not Found";
        case 405:
            return " Method Not Allowed";
        case 406:
            return " Not Acceptable";
        case 408:
            return " Request Timeout";
        case 410:
            return " Gone";
        case 429:
            return " Too Many Requests";
        case 500:
            return " Internal Server Error";
        case 502:
            return " Bad Gateway";
        case 503:
            return " Service Unavailable";
        case 504:
            return " Gateway Timeout";
        default:
            return "";
    }
}

std::string head_report(const Response& r) {
    std::string out = "URL: " + r.final_url + "\nStatus: " + std::to_string(r.status) + status_text(r.status) + "\n";
    if (!r.headers.empty()) out += "\n";
    for (const auto& [name, value] : r.headers) out += name + ": " + value + "\n";
    out.pop_back();
    return out;
}
