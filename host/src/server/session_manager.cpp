#include "server/session_manager.hpp"

#include "server/api_error.hpp"
#include "storage/store_common.hpp"
#include "workspace/work_dir_rules.hpp"

#include <agenthost/storage.hpp>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace agenthost::server {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// An approval a turn waits on.
struct SessionManager::Pending {
    json::object info;  ///< {approval_id, action, summary, details, plugin, sequence, requested_at}
    std::optional<ApprovalDecision> decision;
};

/// One session of the daemon.
struct SessionManager::Managed {
    std::mutex mu;  // everything below
    std::condition_variable cv;  // an approval was answered, or the turn is being cancelled
    SessionRecord rec;
    bool open = false;  // open in the runtime
    bool turn_running = false;
    bool interrupt_pending = false;  // interrupt the turn as soon as it has begun
    bool finishing = false;  // the running turn's terminal event is out; run_turn has not returned
    std::optional<std::pair<std::string, std::string>> next_turn;  // {text, turn id} posted meanwhile
    std::string turn_id;
    int pins = 0;             // subscribers and readers keeping it open
    std::shared_ptr<void> sub;  // the manager's own subscription while open
    std::map<std::string, Pending> approvals;  // waiting, by approval id (UUIDv7: in time order)
    std::map<const void*, std::function<void()>> on_gone;  // told when the session is deleted
    Clock::time_point last_used = Clock::now();
};

namespace {

ApprovalPolicy policy_of(const std::string& name) {
    if (name == "auto") return ApprovalPolicy::kAuto;
    if (name == "deny") return ApprovalPolicy::kDeny;
    return ApprovalPolicy::kAsk;
}

std::string str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

SessionManager::SessionManager(ManagerOptions options) : options_(std::move(options)) {
    std::error_code ec;
    fs::create_directories(options_.data_dir, ec);
    fs::permissions(options_.data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) throw StorageError("cannot make the data folder " + options_.data_dir.string() + ": " + ec.message());
    index_ = std::make_unique<SessionIndex>(options_.data_dir);
    RuntimeBuilder b;
    for (const fs::path& d : options_.plugin_dirs) b.plugin_dir(d);
    if (!options_.harness.empty() && options_.harness != "none") b.harness(options_.harness);
    if (options_.model) b.model(*options_.model);
    b.session_store(make_jsonl_session_store(index_->sessions_dir().string())).session_data_dir(index_->sessions_dir());
    b.approvals(ApprovalPolicy::kAsk, [this](const ApprovalRequest& r) { return ask(r); });
    b.worker_threads(options_.tool_threads).no_default_session();
    runtime_ = b.build();
    turns_ = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(std::max(1, options_.turn_threads)));

    for (SessionRecord& r : index_->load(warnings_)) {
        auto m = std::make_shared<Managed>();
        m->rec = std::move(r);
        if (!m->rec.idempotency_key.empty()) by_key_[m->rec.idempotency_key] = m->rec.id;
        sessions_[m->rec.id] = m;
    }
    // A session whose log ends inside a turn: opening it records the turn as interrupted.
    for (auto& [id, m] : sessions_) {
        if (!m->rec.interrupted || m->rec.status == "deleted") continue;
        std::lock_guard<std::mutex> lock(m->mu);
        try {
            open_locked(*m);
            close_locked(*m);
            m->rec.interrupted = false;
            m->rec.status = "failed";
            save_locked(*m);
        } catch (const std::exception& e) {
            warnings_.push_back("session " + id + " could not be recovered: " + e.what());
        }
    }
}

SessionManager::~SessionManager() {
    stopping_ = true;
    std::vector<std::shared_ptr<Managed>> all;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& [id, m] : sessions_) all.push_back(m);
    }
    for (auto& m : all) {
        bool running = false;
        {
            std::lock_guard<std::mutex> lock(m->mu);
            running = m->turn_running;
            m->interrupt_pending = running;
            m->cv.notify_all();
        }
        if (running) {
            try {
                runtime_->interrupt(m->rec.id);
            } catch (const std::exception&) {
            }
        }
    }
    turns_->join();
}

