// The daemon's sessions over one Runtime (DESIGN §8): each with its own harness, model,
// workspace and approval policy; turns on a bounded pool; approvals answered over the API; a
// bounded set of sessions open in the runtime (an idle one is closed and costs no thread, no
// file descriptor); the index kept beside the logs; recovery after a crash.
#pragma once

#include "server/session_index.hpp"

#include <agenthost/runtime.hpp>

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace agenthost::server {

/// How the daemon runs sessions.
struct ManagerOptions {
    std::filesystem::path data_dir;
    std::vector<std::filesystem::path> plugin_dirs;
    std::string harness = "coding";       ///< the default harness
    std::optional<std::string> model;     ///< the default model (else the harness's, else llmsim)
    int turn_threads = 8;                 ///< turns that run at once; more wait for a thread
    int tool_threads = 4;                 ///< parallel tool calls, shared by every turn
    std::size_t max_sessions = 10000;     ///< sessions (not deleted) at most: more is 503
    std::size_t max_open_sessions = 256;  ///< sessions kept open in the runtime while idle
    std::optional<std::chrono::milliseconds> approval_timeout;  ///< none: wait for an answer
    std::filesystem::path home;           ///< $HOME, for the work_dir rules
};

/// POST /v1/sessions, validated.
struct CreateRequest {
    std::string work_dir;
    std::optional<std::string> harness, model, approval, sandbox, prompt, title, idempotency_key;
    json::array tags;
    json::object driver_config;  ///< {driver id: config}
};

/// What a created (or found again) session answers.
struct Created {
    SessionRecord record;
    bool existed = false;  ///< the idempotency key named an existing session
    std::string turn_id;   ///< the first turn, when a prompt was given
};

/// Counters for /v1/metrics.
struct ManagerStats {
    std::map<std::string, std::size_t> by_status;
    std::size_t running_turns = 0;
    std::size_t open_sessions = 0;
    std::size_t subscribers = 0;
    std::uint64_t events_written = 0;
    std::size_t pending_approvals = 0;
};

/// Every session of the daemon. Thread-safe. Refusals throw ApiError.
class SessionManager {
public:
    /// Build the runtime, load the index, recover sessions a crash left mid-turn.
    explicit SessionManager(ManagerOptions options);
    ~SessionManager();
    SessionManager(const SessionManager&) = delete;
    SessionManager& operator=(const SessionManager&) = delete;

    /// What loading found and repaired (to log at start).
    std::vector<std::string> take_warnings();

    /// Create a session, or find the one its idempotency key made.
    Created create(const CreateRequest& request);
    /// Sessions, newest first, filtered by status and tag when given.
    std::vector<SessionRecord> list(const std::string& status, const std::string& tag) const;
    /// One session's DESIGN §8 description.
    json::object describe(const std::string& id) const;
    /// Cancel a running turn, close the session and archive its log.
    void remove(const std::string& id);
    /// Start a turn; returns its id. 409 while a turn runs.
    std::string post_message(const std::string& id, const std::string& text);
    /// Interrupt the running turn (no-op when idle).
    void interrupt(const std::string& id);
    /// Steer the running turn, or add a user message for the next one.
    void steer(const std::string& id, const std::string& text);
    /// The approvals waiting for an answer.
    json::array approvals(const std::string& id) const;
    /// Answer an approval: "approve", "deny" or "approve_always".
    void decide(const std::string& id, const std::string& approval_id, const std::string& decision);
    /// Stored events with sequence > after (at most `limit`, 0: all).
    std::vector<Event> events(const std::string& id, std::uint64_t after, std::size_t limit);
    /// Receive the session's later events (deltas included) until the handle dies; keeps the
    /// session open meanwhile. `on_gone` is called (under the session's lock: post, do not block) when
    /// the session is deleted.
    std::shared_ptr<void> subscribe(const std::string& id, EventCallback callback, std::function<void()> on_gone = nullptr);
    /// Counters for /v1/metrics.
    ManagerStats stats() const;
    /// Thread counts: {turn pool, tool workers}.
    std::pair<int, int> threads() const { return {options_.turn_threads, options_.tool_threads}; }
    /// Turn threads busy now.
    int busy_turn_threads() const { return busy_turns_.load(); }

private:
    struct Pending;
    struct Managed;

    std::shared_ptr<Managed> find(const std::string& id) const;
    void open_locked(Managed& m);
    void close_locked(Managed& m);
    void on_event(Managed& m, const Event& e);
    ApprovalDecision ask(const ApprovalRequest& request);
    void run_turn(std::shared_ptr<Managed> m, std::string text, std::string turn_id);
    std::string start_turn_locked(const std::shared_ptr<Managed>& m, const std::string& text, std::string turn_id = {});
    void finish_delete_locked(Managed& m);
    void evict_idle();
    void save_locked(Managed& m);
    SessionOptions options_of(const SessionRecord& r, bool resume) const;

    ManagerOptions options_;
    std::unique_ptr<SessionIndex> index_;
    std::unique_ptr<Runtime> runtime_;
    std::unique_ptr<boost::asio::thread_pool> turns_;
    mutable std::mutex mu_;  // sessions_, by_key_; taken before any Managed::mu, never after
    std::map<std::string, std::shared_ptr<Managed>> sessions_;
    std::map<std::string, std::string> by_key_;  // idempotency key -> session id
    std::mutex create_mu_;                       // one creation at a time (idempotency)
    std::vector<std::string> warnings_;
    std::atomic<std::size_t> open_count_{0};
    std::atomic<std::size_t> running_{0};
    std::atomic<std::size_t> subscribers_{0};
    std::atomic<std::uint64_t> events_written_{0};
    std::atomic<int> busy_turns_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace agenthost::server
