// A live session: its stored events, the history projected from them, subscribers, turn
// control (interrupt, steer), key/value storage and secrets.
#pragma once

#include <agenthost/runtime.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

namespace agenthost {

/// The message an event adds to the history, if any (input.message, output.message.completed,
/// tool.completed): the one projection of events into messages.
std::optional<json::object> message_of_event(const Event& event);

/// One session. Thread-safe.
class Session {
public:
    Session(std::string id, std::unique_ptr<SessionLog> log, std::vector<Event> replayed,
            std::shared_ptr<FileStore> files);

    /// The session id.
    const std::string& id() const noexcept { return id_; }
    /// The session's files.
    const std::shared_ptr<FileStore>& files() const noexcept { return files_; }
    /// The session's own data folder (saved tool output), outside the workspace.
    const std::shared_ptr<FileStore>& data_files() const noexcept { return data_files_; }
    /// Set the data folder's store (once, before the session is used).
    void set_data_files(std::shared_ptr<FileStore> store) { data_files_ = std::move(store); }
    /// Record a compaction: the messages before `keep_from_message_id` are replaced by one user
    /// message holding `summary`. Throws UsageError if the cut would split a tool call from its
    /// result or the message is unknown. Returns {replaced, kept} message counts.
    std::pair<std::size_t, std::size_t> compact(const std::string& summary, const std::string& keep_from_message_id,
                                                const std::string& turn_id);

    /// Store an event, then publish it; returns its sequence. Its strings are repaired to UTF-8
    /// and redacted first (clean_json).
    std::uint64_t emit(std::string_view type, json::object data, const std::string& turn_id);
    /// Publish a live-only event (a delta): never stored, carries the last stored sequence.
    void publish_live(std::string_view type, json::object data, const std::string& turn_id);
    /// Stored events with sequence > after.
    std::vector<Event> events(std::uint64_t after) const;
    /// Number of stored events.
    std::uint64_t last_sequence() const;
    /// The history as the model request's `messages`.
    json::array messages_json() const;
    /// The messages from the last user message that is not a tool result to the end (at most
    /// `max`), the total message count, and the history's size in bytes of JSON.
    json::array recent_messages(std::size_t max, std::size_t& total, std::size_t& bytes) const;
    /// Append the history's JSON text (the serialized `messages` array) to `out`: kept
    /// serialized as events arrive, so a model request costs a copy, not a serialization.
    void append_messages_text(std::string& out) const;
    /// Subscribe to later events; unsubscribes when the handle dies.
    std::shared_ptr<void> subscribe(EventCallback callback);

    /// Mark a turn as running; false if one already is.
    bool begin_turn();
    /// Record the running turn's id (events emitted by host services carry it).
    void set_current_turn_id(std::string turn_id);
    /// The running turn's id, empty when idle.
    std::string current_turn_id() const;
    /// Mark the turn as ended and clear the interrupt flag.
    void end_turn();
    /// Whether a turn is running.
    bool turn_running() const;
    /// The running turn's interrupt flag.
    const std::atomic<bool>& cancel_flag() const noexcept { return cancelled_; }
    /// Interrupt the running turn (no-op if idle).
    void interrupt();
    /// Sleep up to `d`, waking early on interrupt; false if interrupted.
    bool sleep_unless_interrupted(std::chrono::milliseconds d);
    /// Queue a steering message for the next reason step.
    void queue_steer(std::string text);
    /// Take the queued steering messages.
    std::vector<std::string> take_steers();

    /// Key/value storage for plugins.
    std::optional<std::string> kv_get(const std::string& key) const;
    void kv_set(const std::string& key, std::string value);
    bool kv_erase(const std::string& key);
    std::vector<std::string> kv_keys() const;
    /// Secrets: readable by plugins (secret.get); the value joins Redactor::global(), so it is
    /// redacted from every event, log line and printed line of the process.
    void set_secret(const std::string& name, std::string value);
    std::optional<std::string> secret(const std::string& name) const;

    /// Cumulative usage: the sum over output.message.completed and llm.generation events,
    /// replayed ones included.
    Usage usage() const;
    /// The usage of the side calls (llm.generation) made during turn `turn_id`.
    Usage side_usage(const std::string& turn_id) const;

private:
    void publish(const Event& event);
    void add_message(json::object message);
    void apply_compaction(const Event& event);
    void rebuild_messages_text();

    const std::string id_;
    std::unique_ptr<SessionLog> log_;
    std::shared_ptr<FileStore> files_;
    std::shared_ptr<FileStore> data_files_;

    mutable std::mutex mu_;           // state below
    std::mutex publish_mu_;           // keeps publication in sequence order
    std::deque<Event> events_;  // a deque: published events are referenced while others append
    json::array messages_;
    std::string messages_text_;  // messages_ serialized, without the closing ']' 
    std::uint64_t sequence_ = 0;
    std::vector<std::weak_ptr<EventCallback>> subscribers_;
    bool turn_running_ = false;
    std::string current_turn_id_;
    std::deque<std::string> steers_;
    std::map<std::string, std::string> kv_;
    std::map<std::string, std::string> secrets_;
    Usage usage_;

    std::atomic<bool> cancelled_{false};
    std::mutex sleep_mu_;
    std::condition_variable sleep_cv_;
};

}  // namespace agenthost
