#include <agenthost/runtime.hpp>

#include "core/agent_loop.hpp"
#include "core/config.hpp"
#include "core/session.hpp"
#include "plugins/loader.hpp"
#include "services/file_store_decorators.hpp"
#include "services/session_services.hpp"

#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

namespace agenthost {

namespace fs = std::filesystem;

struct RuntimeBuilder::Impl {
    std::vector<fs::path> plugin_dirs;
    bool default_plugin_dirs = true;
    std::vector<fs::path> harness_dirs;
    std::optional<std::string> harness;
    std::optional<AgentConfig> agent;
    std::optional<std::string> model;
    std::map<std::string, json::object> driver_configs;
    std::vector<std::pair<std::string, json::object>> capabilities;
    SessionOptions session;
    std::shared_ptr<SessionStore> store;
    FileSystemFactory fs_factory;
    std::optional<fs::path> workspace;
    std::optional<fs::path> data_dir;
    ConnectionResolver resolver;
    ApprovalPolicy policy = ApprovalPolicy::kDeny;
    ApprovalHandler handler;
    std::optional<int> max_iterations;
    RetryPolicy retry;
    int workers = 0;
    bool default_session = true;

    /// Fold harness, agent, model, capabilities and policies into a configuration, loading the
    /// plugins it needs from `catalog`. Throws ConfigError.
    RuntimeConfig fold(PluginCatalog& catalog) const;
};

namespace {

/// One open session and what serves it.
struct SessionSlot {
    std::shared_ptr<const RuntimeConfig> config;  // the services refer to it: declared first
    std::unique_ptr<Session> session;
    std::unique_ptr<ApprovalGate> gate;  // refers to *session
    NetworkAccessList network;
    std::unique_ptr<ServiceRouter> services;  // refers to *session: declared after it
};

std::shared_ptr<PluginInstance> instantiate(PluginCatalog& catalog, const std::string& id, const json::object& config,
                                            const std::string& kind, const std::string& why) {
    try {
        auto lib = catalog.load(id);
        if (library_manifest(*lib).kind != kind) {
            throw ConfigError(why + ": plugin '" + id + "' is a " + library_manifest(*lib).kind + ", not a " + kind);
        }
        return PluginInstance::create(lib, config, nullptr);
    } catch (const PluginError& e) {
        throw ConfigError(why + ": " + e.what());
    }
}

}  // namespace

struct Runtime::Impl {
    std::shared_ptr<const RuntimeConfig> config;  // the runtime's own; sessions may have others
    std::unique_ptr<RuntimeBuilder::Impl> settings;  // what `config` was folded from
    std::unique_ptr<PluginCatalog> catalog;          // loaded libraries, shared by every config
    std::mutex fold_mu;                              // catalog and configs
    std::map<std::string, std::weak_ptr<const RuntimeConfig>> configs;  // per-session ones, by key
    std::shared_ptr<SessionStore> store;
    FileSystemFactory fs_factory;
    std::optional<fs::path> data_dir;  // sessions' data folders; none: in memory
    std::unique_ptr<boost::asio::thread_pool> workers;
    mutable std::mutex mu;
    std::map<std::string, std::shared_ptr<SessionSlot>, std::less<>> sessions;
    std::string default_id;
    std::vector<std::string> warnings;

    /// The configuration a session runs with: the runtime's, or one folded for the session's
    /// own harness, model, driver configs and capabilities (shared by sessions that ask alike).
    std::shared_ptr<const RuntimeConfig> config_for(const SessionOptions& o) {
        if (!o.harness && !o.model && o.driver_configs.empty() && o.capabilities.empty()) return config;
        RuntimeBuilder::Impl s = *settings;
        if (o.harness) s.harness = o.harness->empty() || *o.harness == "none" ? std::nullopt : o.harness;
        if (o.model) s.model = *o.model;
        json::object drivers;
        json::array caps;
        for (const auto& [id, c] : o.driver_configs) s.driver_configs[id] = c, drivers[id] = c;
        for (const auto& c : o.capabilities) s.capabilities.push_back(c), caps.push_back(json::array{json::string(c.first), c.second});
        std::string key = json::serialize(
            json::array{json::string(s.harness.value_or("")), json::string(s.model.value_or("")), drivers, caps});
        std::lock_guard<std::mutex> lock(fold_mu);
        if (auto it = configs.find(key); it != configs.end()) {
            if (auto alive = it->second.lock()) return alive;
        }
        for (auto it = configs.begin(); it != configs.end();) it = it->second.expired() ? configs.erase(it) : std::next(it);
        auto folded = std::make_shared<const RuntimeConfig>(s.fold(*catalog));
        configs[key] = folded;
        return folded;
    }

