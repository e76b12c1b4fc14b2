// The embedding API: build a Runtime from plugin folders, a harness, an agent and a model,
// then run turns in sessions whose history is a projection of their events (DESIGN §6, §7).
#pragma once

#include <agenthost/errors.hpp>
#include <agenthost/event.hpp>
#include <agenthost/storage.hpp>
#include <agenthost/workspace.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agenthost {

/// One message of the history: role "user", "agent" or "tool_result", content parts
/// {type:"text",text} | {type:"tool_call",id,name,arguments} |
/// {type:"tool_result",tool_call_id,tool_name,result,is_error}.
struct Message {
    std::string id;
    std::string role;
    json::array content;
    /// The concatenated text parts.
    std::string text() const;
};

/// Token counts.
struct Usage {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cache_read_tokens = 0;
    std::int64_t cache_write_tokens = 0;
    /// Add another count to this one.
    Usage& operator+=(const Usage& other);
    /// {input_tokens, output_tokens, cache_read_tokens, cache_write_tokens}.
    json::object to_json() const;
    /// Read the same shape (missing fields are 0).
    static Usage from_json(const json::value& value);
    /// What a stored event records as spent: the usage of output.message.completed (the loop's
    /// model calls) and of llm.generation (side calls); zero for every other event.
    static Usage of_event(const Event& event);
};

/// Why a turn failed: category auth_error, rate_limit, model_not_found, context_length,
/// upstream_api_error, network_error, max_iterations, plugin_error.
struct TurnError {
    std::string category;
    std::string message;
};

/// The outcome of run_turn.
struct TurnResult {
    std::string session_id;
    std::string turn_id;
    std::string response;  ///< the final agent text
    int iterations = 0;    ///< model calls made
    int tool_calls = 0;
    bool success = false;
    bool cancelled = false;
    std::optional<TurnError> error;
    Usage usage;
};

/// A tool as the model sees it.
struct ToolInfo {
    std::string name;
    std::string description;
    json::value parameters;
    bool mutating = false;
    std::string plugin_id;
};

/// What a turn would be assembled from, without running one.
struct AssembledContext {
    std::vector<std::string> harness_chain;  ///< root first
    std::string agent;                       ///< agent name, empty without an agent
    std::string model;                       ///< "provider/model" or "llmsim"
    std::string driver;                      ///< the driver plugin id
    std::string system_prompt;
    std::vector<ToolInfo> tools;
    std::vector<std::string> capabilities;   ///< plugin ids, in harness order
    int max_iterations = 0;
    json::object network_access;             ///< the effective {allow, block}
};

/// A user-invocable command.
struct CommandInfo {
    std::string name;
    std::string description;
    std::string source;  ///< the plugin id
    json::array args;
};

/// The outcome of execute_command.
struct CommandResult {
    bool success = false;
    std::string message;
    std::string error_code;
};

/// An approval the host asks for before a destructive action.
struct ApprovalRequest {
    std::string session_id;
    std::string approval_id;
    std::string action;   ///< "write", "delete", "exec", …
    std::string summary;  ///< one line: "run bash: make test"
    std::string details;  ///< e.g. a unified diff
    std::string key;      ///< what "always" remembers: the command, the path (empty: never remembered)
};

/// An approver's answer: no, yes, or yes to this key for the rest of the session.
enum class ApprovalDecision { kDeny, kApprove, kApproveAlways };

/// ask: the handler decides; auto: approve; deny: refuse and tell the model.
enum class ApprovalPolicy { kAsk, kAuto, kDeny };

/// An agent: a named prompt and limits over the harness (DESIGN §4 folding order).
struct AgentConfig {
    std::string name;
    std::string system_prompt;
    std::optional<int> max_iterations;
    std::optional<std::string> model;
    std::vector<std::pair<std::string, json::object>> capabilities;  ///< added to the harness's
    json::object network_access;  ///< {allow, block}, narrows the harness
};

/// The model-call retry policy for retryable failures (rate_limit, upstream_api_error,
/// network_error): exponential backoff with jitter, `retry_after_ms` hints honoured.
struct RetryPolicy {
    int max_retries = 3;
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{8000};
};