std::vector<std::string> SessionManager::take_warnings() {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::string& w : runtime_->take_warnings()) warnings_.push_back(std::move(w));
    return std::exchange(warnings_, {});
}

std::shared_ptr<SessionManager::Managed> SessionManager::find(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) throw ApiError(404, "session_not_found", "no session '" + id + "'");
    return it->second;
}

SessionOptions SessionManager::options_of(const SessionRecord& r, bool resume) const {
    SessionOptions so;
    so.id = r.id;
    so.resume = resume;
    if (!r.harness.empty()) so.harness = r.harness;
    if (!r.model.empty()) so.model = r.model;
    for (const auto& kv : r.driver_configs) so.driver_configs[std::string(kv.key())] = kv.value().as_object();
    if (!r.sandbox.empty()) so.capabilities.emplace_back("bash", json::object{{"sandbox", r.sandbox}});
    so.approval = policy_of(r.approval);
    if (!r.work_dir.empty()) so.workspace = fs::path(r.work_dir);
    if (!resume) so.metadata = r.metadata();
    return so;
}

void SessionManager::open_locked(Managed& m) {
    m.last_used = Clock::now();
    if (m.open) return;
    try {
        runtime_->open_session(options_of(m.rec, true));
    } catch (const ConfigError& e) {
        throw ApiError(409, "cannot_open", "session '" + m.rec.id + "' cannot be opened: " + e.what());
    } catch (const StorageError& e) {
        throw ApiError(500, "storage_error", "session '" + m.rec.id + "': " + e.what());
    }
    m.open = true;
    ++open_count_;
    std::vector<Event> tail = runtime_->events(m.rec.id, m.rec.last_sequence);
    for (const Event& e : tail) {
        if (e.type == event_type::kTurnFailed) m.rec.status = "failed";
    }
    if (!tail.empty()) m.rec.last_sequence = tail.back().sequence;
    m.rec.usage = runtime_->session_usage(m.rec.id);
    for (std::string& w : runtime_->take_warnings()) {
        spdlog::warn("{}", w);
        std::lock_guard<std::mutex> lock(mu_);
        warnings_.push_back(std::move(w));
    }
    Managed* raw = &m;  // lives as long as the manager; the subscription dies in close_locked
    m.sub = runtime_->subscribe(m.rec.id, [this, raw](const Event& e) { on_event(*raw, e); });
}

void SessionManager::close_locked(Managed& m) {
    if (!m.open) return;
    m.sub.reset();
    runtime_->close_session(m.rec.id);
    m.open = false;
    --open_count_;
}

void SessionManager::save_locked(Managed& m) {
    m.rec.log_size = index_->log_size(m.rec.id, m.rec.status == "deleted");
    index_->write(m.rec);
}

void SessionManager::on_event(Managed& m, const Event& e) {
    if (!is_stored_event(e.type)) return;
    ++events_written_;
    bool interrupt_now = false;
    {
        std::lock_guard<std::mutex> lock(m.mu);
        m.rec.last_sequence = e.sequence;
        m.rec.usage += Usage::of_event(e);
        if (e.type == event_type::kApprovalRequested) {
            json::object info = e.data;
            info["sequence"] = e.sequence;
            info["requested_at"] = e.ts;
            info["turn_id"] = e.turn_id;
            m.approvals[str(e.data, "approval_id")] = Pending{std::move(info), std::nullopt};
            if (m.rec.status != "deleted") m.rec.status = "waiting_approval";
        } else if (e.type == event_type::kApprovalDecided) {
            m.approvals.erase(str(e.data, "approval_id"));
            if (m.approvals.empty() && m.turn_running && m.rec.status == "waiting_approval") m.rec.status = "running";
        } else if (e.type == event_type::kTurnStarted) {
            interrupt_now = m.interrupt_pending;
        } else if ((e.type == event_type::kTurnCompleted || e.type == event_type::kTurnFailed ||
                    e.type == event_type::kTurnCancelled) &&
                   e.turn_id == m.turn_id) {
            // A client that saw this may post the next message at once: it is queued behind the
            // few instructions left of this turn, not refused.
            m.finishing = true;
            if (m.rec.status != "deleted") m.rec.status = e.type == event_type::kTurnFailed ? "failed" : "idle";
        } else if (e.type == event_type::kInputMessage && m.rec.title.empty()) {
            m.rec.title = storage_detail::title_of_input(e.data);
        }
    }
    if (interrupt_now) runtime_->interrupt(m.rec.id);  // asked before the turn had begun
}

