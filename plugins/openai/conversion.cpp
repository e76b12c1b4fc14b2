#include "conversion.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace openai {

namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skip_ws(std::string_view t, std::size_t i) {
    while (i < t.size() && is_ws(t[i])) ++i;
    return i;
}

std::string_view trim(std::string_view t) {
    std::size_t b = skip_ws(t, 0);
    std::size_t e = t.size();
    while (e > b && is_ws(t[e - 1])) --e;
    return t.substr(b, e - b);
}

/// One past the closing quote of the string that starts at t[i] == '"', or npos. memchr finds
/// each quote; an odd run of backslashes before it escapes it.
std::size_t skip_string(std::string_view t, std::size_t i) {
    for (std::size_t from = i + 1; from < t.size();) {
        const void* hit = std::memchr(t.data() + from, '"', t.size() - from);
        if (!hit) return npos;
        std::size_t q = static_cast<std::size_t>(static_cast<const char*>(hit) - t.data());
        std::size_t slashes = 0;
        while (q - slashes > i + 1 && t[q - slashes - 1] == '\\') ++slashes;
        if (slashes % 2 == 0) return q + 1;
        from = q + 1;
    }
    return npos;
}

/// What the structural scan stops at inside an object or array.
constexpr std::array<bool, 256> kStructural = [] {
    std::array<bool, 256> a{};
    for (unsigned char c : {'"', '{', '}', '[', ']'}) a[c] = true;
    return a;
}();

/// One past the end of the value that starts at t[i], or npos. Strings and brackets are matched;
/// a scalar runs to the next delimiter. Nothing else is checked: the parser does that.
std::size_t skip_value(std::string_view t, std::size_t i) {
    if (i >= t.size()) return npos;
    const char c = t[i];
    if (c == '"') return skip_string(t, i);
    if (c == '{' || c == '[') {
        std::size_t depth = 0;
        while (i < t.size()) {
            const char d = t[i];
            if (!kStructural[static_cast<unsigned char>(d)]) {
                ++i;
            } else if (d == '"') {
                i = skip_string(t, i);
                if (i == npos) return npos;
            } else if (d == '{' || d == '[') {
                ++depth;
                ++i;
            } else {
                if (--depth == 0) return i + 1;
                ++i;
            }
        }
        return npos;
    }
    std::size_t j = i;
    while (j < t.size() && t[j] != ',' && t[j] != '}' && t[j] != ']' && !is_ws(t[j])) ++j;
    return j == i ? npos : j;
}

/// Parse "[" + elements + "]" into arena.
std::optional<json::value> parse_elements(std::string_view elements, json::monotonic_resource& arena) {
    std::string text;
    text.reserve(elements.size() + 2);
    text += '[';
    text += elements;
    text += ']';
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, json::storage_ptr(&arena));
    if (ec || !v.is_array()) return std::nullopt;
    return v;
}

}  // namespace

std::optional<RawRequest> split_request(std::string_view t) {
    std::size_t i = skip_ws(t, 0);
    if (i >= t.size() || t[i] != '{') return std::nullopt;
    RawRequest out;
    out.fields = "{";
    i = skip_ws(t, i + 1);
    if (i < t.size() && t[i] == '}') {
        if (skip_ws(t, i + 1) != t.size()) return std::nullopt;
        out.fields += '}';
        return out;
    }
    for (;;) {
        if (i >= t.size() || t[i] != '"') return std::nullopt;
        const std::size_t member = i;
        const std::size_t key_end = skip_string(t, i);
        if (key_end == npos) return std::nullopt;
        const std::string_view key = t.substr(i + 1, key_end - i - 2);
        if (key.find('\\') != npos) return std::nullopt;  // an escaped key: let the parser read it
        i = skip_ws(t, key_end);
        if (i >= t.size() || t[i] != ':') return std::nullopt;
        i = skip_ws(t, i + 1);
        const std::size_t value_end = skip_value(t, i);
        if (value_end == npos) return std::nullopt;
        const std::string_view value = t.substr(i, value_end - i);
        if (key == "messages" || key == "tools") {
            std::optional<std::string_view>& slot = key == "messages" ? out.messages : out.tools;
            if (slot) return std::nullopt;  // twice: let the parser decide
            slot = value;
        } else {
            if (out.fields.size() > 1) out.fields += ',';
            out.fields.append(t.substr(member, value_end - member));
        }
        i = skip_ws(t, value_end);
        if (i < t.size() && t[i] == ',') {
            i = skip_ws(t, i + 1);
            continue;
        }
        if (i < t.size() && t[i] == '}' && skip_ws(t, i + 1) == t.size()) break;
        return std::nullopt;
    }
    out.fields += '}';
    return out;
}

