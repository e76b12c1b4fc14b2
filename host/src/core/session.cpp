#include "core/session.hpp"

#include "base/redactor.hpp"

#include <algorithm>

namespace agenthost {

std::optional<json::object> message_of_event(const Event& event) {
    auto message_field = [&]() -> std::optional<json::object> {
        const json::value* m = event.data.if_contains("message");
        if (!m || !m->is_object()) return std::nullopt;
        return m->get_object();
    };
    if (event.type == event_type::kInputMessage || event.type == event_type::kOutputCompleted) return message_field();
    if (event.type == event_type::kToolCompleted) {
        const json::object& d = event.data;
        json::object part{{"type", "tool_result"}};
        for (const char* key : {"tool_call_id", "tool_name", "result"}) {
            if (const json::value* v = d.if_contains(key)) part[key] = *v;
        }
        const json::value* ok = d.if_contains("success");
        part["is_error"] = !(ok && ok->is_bool() && ok->get_bool());
        return json::object{{"id", event.id}, {"role", "tool_result"}, {"content", json::array{std::move(part)}}};
    }
    return std::nullopt;
}

Session::Session(std::string id, std::unique_ptr<SessionLog> log, std::vector<Event> replayed,
                 std::shared_ptr<FileStore> files)
    : id_(std::move(id)), log_(std::move(log)), files_(std::move(files)),
      events_(std::make_move_iterator(replayed.begin()), std::make_move_iterator(replayed.end())) {
    messages_text_.push_back('[');  // (not `= "["`: g++ 12 -O3 warns falsely on that, PR 105329)
    for (const Event& e : events_) {
        if (auto m = message_of_event(e)) add_message(std::move(*m));
        if (e.type == event_type::kCompaction) apply_compaction(e);
        usage_ += Usage::of_event(e);
    }
    sequence_ = events_.empty() ? 0 : events_.back().sequence;
}

void Session::add_message(json::object message) {
    if (messages_text_.size() > 1) messages_text_ += ',';
    messages_text_ += json::serialize(message);
    messages_.push_back(std::move(message));
}

void Session::rebuild_messages_text() {
    messages_text_.clear();
    messages_text_.push_back('[');
    for (const json::value& m : messages_) {
        if (messages_text_.size() > 1) messages_text_ += ',';
        messages_text_ += json::serialize(m);
    }
}

namespace {

/// Where the kept part starts, or messages.size() if `id` is not a cut point.
std::size_t cut_index(const json::array& messages, std::string_view id) {
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const json::object& m = messages[i].as_object();
        if (m.at("id").as_string() == id) return m.at("role") == "user" ? i : messages.size();
    }
    return messages.size();
}

}  // namespace

void Session::apply_compaction(const Event& event) {
    // Called with mu_ held (or from the constructor). The event was validated before it was stored.
    const json::value* keep = event.data.if_contains("keep_from_message_id");
    const json::value* summary = event.data.if_contains("summary");
    if (!keep || !keep->is_string() || !summary || !summary->is_string()) return;
    std::size_t cut = cut_index(messages_, keep->get_string());
    if (cut == messages_.size()) return;
    json::array kept;
    kept.push_back(json::object{{"id", event.id},
                                {"role", "user"},
                                {"content", json::array{json::object{
                                                {"type", "text"},
                                                {"text", "[Summary of the earlier conversation, compacted to save context]\n" +
                                                             std::string(summary->get_string())}}}},
                                {"compaction", true}});
    for (std::size_t i = cut; i < messages_.size(); ++i) kept.push_back(std::move(messages_[i]));
    messages_ = std::move(kept);
    rebuild_messages_text();
}

std::pair<std::size_t, std::size_t> Session::compact(const std::string& summary, const std::string& keep_from_message_id,
                                                     const std::string& turn_id) {
    std::size_t replaced = 0, kept = 0;
    {
        std::lock_guard<std::mutex> lock(mu_);
        std::size_t cut = cut_index(messages_, keep_from_message_id);
        if (cut == messages_.size()) {
            throw UsageError("cannot compact at message '" + keep_from_message_id +
                             "': it must be a user message of this session's history (not a tool result), so no tool "
                             "call is separated from its result");
        }
        if (cut == 0) throw UsageError("nothing to compact before message '" + keep_from_message_id + "'");
        replaced = cut;
        kept = messages_.size() - cut;
    }
    emit(event_type::kCompaction,
         json::object{{"summary", summary}, {"keep_from_message_id", keep_from_message_id},
                      {"replaced_messages", replaced}, {"kept_messages", kept}},
         turn_id);
    return {replaced, kept};
}

std::uint64_t Session::emit(std::string_view type, json::object data, const std::string& turn_id) {
    clean_json(data);  // the one place every event passes: valid UTF-8, no known secret
    std::lock_guard<std::mutex> order(publish_mu_);
    const Event* stored = nullptr;
    {
        std::lock_guard<std::mutex> lock(mu_);
        Event event;
        event.id = new_uuid_v7();
        event.type = std::string(type);
        event.ts = now_rfc3339();
        event.session_id = id_;
        event.sequence = sequence_ + 1;
        event.turn_id = turn_id;
        event.data = std::move(data);
        if (log_) log_->append(event);  // written before it is published; throws on failure
        sequence_ = event.sequence;
        if (auto m = message_of_event(event)) add_message(std::move(*m));
        if (event.type == event_type::kCompaction) apply_compaction(event);
        usage_ += Usage::of_event(event);
        events_.push_back(std::move(event));
        stored = &events_.back();  // stable: a deque never moves its elements on push_back
    }
    publish(*stored);
    return stored->sequence;
}