ApprovalDecision SessionManager::ask(const ApprovalRequest& request) {
    std::shared_ptr<Managed> m;
    try {
        m = find(request.session_id);
    } catch (const ApiError&) {
        return ApprovalDecision::kDeny;
    }
    std::unique_lock<std::mutex> lock(m->mu);
    const auto deadline = options_.approval_timeout ? Clock::now() + *options_.approval_timeout : Clock::time_point::max();
    for (;;) {
        auto it = m->approvals.find(request.approval_id);
        if (it == m->approvals.end()) return ApprovalDecision::kDeny;
        if (it->second.decision) return *it->second.decision;
        if (m->interrupt_pending || stopping_) return ApprovalDecision::kDeny;
        if (!options_.approval_timeout) {
            m->cv.wait(lock);
        } else if (m->cv.wait_until(lock, deadline) == std::cv_status::timeout) {
            it = m->approvals.find(request.approval_id);
            if (it != m->approvals.end() && it->second.decision) return *it->second.decision;
            spdlog::info("session={} approval {} timed out: denied", request.session_id, request.approval_id);
            return ApprovalDecision::kDeny;
        }
    }
}

Created SessionManager::create(const CreateRequest& req) {
    std::lock_guard<std::mutex> creating(create_mu_);
    if (req.idempotency_key) {
        std::shared_ptr<Managed> found;
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = by_key_.find(*req.idempotency_key);
            if (it != by_key_.end()) found = sessions_.at(it->second);
        }
        if (found) {
            std::lock_guard<std::mutex> lock(found->mu);
            return Created{found->rec, true, found->turn_id};
        }
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        std::size_t live = 0;
        for (const auto& [id, m] : sessions_) {
            std::lock_guard<std::mutex> l(m->mu);
            if (m->rec.status != "deleted") ++live;
        }
        if (live >= options_.max_sessions) {
            throw ApiError(503, "too_many_sessions",
                           "the daemon holds its maximum of " + std::to_string(options_.max_sessions) +
                               " sessions; delete one or try later");
        }
    }
    if (auto broken = validate_work_dir(req.work_dir, options_.home)) throw ApiError(400, "invalid_work_dir", *broken);
    SessionRecord r;
    r.id = new_uuid_v7();
    r.harness = req.harness.value_or("");
    r.model = req.model.value_or("");
    r.work_dir = req.work_dir;
    r.approval = req.approval.value_or("ask");
    r.sandbox = req.sandbox.value_or("");
    r.title = req.title.value_or("");
    r.tags = req.tags;
    r.driver_configs = req.driver_config;
    r.idempotency_key = req.idempotency_key.value_or("");
    try {
        runtime_->open_session(options_of(r, false));
    } catch (const ConfigError& e) {
        throw ApiError(400, "invalid_config", e.what());
    } catch (const StorageError& e) {
        throw ApiError(500, "storage_error", e.what());
    }
    auto m = std::make_shared<Managed>();
    const Event created = runtime_->events(r.id, 0).front();
    r.created_at = created.ts;
    r.effective_harness = str(created.data, "harness");
    r.effective_model = str(created.data, "model");
    r.agent = str(created.data, "agent");
    r.last_sequence = created.sequence;
    ++events_written_;  // session.created, stored before the manager subscribed
    m->rec = std::move(r);
    m->open = true;
    ++open_count_;
    Managed* raw = m.get();
    m->sub = runtime_->subscribe(m->rec.id, [this, raw](const Event& e) { on_event(*raw, e); });
    {
        std::lock_guard<std::mutex> lock(mu_);
        sessions_[m->rec.id] = m;
        if (!m->rec.idempotency_key.empty()) by_key_[m->rec.idempotency_key] = m->rec.id;
    }
    Created out;
    {
        std::lock_guard<std::mutex> lock(m->mu);
        if (req.prompt) {
            out.turn_id = start_turn_locked(m, *req.prompt);
        } else {
            save_locked(*m);
        }
        out.record = m->rec;
    }
    evict_idle();
    return out;
}