std::optional<std::string_view> array_content(std::string_view text) {
    text = trim(text);
    if (text.size() < 2 || text.front() != '[' || text.back() != ']') return std::nullopt;
    return trim(text.substr(1, text.size() - 2));
}

std::optional<std::string> ConversionCache::history(const Api& api, std::string_view session,
                                                    std::string_view messages) {
    const std::optional<std::string_view> content = array_content(messages);
    if (!content) return std::nullopt;
    std::string out = "[";
    std::string_view rest = *content;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto e = std::find_if(histories_.begin(), histories_.end(),
                              [&](const Entry& x) { return x.session == session && x.api == &api; });
        if (e != histories_.end() && rest.size() >= e->raw.size() && rest.compare(0, e->raw.size(), e->raw) == 0) {
            // The remembered messages are whole elements: what follows must start a new one.
            const std::size_t after = skip_ws(rest, e->raw.size());
            if (after == rest.size() || rest[after] == ',') {
                out += e->converted;
                rest = after == rest.size() ? std::string_view() : rest.substr(after + 1);
                e->used = ++clock_;
                ++prefix_hits_;
            }
        }
    }
    bool answered = true;  // a remembered prefix was stored only when every call in it was answered
    if (!trim(rest).empty()) {
        json::monotonic_resource arena;
        std::optional<json::value> parsed = parse_elements(rest, arena);
        if (!parsed) return std::nullopt;
        answered = api.history(parsed->get_array(), out);
    }
    std::string converted = out.substr(1);
    std::lock_guard<std::mutex> lock(mu_);
    auto e = std::find_if(histories_.begin(), histories_.end(), [&](const Entry& x) { return x.session == session; });
    if (!answered || content->size() > kMaxRemembered) {
        // The end was made up (error results for calls without one): the next call, which may
        // carry the real results, must not start from it. Or it is too large to keep.
        if (e != histories_.end()) histories_.erase(e);
        return converted;
    }
    if (e == histories_.end()) {
        if (histories_.size() >= kSessions) {
            histories_.erase(std::min_element(histories_.begin(), histories_.end(),
                                              [](const Entry& a, const Entry& b) { return a.used < b.used; }));
        }
        histories_.emplace_back();
        e = histories_.end() - 1;
    }
    e->api = &api;
    e->session = std::string(session);
    e->raw = std::string(*content);
    e->converted = converted;
    e->used = ++clock_;
    return converted;
}

std::optional<std::string> ConversionCache::tools(const Api& api, std::string_view tools) {
    const std::optional<std::string_view> content = array_content(tools);
    if (!content) return std::nullopt;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (tools_.api == &api && tools_.raw == *content) return tools_.converted;
    }
    std::string out = "[";
    if (!content->empty()) {
        json::monotonic_resource arena;
        std::optional<json::value> parsed = parse_elements(*content, arena);
        if (!parsed) return std::nullopt;
        api.tools(parsed->get_array(), out);
    }
    std::string converted = out.substr(1);
    std::lock_guard<std::mutex> lock(mu_);
    tools_.api = &api;
    tools_.raw = std::string(*content);
    tools_.converted = converted;
    return converted;
}

std::string request_body(const Api& api, const json::object& request, const Settings& settings) {
    std::string history = "[", tools = "[";
    if (const json::array* m = arr(request, "messages")) api.history(*m, history);
    if (const json::array* t = arr(request, "tools")) api.tools(*t, tools);
    return api.body(request, std::string_view(history).substr(1), std::string_view(tools).substr(1), settings);
}

std::uint64_t ConversionCache::prefix_hits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return prefix_hits_;
}

}  // namespace openai