    /// The store of a session's data folder: <data_dir>/<id>/ (made 0700), or memory.
    std::shared_ptr<FileStore> data_store(const std::string& id) const {
        if (!data_dir) return make_memory_file_store();
        fs::path dir = *data_dir / id;
        std::error_code ec;
        fs::create_directories(dir, ec);
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
        if (ec) throw StorageError("cannot make the session data folder " + dir.string() + ": " + ec.message());
        return make_real_disk_file_store(dir);
    }

    std::shared_ptr<SessionSlot> slot(const std::string& id) const {
        std::lock_guard<std::mutex> lock(mu);
        auto it = sessions.find(id);
        if (it == sessions.end()) throw UsageError("no open session '" + id + "'");
        return it->second;
    }

    std::string open(const SessionOptions& options) {
        std::string id = options.id.empty() ? new_uuid_v7() : options.id;
        {
            std::lock_guard<std::mutex> lock(mu);
            if (sessions.count(id)) throw UsageError("session '" + id + "' is already open");
        }
        if (options.resume && !store->exists(id)) throw UsageError("no session '" + id + "' to resume");
        if (!options.resume && store->exists(id)) {
            throw UsageError("session '" + id + "' already exists; resume it instead of creating it");
        }
        std::shared_ptr<const RuntimeConfig> cfg = config_for(options);
        if (options.workspace) {
            std::error_code ec;
            if (!fs::is_directory(*options.workspace, ec)) {
                throw ConfigError("workspace '" + options.workspace->string() + "' is not a folder");
            }
        }
        OpenedSession opened = store->open(id, !options.resume);
        auto slot = std::make_shared<SessionSlot>();
        slot->config = cfg;
        // ApprovalGating(WriteBlocklist(store)). Only a store on the host's disk asks before
        // writes: an in-memory workspace changes nothing outside the process. The gate is made
        // after the Session below (it refers to it); the approver reaches it through the slot.
        std::shared_ptr<FileStore> files = make_write_blocklist_store(options.workspace ? make_real_disk_file_store(*options.workspace)
                                                                      : fs_factory      ? fs_factory(id)
                                                                                        : make_memory_file_store());
        if (!files->root().empty()) {
            SessionSlot* gated = slot.get();
            files = make_approval_gating_store(std::move(files), [gated](ApprovalRequest r, const std::string& plugin) {
                return gated->gate->decide(std::move(r), plugin);
            });
        }
        bool fresh = opened.events.empty();
        slot->session = std::make_unique<Session>(id, std::move(opened.log), std::move(opened.events), files);
        slot->session->set_data_files(data_store(id));
        slot->network = cfg->network_access.narrowed_by(
            NetworkAccessList::from_json(options.network_access, "session '" + id + "' network_access"));
        slot->gate = std::make_unique<ApprovalGate>(options.approval.value_or(cfg->approval_policy), cfg->approval_handler,
                                                    *slot->session);
        slot->services = make_session_services(*cfg, *slot->session, *slot->gate, slot->network);
        for (const auto& list : {cfg->harness.initial_files, options.initial_files}) {
            for (const InitialFileSpec& f : list) {
                if (fresh || f.read_only || !files->stat(f.path).exists) files->seed(f);
            }
        }
        std::optional<std::string> interrupted;
        if (fresh) {
            json::array caps;
            for (const auto& c : cfg->capabilities) caps.push_back(json::string(c->id()));
            json::array chain;
            for (const auto& n : cfg->harness.chain) chain.push_back(json::string(n));
            json::object created{{"harness", cfg->harness.name},
                                 {"harness_chain", std::move(chain)},
                                 {"agent", cfg->agent_name},
                                 {"model", cfg->model},
                                 {"capabilities", std::move(caps)},
                                 {"network_access", slot->network.to_json()}};
            if (!options.metadata.empty()) created["metadata"] = options.metadata;
            slot->session->emit(event_type::kSessionCreated, std::move(created), "");
        } else {
            interrupted = recover_interrupted_turn(*slot->session);
        }
        std::lock_guard<std::mutex> lock(mu);
        if (interrupted) {
            warnings.push_back("session " + id + ": turn " + *interrupted +
                               " did not finish (the process stopped mid-turn); recorded it as failed (interrupted)");
        }
        for (auto& w : opened.warnings) warnings.push_back(std::move(w));
        sessions.emplace(id, std::move(slot));
        return id;
    }
};

RuntimeBuilder::RuntimeBuilder() : impl_(std::make_unique<Impl>()) {}
RuntimeBuilder::~RuntimeBuilder() = default;
RuntimeBuilder::RuntimeBuilder(RuntimeBuilder&&) noexcept = default;
RuntimeBuilder& RuntimeBuilder::operator=(RuntimeBuilder&&) noexcept = default;

RuntimeBuilder& RuntimeBuilder::plugin_dir(fs::path dir) { return impl_->plugin_dirs.push_back(std::move(dir)), *this; }
RuntimeBuilder& RuntimeBuilder::no_default_plugin_dirs() { return impl_->default_plugin_dirs = false, *this; }
RuntimeBuilder& RuntimeBuilder::harness_dir(fs::path dir) { return impl_->harness_dirs.push_back(std::move(dir)), *this; }
RuntimeBuilder& RuntimeBuilder::harness(std::string name) { return impl_->harness = std::move(name), *this; }
RuntimeBuilder& RuntimeBuilder::agent(AgentConfig agent) { return impl_->agent = std::move(agent), *this; }
RuntimeBuilder& RuntimeBuilder::model(std::string model) { return impl_->model = std::move(model), *this; }
RuntimeBuilder& RuntimeBuilder::driver_config(std::string id, json::object config) {
    return impl_->driver_configs[std::move(id)] = std::move(config), *this;
}
RuntimeBuilder& RuntimeBuilder::capability(std::string id, json::object config) {
    return impl_->capabilities.emplace_back(std::move(id), std::move(config)), *this;
}
RuntimeBuilder& RuntimeBuilder::session_id(std::string id) { return impl_->session.id = std::move(id), *this; }
RuntimeBuilder& RuntimeBuilder::resume(bool resume) { return impl_->session.resume = resume, *this; }
RuntimeBuilder& RuntimeBuilder::no_default_session() { return impl_->default_session = false, *this; }
RuntimeBuilder& RuntimeBuilder::session_network_access(json::object access) {
    return impl_->session.network_access = std::move(access), *this;
}
RuntimeBuilder& RuntimeBuilder::initial_file(InitialFileSpec file) {
    return impl_->session.initial_files.push_back(std::move(file)), *this;
}
RuntimeBuilder& RuntimeBuilder::session_store(std::shared_ptr<SessionStore> store) { return impl_->store = std::move(store), *this; }
RuntimeBuilder& RuntimeBuilder::file_system_factory(FileSystemFactory f) { return impl_->fs_factory = std::move(f), *this; }
RuntimeBuilder& RuntimeBuilder::workspace(fs::path root) { return impl_->workspace = std::move(root), *this; }
RuntimeBuilder& RuntimeBuilder::session_data_dir(fs::path dir) { return impl_->data_dir = std::move(dir), *this; }
RuntimeBuilder& RuntimeBuilder::connection_resolver(ConnectionResolver r) { return impl_->resolver = std::move(r), *this; }
RuntimeBuilder& RuntimeBuilder::approvals(ApprovalPolicy policy, ApprovalHandler handler) {
    impl_->policy = policy;
    impl_->handler = std::move(handler);
    return *this;
}
RuntimeBuilder& RuntimeBuilder::max_iterations(int n) { return impl_->max_iterations = n, *this; }
RuntimeBuilder& RuntimeBuilder::retry_policy(RetryPolicy policy) { return impl_->retry = policy, *this; }
RuntimeBuilder& RuntimeBuilder::worker_threads(int n) { return impl_->workers = n, *this; }

RuntimeConfig RuntimeBuilder::Impl::fold(PluginCatalog& catalog) const {
    const Impl& b = *this;
    RuntimeConfig cfg;

    if (b.harness) {
        cfg.harness = HarnessCatalog(default_harness_dirs(b.harness_dirs)).load(*b.harness);
    } else {
        cfg.harness.name = "";
    }
    std::vector<CapabilityRef> caps = cfg.harness.capabilities;
    // An agent's or the builder's config for a capability the harness already has is merged over
    // the harness's, key by key (a CLI --sandbox keeps the harness's other bash settings).
    auto add_cap = [&](const std::string& id, const json::object& config) {
        auto it = std::find_if(caps.begin(), caps.end(), [&](const CapabilityRef& c) { return c.id == id; });
        if (it == caps.end()) return caps.push_back(CapabilityRef{id, config});
        for (const auto& kv : config) it->config[kv.key()] = kv.value();
    };
    NetworkAccessList network = cfg.harness.network_access;
    if (b.agent) {
        cfg.agent_name = b.agent->name;
        cfg.agent_prompt = b.agent->system_prompt;
        for (const auto& [id, c] : b.agent->capabilities) add_cap(id, c);
        network = network.narrowed_by(NetworkAccessList::from_json(b.agent->network_access, "agent '" + b.agent->name + "' network_access"));
    }
    for (const auto& [id, c] : b.capabilities) add_cap(id, c);
    cfg.network_access = network;

    cfg.model = b.model ? *b.model : b.agent && b.agent->model ? *b.agent->model : cfg.harness.model.value_or("llmsim");
    std::string driver_id = cfg.model, model_name = cfg.model;
    if (auto slash = cfg.model.find('/'); slash != std::string::npos) {
        driver_id = cfg.model.substr(0, slash);
        model_name = cfg.model.substr(slash + 1);
        if (driver_id.empty() || model_name.empty()) throw ConfigError("model '" + cfg.model + "': expected PROVIDER/MODEL");
    }
    cfg.model_name = model_name;

    json::object driver_cfg;
    if (auto it = b.driver_configs.find(driver_id); it != b.driver_configs.end()) driver_cfg = it->second;
    cfg.driver = instantiate(catalog, driver_id, driver_cfg, "driver", "model '" + cfg.model + "'");
    std::string who = cfg.harness.name.empty() ? std::string("the runtime") : "harness '" + cfg.harness.name + "'";
    for (const CapabilityRef& c : caps) {
        auto inst = instantiate(catalog, c.id, c.config, "capability", who + " needs capability '" + c.id + "'");
        for (const ToolDescription& t : inst->tools()) {
            if (auto it = cfg.tool_index.find(t.name); it != cfg.tool_index.end()) {
                throw ConfigError("tool '" + t.name + "' is offered by both '" + cfg.tools[it->second].plugin->id() +
                                  "' and '" + inst->id() + "'");
            }
            cfg.tool_index.emplace(t.name, cfg.tools.size());
            cfg.tools.push_back(ToolBinding{ToolInfo{t.name, t.description, t.parameters, t.mutating, inst->id()}, inst});
            cfg.tools_json.push_back(json::object{{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}});
        }
        cfg.capabilities.push_back(std::move(inst));
    }

    cfg.tools_text = json::serialize(cfg.tools_json);
    if (const json::value* d = cfg.driver->description().if_contains("driver"); d && d->is_object()) {
        if (const json::value* w = d->get_object().if_contains("context_window"); w && w->is_int64() && w->get_int64() > 0) {
            cfg.context_window = w->get_int64();
        }
    }
    cfg.max_iterations = b.max_iterations ? *b.max_iterations
                         : b.agent && b.agent->max_iterations ? *b.agent->max_iterations
                                                              : cfg.harness.max_iterations.value_or(50);
    if (cfg.max_iterations < 1) throw ConfigError("max_iterations must be at least 1");
    cfg.retry = b.retry;
    cfg.approval_policy = b.policy;
    cfg.approval_handler = b.handler;
    cfg.connection_resolver = b.resolver;
    return cfg;
}

std::unique_ptr<Runtime> RuntimeBuilder::build() {
    Impl& b = *impl_;
    auto rt = std::make_unique<Runtime::Impl>();
    rt->catalog = std::make_unique<PluginCatalog>(b.default_plugin_dirs ? default_plugin_dirs(b.plugin_dirs) : b.plugin_dirs);
    rt->config = std::make_shared<const RuntimeConfig>(b.fold(*rt->catalog));
    rt->settings = std::make_unique<Impl>(b);

    rt->store = b.store ? b.store : make_memory_session_store();
    rt->fs_factory = b.fs_factory;
    if (b.workspace) {
        if (b.fs_factory) throw ConfigError("workspace() and file_system_factory() both make the session files");
        std::error_code ec;
        if (!fs::is_directory(*b.workspace, ec)) {
            throw ConfigError("workspace '" + b.workspace->string() + "' is not a folder");
        }
        rt->fs_factory = [root = *b.workspace](const std::string&) { return make_real_disk_file_store(root); };
    }
    rt->data_dir = b.data_dir;
    int threads = b.workers > 0 ? b.workers : std::max(4, static_cast<int>(std::thread::hardware_concurrency()));
    rt->workers = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(threads));
    if (b.default_session) rt->default_id = rt->open(b.session);
    return std::unique_ptr<Runtime>(new Runtime(std::move(rt)));
}

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() {
    if (impl_ && impl_->workers) impl_->workers->join();
}

