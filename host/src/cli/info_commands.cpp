// `agenthost plugins …`, `harnesses …` and `sessions …`: look, never run a turn.
#include "cli/commands.hpp"

#include "cli/output_channel.hpp"
#include "core/session.hpp"
#include "plugins/harness.hpp"
#include "plugins/harness_check.hpp"
#include "plugins/loader.hpp"

#include <agenthost/runtime.hpp>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iomanip>
#include <iostream>

namespace agenthost::cli {

namespace fs = std::filesystem;

namespace {

std::string cut(std::string s, std::size_t max) {
    for (char& c : s) {
        if (c == '\n') c = ' ';
    }
    return s.size() > max ? s.substr(0, max) + "…" : s;
}

/// A session's stored events, replayed through the store (it takes the session's lock).
std::vector<Event> read_session(const std::optional<fs::path>& data_dir, const std::string& id) {
    auto store = make_jsonl_session_store(sessions_dir(data_dir).string());
    if (!store->exists(id)) throw UsageError("no session '" + id + "' in " + sessions_dir(data_dir).string());
    return store->read(id);  // no lock: a session running elsewhere can be shown meanwhile
}

template <class Fn>
int guarded(Fn&& fn) {
    try {
        return fn();
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace

int plugins_list(const std::vector<fs::path>& plugin_dirs) {
    return guarded([&] {
        auto dirs = default_plugin_dirs(plugin_dirs);
        PluginCatalog catalog(dirs, spdlog::default_logger());
        catalog.load_all(true);
        host_out() << "plugin folders:\n";
        for (const fs::path& d : dirs) host_out() << "  " << d.string() << (fs::is_directory(d) ? "" : "  (missing)") << "\n";
        int refused = 0;
        for (const PluginReport& r : catalog.reports()) {
            host_out() << std::left << std::setw(18) << r.id << " " << std::setw(11) << (r.kind.empty() ? "?" : r.kind) << " "
                      << std::setw(8) << (r.version.empty() ? "?" : r.version) << " ";
            if (r.loaded) {
                host_out() << "loaded   " << r.description << "\n";
            } else {
                ++refused;
                host_out() << "REFUSED  " << r.reason << "\n";
            }
            host_out() << std::setw(0) << "";
        }
        host_out() << catalog.reports().size() << " plugins, " << refused << " refused\n";
        return 0;
    });
}

namespace {

/// A string field of a plugin's describe answer, on one line and at most `max` bytes.
std::string field(const json::object& o, std::string_view key, std::size_t max = 100) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? cut(std::string(v->get_string()), max) : std::string();
}

/// The objects of an array field of a describe answer (anything else is left out).
std::vector<const json::object*> objects(const json::object& o, std::string_view key) {
    std::vector<const json::object*> out;
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_array()) return out;
    for (const json::value& item : v->get_array()) {
        if (item.is_object()) out.push_back(&item.get_object());
    }
    return out;
}

/// What a plugin describes: tools, commands, hooks, driver models, permissions.
void print_described(const PluginReport& r) {
    const json::object& d = r.described;
    std::string perms;
    for (const std::string& p : r.permissions) perms += (perms.empty() ? "" : ", ") + p;
    host_out() << "  permissions: " << (perms.empty() ? "none" : perms) << "\n";
    auto tools = objects(d, "tools");
    host_out() << "  tools:" << (tools.empty() ? " none" : "") << "\n";
    for (const json::object* t : tools) {
        const json::value* m = t->if_contains("mutating");
        host_out() << "    " << std::left << std::setw(16) << field(*t, "name", 64) << " " << std::setw(10)
                  << (m && m->is_bool() && m->get_bool() ? "mutating" : "read-only") << " " << field(*t, "description") << "\n";
    }
    auto commands = objects(d, "commands");
    host_out() << "  commands:" << (commands.empty() ? " none" : "") << "\n";
    for (const json::object* c : commands) {
        host_out() << "    /" << std::left << std::setw(15) << field(*c, "name", 64) << " " << field(*c, "description") << "\n";
    }
    std::string hooks;
    if (const json::value* h = d.if_contains("hooks"); h && h->is_array()) {
        for (const json::value& name : h->get_array()) {
            if (name.is_string()) hooks += (hooks.empty() ? "" : ", ") + std::string(name.get_string());
        }
    }
    host_out() << "  hooks: " << (hooks.empty() ? "none" : hooks) << "\n";
    if (r.kind == "driver") {
        const json::value* info = d.if_contains("driver");
        json::object driver = info && info->is_object() ? info->get_object() : json::object();
        std::string models;
        if (const json::value* m = driver.if_contains("models"); m && m->is_array()) {
            for (const json::value& name : m->get_array()) {
                if (name.is_string()) models += (models.empty() ? "" : ", ") + std::string(name.get_string());
            }
        }
        std::string def = field(driver, "default_model", 200);
        host_out() << "  default_model: " << (def.empty() ? "none" : def) << "\n"
                  << "  models: " << (models.empty() ? "any name (the driver lists none)" : models) << "\n";
    }
}

/// A plugin argument: a path to its manifest or library, or an id in the plugin folders.
fs::path plugin_manifest(const std::string& target, const std::vector<fs::path>& plugin_dirs) {
    fs::path path(target);
    if (target.find('/') != std::string::npos || path.extension() == ".json" || path.extension() == ".so") return path;
    PluginCatalog catalog(default_plugin_dirs(plugin_dirs), spdlog::default_logger());
    for (const PluginReport& r : catalog.reports()) {
        if (r.id == target) return r.manifest;
    }
    throw UsageError("plugin '" + target + "': not found in the plugin folders (agenthost plugins list shows them); "
                     "or pass the path of its .json or .so");
}

/// A harness and everything wrong with it against the plugins in `plugin_dirs`.
std::pair<Harness, std::vector<std::string>> checked_harness(const HarnessCatalog& harnesses, PluginCatalog& plugins,
                                                             const std::string& name) {
    Harness h = harnesses.load(name);
    std::vector<std::string> problems = harness_problems(h, plugins);
    return {std::move(h), std::move(problems)};
}

}  // namespace

int plugins_check(const std::string& target, const std::vector<fs::path>& plugin_dirs) {
    fs::path manifest;
    try {
        manifest = plugin_manifest(target, plugin_dirs);
    } catch (const std::exception& e) {
        std::cerr << "agenthost: " << e.what() << "\n";
        return 2;
    }
    PluginReport r = check_plugin(manifest, spdlog::default_logger());
    if (r.loaded) {
        host_out() << r.id << " " << r.version << " (" << r.kind << "): loaded and described OK\n";
        print_described(r);
        return 0;
    }
    host_out() << r.id << ": REFUSED: " << r.reason << "\n";
    return 1;
}

int harnesses_list(const std::vector<fs::path>& plugin_dirs) {
    return guarded([&] {
        HarnessCatalog catalog(default_harness_dirs({}));
        PluginCatalog plugins(default_plugin_dirs(plugin_dirs), spdlog::default_logger());
        for (const auto& [name, file] : catalog.list()) {
            std::string line;
            try {
                auto [h, problems] = checked_harness(catalog, plugins, name);
                std::string caps;
                for (const auto& c : h.capabilities) caps += (caps.empty() ? "" : ",") + c.id;
                line = "capabilities: " + (caps.empty() ? std::string("none") : caps);
                if (!problems.empty()) {
                    line += "  INVALID: " + problems.front() +
                            (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : "");
                }
            } catch (const std::exception& e) {
                line = std::string("INVALID: ") + e.what();
            }
            host_out() << std::left << std::setw(12) << name << " " << line << "  (" << file.string() << ")\n";
        }
        return 0;
    });
}

int harnesses_show(const std::string& name, const std::vector<fs::path>& plugin_dirs) {
    return guarded([&] {
        PluginCatalog plugins(default_plugin_dirs(plugin_dirs), spdlog::default_logger());
        auto [h, problems] = checked_harness(HarnessCatalog(default_harness_dirs({})), plugins, name);
        json::array chain, caps, files;
        for (const auto& n : h.chain) chain.push_back(json::string(n));
        for (const auto& c : h.capabilities) caps.push_back(json::object{{"id", c.id}, {"config", c.config}});
        for (const auto& f : h.initial_files) files.push_back(json::object{{"path", f.path}, {"read_only", f.read_only}});
        json::object out{{"name", h.name},
                         {"file", h.file.string()},
                         {"chain", std::move(chain)},
                         {"system_prompt", h.system_prompt},
                         {"capabilities", std::move(caps)},
                         {"model", h.model ? json::value(*h.model) : json::value()},
                         {"max_iterations", h.max_iterations ? json::value(*h.max_iterations) : json::value()},
                         {"network_access", h.network_access.to_json()},
                         {"initial_files", std::move(files)}};
        host_out() << json::serialize(out) << "\n";
        for (const std::string& p : problems) std::cerr << "agenthost: harness '" << h.name << "' (" << h.file.string() << "): " << p << "\n";
        return problems.empty() ? 0 : 2;
    });
}

std::size_t print_sessions(std::ostream& out, const std::optional<fs::path>& data_dir, std::size_t limit) {
    auto store = make_jsonl_session_store(sessions_dir(data_dir).string());
    auto all = store->list();
    std::size_t shown = 0;
    for (const SessionSummary& s : all) {
        if (limit != 0 && shown++ == limit) break;
        out << s.id << "  " << s.updated << "  " << std::setw(9) << s.size_bytes << " B  " << cut(s.title, 60) << "\n";
    }
    return all.size();
}

int sessions_list(const std::optional<fs::path>& data_dir) {
    return guarded([&] {
        if (print_sessions(host_out(), data_dir, 0) == 0) {
            std::cerr << "no sessions in " << sessions_dir(data_dir).string() << "\n";
        }
        return 0;
    });
}

int sessions_show(const std::optional<fs::path>& data_dir, const std::string& id) {
    return guarded([&] {
        std::vector<Event> events = read_session(data_dir, id);
        Usage usage;
        int turns = 0;
        host_out() << "session " << id << "\n";
        for (const Event& e : events) {
            if (e.type == event_type::kSessionCreated) {
                host_out() << "created " << e.ts << "  model " << json::serialize(e.data.at("model")) << "  harness "
                          << json::serialize(e.data.at("harness")) << "\n\n";
            } else if (e.type == event_type::kSessionReconfigured) {
                host_out() << "  [reconfigured " << json::value_to<std::string>(e.data.at("field")) << ": "
                          << json::serialize(e.data.at("from")) << " -> " << json::serialize(e.data.at("to")) << "]\n";
            } else if (e.type == event_type::kTurnStarted) {
                ++turns;
            }
            usage += Usage::of_event(e);
            if (e.type == event_type::kTurnFailed || e.type == event_type::kTurnCancelled) {
                host_out() << "  [" << e.type << (e.data.contains("error") ? ": " + cut(json::serialize(e.data.at("error")), 120) : "")
                          << "]\n";
            }
            auto m = message_of_event(e);
            if (!m) continue;
            std::string role(m->at("role").as_string());
            for (const json::value& part : m->at("content").as_array()) {
                const json::object& p = part.as_object();
                std::string type(p.at("type").as_string());
                if (type == "text") host_out() << role << ": " << cut(std::string(p.at("text").as_string()), 400) << "\n";
                if (type == "tool_call") {
                    host_out() << "  tool call " << json::serialize(p.at("name")) << " " << cut(json::serialize(p.at("arguments")), 200) << "\n";
                }
                if (type == "tool_result") {
                    host_out() << "  tool result" << (p.at("is_error").as_bool() ? " (error)" : "") << ": "
                              << cut(p.at("result").is_string() ? std::string(p.at("result").as_string()) : json::serialize(p.at("result")), 200)
                              << "\n";
                }
            }
        }
        host_out() << "\n" << turns << " turns, " << events.size() << " events; usage: " << json::serialize(usage.to_json()) << "\n";
        return 0;
    });
}

int sessions_export(const std::optional<fs::path>& data_dir, const std::string& id) {
    return guarded([&] {
        for (const Event& e : read_session(data_dir, id)) host_out() << to_json_line(e) << "\n";
        return 0;
    });
}

}  // namespace agenthost::cli
