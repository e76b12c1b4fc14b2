// `agenthost plugins …`, `harnesses …` and `sessions …`: look, never run a turn.
#include "cli/commands.hpp"

#include "cli/output_channel.hpp"
#include "core/session.hpp"
#include "plugins/harness.hpp"
#include "plugins/loader.hpp"

#include <agenthost/runtime.hpp>

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
        PluginCatalog catalog(dirs);
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

int plugins_check(const fs::path& path) {
    PluginReport r = check_plugin(path);
    if (r.loaded) {
        host_out() << r.id << " " << r.version << " (" << r.kind << "): loaded and described OK\n";
        return 0;
    }
    host_out() << r.id << ": REFUSED: " << r.reason << "\n";
    return 1;
}

int harnesses_list() {
    return guarded([] {
        HarnessCatalog catalog(default_harness_dirs({}));
        for (const auto& [name, file] : catalog.list()) {
            std::string line;
            try {
                Harness h = catalog.load(name);
                std::string caps;
                for (const auto& c : h.capabilities) caps += (caps.empty() ? "" : ",") + c.id;
                line = "capabilities: " + (caps.empty() ? std::string("none") : caps);
            } catch (const std::exception& e) {
                line = std::string("INVALID: ") + e.what();
            }
            host_out() << std::left << std::setw(12) << name << " " << line << "  (" << file.string() << ")\n";
        }
        return 0;
    });
}

int harnesses_show(const std::string& name) {
    return guarded([&] {
        Harness h = HarnessCatalog(default_harness_dirs({})).load(name);
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
        return 0;
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