/// Resolves credentials or connection settings for a provider ("github") in a session; the
/// answer reaches tools through the `connection.get` host service.
using ConnectionResolver =
    std::function<std::optional<json::value>(const std::string& session_id, const std::string& provider)>;
/// Decides an approval under ApprovalPolicy::kAsk.
using ApprovalHandler = std::function<ApprovalDecision(const ApprovalRequest&)>;
/// Called for every event of a session after it was stored, deltas included.
using EventCallback = std::function<void(const Event&)>;

class Runtime;

/// Options for opening a session. The fields from `harness` on give a session its own
/// configuration instead of the runtime's (the daemon's sessions differ); sessions with the same
/// ones share one folded configuration and its plugin instances, and every configuration shares
/// the runtime's loaded plugin libraries.
struct SessionOptions {
    std::string id;               ///< empty: a new UUIDv7
    bool resume = false;          ///< true: the session must exist and is replayed
    json::object network_access;  ///< {allow, block}, narrows the agent's
    std::vector<InitialFileSpec> initial_files;
    std::optional<std::string> harness;  ///< a harness name or file instead of the runtime's
    std::optional<std::string> model;    ///< "provider/model" or "llmsim" instead of the runtime's
    std::map<std::string, json::object> driver_configs;  ///< driver id -> config, over the runtime's
    std::vector<std::pair<std::string, json::object>> capabilities;  ///< as RuntimeBuilder::capability
    std::optional<ApprovalPolicy> approval;  ///< the policy (the runtime's handler decides under kAsk)
    std::optional<std::filesystem::path> workspace;  ///< the session's files are this real folder
    json::object metadata;  ///< recorded as session.created's `metadata` (a front end's own fields)
};

/// Builds a Runtime. Every setter may be called in any order; build() folds them.
class RuntimeBuilder {
public:
    RuntimeBuilder();
    ~RuntimeBuilder();
    RuntimeBuilder(RuntimeBuilder&&) noexcept;
    RuntimeBuilder& operator=(RuntimeBuilder&&) noexcept;

