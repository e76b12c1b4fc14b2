#include <agenthost/runtime.hpp>

namespace agenthost {

std::string Message::text() const {
    std::string out;
    for (const json::value& part : content) {
        const json::object* p = part.if_object();
        if (!p) continue;
        const json::value* type = p->if_contains("type");
        const json::value* text = p->if_contains("text");
        if (type && *type == "text" && text && text->is_string()) out += text->get_string();
    }
    return out;
}

Usage& Usage::operator+=(const Usage& other) {
    input_tokens += other.input_tokens;
    output_tokens += other.output_tokens;
    cache_read_tokens += other.cache_read_tokens;
    cache_write_tokens += other.cache_write_tokens;
    return *this;
}

json::object Usage::to_json() const {
    return json::object{{"input_tokens", input_tokens},
                        {"output_tokens", output_tokens},
                        {"cache_read_tokens", cache_read_tokens},
                        {"cache_write_tokens", cache_write_tokens}};
}

Usage Usage::from_json(const json::value& value) {
    Usage u;
    const json::object* o = value.if_object();
    if (!o) return u;
    auto get = [&](std::string_view key) -> std::int64_t {
        const json::value* v = o->if_contains(key);
        if (!v) return 0;
        if (v->is_int64()) return v->get_int64();
        if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
        if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
        return 0;
    };
    u.input_tokens = get("input_tokens");
    u.output_tokens = get("output_tokens");
    u.cache_read_tokens = get("cache_read_tokens");
    u.cache_write_tokens = get("cache_write_tokens");
    return u;
}

Usage Usage::of_event(const Event& event) {
    if (event.type != event_type::kOutputCompleted && event.type != event_type::kLlmGeneration) return {};
    const json::value* u = event.data.if_contains("usage");
    return u ? from_json(*u) : Usage{};
}

}  // namespace agenthost
