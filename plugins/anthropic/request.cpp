#include "request.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace anthropic {

namespace {

const json::object& cache_control() {
    static const json::object kEphemeral{{"type", "ephemeral"}};
    return kEphemeral;
}

std::string_view string_or_empty(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

/// A tool call's arguments as the object Anthropic wants in `input`.
json::value tool_input(const json::value* arguments) {
    if (!arguments) return json::object();
    if (arguments->is_object()) return *arguments;
    if (arguments->is_string()) {
        boost::system::error_code ec;
        json::value parsed = json::parse(arguments->get_string(), ec);
        if (!ec && parsed.is_object()) return parsed;
    }
    return json::object();  // Anthropic accepts only an object; the host already told the model
}

/// One Anthropic content block and the canonical message it came from.
struct Block {
    json::object block;
    std::size_t source;
};

/// One Anthropic message under construction.
struct Wire {
    bool assistant;
    std::vector<Block> blocks;
};

/// The blocks of one canonical message part, or nothing for a part Anthropic has no use for.
bool map_part(const json::object& part, json::object& out) {
    std::string_view type = string_or_empty(part, "type");
    if (type == "text") {
        std::string_view text = string_or_empty(part, "text");
        if (text.empty()) return false;  // Anthropic refuses empty text blocks
        out = json::object{{"type", "text"}, {"text", text}};
        return true;
    }
    if (type == "tool_call") {
        out = json::object{{"type", "tool_use"},
                           {"id", string_or_empty(part, "id")},
                           {"name", string_or_empty(part, "name")},
                           {"input", tool_input(part.if_contains("arguments"))}};
        return true;
    }
    if (type == "tool_result") {
        out = json::object{{"type", "tool_result"}, {"tool_use_id", string_or_empty(part, "tool_call_id")}};
        const json::value* result = part.if_contains("result");
        if (!result || result->is_null()) {
            out["content"] = "";
        } else if (result->is_string()) {
            out["content"] = result->get_string();
        } else {
            out["content"] = json::serialize(*result);
        }
        const json::value* is_error = part.if_contains("is_error");
        if (is_error && is_error->is_bool() && is_error->get_bool()) out["is_error"] = true;
        return true;
    }
    return false;
}

/// Every tool_use of an assistant message must be answered by a tool_result in the very next
/// message, or Anthropic refuses the whole history; an interrupted call gets a stand-in result.
void answer_dangling_tool_uses(std::vector<Wire>& wires) {
    for (std::size_t i = 0; i < wires.size(); ++i) {
        if (!wires[i].assistant) continue;
        std::vector<std::string> ids;
        for (const Block& b : wires[i].blocks) {
            if (b.block.at("type") == "tool_use") ids.emplace_back(b.block.at("id").as_string());
        }
        if (ids.empty()) continue;
        std::size_t source = wires[i].blocks.back().source;
        if (i + 1 == wires.size() || wires[i + 1].assistant) {
            wires.insert(wires.begin() + static_cast<std::ptrdiff_t>(i + 1), Wire{false, {}});
        }
        Wire& next = wires[i + 1];
        std::set<std::string> answered;
        for (const Block& b : next.blocks) {
            if (b.block.at("type") == "tool_result") answered.emplace(b.block.at("tool_use_id").as_string());
        }
        std::vector<Block> missing;
        for (const std::string& id : ids) {
            if (answered.count(id)) continue;
            missing.push_back(Block{json::object{{"type", "tool_result"},
                                                 {"tool_use_id", id},
                                                 {"content", "(no result: the call was interrupted before it ran)"},
                                                 {"is_error", true}},
                                    source});
        }
        next.blocks.insert(next.blocks.begin(), missing.begin(), missing.end());
    }
}

}  // namespace

json::array map_messages(const json::array& messages, int cache_breakpoints, std::size_t volatile_suffix) {
    std::vector<Wire> wires;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const json::object* m = messages[i].if_object();
        if (!m) continue;
        std::string_view role = string_or_empty(*m, "role");
        bool assistant = role == "agent" || role == "assistant";
        const json::value* content = m->if_contains("content");
        std::vector<Block> blocks;
        if (content && content->is_string()) {
            json::object b;
            if (map_part(json::object{{"type", "text"}, {"text", content->get_string()}}, b))
                blocks.push_back({std::move(b), i});
        } else if (content && content->is_array()) {
            for (const json::value& part : content->get_array()) {
                json::object b;
                if (part.is_object() && map_part(part.get_object(), b)) blocks.push_back({std::move(b), i});
            }
        }
        if (blocks.empty()) continue;
        if (wires.empty() || wires.back().assistant != assistant) wires.push_back(Wire{assistant, {}});
        for (Block& b : blocks) wires.back().blocks.push_back(std::move(b));
    }
    answer_dangling_tool_uses(wires);