std::vector<SessionRecord> SessionManager::list(const std::string& status, const std::string& tag) const {
    std::vector<SessionRecord> out;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = sessions_.rbegin(); it != sessions_.rend(); ++it) {  // UUIDv7 ids: newest last
        std::lock_guard<std::mutex> l(it->second->mu);
        const SessionRecord& r = it->second->rec;
        if (!status.empty() && r.status != status) continue;
        if (!tag.empty() && std::find(r.tags.begin(), r.tags.end(), json::value(tag)) == r.tags.end()) continue;
        out.push_back(r);
    }
    return out;
}

json::object SessionManager::describe(const std::string& id) const {
    auto m = find(id);
    std::lock_guard<std::mutex> lock(m->mu);
    const SessionRecord& r = m->rec;
    json::array pending;
    for (const auto& [aid, p] : m->approvals) {
        if (!p.decision) pending.push_back(p.info);
    }
    json::object o{{"session_id", r.id},
                   {"status", r.status},
                   {"harness", r.effective_harness},
                   {"model", r.effective_model},
                   {"agent", r.agent},
                   {"work_dir", r.work_dir},
                   {"title", r.title},
                   {"tags", r.tags},
                   {"created_at", r.created_at},
                   {"last_sequence", r.last_sequence},
                   {"usage", r.usage.to_json()},
                   {"pending_approvals", std::move(pending)},
                   {"approval", r.approval},
                   {"sandbox", r.sandbox.empty() ? json::value(nullptr) : json::value(r.sandbox)},
                   {"turn_id", m->turn_running ? json::value(m->turn_id) : json::value(nullptr)}};
    return o;
}

std::string SessionManager::start_turn_locked(const std::shared_ptr<Managed>& m, const std::string& text,
                                              std::string turn_id) {
    open_locked(*m);
    if (turn_id.empty()) turn_id = new_uuid_v7();
    if (m->turn_running) {  // finishing: run_turn starts it when the previous one has returned
        m->next_turn.emplace(text, turn_id);
        return turn_id;
    }
    m->turn_running = true;
    m->finishing = false;
    m->interrupt_pending = false;
    m->turn_id = turn_id;
    m->rec.status = "running";
    ++running_;
    save_locked(*m);
    boost::asio::post(*turns_, [this, m, text, turn_id] { run_turn(m, text, turn_id); });
    return turn_id;
}

std::string SessionManager::post_message(const std::string& id, const std::string& text) {
    auto m = find(id);
    std::lock_guard<std::mutex> lock(m->mu);
    if (m->rec.status == "deleted") throw ApiError(409, "session_deleted", "session '" + id + "' was deleted");
    if (m->turn_running && (!m->finishing || m->next_turn)) {
        throw ApiError(409, "turn_running",
                       "session '" + id + "' is running turn " + m->turn_id + "; steer or interrupt it, or wait");
    }
    return start_turn_locked(m, text);
}

