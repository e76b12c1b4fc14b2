#include "server/session_index.hpp"

#include "storage/store_common.hpp"

#include <agenthost/storage.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

namespace agenthost::server {

namespace fs = std::filesystem;

namespace {

std::string str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool is_terminal(std::string_view type) {
    return type == event_type::kTurnCompleted || type == event_type::kTurnFailed || type == event_type::kTurnCancelled;
}

/// Session ids of the *.jsonl files in `dir`.
std::vector<std::string> logs_in(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        if (p.extension() != ".jsonl" || !it->is_regular_file(ec)) continue;
        std::string id = p.stem().string();
        if (storage_detail::is_valid_session_id(id)) out.push_back(std::move(id));
    }
    return out;
}

}  // namespace

json::object SessionRecord::metadata() const {
    json::object m{{"work_dir", work_dir}, {"approval", approval}, {"title", title}, {"tags", tags}};
    if (!harness.empty()) m["harness"] = harness;
    if (!model.empty()) m["model"] = model;
    if (!sandbox.empty()) m["sandbox"] = sandbox;
    if (!driver_configs.empty()) m["driver_config"] = driver_configs;
    if (!idempotency_key.empty()) m["idempotency_key"] = idempotency_key;
    return m;
}

json::object SessionRecord::to_json() const {
    json::object o = metadata();
    o["id"] = id;
    o["status"] = status;
    o["effective_harness"] = effective_harness;
    o["effective_model"] = effective_model;
    o["agent"] = agent;
    o["created_at"] = created_at;
    o["last_sequence"] = last_sequence;
    o["usage"] = usage.to_json();
    o["log_size"] = log_size;
    return o;
}

SessionRecord SessionRecord::from_json(const json::object& o) {
    SessionRecord r;
    r.id = str(o, "id");
    if (!storage_detail::is_valid_session_id(r.id)) throw std::runtime_error("no valid id");
    r.status = str(o, "status");
    r.harness = str(o, "harness");
    r.model = str(o, "model");
    r.effective_harness = str(o, "effective_harness");
    r.effective_model = str(o, "effective_model");
    r.agent = str(o, "agent");
    r.work_dir = str(o, "work_dir");
    r.approval = str(o, "approval");
    r.sandbox = str(o, "sandbox");
    r.title = str(o, "title");
    if (const json::value* t = o.if_contains("tags"); t && t->is_array()) r.tags = t->get_array();
    if (const json::value* d = o.if_contains("driver_config"); d && d->is_object()) r.driver_configs = d->get_object();
    r.idempotency_key = str(o, "idempotency_key");
    r.created_at = str(o, "created_at");
    r.last_sequence = o.at("last_sequence").to_number<std::uint64_t>();
    if (const json::value* u = o.if_contains("usage")) r.usage = Usage::from_json(*u);
    r.log_size = o.at("log_size").to_number<std::uint64_t>();
    return r;
}

SessionRecord SessionRecord::from_events(const std::string& id, const std::vector<Event>& events) {
    SessionRecord r;
    r.id = id;
    for (const Event& e : events) {
        r.usage += Usage::of_event(e);
        if (e.type == event_type::kSessionCreated) {
            r.created_at = e.ts;
            r.effective_harness = str(e.data, "harness");
            r.effective_model = str(e.data, "model");
            r.agent = str(e.data, "agent");
            if (const json::value* m = e.data.if_contains("metadata"); m && m->is_object()) {
                const json::object& md = m->get_object();
                r.work_dir = str(md, "work_dir");
                r.approval = str(md, "approval");
                r.sandbox = str(md, "sandbox");
                r.title = str(md, "title");
                r.harness = str(md, "harness");
                r.model = str(md, "model");
                r.idempotency_key = str(md, "idempotency_key");
                if (const json::value* t = md.if_contains("tags"); t && t->is_array()) r.tags = t->get_array();
                if (const json::value* d = md.if_contains("driver_config"); d && d->is_object()) r.driver_configs = d->get_object();
            }
        } else if (e.type == event_type::kInputMessage && r.title.empty()) {
            r.title = storage_detail::title_of_input(e.data);
        }
    }
    if (r.created_at.empty() && !events.empty()) r.created_at = events.front().ts;
    r.last_sequence = events.empty() ? 0 : events.back().sequence;
    auto last = std::find_if(events.rbegin(), events.rend(), [](const Event& e) { return !e.turn_id.empty(); });
    if (last != events.rend()) {
        if (!is_terminal(last->type)) r.interrupted = true;
        r.status = last->type == event_type::kTurnFailed || r.interrupted ? "failed" : "idle";
    }
    return r;
}