    if (cache_breakpoints > 0) {
        std::size_t stable = messages.size() > volatile_suffix ? messages.size() - volatile_suffix : 0;
        int placed = 0;
        for (auto w = wires.rbegin(); w != wires.rend() && placed < cache_breakpoints; ++w) {
            for (auto b = w->blocks.rbegin(); b != w->blocks.rend(); ++b) {
                if (b->source >= stable) continue;
                b->block["cache_control"] = cache_control();
                ++placed;
                break;
            }
        }
    }

    json::array out;
    out.reserve(wires.size());
    for (Wire& w : wires) {
        json::array content;
        content.reserve(w.blocks.size());
        for (Block& b : w.blocks) content.push_back(std::move(b.block));
        out.push_back(json::object{{"role", w.assistant ? "assistant" : "user"}, {"content", std::move(content)}});
    }
    return out;
}

json::object build_body(const json::object& request, const BodyOptions& options) {
    bool caching = false;
    std::size_t volatile_suffix = 0;
    if (const json::value* pc = request.if_contains("prompt_cache"); pc && pc->is_object()) {
        const json::value* enabled = pc->get_object().if_contains("enabled");
        caching = enabled && enabled->is_bool() && enabled->get_bool();
        const json::value* vs = pc->get_object().if_contains("volatile_suffix");
        if (vs && vs->is_int64() && vs->get_int64() > 0) volatile_suffix = static_cast<std::size_t>(vs->get_int64());
        if (vs && vs->is_uint64()) volatile_suffix = static_cast<std::size_t>(vs->get_uint64());
    }

    json::object body;
    body["model"] = string_or_empty(request, "model");
    std::int64_t max_tokens = options.max_tokens;
    if (const json::value* mt = request.if_contains("max_tokens"); mt && mt->is_int64() && mt->get_int64() > 0) {
        max_tokens = mt->get_int64();
    }
    body["max_tokens"] = max_tokens;

    int breakpoints = 0;
    std::string_view system = string_or_empty(request, "system");
    if (!system.empty()) {
        if (caching) {
            body["system"] =
                json::array{json::object{{"type", "text"}, {"text", system}, {"cache_control", cache_control()}}};
            ++breakpoints;
        } else {
            body["system"] = system;
        }
    }

    json::array tools;
    if (const json::value* t = request.if_contains("tools"); t && t->is_array()) {
        for (const json::value& item : t->get_array()) {
            const json::object* tool = item.if_object();
            if (!tool) continue;
            const json::value* params = tool->if_contains("parameters");
            if (!params) params = tool->if_contains("input_schema");
            tools.push_back(json::object{
                {"name", string_or_empty(*tool, "name")},
                {"description", string_or_empty(*tool, "description")},
                {"input_schema",
                 params && params->is_object() ? *params : json::value(json::object{{"type", "object"}})}});
        }
    }
    if (caching && !tools.empty()) {
        tools.back().as_object()["cache_control"] = cache_control();
        ++breakpoints;
    }

    static const json::array kNone;
    const json::value* messages = request.if_contains("messages");
    int message_breakpoints = caching ? std::min(2, kMaxCacheBreakpoints - breakpoints) : 0;
    body["messages"] = map_messages(messages && messages->is_array() ? messages->get_array() : kNone,
                                    message_breakpoints, volatile_suffix);
    if (!tools.empty()) body["tools"] = std::move(tools);
    body["stream"] = options.stream;
    return body;
}

}  // namespace anthropic
