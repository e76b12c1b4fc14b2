#include "conversion.hpp"

#include <ahp/raw_json.hpp>

#include <algorithm>

namespace openai {

namespace {

namespace raw = ahp::raw;

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
    std::optional<std::vector<raw::Member>> members = raw::members(t);
    if (!members) return std::nullopt;
    RawRequest out;
    out.fields = "{";
    for (const raw::Member& m : *members) {
        if (m.key.find('\\') != std::string_view::npos) return std::nullopt;  // an escaped key: let the parser read it
        if (m.key == "messages" || m.key == "tools") {
            std::optional<std::string_view>& slot = m.key == "messages" ? out.messages : out.tools;
            if (slot) return std::nullopt;  // twice: let the parser decide
            slot = m.value;
        } else {
            if (out.fields.size() > 1) out.fields += ',';
            out.fields += m.text;
        }
    }
    out.fields += '}';
    return out;
}

std::optional<std::string> ConversionCache::history(const Api& api, std::string_view session,
                                                    std::string_view messages) {
    const std::optional<std::string_view> content = raw::array_content(messages);
    if (!content) return std::nullopt;
    std::string out = "[";
    std::string_view rest = *content;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto e = std::find_if(histories_.begin(), histories_.end(),
                              [&](const Entry& x) { return x.session == session && x.api == &api; });
        if (e != histories_.end() && rest.size() >= e->raw.size() && rest.compare(0, e->raw.size(), e->raw) == 0) {
            // The remembered messages are whole elements: what follows must start a new one.
            const std::size_t after = raw::skip_space(rest, e->raw.size());
            if (after == rest.size() || rest[after] == ',') {
                out += e->converted;
                rest = after == rest.size() ? std::string_view() : rest.substr(after + 1);
                e->used = ++clock_;
            }
        }
    }
    bool answered = true;  // a remembered prefix was stored only when every call in it was answered
    if (!raw::trim(rest).empty()) {
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
    const std::optional<std::string_view> content = raw::array_content(tools);
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

}  // namespace openai
