// Events: the one record of what happened in a session (DESIGN §7).
#pragma once

#include <agenthost/export.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace agenthost {

namespace json = boost::json;

/// Event type names (DESIGN §7).
namespace event_type {
inline constexpr std::string_view kSessionCreated = "session.created";
/// A resumed session runs with a setting other than the one it recorded ({field, from, to}).
inline constexpr std::string_view kSessionReconfigured = "session.reconfigured";
inline constexpr std::string_view kInputMessage = "input.message";
inline constexpr std::string_view kTurnStarted = "turn.started";
inline constexpr std::string_view kOutputStarted = "output.message.started";
inline constexpr std::string_view kOutputDelta = "output.message.delta";
inline constexpr std::string_view kOutputCompleted = "output.message.completed";
inline constexpr std::string_view kToolStarted = "tool.started";
inline constexpr std::string_view kToolCompleted = "tool.completed";
inline constexpr std::string_view kApprovalRequested = "approval.requested";
inline constexpr std::string_view kApprovalDecided = "approval.decided";
inline constexpr std::string_view kTurnCompleted = "turn.completed";
inline constexpr std::string_view kTurnFailed = "turn.failed";
inline constexpr std::string_view kTurnCancelled = "turn.cancelled";
inline constexpr std::string_view kCommandExecuted = "command.executed";
inline constexpr std::string_view kCompaction = "compaction";
inline constexpr std::string_view kLoopDetected = "loop.detected";
/// A model call outside the loop's own (model.complete: a compaction summary, /btw).
inline constexpr std::string_view kLlmGeneration = "llm.generation";
}  // namespace event_type

/// One event envelope: {id, type, ts, session_id, sequence, context{turn_id}, data}.
struct Event {
    std::string id;          ///< UUIDv7
    std::string type;        ///< one of event_type
    std::string ts;          ///< RFC 3339 UTC with milliseconds
    std::string session_id;  ///< the session it belongs to
    std::uint64_t sequence = 0;  ///< per-session cursor; live-only deltas repeat the last stored one
    std::string turn_id;     ///< context.turn_id, empty outside a turn
    json::object data;       ///< type-specific payload
};

/// An event line or document that does not have the envelope's shape.
class AGENTHOST_API EventFormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Whether an event of this type is stored (deltas are live only).
AGENTHOST_API bool is_stored_event(std::string_view type) noexcept;
/// The envelope as JSON.
AGENTHOST_API json::object to_json(const Event& event);
/// One compact JSON line (no newline).
AGENTHOST_API std::string to_json_line(const Event& event);
/// Parse an envelope; throws EventFormatError naming the missing or mistyped field.
AGENTHOST_API Event event_from_json(json::value&& value);

/// A new UUIDv7 (time-ordered, random tail).
AGENTHOST_API std::string new_uuid_v7();
/// Now as RFC 3339 UTC with milliseconds ("2026-11-21T15:04:05.123Z").
AGENTHOST_API std::string now_rfc3339();
/// A time as RFC 3339 UTC with milliseconds.
AGENTHOST_API std::string format_rfc3339(std::chrono::system_clock::time_point time);

}  // namespace agenthost