const std::string& Runtime::default_session_id() const { return impl_->default_id; }
std::string Runtime::open_session(const SessionOptions& options) { return impl_->open(options); }

void Runtime::close_session(const std::string& session_id) {
    std::shared_ptr<SessionSlot> closed;  // destroyed after the lock is released
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->sessions.find(session_id);
    if (it == impl_->sessions.end()) throw UsageError("no open session '" + session_id + "'");
    if (it->second->session->turn_running()) throw UsageError("session '" + session_id + "' is running a turn");
    closed = std::move(it->second);
    impl_->sessions.erase(it);
}

bool Runtime::is_open(const std::string& session_id) const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->sessions.count(session_id) > 0;
}

std::vector<std::string> Runtime::take_warnings() {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return std::exchange(impl_->warnings, {});
}

TurnResult Runtime::run_turn(const std::string& session_id, const std::string& text, const std::string& turn_id) {
    std::shared_ptr<SessionSlot> held = impl_->slot(session_id);
    SessionSlot& slot = *held;
    if (!slot.session->begin_turn()) {
        throw UsageError("session '" + session_id + "' is already running a turn; steer or interrupt it");
    }
    struct EndTurn {
        Session& s;
        ~EndTurn() { s.end_turn(); }
    } end{*slot.session};
    TurnEnvironment env{*slot.config, *slot.session, *slot.services, *impl_->workers};
    return run_agent_turn(env, text, turn_id);
}

