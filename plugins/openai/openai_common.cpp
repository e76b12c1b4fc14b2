#include "openai_common.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>
#include <exception>

namespace openai {

namespace {

constexpr std::size_t kMaxWholeBody = 64u << 20;  // a non-streamed JSON answer, at most

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

bool private_v4(const unsigned char* a) {
    return a[0] == 127 || a[0] == 10 || (a[0] == 172 && (a[1] & 0xF0) == 16) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 169 && a[1] == 254) || (a[0] == 100 && (a[1] & 0xC0) == 64) ||
           (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0);
}

bool private_v6(const unsigned char* a) {
    static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char kUnspecified[16] = {};
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(a, kLoopback, 16) == 0 || std::memcmp(a, kUnspecified, 16) == 0) return true;
    if ((a[0] & 0xFE) == 0xFC) return true;                  // fc00::/7 unique local
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return true;  // fe80::/10 link-local
    return std::memcmp(a, kMapped, 12) == 0 && private_v4(a + 12);
}

/// A JSON excerpt for an error message.
std::string excerpt(std::string_view text, std::size_t max = 300) {
    std::string out(text.substr(0, max));
    if (text.size() > max) out += "…";
    return out;
}

/// The retry hint of an HTTP answer's headers, in milliseconds (-1: none).
std::int64_t retry_after_ms(const json::object* headers) {
    if (!headers) return -1;
    auto header = [&](std::string_view name) -> std::string {
        const json::value* v = headers->if_contains(name);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    auto number = [](const std::string& s, double& out) {
        if (s.empty()) return false;
        char* end = nullptr;
        out = std::strtod(s.c_str(), &end);
        return end && *end == '\0' && std::isfinite(out) && out >= 0;
    };
    double v = 0;
    if (number(header("retry-after-ms"), v)) return static_cast<std::int64_t>(std::ceil(v));
    std::string ra = header("retry-after");
    if (number(ra, v)) return static_cast<std::int64_t>(std::ceil(v * 1000));
    std::tm tm{};
    if (!ra.empty() && ::strptime(ra.c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) {
        std::int64_t delta = static_cast<std::int64_t>(::timegm(&tm)) - static_cast<std::int64_t>(std::time(nullptr));
        return std::max<std::int64_t>(0, delta * 1000);
    }
    return -1;
}

}  // namespace

std::string url_host(std::string_view url) {
    std::size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    std::string_view rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    if (!rest.empty() && rest.front() == '[') {
        std::size_t close = rest.find(']');
        return close == std::string_view::npos ? std::string() : lower(rest.substr(1, close - 1));
    }
    return lower(rest.substr(0, rest.find(':')));
}

bool is_local_url(std::string_view url) {
    std::string host = url_host(url);
    if (host.empty()) return false;
    unsigned char addr[16];
    if (::inet_pton(AF_INET, host.c_str(), addr) == 1) return private_v4(addr);
    if (::inet_pton(AF_INET6, host.c_str(), addr) == 1) return private_v6(addr);
    if (host.back() == '.') host.pop_back();
    return host == "localhost" || host.find('.') == std::string::npos || ends_with(host, ".localhost") ||
           ends_with(host, ".local") || ends_with(host, ".internal") || ends_with(host, ".home.arpa");
}

void Answer::fail(std::string category, std::string message) {
    if (has_failure) return;
    has_failure = true;
    failure = Failure{std::move(category), std::move(message)};
}

void Answer::fail(Failure f) {
    if (has_failure) return;
    has_failure = true;
    failure = std::move(f);
}

PendingCall* Answer::find(std::string_view key) {
    for (PendingCall& c : calls) {
        if (c.key == key) return &c;
    }
    return nullptr;
}

std::string category_of(int http_status, std::string_view code, std::string_view type, std::string_view message) {
    std::string m = lower(message);
    if (code == "insufficient_quota" || type == "insufficient_quota") return "auth_error";
    if (code == "invalid_api_key" || type == "authentication_error" || http_status == 401 || http_status == 403) {
        return "auth_error";
    }
    if (code == "context_length_exceeded" || code == "string_above_max_length" || http_status == 413 ||
        contains(m, "maximum context length") || contains(m, "context length") || contains(m, "context window") ||
        contains(m, "too many tokens")) {
        return "context_length";
    }
    if (code == "model_not_found" || http_status == 404) return "model_not_found";
    if (code == "rate_limit_exceeded" || type == "rate_limit_error" || type == "tokens" || type == "requests" ||
        http_status == 429) {
        return "rate_limit";
    }
    return "upstream_api_error";
}

Failure failure_of(const json::value& error, int http_status, std::string_view request_id, std::string_view where) {
    std::string message, code, type;
    if (const json::object* e = error.if_object()) {
        message = std::string(str(*e, "message"));
        type = std::string(str(*e, "type"));
        if (const json::value* c = e->if_contains("code")) {
            if (c->is_string())
                code = std::string(c->get_string());
            else if (c->is_int64())
                code = std::to_string(c->get_int64());
        }
        if (message.empty()) message = excerpt(json::serialize(error));
    } else if (const json::string* s = error.if_string()) {
        message = std::string(*s);
    } else {
        message = excerpt(json::serialize(error));
    }
    std::string category = category_of(http_status, code, type, message);
    std::string text = "openai: " + std::string(where) + ": " + message;
    if (!code.empty())
        text += " (code " + code + ")";
    else if (!type.empty())
        text += " (type " + type + ")";
    if (!request_id.empty()) text += " [x-request-id " + std::string(request_id) + "]";
    if (code == "insufficient_quota" || type == "insufficient_quota") {
        text += " — the account is out of quota or credit: reported as auth_error, since retrying cannot help";
    }
    // A request the server refused as invalid fails the same way again: not retried.
    bool client_error =
        http_status >= 400 && http_status < 500 && http_status != 408 && http_status != 409 && http_status != 429;
    bool retryable = !(category == "upstream_api_error" && (client_error || type == "invalid_request_error"));
    return Failure{std::move(category), std::move(text), retryable};
}

void raise(ahp::Call& call, const Failure& f, std::int64_t retry_after_ms) {
    json::object hint;
    if (retry_after_ms >= 0 && (f.category == "rate_limit" || f.category == "upstream_api_error")) {
        hint["retry_after_ms"] = retry_after_ms;
    }
    if (!f.retryable) hint["retryable"] = false;
    if (!hint.empty()) {
        std::string text = json::serialize(hint);
        call.host()->call_set_result(call.raw(), ahp::to_str(text));
    }
    throw ahp::Error(f.category, f.message);
}

std::string_view str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

std::int64_t num(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
    return 0;
}

const json::object* obj(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::array* arr(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_array() : nullptr;
}

void emit_text(ahp::Call& call, Answer& answer, std::string_view text) {
    if (text.empty()) return;
    answer.text.append(text);
    call.emit(json::object{{"type", "text_delta"}, {"text", text}});
}

void append_quoted(std::string& out, std::string_view s) {
    static const char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0;  // start of the pending run of characters that need no escape
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 0xF];
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

void append_key(std::string& out, std::string_view key) {
    if (!out.empty() && out.back() != '{' && out.back() != '[') out += ',';
    append_quoted(out, key);
    out += ':';
}

void append_value(std::string& out, const json::value& v) {
    out += json::serialize(v);
}

std::string_view message_text(const json::object& message, std::string& buffer) {
    const json::value* content = message.if_contains("content");
    if (!content) return {};
    if (const json::string* s = content->if_string()) return *s;
    const json::array* parts = content->if_array();
    if (!parts) return {};
    std::string_view only;
    std::size_t count = 0;
    for (const json::value& p : *parts) {
        const json::object* part = p.if_object();
        if (!part || str(*part, "type") != "text") continue;
        if (count++ == 0) {
            only = str(*part, "text");
        } else {
            if (count == 2) buffer.assign(only);
            buffer += '\n';
            buffer += str(*part, "text");
        }
    }
    return count > 1 ? std::string_view(buffer) : only;
}

std::string_view tool_result_text(const json::object& part, std::string& buffer) {
    const json::value* result = part.if_contains("result");
    std::string_view text;
    if (const json::string* s = result ? result->if_string() : nullptr) {
        text = *s;
    } else if (result && !result->is_null()) {
        buffer = json::serialize(*result);
        text = buffer;
    }
    const json::value* err = part.if_contains("is_error");
    if (err && err->is_bool() && err->get_bool() && text.substr(0, 5) != "Error") {
        std::string prefixed = "Error: ";
        prefixed += text;
        buffer = std::move(prefixed);
        text = buffer;
    }
    return text;
}

bool walk_history(const json::array& messages, HistoryVisitor& visitor) {
    std::vector<std::string_view> pending;  // calls still waiting for their result
    std::vector<const json::object*> calls;
    std::string text_buffer, result_buffer;
    auto flush = [&] {
        for (std::string_view id : pending) {
            visitor.tool_result(id, "Error: no result was recorded for this tool call (the turn was interrupted)");
        }
        pending.clear();
    };
    for (const json::value& mv : messages) {
        const json::object* m = mv.if_object();
        if (!m) continue;
        std::string_view role = str(*m, "role");
        calls.clear();
        bool had_results = false;
        if (const json::array* parts = arr(*m, "content")) {
            for (const json::value& pv : *parts) {
                const json::object* part = pv.if_object();
                if (!part) continue;
                std::string_view type = str(*part, "type");
                if (type == "tool_call") {
                    calls.push_back(part);
                } else if (type == "tool_result") {
                    std::string_view id = str(*part, "tool_call_id");
                    pending.erase(std::remove(pending.begin(), pending.end(), id), pending.end());
                    visitor.tool_result(id, tool_result_text(*part, result_buffer));
                    had_results = true;
                }
            }
        }
        std::string_view text = message_text(*m, text_buffer);
        if (role == "agent") {
            flush();
            if (!text.empty() || !calls.empty()) visitor.agent(text, calls);
            for (const json::object* c : calls) pending.push_back(str(*c, "id"));
        } else if (role != "tool_result" && (!had_results || !text.empty())) {
            flush();
            visitor.user(text);
        }
    }
    const bool answered = pending.empty();
    flush();
    return answered;
}

std::string prompt_cache_key(const json::object& request) {
    const json::object* pc = obj(request, "prompt_cache");
    if (!pc) return {};
    const json::value* enabled = pc->if_contains("enabled");
    if (enabled && enabled->is_bool() && !enabled->get_bool()) return {};
    std::string_view key = str(*pc, "key");
    return std::string(key.empty() ? str(request, "session_id") : key);
}

std::int64_t max_tokens_of(const json::object& request, const Settings& settings) {
    std::int64_t n = num(request, "max_tokens");
    return n > 0 ? n : settings.max_tokens;
}

void append_tool_fields(std::string& out, const json::object& tool) {
    append_key(out, "name");
    append_quoted(out, str(tool, "name"));
    append_key(out, "description");
    append_quoted(out, str(tool, "description"));
    append_key(out, "parameters");
    const json::value* params = tool.if_contains("parameters");
    if (params && params->is_object())
        append_value(out, *params);
    else
        out += R"({"type":"object","properties":{}})";
}

void append_limits(std::string& body, const json::object& fields, const Settings& settings, std::string_view max_key) {
    if (std::int64_t max = max_tokens_of(fields, settings); max > 0) {
        append_key(body, max_key);
        body += std::to_string(max);
    }
    if (std::string key = prompt_cache_key(fields); !key.empty()) {
        append_key(body, "prompt_cache_key");
        append_quoted(body, key);
    }
    body += '}';
}

void exchange(ahp::Call& call, const Settings& settings, std::string_view path, const std::string& body,
              Protocol& protocol) {
    std::string url = settings.base_url + std::string(path);
    json::object headers{{"content-type", "application/json"}, {"accept", "text/event-stream"}};
    if (!settings.api_key.empty()) headers["authorization"] = "Bearer " + settings.api_key;
    // The body goes beside the params (request_with_body): not escaped into them and parsed back.
    json::object params{{"method", "POST"}, {"url", url}, {"headers", std::move(headers)}, {"stream", true}};

    enum class Mode { kUnknown, kSse, kJson } mode = Mode::kUnknown;
    std::string whole;  // a JSON answer, or leading whitespace before the kind is known
    std::exception_ptr thrown;
    Answer& answer = protocol.answer;
    ahp::SseParser parser([&](const ahp::SseEvent& e) {
        protocol.on_event(e);
        return !answer.has_failure;
    });
    auto on_chunk = [&](std::string_view bytes) -> bool {
        try {
            if (mode == Mode::kUnknown) {
                std::size_t i = bytes.find_first_not_of(" \t\r\n");
                if (i == std::string_view::npos) {
                    whole.append(bytes);
                    return true;
                }
                mode = bytes[i] == '{' ? Mode::kJson : Mode::kSse;
                if (mode == Mode::kSse && !whole.empty()) {
                    parser.feed(whole);
                    whole.clear();
                }
            }
            if (mode == Mode::kJson) {
                whole.append(bytes);
                if (whole.size() > kMaxWholeBody) {
                    answer.fail("upstream_api_error", "openai: the answer from " + url + " is larger than 64 MiB");
                    return false;
                }
                return true;
            }
            return parser.feed(bytes);
        } catch (...) {
            thrown = std::current_exception();
            return false;
        }
    };

    json::value reply;
    try {
        reply = call.request_stream("http.request", params, on_chunk, body);
    } catch (const ahp::Error& e) {
        if (thrown) std::rethrow_exception(thrown);
        if (answer.has_failure) raise(call, answer.failure);
        if (e.status() == AHP_CANCELLED) throw ahp::Cancelled();
        std::string what = e.what();
        if (what.compare(0, 15, "network_error: ") == 0) what.erase(0, 15);
        throw ahp::Error("network_error", "openai: POST " + url + " failed: " + what);
    }
    if (thrown) std::rethrow_exception(thrown);

    const json::object* r = reply.if_object();
    std::int64_t status = r ? num(*r, "status") : 0;
    const json::object* reply_headers = r ? obj(*r, "headers") : nullptr;
    std::string_view request_id = reply_headers ? str(*reply_headers, "x-request-id") : std::string_view();
    const std::string reply_body = r ? ahp::http_body(*r) : std::string();
    if (status < 200 || status >= 300) {
        std::string where = "HTTP " + std::to_string(status) + " from " + url;
        boost::system::error_code ec;
        json::value parsed = json::parse(reply_body, ec);
        const json::object* po = ec ? nullptr : parsed.if_object();
        Failure f;
        if (po && po->contains("error"))
            f = failure_of(po->at("error"), static_cast<int>(status), request_id, where);
        else if (po && po->contains("message"))
            f = failure_of(parsed, static_cast<int>(status), request_id, where);
        else
            f = failure_of(json::string(reply_body.empty() ? "(no body)" : excerpt(reply_body)),
                           static_cast<int>(status), request_id, where);
        if ((status == 401 || status == 403) && settings.api_key.empty()) {
            f.message += " (no API key was sent: set OPENAI_API_KEY or the driver config 'api_key')";
        }
        std::string_view should_retry = reply_headers ? str(*reply_headers, "x-should-retry") : std::string_view();
        if (should_retry == "false") f.retryable = false;
        if (should_retry == "true") f.retryable = true;
        raise(call, f, retry_after_ms(reply_headers));
    }
    if (mode == Mode::kUnknown && !reply_body.empty()) on_chunk(reply_body);  // a host that did not stream
    if (thrown) std::rethrow_exception(thrown);
    if (!answer.has_failure) {
        if (mode == Mode::kJson) {
            boost::system::error_code ec;
            json::value parsed = json::parse(whole, ec);
            if (ec || !parsed.is_object()) {
                answer.fail("upstream_api_error",
                            "openai: the answer from " + url + " is neither SSE nor a JSON object: " + excerpt(whole));
            } else if (const json::value* e = parsed.get_object().if_contains("error"); e && !e->is_null()) {
                answer.fail(failure_of(*e, 0, request_id, "error from " + url));
            } else {
                protocol.on_body(parsed.get_object());
            }
        } else {
            parser.finish();
            protocol.on_end();
        }
    }
    if (answer.has_failure) raise(call, answer.failure);
}

json::value result_of(Answer& answer, std::int64_t iteration) {
    json::array calls;
    std::size_t i = 0;
    for (PendingCall& c : answer.calls) {
        if (c.name.empty()) throw ahp::Error("upstream_api_error", "openai: the model sent a tool call without a name");
        json::value args;
        std::string_view text = c.arguments;
        std::size_t b = text.find_first_not_of(" \t\r\n");
        if (b == std::string_view::npos) {
            args = json::object();
        } else {
            boost::system::error_code ec;
            args = json::parse(text, ec);
            if (ec) {
                throw ahp::Error("upstream_api_error", "openai: the model's arguments for tool '" + c.name +
                                                           "' are not valid JSON (" + ec.message() +
                                                           "): " + excerpt(text));
            }
            if (args.is_null()) args = json::object();
        }
        std::string id = c.id.empty() ? "call_" + std::to_string(iteration) + "_" + std::to_string(i) : c.id;
        calls.push_back(json::object{{"id", std::move(id)}, {"name", c.name}, {"arguments", std::move(args)}});
        ++i;
    }
    std::string stop = answer.stop_reason;
    if (!calls.empty() && (stop.empty() || stop == "end_turn")) stop = "tool_use";
    if (stop.empty()) stop = "end_turn";
    json::object usage{{"input_tokens", std::max<std::int64_t>(0, answer.input_tokens - answer.cached_tokens)},
                       {"output_tokens", answer.output_tokens},
                       {"cache_read_tokens", answer.cached_tokens},
                       {"cache_write_tokens", 0}};
    return json::object{
        {"text", answer.text}, {"tool_calls", std::move(calls)}, {"usage", std::move(usage)}, {"stop_reason", stop}};
}

}  // namespace openai
