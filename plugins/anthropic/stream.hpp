// Anthropic Messages responses: the streamed events (message_start, content_block_*,
// message_delta, message_stop, ping, error) assembled into one driver.chat result, and the
// same result from a whole (non-streaming) message.
#pragma once

#include <ahp/ahp.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace anthropic {

namespace json = ahp::json;

/// Token counts in agenthost's names.
struct Usage {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cache_read_tokens = 0;   ///< cache_read_input_tokens
    std::int64_t cache_write_tokens = 0;  ///< cache_creation_input_tokens
    /// Take the counts an Anthropic usage object carries; absent ones keep their value.
    void update(const json::object& usage);
    /// {input_tokens, output_tokens, cache_read_tokens, cache_write_tokens}.
    json::object to_json() const;
};

/// Assembles streamed events into a result; text deltas go to on_text as they arrive.
class MessageAccumulator {
public:
    /// Called with each piece of model text, in order.
    using TextFn = std::function<void(std::string_view text)>;

    explicit MessageAccumulator(TextFn on_text) : on_text_(std::move(on_text)) {}

    /// Handle one SSE event (its name and its data); throws ahp::Error for an `error` event or
    /// data that is not JSON.
    void on_event(std::string_view name, std::string_view data);
    /// Handle one parsed event object (its "type" names it).
    void on_event(const json::object& event);
    /// Whether message_stop arrived.
    bool complete() const noexcept { return stopped_; }
    /// Whether any event arrived at all.
    bool started() const noexcept { return events_ > 0; }
    /// {text, tool_calls:[{id,name,arguments}], usage, stop_reason, model, id}.
    json::object result() const;

private:
    struct Block {
        std::string type;  // "text", "tool_use", or another type we skip
        std::string id;
        std::string name;
        std::string partial_json;
        json::value start_input;  // the input given in content_block_start
    };

    TextFn on_text_;
    json::parser parser_;                   // reused: its own buffers are allocated once
    unsigned char parse_buffer_[8192];      // each event's JSON is parsed into this, then dropped
    std::map<std::int64_t, Block> blocks_;  // by content block index, which orders them
    std::string text_;
    std::string stop_reason_;
    std::string model_;
    std::string message_id_;
    Usage usage_;
    std::size_t events_ = 0;
    bool stopped_ = false;
};

/// The driver.chat result for a whole (non-streaming) Messages response body; its text goes to
/// on_text once.
json::object result_of_message(const json::object& message, const MessageAccumulator::TextFn& on_text);

/// A tool_use input assembled from input_json_delta fragments: "" is {}, JSON that does not
/// parse is passed on as the raw string (the host then tells the model its arguments were bad).
json::value parse_tool_input(std::string_view partial_json, const json::value& start_input);

}  // namespace anthropic