void SessionManager::run_turn(std::shared_ptr<Managed> m, std::string text, std::string turn_id) {
    ++busy_turns_;
    bool ok = false;
    try {
        TurnResult r = runtime_->run_turn(m->rec.id, text, turn_id);
        ok = r.success || r.cancelled;
    } catch (const std::exception& e) {
        spdlog::error("session={} turn {} stopped: {}", m->rec.id, turn_id, e.what());
    }
    --busy_turns_;
    {
        std::lock_guard<std::mutex> lock(m->mu);
        m->turn_running = false;
        m->finishing = false;
        m->interrupt_pending = false;
        m->turn_id.clear();
        m->approvals.clear();
        --running_;
        m->last_used = Clock::now();
        if (m->rec.status == "deleted") {
            m->next_turn.reset();
            finish_delete_locked(*m);
        } else {
            m->rec.status = ok ? "idle" : "failed";
            if (m->next_turn) {
                auto [next_text, next_id] = std::move(*m->next_turn);
                m->next_turn.reset();
                start_turn_locked(m, next_text, next_id);
                return;
            }
            save_locked(*m);
        }
    }
    evict_idle();
}

void SessionManager::interrupt(const std::string& id) {
    auto m = find(id);
    {
        std::lock_guard<std::mutex> lock(m->mu);
        if (!m->turn_running) return;
        m->interrupt_pending = true;
        m->cv.notify_all();
    }
    runtime_->interrupt(id);
}

void SessionManager::steer(const std::string& id, const std::string& text) {
    auto m = find(id);
    {
        std::lock_guard<std::mutex> lock(m->mu);
        if (m->rec.status == "deleted") throw ApiError(409, "session_deleted", "session '" + id + "' was deleted");
        open_locked(*m);
        ++m->pins;
    }
    struct Unpin {
        Managed& m;
        ~Unpin() {
            std::lock_guard<std::mutex> lock(m.mu);
            --m.pins;
        }
    } unpin{*m};
    runtime_->steer(id, text);
}

json::array SessionManager::approvals(const std::string& id) const {
    auto m = find(id);
    std::lock_guard<std::mutex> lock(m->mu);
    json::array out;
    for (const auto& [aid, p] : m->approvals) {
        if (!p.decision) out.push_back(p.info);
    }
    return out;
}

void SessionManager::decide(const std::string& id, const std::string& approval_id, const std::string& decision) {
    ApprovalDecision d;
    if (decision == "approve") d = ApprovalDecision::kApprove;
    else if (decision == "deny") d = ApprovalDecision::kDeny;
    else if (decision == "approve_always") d = ApprovalDecision::kApproveAlways;
    else throw ApiError(400, "invalid_request", "field 'decision' must be \"approve\", \"deny\" or \"approve_always\"");
    auto m = find(id);
    std::lock_guard<std::mutex> lock(m->mu);
    auto it = m->approvals.find(approval_id);
    if (it == m->approvals.end()) {
        throw ApiError(404, "approval_not_found", "session '" + id + "' has no approval '" + approval_id + "' waiting");
    }
    if (it->second.decision) throw ApiError(409, "already_decided", "approval '" + approval_id + "' was already answered");
    it->second.decision = d;
    m->cv.notify_all();
}

void SessionManager::remove(const std::string& id) {
    auto m = find(id);
    bool running = false;
    {
        std::lock_guard<std::mutex> lock(m->mu);
        if (m->rec.status == "deleted") return;
        m->rec.status = "deleted";
        if (m->turn_running) {
            running = true;
            m->interrupt_pending = true;
            m->cv.notify_all();
            save_locked(*m);
        } else {
            finish_delete_locked(*m);
        }
    }
    if (running) runtime_->interrupt(id);
}

void SessionManager::finish_delete_locked(Managed& m) {
    close_locked(m);
    std::error_code ec;
    fs::create_directories(index_->archive_dir(), ec);
    fs::permissions(index_->archive_dir(), fs::perms::owner_all, fs::perm_options::replace, ec);
    const std::string file = m.rec.id + ".jsonl";
    fs::rename(index_->sessions_dir() / file, index_->archive_dir() / file, ec);
    if (ec) spdlog::error("session={} cannot archive its log: {}", m.rec.id, ec.message());
    if (fs::exists(index_->sessions_dir() / m.rec.id, ec)) {
        fs::rename(index_->sessions_dir() / m.rec.id, index_->archive_dir() / m.rec.id, ec);
    }
    save_locked(m);
    for (auto& [key, gone] : m.on_gone) gone();
    m.on_gone.clear();
}