void Session::publish_live(std::string_view type, json::object data, const std::string& turn_id) {
    std::lock_guard<std::mutex> order(publish_mu_);
    Event event;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (subscribers_.empty()) return;
        event.sequence = sequence_;
    }
    clean_json(data);
    event.id = new_uuid_v7();
    event.type = std::string(type);
    event.ts = now_rfc3339();
    event.session_id = id_;
    event.turn_id = turn_id;
    event.data = std::move(data);
    publish(event);
}

void Session::publish(const Event& event) {
    std::vector<std::shared_ptr<EventCallback>> live;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto keep = subscribers_.begin();
        for (auto& weak : subscribers_) {
            if (auto s = weak.lock()) {
                live.push_back(std::move(s));
                *keep++ = weak;
            }
        }
        subscribers_.erase(keep, subscribers_.end());
    }
    for (const auto& cb : live) (*cb)(event);
}

std::vector<Event> Session::events(std::uint64_t after) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::upper_bound(events_.begin(), events_.end(), after,
                               [](std::uint64_t seq, const Event& e) { return seq < e.sequence; });
    return std::vector<Event>(it, events_.end());
}

std::uint64_t Session::last_sequence() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sequence_;
}

json::array Session::messages_json() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
}

json::array Session::recent_messages(std::size_t max, std::size_t& total, std::size_t& bytes) const {
    std::lock_guard<std::mutex> lock(mu_);
    total = messages_.size();
    bytes = messages_text_.size() + 1;
    std::size_t from = messages_.size();
    while (from > 0 && messages_.size() - from < max) {
        --from;
        const json::object& m = messages_[from].as_object();
        if (m.at("role") == "user") break;
    }
    return json::array(messages_.begin() + static_cast<std::ptrdiff_t>(from), messages_.end());
}

void Session::append_messages_text(std::string& out) const {
    std::lock_guard<std::mutex> lock(mu_);
    out += messages_text_;
    out += ']';
}

std::shared_ptr<void> Session::subscribe(EventCallback callback) {
    auto holder = std::make_shared<EventCallback>(std::move(callback));
    std::lock_guard<std::mutex> lock(mu_);
    subscribers_.push_back(holder);
    return holder;
}

bool Session::begin_turn() {
    std::lock_guard<std::mutex> lock(mu_);
    if (turn_running_) return false;
    turn_running_ = true;
    cancelled_ = false;
    return true;
}

void Session::set_current_turn_id(std::string turn_id) {
    std::lock_guard<std::mutex> lock(mu_);
    current_turn_id_ = std::move(turn_id);
}

std::string Session::current_turn_id() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_turn_id_;
}

void Session::end_turn() {
    std::lock_guard<std::mutex> lock(mu_);
    turn_running_ = false;
    current_turn_id_.clear();
    cancelled_ = false;
}

bool Session::turn_running() const {
    std::lock_guard<std::mutex> lock(mu_);
    return turn_running_;
}

void Session::interrupt() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!turn_running_) return;
        cancelled_ = true;
    }
    std::lock_guard<std::mutex> lock(sleep_mu_);
    sleep_cv_.notify_all();
}

bool Session::sleep_unless_interrupted(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(sleep_mu_);
    return !sleep_cv_.wait_for(lock, d, [&] { return cancelled_.load(); });
}

void Session::queue_steer(std::string text) {
    std::lock_guard<std::mutex> lock(mu_);
    steers_.push_back(std::move(text));
}

std::vector<std::string> Session::take_steers() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out(std::make_move_iterator(steers_.begin()), std::make_move_iterator(steers_.end()));
    steers_.clear();
    return out;
}

std::optional<std::string> Session::kv_get(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = kv_.find(key);
    if (it == kv_.end()) return std::nullopt;
    return it->second;
}

void Session::kv_set(const std::string& key, std::string value) {
    std::lock_guard<std::mutex> lock(mu_);
    kv_[key] = std::move(value);
}

bool Session::kv_erase(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return kv_.erase(key) > 0;
}

std::vector<std::string> Session::kv_keys() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> keys;
    for (const auto& kv : kv_) keys.push_back(kv.first);
    return keys;
}

void Session::set_secret(const std::string& name, std::string value) {
    Redactor::global().add(value);
    std::lock_guard<std::mutex> lock(mu_);
    secrets_[name] = std::move(value);
}

std::optional<std::string> Session::secret(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = secrets_.find(name);
    if (it == secrets_.end()) return std::nullopt;
    return it->second;
}

Usage Session::usage() const {
    std::lock_guard<std::mutex> lock(mu_);
    return usage_;
}

Usage Session::side_usage(const std::string& turn_id) const {
    std::lock_guard<std::mutex> lock(mu_);
    Usage out;
    for (auto e = events_.rbegin(); e != events_.rend() && e->turn_id == turn_id; ++e) {
        if (e->type == event_type::kLlmGeneration) out += Usage::of_event(*e);
    }
    return out;
}

}  // namespace agenthost
