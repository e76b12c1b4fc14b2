#include "services/context_services.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace agenthost {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxSkillBytes = 256 * 1024;

/// A relative data-file name: no "..", no absolute path, not empty.
std::string data_name(const json::value& params) {
    std::string name = service_string(params, "name");
    try {
        std::string normal = normalize_workspace_path(name);
        if (normal.empty() || name.front() == '/') throw FileStoreError("invalid_path", "");
        return normal;
    } catch (const FileStoreError&) {
        throw ServiceError(AHP_INVALID_ARGUMENT, "'name' must be a relative file name such as outputs/call_1.txt, got '" + name + "'");
    }
}

std::optional<std::string> read_small_regular(const fs::path& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    std::optional<std::string> out;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        std::string text(std::min<std::size_t>(static_cast<std::size_t>(st.st_size), kMaxSkillBytes), '\0');
        ssize_t n = ::read(fd, text.data(), text.size());
        text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        out = std::move(text);
    }
    ::close(fd);
    return out;
}

void add_model_complete(ServiceRouter& r, const RuntimeConfig& cfg, Session& s) {
    r.add("model.complete", "model", [&cfg, &s](const json::value& p, ServiceRequest& req) -> json::value {
        const json::object* o = p.if_object();
        const json::value* messages = o ? o->if_contains("messages") : nullptr;
        if (!messages || !messages->is_array()) throw ServiceError(AHP_INVALID_ARGUMENT, "missing array parameter 'messages'");
        json::object request{{"model", cfg.model_name}, {"messages", *messages}, {"tools", json::array()},
                             {"session_id", s.id()}, {"turn_id", req.call.turn_id}, {"purpose", "side_call"}};
        if (const json::value* sys = o->if_contains("system"); sys && sys->is_string()) request["system"] = *sys;
        else request["system"] = "";
        if (const json::value* mt = o->if_contains("max_tokens"); mt && mt->is_number()) request["max_tokens"] = *mt;
        CallContext ctx;
        ctx.cancelled = req.call.cancelled;
        ctx.session_id = s.id();
        ctx.turn_id = req.call.turn_id;  // no services, no deltas shown: a side call
        CallOutcome out = cfg.driver->invoke("driver.chat", request, ctx);
        if (!out.ok()) throw ServiceError(AHP_ERROR, out.error_code + ": " + out.error_message);
        const json::object* res = out.result.if_object();
        const json::value* text = res ? res->if_contains("text") : nullptr;
        Usage usage = res && res->contains("usage") ? Usage::from_json(res->at("usage")) : Usage{};
        // Side calls are paid for too: recorded, so the turn's and the session's usage count them.
        s.emit(event_type::kLlmGeneration,
               json::object{{"purpose", "side_call"}, {"plugin", req.plugin.id}, {"model", cfg.model},
                            {"usage", usage.to_json()}},
               req.call.turn_id);
        return json::object{{"text", text && text->is_string() ? *text : json::value("")}, {"usage", usage.to_json()}};
    });
}

void add_session_data(ServiceRouter& r, Session& s) {
    r.add("session_data.write", "", [&s](const json::value& p, ServiceRequest&) -> json::value {
        std::string name = data_name(p);
        try {
            s.data_files()->write(name, service_string(p, "content"));
        } catch (const FileStoreError& e) {
            throw ServiceError(AHP_ERROR, std::string("cannot save session data: ") + e.what());
        }
        std::string path(1, '/');  // (built by appends: g++ 12 -O3 warns falsely on "/" + …, PR 105329)
        path.append(kSessionDataPrefix).append(name);
        return json::object{{"path", std::move(path)}};
    });
    r.add("session_data.read", "", [&s](const json::value& p, ServiceRequest&) -> json::value {
        std::string name = data_name(p);
        auto content = s.data_files()->read(name);
        if (!content) throw ServiceError(AHP_NOT_FOUND, "no session data named '" + name + "'");
        return json::object{{"content", std::move(*content)}};
    });
}

void add_history(ServiceRouter& r, Session& s) {
    r.add("history.messages", "model", [&s](const json::value&, ServiceRequest&) -> json::value {
        return json::object{{"messages", s.messages_json()}};
    });
    r.add("history.compact", "model", [&s](const json::value& p, ServiceRequest& req) -> json::value {
        try {
            auto [replaced, kept] = s.compact(service_string(p, "summary"), service_string(p, "keep_from_message_id"), req.call.turn_id);
            return json::object{{"replaced_messages", replaced}, {"kept_messages", kept}};
        } catch (const UsageError& e) {
            throw ServiceError(AHP_INVALID_ARGUMENT, e.what());
        }
    });
}

void add_user_skills(ServiceRouter& r) {
    r.add("skills.user", "fs.read", [](const json::value&, ServiceRequest&) -> json::value {
        fs::path base;
        if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) base = fs::path(xdg) / "agenthost/skills";
        else if (const char* home = std::getenv("HOME"); home && *home) base = fs::path(home) / ".config/agenthost/skills";
        json::array skills;
        std::error_code ec;
        if (base.empty() || !fs::is_directory(base, ec)) return json::object{{"skills", std::move(skills)}};
        std::vector<fs::path> dirs;
        for (const auto& entry : fs::directory_iterator(base, ec)) {
            if (entry.is_directory(ec) && !entry.is_symlink(ec)) dirs.push_back(entry.path());
        }
        std::sort(dirs.begin(), dirs.end());
        for (const fs::path& dir : dirs) {
            auto text = read_small_regular(dir / "SKILL.md");
            if (!text) continue;
            json::array files;
            for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
                 it != fs::recursive_directory_iterator() && files.size() < 200; it.increment(ec)) {
                if (ec) break;
                if (!it->is_regular_file(ec) || it->is_symlink(ec) || it->path().filename() == "SKILL.md") continue;
                files.push_back(json::string(fs::relative(it->path(), dir, ec).string()));
            }
            skills.push_back(json::object{{"dir", dir.string()}, {"skill_md", std::move(*text)}, {"files", std::move(files)}});
        }
        return json::object{{"skills", std::move(skills)}};
    });
}

}  // namespace

void add_context_services(ServiceRouter& router, const RuntimeConfig& config, Session& session) {
    add_model_complete(router, config, session);
    add_session_data(router, session);
    add_history(router, session);
    add_user_skills(router);
}

}  // namespace agenthost
