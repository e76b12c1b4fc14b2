// Where a history can be cut for compaction, and the transcript the summariser reads.
// The cut always falls on a user message that is not a tool result, so a tool call and its
// result always end up on the same side.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace compaction {

namespace json = boost::json;

/// How the host's summary message starts (it is also marked `compaction: true`).
inline constexpr const char* kSummaryPrefix = "[Summary of the earlier conversation";

/// Whether messages[i] starts a turn: role "user" and no tool_result part.
bool is_turn_start(const json::value& message);

/// Whether a message is the summary of an earlier compaction.
bool is_summary(const json::value& message);

/// A cut: messages[0, index) are summarised, messages[index, …) kept verbatim.
struct CutPoint {
    std::size_t index = 0;
    int kept_turns = 0;
};

/// The cut that keeps the last `keep_turns` turns, or fewer (down to 1) when that leaves
/// nothing to summarise; nullopt when no cut leaves something new to summarise (no earlier
/// turn start, or only an earlier summary before it).
std::optional<CutPoint> find_cut(const json::array& messages, int keep_turns);

/// The messages before `end` as a tagged transcript for the summariser, each tool result and
/// long text shortened, the whole at most `max_bytes` (its middle left out beyond that).
std::string transcript(const json::array& messages, std::size_t end, std::size_t max_bytes);

}  // namespace compaction
