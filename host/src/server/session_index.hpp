// What the daemon knows of each session without opening it, and the small index file that keeps
// it across restarts: DIR/index.jsonl, one record per line, the last line of a session winning.
// The JSONL logs stay the truth: a record whose log has grown since is rebuilt from the log, and
// a lost or unreadable index is rebuilt from all of them.
#pragma once

#include <agenthost/runtime.hpp>

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace agenthost::server {

/// One session as the daemon lists it (DESIGN §8 GET /v1/sessions/{id}) plus how to reopen it.
struct SessionRecord {
    std::string id;
    std::string status = "idle";  ///< idle | running | waiting_approval | failed | deleted
    std::string harness;          ///< as asked ("" = the daemon's)
    std::string model;            ///< as asked ("" = the daemon's)
    std::string effective_harness;
    std::string effective_model;
    std::string agent;
    std::string work_dir;
    std::string approval = "ask";
    std::string sandbox;
    std::string title;
    json::array tags;
    json::object driver_configs;  ///< {driver id: config}
    std::string idempotency_key;
    std::string created_at;
    std::uint64_t last_sequence = 0;
    Usage usage;
    std::uint64_t log_size = 0;  ///< the log's size when this record was written
    bool interrupted = false;    ///< the log ends inside a turn: recover it on start

    /// The record as an index line.
    json::object to_json() const;
    /// Read an index line; throws std::exception on a wrong shape.
    static SessionRecord from_json(const json::object& o);
    /// What the session.created metadata records, so a lost index can be rebuilt.
    json::object metadata() const;
    /// A record rebuilt from a session's stored events.
    static SessionRecord from_events(const std::string& id, const std::vector<Event>& events);
};

/// DIR/index.jsonl.
class SessionIndex {
public:
    /// The index of `data_dir` (sessions in data_dir/sessions, deleted ones in data_dir/archive).
    explicit SessionIndex(std::filesystem::path data_dir);

    /// Every session: the index where it agrees with the logs, the logs where not. Rewrites the
    /// index compactly. `warnings` gets what was rebuilt and why.
    std::vector<SessionRecord> load(std::vector<std::string>& warnings);
    /// Append a record (one write). Thread-safe.
    void write(const SessionRecord& record);
    /// The size of a session's log now (0 if missing).
    std::uint64_t log_size(const std::string& id, bool archived) const;
    /// The folder of live logs.
    const std::filesystem::path& sessions_dir() const { return sessions_dir_; }
    /// The folder of deleted sessions' logs.
    const std::filesystem::path& archive_dir() const { return archive_dir_; }

private:
    void rewrite(const std::vector<SessionRecord>& records);

    std::filesystem::path file_;
    std::filesystem::path sessions_dir_;
    std::filesystem::path archive_dir_;
    std::mutex mu_;
    int fd_ = -1;
    std::size_t lines_ = 0;
};

}  // namespace agenthost::server