std::vector<Message> Runtime::messages(const std::string& session_id) const {
    std::vector<Message> out;
    for (json::value& v : impl_->slot(session_id)->session->messages_json()) {
        json::object& o = v.as_object();
        Message m;
        m.id = json::value_to<std::string>(o["id"]);
        m.role = json::value_to<std::string>(o["role"]);
        m.content = std::move(o["content"].as_array());
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<Event> Runtime::events(const std::string& session_id, std::uint64_t after) const {
    return impl_->slot(session_id)->session->events(after);
}

std::shared_ptr<void> Runtime::subscribe(const std::string& session_id, EventCallback callback) {
    return impl_->slot(session_id)->session->subscribe(std::move(callback));
}

AssembledContext Runtime::load_context(const std::string& session_id) const {
    std::shared_ptr<SessionSlot> held = impl_->slot(session_id);
    SessionSlot& slot = *held;
    const RuntimeConfig& cfg = *slot.config;
    AssembledContext ctx;
    ctx.harness_chain = cfg.harness.chain;
    ctx.agent = cfg.agent_name;
    ctx.model = cfg.model;
    ctx.driver = cfg.driver->id();
    ctx.system_prompt = assemble_system_prompt(cfg, *slot.session, *slot.services, "");
    for (const ToolBinding& t : cfg.tools) ctx.tools.push_back(t.info);
    for (const auto& c : cfg.capabilities) ctx.capabilities.push_back(c->id());
    ctx.max_iterations = cfg.max_iterations;
    ctx.network_access = slot.network.to_json();
    return ctx;
}

std::optional<std::string> Runtime::read_file(const std::string& session_id, const std::string& path) const {
    return impl_->slot(session_id)->session->files()->read(path);
}

std::vector<CommandInfo> Runtime::list_commands(const std::string& session_id) const {
    std::shared_ptr<SessionSlot> slot = impl_->slot(session_id);
    std::vector<CommandInfo> out;
    for (const auto& cap : slot->config->capabilities) {
        const json::value* cmds = cap->description().if_contains("commands");
        if (!cmds || !cmds->is_array()) continue;
        for (const json::value& c : cmds->get_array()) {
            const json::object* o = c.if_object();
            if (!o || !o->contains("name") || !o->at("name").is_string()) continue;
            CommandInfo info;
            info.name = std::string(o->at("name").get_string());
            if (const json::value* d = o->if_contains("description"); d && d->is_string()) info.description = d->get_string();
            if (const json::value* a = o->if_contains("args"); a && a->is_array()) info.args = a->get_array();
            info.source = cap->id();
            out.push_back(std::move(info));
        }
    }
    return out;
}

CommandResult Runtime::execute_command(const std::string& session_id, const std::string& name, const std::string& arguments) {
    std::shared_ptr<SessionSlot> held = impl_->slot(session_id);
    SessionSlot& slot = *held;
    std::string bare = !name.empty() && name[0] == '/' ? name.substr(1) : name;
    std::string available;
    for (const CommandInfo& c : list_commands(session_id)) {
        available += (available.empty() ? "/" : ", /") + c.name;
        if (c.name != bare) continue;
        const RuntimeConfig& cfg = *slot.config;
        auto cap = std::find_if(cfg.capabilities.begin(), cfg.capabilities.end(), [&](const auto& p) { return p->id() == c.source; });
        CallContext ctx;
        ctx.cancelled = &slot.session->cancel_flag();
        ctx.services = slot.services.get();
        ctx.session_id = session_id;
        CallOutcome out = (*cap)->invoke("command.execute",
                                         json::object{{"name", bare}, {"arguments", arguments}, {"session_id", session_id},
                                                      {"messages", slot.session->messages_json()}},
                                         ctx);
        CommandResult r;
        if (out.ok()) {
            const json::object* o = out.result.if_object();
            const json::value* ok = o ? o->if_contains("success") : nullptr;
            const json::value* msg = o ? o->if_contains("message") : nullptr;
            r.success = !ok || (ok->is_bool() && ok->get_bool());
            if (msg && msg->is_string()) r.message = msg->get_string();
            if (const json::value* code = o ? o->if_contains("error_code") : nullptr; code && code->is_string()) r.error_code = code->get_string();
        } else {
            r.message = out.error_message;
            r.error_code = out.error_code;
        }
        slot.session->emit(event_type::kCommandExecuted,
                           json::object{{"name", bare}, {"arguments", arguments}, {"success", r.success},
                                        {"message", r.message}, {"source", c.source}},
                           "");
        return r;
    }
    return CommandResult{false, "unknown command '/" + bare + "'" + (available.empty() ? "; no commands are available" : "; available: " + available),
                         "unknown_command"};
}

void Runtime::interrupt(const std::string& session_id) { impl_->slot(session_id)->session->interrupt(); }

void Runtime::steer(const std::string& session_id, const std::string& text) {
    std::shared_ptr<SessionSlot> held = impl_->slot(session_id);
    Session& s = *held->session;
    if (s.turn_running()) {
        s.queue_steer(text);  // the loop adds it before its next reason step
        return;
    }
    s.emit(event_type::kInputMessage,
           json::object{{"message", json::object{{"id", new_uuid_v7()},
                                                 {"role", "user"},
                                                 {"content", json::array{json::object{{"type", "text"}, {"text", text}}}}}},
                        {"steer", true}},
           "");
}

void Runtime::set_secret(const std::string& session_id, const std::string& name, const std::string& value) {
    impl_->slot(session_id)->session->set_secret(name, value);
}

Usage Runtime::session_usage(const std::string& session_id) const { return impl_->slot(session_id)->session->usage(); }

}  // namespace agenthost
