// Session storage behind one interface: the JSONL files of the embedded default, memory for
// tests and embedding, and (later) PostgreSQL (DESIGN §7, §9).
#pragma once

#include <agenthost/event.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace agenthost {

/// A storage failure: unreadable log, malformed line, session locked by another process.
class StorageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The append side of one session's log. An append reaches the kernel in one write() before it
/// returns (a crash of the process loses nothing; there is no fsync per event).
class SessionLog {
public:
    virtual ~SessionLog() = default;
    /// Store one event (never a delta). Throws StorageError.
    virtual void append(const Event& event) = 0;
};

/// What opening a session gives: its log, the events it already had, and what was repaired.
struct OpenedSession {
    std::unique_ptr<SessionLog> log;
    std::vector<Event> events;          ///< replayed, in sequence order
    std::vector<std::string> warnings;  ///< e.g. "cut a torn last line (37 bytes) at line 12 of FILE"
};

/// A line of `sessions list`.
struct SessionSummary {
    std::string id;
    std::string created;     ///< ts of the first event
    std::string updated;     ///< file modification time or last event ts
    std::uint64_t size_bytes = 0;
    std::string title;       ///< the first user message, cut short
};

/// Where sessions live.
class SessionStore {
public:
    virtual ~SessionStore() = default;
    /// Open a session for appending, replaying what it has; creates it if `create` and missing.
    /// Throws StorageError (missing session, locked by another process, malformed line).
    virtual OpenedSession open(const std::string& session_id, bool create) = 0;
    /// A session's events, read without taking its lock or repairing anything, so a session
    /// another process is running can be shown meanwhile (a last line still being written is
    /// left out). Throws StorageError (missing session, malformed line).
    virtual std::vector<Event> read(const std::string& session_id) = 0;
    /// Whether a session exists. Throws StorageError when its log is a symlink (never followed),
    /// saying so.
    virtual bool exists(const std::string& session_id) = 0;
    /// Every session, newest first.
    virtual std::vector<SessionSummary> list() = 0;
    /// The newest session's id, if any.
    std::optional<std::string> latest() {
        auto all = list();
        if (all.empty()) return std::nullopt;
        return all.front().id;
    }
};

/// Sessions kept in memory only (embedding, tests).
std::shared_ptr<SessionStore> make_memory_session_store();
/// One JSONL file per session in `dir` (created 0700), each file 0600 and exclusively locked.
std::shared_ptr<SessionStore> make_jsonl_session_store(const std::string& dir);

}  // namespace agenthost
