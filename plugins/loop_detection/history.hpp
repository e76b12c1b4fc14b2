// The hook's view of the history, read straight from the params text: where the recent messages
// are, and the current turn's tool-call batches, newest first, read lazily backward from the
// end so that only the tail is examined.
#pragma once

#include "json_scan.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace loopdet {

/// Where the parts of a `hook.before_model` params text are (docs/context-services.md).
struct Located {
    std::vector<scan::Span> messages;  ///< each of `recent_messages`
    std::string_view session_id;       ///< raw
    std::string_view turn_id;          ///< raw
};

/// Find the messages in `params`; false when the text is not shaped as expected.
bool locate(std::string_view params, Located& out);

/// The messages of a request, newest first: from a located list, or read backward from the end
/// of the params text without looking at the rest (the fast path).
class MessageCursor {
public:
    /// Over messages located by locate().
    explicit MessageCursor(const std::vector<scan::Span>& spans) : spans_(&spans), pos_(spans.size()) {}
    /// Backward from the end of `params`, assuming the host's layout: the params' members after
    /// `recent_messages` are scalars. Whatever does not fit reads as bad(), and the caller falls
    /// back to locate().
    static MessageCursor from_tail(std::string_view params);
    /// The next older message; false at the first one (or when the text does not fit).
    bool prev(scan::Span& out);
    /// Whether the text did not have the expected shape.
    bool bad() const { return bad_; }

private:
    MessageCursor() = default;
    const std::vector<scan::Span>* spans_ = nullptr;
    std::size_t pos_ = 0;  // located: the index after the next one; backward: the next element's last character
    std::string_view t_;
    bool done_ = false;
    bool bad_ = false;
};

/// One tool call of the current turn and what came back (raw JSON texts of `params`).
struct RawCall {
    std::string_view id;
    std::string_view name;
    std::string_view args;
    std::string_view result;  ///< empty when no result was found
    bool is_error = false;
};

/// The tool calls of one agent message, in their order.
struct Batch {
    std::vector<RawCall> calls;
};

/// Reads the current turn's batches from the newest back to the last user message.
class TurnReader {
public:
    TurnReader(std::string_view text, MessageCursor& messages) : t_(text), msgs_(messages) {}
    /// The next older batch; false at the turn's start (a user message, a text-only agent
    /// message, or the first message).
    bool next(Batch& out);
    /// Whether a message was not shaped like one (or the cursor was bad).
    bool malformed() const { return malformed_ || msgs_.bad(); }

private:
    struct Result {
        std::string_view tool_call_id;
        std::string_view result;
        bool is_error = false;
    };
    std::string_view t_;
    MessageCursor& msgs_;
    bool ended_ = false;
    bool malformed_ = false;
    std::vector<Result> results_;
};

/// Whether two calls have the same tool and the same arguments.
bool same_call(const RawCall& a, const RawCall& b);
/// Whether two calls got the same result: same error flag, and the same text apart from the
/// members named in `ignored` (at the top of an object result, such as `duration_ms`) and the
/// calls' own ids (a saved-output path names its call).
bool same_result(const RawCall& a, const RawCall& b, const std::vector<std::string>& ignored);
/// Whether two batches hold the same calls, in any order.
bool same_batch(const Batch& a, const Batch& b);

}  // namespace loopdet
