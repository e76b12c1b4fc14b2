#include "stream.hpp"

#include "errors.hpp"

namespace anthropic {

namespace {

std::string_view string_or_empty(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const json::object* object_field(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

std::int64_t index_of(const json::object& event) {
    const json::value* v = event.if_contains("index");
    return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

[[noreturn]] void throw_failure(const Failure& f) {
    throw ahp::Error(f.category, f.message);
}

}  // namespace

void Usage::update(const json::object& usage) {
    auto take = [&](std::string_view key, std::int64_t& into) {
        const json::value* v = usage.if_contains(key);
        if (v && v->is_number()) into = v->to_number<std::int64_t>();
    };
    take("input_tokens", input_tokens);
    take("output_tokens", output_tokens);
    take("cache_read_input_tokens", cache_read_tokens);
    take("cache_creation_input_tokens", cache_write_tokens);
}

json::object Usage::to_json() const {
    return json::object{{"input_tokens", input_tokens},
                        {"output_tokens", output_tokens},
                        {"cache_read_tokens", cache_read_tokens},
                        {"cache_write_tokens", cache_write_tokens}};
}

json::value parse_tool_input(std::string_view partial_json, const json::value& start_input) {
    std::size_t first = partial_json.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        if (start_input.is_object()) return start_input;  // {} for a tool without arguments
        return json::object();
    }
    boost::system::error_code ec;
    json::value v = json::parse(partial_json, ec);
    if (ec) return json::string(partial_json);
    return v;
}

void MessageAccumulator::on_event(std::string_view name, std::string_view data) {
    if (name == "ping") {
        ++events_;
        return;
    }
    // A monotonic arena on a member buffer: an event's DOM costs no heap allocation unless it
    // is larger than the buffer. Nothing from it outlives this call (copies take the default
    // storage), and the arena is released when `v` and `arena` go out of scope.
    json::monotonic_resource arena(parse_buffer_, sizeof parse_buffer_);
    boost::system::error_code ec;
    parser_.reset(&arena);
    parser_.write(data.data(), data.size(), ec);
    json::value v = ec ? json::value() : parser_.release();
    parser_.reset();  // let go of the arena (and of a partial DOM) while the arena is alive
    if (ec || !v.is_object()) {
        throw ahp::Error("upstream_api_error",
                         "the '" + std::string(name) + "' event's data is not a JSON object: " + excerpt(data, 200));
    }
    json::object& event = v.get_object();
    if (!event.contains("type")) event["type"] = name;
    on_event(event);
}

void MessageAccumulator::on_event(const json::object& event) {
    ++events_;
    std::string_view type = string_or_empty(event, "type");
    if (type == "content_block_delta") {
        const json::object* delta = object_field(event, "delta");
        if (!delta) return;
        std::string_view kind = string_or_empty(*delta, "type");
        if (kind == "text_delta") {
            std::string_view text = string_or_empty(*delta, "text");
            if (text.empty()) return;
            text_.append(text);
            if (on_text_) on_text_(text);
        } else if (kind == "input_json_delta") {
            blocks_[index_of(event)].partial_json.append(string_or_empty(*delta, "partial_json"));
        }  // thinking_delta, signature_delta, citations_delta: not part of the answer
    } else if (type == "content_block_start") {
        Block& block = blocks_[index_of(event)];
        const json::object* cb = object_field(event, "content_block");
        if (!cb) return;
        block.type = std::string(string_or_empty(*cb, "type"));
        if (block.type == "tool_use") {
            block.id = std::string(string_or_empty(*cb, "id"));
            block.name = std::string(string_or_empty(*cb, "name"));
            if (const json::value* input = cb->if_contains("input")) block.start_input = *input;
        } else if (block.type == "text") {
            std::string_view text = string_or_empty(*cb, "text");
            if (!text.empty()) {
                text_.append(text);
                if (on_text_) on_text_(text);
            }
        }
    } else if (type == "message_start") {
        const json::object* message = object_field(event, "message");
        if (!message) return;
        model_ = std::string(string_or_empty(*message, "model"));
        message_id_ = std::string(string_or_empty(*message, "id"));
        if (const json::object* usage = object_field(*message, "usage")) usage_.update(*usage);
    } else if (type == "message_delta") {
        if (const json::object* delta = object_field(event, "delta")) {
            if (std::string_view sr = string_or_empty(*delta, "stop_reason"); !sr.empty())
                stop_reason_ = std::string(sr);
        }
        if (const json::object* usage = object_field(event, "usage")) usage_.update(*usage);
    } else if (type == "message_stop") {
        stopped_ = true;
    } else if (type == "error") {
        throw_failure(stream_failure(event));
    }  // ping, content_block_stop and event types added later: nothing to do
}

json::object MessageAccumulator::result() const {
    json::array tool_calls;
    for (const auto& [index, block] : blocks_) {
        if (block.type != "tool_use") continue;
        tool_calls.push_back(json::object{{"id", block.id},
                                          {"name", block.name},
                                          {"arguments", parse_tool_input(block.partial_json, block.start_input)}});
    }
    json::object out{{"text", text_},
                     {"tool_calls", std::move(tool_calls)},
                     {"usage", usage_.to_json()},
                     {"stop_reason", stop_reason_}};
    if (!model_.empty()) out["model"] = model_;
    if (!message_id_.empty()) out["id"] = message_id_;
    return out;
}

json::object result_of_message(const json::object& message, const MessageAccumulator::TextFn& on_text) {
    std::string text;
    json::array tool_calls;
    if (const json::value* content = message.if_contains("content"); content && content->is_array()) {
        for (const json::value& item : content->get_array()) {
            const json::object* block = item.if_object();
            if (!block) continue;
            std::string_view type = string_or_empty(*block, "type");
            if (type == "text") {
                text.append(string_or_empty(*block, "text"));
            } else if (type == "tool_use") {
                const json::value* input = block->if_contains("input");
                tool_calls.push_back(json::object{{"id", string_or_empty(*block, "id")},
                                                  {"name", string_or_empty(*block, "name")},
                                                  {"arguments", input ? *input : json::value(json::object())}});
            }
        }
    }
    if (!text.empty() && on_text) on_text(text);
    Usage usage;
    if (const json::object* u = object_field(message, "usage")) usage.update(*u);
    json::object out{{"text", text},
                     {"tool_calls", std::move(tool_calls)},
                     {"usage", usage.to_json()},
                     {"stop_reason", string_or_empty(message, "stop_reason")}};
    if (std::string_view model = string_or_empty(message, "model"); !model.empty()) out["model"] = model;
    if (std::string_view id = string_or_empty(message, "id"); !id.empty()) out["id"] = id;
    return out;
}

}  // namespace anthropic