SessionIndex::SessionIndex(fs::path data_dir)
    : file_(data_dir / "index.jsonl"), sessions_dir_(data_dir / "sessions"), archive_dir_(data_dir / "archive") {}

std::uint64_t SessionIndex::log_size(const std::string& id, bool archived) const {
    std::error_code ec;
    auto size = fs::file_size((archived ? archive_dir_ : sessions_dir_) / (id + ".jsonl"), ec);
    return ec ? 0 : static_cast<std::uint64_t>(size);
}

std::vector<SessionRecord> SessionIndex::load(std::vector<std::string>& warnings) {
    std::map<std::string, SessionRecord> indexed;
    std::ifstream in(file_);
    std::string line;
    std::size_t number = 0;
    bool had_index = static_cast<bool>(in);
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        try {
            json::value v = json::parse(line);
            SessionRecord r = SessionRecord::from_json(v.as_object());
            indexed[r.id] = std::move(r);
        } catch (const std::exception& e) {
            warnings.push_back(file_.string() + ":" + std::to_string(number) + ": not an index record (" + e.what() +
                               "); the logs decide");
        }
    }
    if (!had_index) warnings.push_back("no index at " + file_.string() + ": rebuilding it from the session logs");
    std::vector<SessionRecord> out;
    for (bool archived : {false, true}) {
        auto store = make_jsonl_session_store((archived ? archive_dir_ : sessions_dir_).string());
        for (const std::string& id : logs_in(archived ? archive_dir_ : sessions_dir_)) {
            const std::uint64_t size = log_size(id, archived);
            auto it = indexed.find(id);
            bool fresh = it != indexed.end() && it->second.log_size == size &&
                         (archived || (it->second.status != "running" && it->second.status != "waiting_approval"));
            SessionRecord r;
            if (fresh) {
                r = std::move(it->second);
            } else {
                try {
                    r = SessionRecord::from_events(id, store->read(id));
                } catch (const std::exception& e) {
                    warnings.push_back("session " + id + " is not served: " + e.what());
                    continue;
                }
                r.log_size = size;
                if (had_index) {
                    warnings.push_back("session " + id + ": " +
                                       (it == indexed.end() ? "not in the index" : "the index was behind its log") +
                                       "; rebuilt from the log");
                }
            }
            if (archived) r.status = "deleted";
            indexed.erase(id);
            out.push_back(std::move(r));
        }
    }
    for (const auto& [id, r] : indexed) warnings.push_back("session " + id + " is in the index but has no log; dropped");
    rewrite(out);
    return out;
}

void SessionIndex::rewrite(const std::vector<SessionRecord>& records) {
    std::lock_guard<std::mutex> lock(mu_);
    fs::path tmp = file_;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
        for (const SessionRecord& r : records) out << json::serialize(r.to_json()) << '\n';
        if (!out) throw StorageError("cannot write " + tmp.string());
    }
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    fs::rename(tmp, file_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) throw StorageError("cannot open " + file_.string() + ": " + std::strerror(errno));
    lines_ = records.size();
}

void SessionIndex::write(const SessionRecord& record) {
    std::string line = json::serialize(record.to_json()) + "\n";
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0) return;
    // One write() per record; a torn last line is skipped on load and the logs decide.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return;
    ++lines_;
}

}  // namespace agenthost::server
