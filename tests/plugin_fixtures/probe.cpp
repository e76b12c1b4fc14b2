// probe.cpp — a valid capability the runtime's tests use to exercise host services through the
// real ABI: storage, secrets, connections, cancellation, mutating tools, tool errors, a
// system_prompt hook and a command.
#include <ahp/ahp.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <string>
#include <thread>

namespace {

namespace json = ahp::json;

json::object schema(std::initializer_list<std::pair<const char*, const char*>> fields) {
    json::object properties;
    json::array required;
    for (const auto& [name, type] : fields) {
        properties[name] = json::object{{"type", type}};
        required.push_back(json::string(name));
    }
    return json::object{{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

/// A required string argument, or an invalid_arguments error naming it.
std::string string_arg(const json::object& args, const char* key) {
    const json::value* v = args.if_contains(key);
    if (!v || !v->is_string()) {
        throw ahp::Error("invalid_arguments", std::string("missing string argument '") + key + "'",
                         AHP_INVALID_ARGUMENT);
    }
    return std::string(v->get_string());
}

class Probe : public ahp::Capability {
public:
    explicit Probe(json::object config) : Capability(std::move(config)) {
        add_tool({"kv_set", "Store a value under a key (storage.set).",
                  schema({{"key", "string"}, {"value", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     json::value value = a.contains("value") ? a.at("value") : json::value();
                     return call.request("storage.set",
                                         json::object{{"key", string_arg(a, "key")}, {"value", value}});
                 });
        add_tool({"kv_get", "Read the value under a key (storage.get).", schema({{"key", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     return call.request("storage.get", json::object{{"key", string_arg(a, "key")}});
                 });
        add_tool({"secret_get", "Read a secret (secret.get) and return its value.", schema({{"name", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     json::value answer = call.request("secret.get", json::object{{"name", string_arg(a, "name")}});
                     if (const json::object* o = answer.if_object()) {
                         if (const json::value* v = o->if_contains("value")) return *v;
                     }
                     return answer;
                 });
        add_tool({"connection_get", "Read a provider connection (connection.get).",
                  schema({{"provider", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     return call.request("connection.get", json::object{{"provider", string_arg(a, "provider")}});
                 });
        add_tool({"sleep", "Sleep for ms milliseconds, polling for cancellation.", schema({{"ms", "integer"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     const json::value* v = a.if_contains("ms");
                     std::int64_t ms = 0;
                     if (v && v->is_int64()) ms = v->get_int64();
                     else if (v && v->is_uint64()) ms = static_cast<std::int64_t>(v->get_uint64());
                     else if (v && v->is_double()) ms = static_cast<std::int64_t>(v->get_double());
                     else throw ahp::Error("invalid_arguments", "missing integer argument 'ms'", AHP_INVALID_ARGUMENT);
                     auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
                     for (;;) {
                         call.check_cancelled();
                         if (std::chrono::steady_clock::now() >= deadline) break;
                         std::this_thread::sleep_for(std::chrono::milliseconds(5));
                     }
                     return "slept";
                 });
        add_tool({"touch", "A mutating tool: returns the name.", schema({{"name", "string"}}), true},
                 [](const json::object& a, ahp::Call&) -> json::value { return json::string(string_arg(a, "name")); });
        add_tool({"fail", "Fails with a tool_error carrying the message.", schema({{"message", "string"}})},
                 [](const json::object& a, ahp::Call&) -> json::value {
                     throw ahp::Error("tool_error", string_arg(a, "message"));
                 });
        add_tool({"echo", "Returns its arguments.", json::object{{"type", "object"}}},
                 [](const json::object& a, ahp::Call&) -> json::value { return a; });
        add_tool({"fs_write", "Write a workspace file (fs.write).", schema({{"path", "string"}, {"content", "string"}}), true},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     return call.request("fs.write", json::object{{"path", string_arg(a, "path")}, {"content", string_arg(a, "content")}});
                 });
        add_tool({"fs_read", "Read a workspace file (fs.read).", schema({{"path", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     return call.request("fs.read", json::object{{"path", string_arg(a, "path")}});
                 });
        add_tool({"ask", "Ask for approval (approval.ask) and return the decision.", schema({{"summary", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     return call.request("approval.ask", json::object{{"action", "exec"}, {"summary", string_arg(a, "summary")}});
                 });
        add_tool({"rendezvous", "Wait until n calls are inside at once (10 s at most): 'met' or 'alone'.",
                  schema({{"n", "integer"}})},
                 [this](const json::object& a, ahp::Call& call) -> json::value {
                     std::int64_t n = a.at("n").to_number<std::int64_t>();
                     std::unique_lock<std::mutex> lock(mu_);
                     ++inside_;
                     cv_.notify_all();
                     bool met = cv_.wait_for(lock, std::chrono::seconds(10), [&] { return inside_ >= n || call.cancelled(); });
                     return json::string(met && !call.cancelled() ? "met" : "alone");
                 });
        add_tool({"data_write", "Save session data (session_data.write).", schema({{"name", "string"}, {"content", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     return call.request("session_data.write",
                                         json::object{{"name", string_arg(a, "name")}, {"content", string_arg(a, "content")}});
                 });
        add_tool({"complete", "One tool-less model call (model.complete) on a question.", schema({{"question", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     json::array messages{json::object{
                         {"id", "q"}, {"role", "user"},
                         {"content", json::array{json::object{{"type", "text"}, {"text", string_arg(a, "question")}}}}}};
                     return call.request("model.complete", json::object{{"messages", std::move(messages)}});
                 });
        add_tool({"compact", "Compact the history (history.compact), keeping from the given user message.",
                  schema({{"summary", "string"}, {"keep_from_message_id", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     return call.request("history.compact", json::object{{"summary", string_arg(a, "summary")},
                                                                         {"keep_from_message_id", string_arg(a, "keep_from_message_id")}});
                 });
        add_tool({"log", "Write a log line (host->log) at a level: error, warn, info or debug.",
                  schema({{"level", "string"}, {"message", "string"}})},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     const std::string level = string_arg(a, "level");
                     ahp_log_level lvl = level == "error"  ? AHP_LOG_ERROR
                                         : level == "warn" ? AHP_LOG_WARN
                                         : level == "info" ? AHP_LOG_INFO
                                                           : AHP_LOG_DEBUG;
                     call.log(lvl, string_arg(a, "message"));
                     return "logged";
                 });
        on_hook("system_prompt", [](const json::object&, ahp::Call&) -> json::value {
            return json::object{{"text", "PROBE-PROMPT"}};
        });
        add_command({"probe_cmd", "Reports the arguments it ran with.", json::array{}},
                    [](const json::object& params, ahp::Call&) -> json::value {
                        std::string args;
                        if (const json::value* v = params.if_contains("arguments")) {
                            args = v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
                        }
                        return json::object{{"success", true}, {"message", "probe ran with " + args}};
                    });
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::int64_t inside_ = 0;  // calls that ever reached rendezvous
};

}  // namespace

AHP_PLUGIN(Probe, "probe", "1.0.0")
