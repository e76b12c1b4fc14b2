// Sessions kept in memory: the JSONL store's semantics without files (embedding, tests).
#include <agenthost/storage.hpp>

#include "storage/store_common.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

namespace agenthost {
namespace {

using storage_detail::check_appendable;
using storage_detail::validate_session_id;

/// One session's events and bookkeeping.
struct MemorySession {
    std::vector<Event> events;
    bool open = false;             ///< a SessionLog for it is alive
    std::uint64_t touched = 0;     ///< store-wide counter at the last create or append
    std::string created_at;        ///< creation time, used when there are no events yet
    std::string updated_at;
};

/// Shared by the store and its logs, so a log may outlive the store.
struct MemoryState {
    std::mutex mutex;
    std::map<std::string, MemorySession, std::less<>> sessions;
    std::uint64_t clock = 0;
};

class MemorySessionLog final : public SessionLog {
public:
    MemorySessionLog(std::shared_ptr<MemoryState> state, std::string id)
        : state_(std::move(state)), id_(std::move(id)) {}

    ~MemorySessionLog() override {
        std::lock_guard lock(state_->mutex);
        state_->sessions[id_].open = false;
    }

    void append(const Event& event) override {
        std::lock_guard lock(state_->mutex);
        auto& session = state_->sessions[id_];
        check_appendable(event, id_, session.events.empty() ? 0 : session.events.back().sequence);
        session.updated_at = event.ts;
        session.touched = ++state_->clock;
        session.events.push_back(event);
    }

private:
    std::shared_ptr<MemoryState> state_;
    std::string id_;
};

class MemorySessionStore final : public SessionStore {
public:
    OpenedSession open(const std::string& session_id, bool create) override {
        validate_session_id(session_id);
        std::lock_guard lock(state_->mutex);
        auto it = state_->sessions.find(session_id);
        if (it == state_->sessions.end()) {
            if (!create) throw StorageError("session " + session_id + " not found");
            MemorySession fresh;
            fresh.created_at = now_rfc3339();
            fresh.updated_at = fresh.created_at;
            fresh.touched = ++state_->clock;
            it = state_->sessions.emplace(session_id, std::move(fresh)).first;
        }
        if (it->second.open) {
            throw StorageError("session " + session_id + " is in use (already open in this store)");
        }
        OpenedSession opened;
        opened.events = it->second.events;
        opened.log = std::make_unique<MemorySessionLog>(state_, session_id);
        it->second.open = true;
        return opened;
    }

    std::vector<Event> read(const std::string& session_id) override {
        validate_session_id(session_id);
        std::lock_guard lock(state_->mutex);
        auto it = state_->sessions.find(session_id);
        if (it == state_->sessions.end()) throw StorageError("session " + session_id + " not found");
        return it->second.events;
    }

    bool exists(const std::string& session_id) override {
        validate_session_id(session_id);
        std::lock_guard lock(state_->mutex);
        return state_->sessions.contains(session_id);
    }

    std::vector<SessionSummary> list() override {
        std::vector<std::pair<std::uint64_t, SessionSummary>> found;
        {
            std::lock_guard lock(state_->mutex);
            for (const auto& [id, session] : state_->sessions) {
                SessionSummary summary;
                summary.id = id;
                summary.created = session.events.empty() ? session.created_at : session.events.front().ts;
                summary.updated = session.updated_at;
                for (const Event& e : session.events) summary.size_bytes += to_json_line(e).size() + 1;  // as JSONL
                for (const auto& event : session.events) {
                    if (event.type == event_type::kInputMessage) {
                        summary.title = storage_detail::title_of_input(event.data);
                        break;
                    }
                }
                found.emplace_back(session.touched, std::move(summary));
            }
        }
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<SessionSummary> out;
        out.reserve(found.size());
        for (auto& entry : found) out.push_back(std::move(entry.second));
        return out;
    }

private:
    std::shared_ptr<MemoryState> state_ = std::make_shared<MemoryState>();
};

}  // namespace

std::shared_ptr<SessionStore> make_memory_session_store() {
    return std::make_shared<MemorySessionStore>();
}

}  // namespace agenthost
