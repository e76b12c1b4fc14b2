// `agenthost plugins …`, `harnesses …` and `sessions …`: look, never run a turn.
#include "cli/commands.hpp"

#include "cli/terminal_render.hpp"

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

/// A session's or a plugin's words on one line, made safe for the terminal (terminal_safe).
std::string cut(std::string_view s, std::size_t max) {
    return one_line(s, max);
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
        std::cerr << "agenthost: " << terminal_safe(e.what()) << "\n";
        return 2;
    }
}

}  // namespace

int plugins_list(const std::vector<fs::path>& plugin_dirs) {
    return guarded([&] {
        auto dirs = default_plugin_dirs(plugin_dirs);
        PluginCatalog catalog(dirs);
        catalog.load_all(true);
        std::cout << "plugin folders:\n";
        for (const fs::path& d : dirs) std::cout << "  " << d.string() << (fs::is_directory(d) ? "" : "  (missing)") << "\n";
        int refused = 0;
        for (const PluginReport& r : catalog.reports()) {
            std::cout << std::left << std::setw(18) << cut(r.id, 60) << " " << std::setw(11)
                      << (r.kind.empty() ? "?" : cut(r.kind, 40)) << " " << std::setw(8)
                      << (r.version.empty() ? "?" : cut(r.version, 40)) << " ";
            if (r.loaded) {
                std::cout << "loaded   " << cut(r.description, 400) << "\n";
            } else {
                ++refused;
                std::cout << "REFUSED  " << terminal_safe(r.reason) << "\n";
            }
            std::cout << std::setw(0) << "";
        }
        std::cout << catalog.reports().size() << " plugins, " << refused << " refused\n";
        return 0;
    });
}

int plugins_check(const fs::path& path) {
    PluginReport r = check_plugin(path);
    if (r.loaded) {
        std::cout << cut(r.id, 60) << " " << cut(r.version, 40) << " (" << cut(r.kind, 40) << "): loaded and described OK\n";
        return 0;
    }
    std::cout << cut(r.id, 60) << ": REFUSED: " << terminal_safe(r.reason) << "\n";
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
                line = "capabilities: " + (caps.empty() ? std::string("none") : cut(caps, 400));
            } catch (const std::exception& e) {
                line = std::string("INVALID: ") + terminal_safe(e.what());
            }
            std::cout << std::left << std::setw(12) << cut(name, 60) << " " << line << "  (" << cut(file.string(), 400)
                      << ")\n";
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
        std::cout << json::serialize(out) << "\n";
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
        if (print_sessions(std::cout, data_dir, 0) == 0) {
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
        std::cout << "session " << id << "\n";
        for (const Event& e : events) {
            if (e.type == event_type::kSessionCreated) {
                std::cout << "created " << cut(e.ts, 60) << "  model " << cut(json::serialize(e.data.at("model")), 120)
                          << "  harness " << cut(json::serialize(e.data.at("harness")), 120) << "\n\n";
            } else if (e.type == event_type::kTurnStarted) {
                ++turns;
            }
            usage += Usage::of_event(e);
            if (e.type == event_type::kTurnFailed || e.type == event_type::kTurnCancelled) {
                std::cout << "  [" << cut(e.type, 60) << (e.data.contains("error") ? ": " + cut(json::serialize(e.data.at("error")), 120) : "")
                          << "]\n";
            }
            auto m = message_of_event(e);
            if (!m) continue;
            std::string role = cut(m->at("role").as_string(), 40);
            for (const json::value& part : m->at("content").as_array()) {
                const json::object& p = part.as_object();
                std::string type(p.at("type").as_string());
                if (type == "text") std::cout << role << ": " << cut(std::string(p.at("text").as_string()), 400) << "\n";
                if (type == "tool_call") {
                    std::cout << "  tool call " << cut(json::serialize(p.at("name")), 120) << " " << cut(json::serialize(p.at("arguments")), 200) << "\n";
                }
                if (type == "tool_result") {
                    std::cout << "  tool result" << (p.at("is_error").as_bool() ? " (error)" : "") << ": "
                              << cut(p.at("result").is_string() ? std::string(p.at("result").as_string()) : json::serialize(p.at("result")), 200)
                              << "\n";
                }
            }
        }
        std::cout << "\n" << turns << " turns, " << events.size() << " events; usage: " << json::serialize(usage.to_json()) << "\n";
        return 0;
    });
}

int sessions_export(const std::optional<fs::path>& data_dir, const std::string& id) {
    return guarded([&] {
        for (const Event& e : read_session(data_dir, id)) std::cout << to_json_line(e) << "\n";
        return 0;
    });
}

}  // namespace agenthost::cli