std::vector<Event> SessionManager::events(const std::string& id, std::uint64_t after, std::size_t limit) {
    auto m = find(id);
    std::vector<Event> out;
    bool deleted = false;
    {
        std::lock_guard<std::mutex> lock(m->mu);
        deleted = m->rec.status == "deleted" && !m->turn_running;
        if (!deleted) {
            open_locked(*m);
            ++m->pins;
        }
    }
    if (deleted) {
        try {
            out = make_jsonl_session_store(index_->archive_dir().string())->read(id);
        } catch (const StorageError& e) {
            throw ApiError(500, "storage_error", e.what());
        }
        out.erase(out.begin(), std::upper_bound(out.begin(), out.end(), after,
                                                [](std::uint64_t s, const Event& e) { return s < e.sequence; }));
    } else {
        try {
            out = runtime_->events(id, after);
        } catch (...) {
            std::lock_guard<std::mutex> lock(m->mu);
            --m->pins;
            throw;
        }
        std::lock_guard<std::mutex> lock(m->mu);
        --m->pins;
    }
    if (limit > 0 && out.size() > limit) out.resize(limit);
    if (!deleted) evict_idle();
    return out;
}

std::shared_ptr<void> SessionManager::subscribe(const std::string& id, EventCallback callback,
                                                std::function<void()> on_gone) {
    auto m = find(id);
    auto token = std::make_shared<char>();
    {
        std::lock_guard<std::mutex> lock(m->mu);
        if (m->rec.status == "deleted") throw ApiError(409, "session_deleted", "session '" + id + "' was deleted");
        open_locked(*m);
        ++m->pins;
        if (on_gone) m->on_gone[token.get()] = std::move(on_gone);
    }
    ++subscribers_;
    std::shared_ptr<void> handle = runtime_->subscribe(id, std::move(callback));
    struct Holder {
        Holder(std::shared_ptr<void> h, std::shared_ptr<Managed> mm, std::shared_ptr<char> t, std::atomic<std::size_t>& c)
            : handle(std::move(h)), m(std::move(mm)), token(std::move(t)), count(c) {}
        Holder(const Holder&) = delete;
        Holder& operator=(const Holder&) = delete;
        std::shared_ptr<void> handle;
        std::shared_ptr<Managed> m;
        std::shared_ptr<char> token;
        std::atomic<std::size_t>& count;
        ~Holder() {
            handle.reset();
            std::lock_guard<std::mutex> lock(m->mu);
            --m->pins;
            m->on_gone.erase(token.get());
            m->last_used = Clock::now();
            --count;
        }
    };
    return std::make_shared<Holder>(std::move(handle), m, token, subscribers_);
}

void SessionManager::evict_idle() {
    if (open_count_ <= options_.max_open_sessions) return;
    std::vector<std::pair<Clock::time_point, std::shared_ptr<Managed>>> open;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& [id, m] : sessions_) {
            std::lock_guard<std::mutex> l(m->mu);
            if (m->open && !m->turn_running && m->pins == 0) open.emplace_back(m->last_used, m);
        }
    }
    std::sort(open.begin(), open.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [used, m] : open) {
        if (open_count_ <= options_.max_open_sessions) break;
        std::lock_guard<std::mutex> lock(m->mu);
        if (m->open && !m->turn_running && m->pins == 0) close_locked(*m);
    }
}

ManagerStats SessionManager::stats() const {
    ManagerStats s;
    for (const char* st : {"idle", "running", "waiting_approval", "failed", "deleted"}) s.by_status[st] = 0;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, m] : sessions_) {
        std::lock_guard<std::mutex> l(m->mu);
        ++s.by_status[m->rec.status];
        for (const auto& [aid, p] : m->approvals) s.pending_approvals += p.decision ? 0 : 1;
    }
    s.running_turns = running_;
    s.open_sessions = open_count_;
    s.subscribers = subscribers_;
    s.events_written = events_written_;
    return s;
}

}  // namespace agenthost::server