    /// Add a plugin folder searched before the defaults (DESIGN §4).
    RuntimeBuilder& plugin_dir(std::filesystem::path dir);
    /// Search only the added plugin folders, not the defaults.
    RuntimeBuilder& no_default_plugin_dirs();
    /// Add a harness folder searched before the defaults.
    RuntimeBuilder& harness_dir(std::filesystem::path dir);
    /// Use a harness by name or file (default: none — no capabilities, no prompt).
    RuntimeBuilder& harness(std::string name_or_file);
    /// Add an agent over the harness.
    RuntimeBuilder& agent(AgentConfig agent);
    /// The model: "llmsim", "anthropic/claude-sonnet-4-5", "openai/gpt-4.1" (default: the
    /// harness's, else llmsim).
    RuntimeBuilder& model(std::string model);
    /// Config for a driver plugin (merged over what the runtime derives, e.g. an llmsim script).
    RuntimeBuilder& driver_config(std::string driver_id, json::object config);
    /// Add a capability, or merge `config` over the harness's config for it, key by key.
    RuntimeBuilder& capability(std::string id, json::object config = {});
    /// Pin the default session's id (needed to resume it).
    RuntimeBuilder& session_id(std::string id);
    /// Resume the default session from its log instead of creating it.
    RuntimeBuilder& resume(bool resume = true);
    /// Open no default session: every session comes from open_session() (the daemon).
    RuntimeBuilder& no_default_session();
    /// The default session's network access, narrowing the agent's and harness's.
    RuntimeBuilder& session_network_access(json::object access);
    /// A file seeded into the default session's workspace.
    RuntimeBuilder& initial_file(InitialFileSpec file);
    /// Where sessions are stored (default: memory).
    RuntimeBuilder& session_store(std::shared_ptr<SessionStore> store);
    /// How each session's files are made (default: an in-memory store per session).
    RuntimeBuilder& file_system_factory(FileSystemFactory factory);
    /// Each session's files are the real folder `root` (it must exist): every path resolved
    /// inside it, never through a symlink. Not together with file_system_factory().
    RuntimeBuilder& workspace(std::filesystem::path root);
    /// Keep each session's data (saved tool output) in `dir`/<session id>/ on disk, so it
    /// survives a resume (default: in memory).
    RuntimeBuilder& session_data_dir(std::filesystem::path dir);
    /// How tools reach connections and credentials.
    RuntimeBuilder& connection_resolver(ConnectionResolver resolver);
    /// The approval policy and, for kAsk, who decides.
    RuntimeBuilder& approvals(ApprovalPolicy policy, ApprovalHandler handler = nullptr);
    /// Override the harness's max_iterations.
    RuntimeBuilder& max_iterations(int n);
    /// Model-call retries.
    RuntimeBuilder& retry_policy(RetryPolicy policy);
    /// Worker threads for parallel tool calls (default: max(4, cores)).
    RuntimeBuilder& worker_threads(int n);
    /// Load plugins, fold the configuration, open the default session. Throws ConfigError
    /// (bad harness, unknown model, a refused plugin the harness needs) or StorageError.
    std::unique_ptr<Runtime> build();

private:
    friend class Runtime;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// A live runtime: loaded plugins, one configuration, any number of sessions.
class Runtime {
public:
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    /// The session opened by build() (empty after no_default_session()).
    const std::string& default_session_id() const;
    /// Open (create or resume) another session; returns its id.
    std::string open_session(const SessionOptions& options);
    /// Close an idle session: its log is released and it costs nothing until opened again.
    /// Throws UsageError if it is unknown or running a turn.
    void close_session(const std::string& session_id);
    /// Whether a session is open in this runtime.
    bool is_open(const std::string& session_id) const;
    /// Warnings from opening sessions (a torn last line that was cut, a turn the process did
    /// not finish, recorded as failed with error_code "interrupted").
    std::vector<std::string> take_warnings();

    /// Run one turn: store the input, then reason and act until the model answers without
    /// tool calls, max_iterations, a failure or an interrupt. Throws UsageError if the session
    /// is unknown or already running a turn. `turn_id` empty: a new UUIDv7.
    TurnResult run_turn(const std::string& session_id, const std::string& text, const std::string& turn_id = {});
    /// run_turn on the default session.
    TurnResult run_turn(const std::string& text) { return run_turn(default_session_id(), text); }

    /// The history, projected from the events.
    std::vector<Message> messages(const std::string& session_id) const;
    /// Stored events with sequence > after.
    std::vector<Event> events(const std::string& session_id, std::uint64_t after = 0) const;
    /// Call `callback` for every later event of the session, deltas included, until the
    /// returned handle is destroyed.
    std::shared_ptr<void> subscribe(const std::string& session_id, EventCallback callback);
    /// The assembled context of a session, without running a turn.
    AssembledContext load_context(const std::string& session_id) const;
    /// A file of the session's workspace, or nullopt if it does not exist.
    std::optional<std::string> read_file(const std::string& session_id, const std::string& path) const;
    /// The commands the capabilities offer.
    std::vector<CommandInfo> list_commands(const std::string& session_id) const;
    /// Run a command. An unknown command is a failure with error_code "unknown_command".
    CommandResult execute_command(const std::string& session_id, const std::string& name,
                                  const std::string& arguments);
    /// Interrupt the running turn (no-op if idle): the model call or tool is told to stop and
    /// the turn ends as cancelled.
    void interrupt(const std::string& session_id);
    /// Add a user message that the running turn's next reason step sees (or the next turn).
    void steer(const std::string& session_id, const std::string& text);
    /// Store a secret for a session's plugins (`secret.get`); its value is redacted from every
    /// event and never logged.
    void set_secret(const std::string& session_id, const std::string& name, const std::string& value);
    /// Cumulative usage of a session.
    Usage session_usage(const std::string& session_id) const;

private:
    friend class RuntimeBuilder;
    struct Impl;
    explicit Runtime(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace agenthost
