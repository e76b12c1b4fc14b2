// Embedding agenthost: a runtime with the `filesystem` capability on a real folder, the offline
// llmsim model playing a script in which it reads a file, one turn with its events printed as
// they happen, the session kept in a JSONL store, and a second runtime that resumes it from
// there and sees the whole history.
//   embed [FOLDER]   (default: a new folder under $TMPDIR)
#include <agenthost/runtime.hpp>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

/// A message's parts in one line: its text, a tool call, or a tool result.
std::string describe(const agenthost::Message& m) {
    std::string out;
    for (const json::value& part : m.content) {
        const json::object& p = part.as_object();
        const std::string type(p.at("type").as_string());
        if (type == "text") out += std::string(p.at("text").as_string());
        if (type == "tool_call")
            out += "[calls " + std::string(p.at("name").as_string()) + " " + json::serialize(p.at("arguments")) + "]";
        if (type == "tool_result")
            out +=
                "[" + std::string(p.at("tool_name").as_string()) + " returned " + json::serialize(p.at("result")) + "]";
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    fs::path dir =
        argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / ("agenthost-embed-" + agenthost::new_uuid_v7());
    const fs::path workspace = dir / "workspace";
    const fs::path sessions = dir / "sessions";
    fs::create_directories(workspace);
    std::ofstream(workspace / "notes.txt") << "The meeting moved to Thursday at 10.\n";

    // The offline model's script: read the file, then answer.
    json::array script = {
        json::object{{"text", "Let me read your notes."},
                     {"tool_calls", json::array{json::object{{"name", "read_file"},
                                                             {"arguments", json::object{{"path", "notes.txt"}}}}}}},
        json::object{{"text", "Your notes say the meeting moved to Thursday at 10."}}};

    std::string session_id;
    try {
        {
            auto runtime =
                agenthost::RuntimeBuilder()
                    .capability("filesystem")
                    .workspace(workspace)
                    .model("llmsim")
                    .driver_config("llmsim", json::object{{"responses", script}})
                    .session_store(agenthost::make_jsonl_session_store(sessions.string()))
                    .log([](agenthost::LogLevel, std::string_view line) { std::cerr << "log: " << line << "\n"; })
                    .build();
            session_id = runtime->default_session_id();
            auto subscription = runtime->subscribe(session_id, [](const agenthost::Event& e) {
                if (e.type == agenthost::event_type::kOutputDelta) return;
                std::cout << "event " << e.sequence << " " << e.type;
                if (e.type == agenthost::event_type::kToolCompleted) std::cout << " " << json::serialize(e.data);
                std::cout << "\n";
            });
            agenthost::TurnResult turn = runtime->run_turn("What do my notes say?");
            std::cout << "turn " << (turn.success ? "succeeded" : "failed") << " after " << turn.iterations
                      << " model calls: " << turn.response << "\n";
            if (!turn.success) return 1;
        }  // the runtime closes the session's log

        // A second runtime, as after a restart: the same store on disk, the session resumed.
        auto resumed = agenthost::RuntimeBuilder()
                           .capability("filesystem")
                           .workspace(workspace)
                           .session_store(agenthost::make_jsonl_session_store(sessions.string()))
                           .session_id(session_id)
                           .resume()
                           .build();
        std::cout << "resumed session " << session_id << " from " << sessions.string() << "\n";
        for (const agenthost::Message& m : resumed->messages(session_id)) {
            std::cout << "history " << m.role << ": " << describe(m) << "\n";
        }
    } catch (const agenthost::ConfigError& e) {
        std::cerr << "embed: configuration: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "embed: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
