// openai_driver_support.hpp — the openai driver plugin (the built openai.so) in the SDK's fake
// host with a scripted http.request, and the recorded OpenAI traffic it is tested against
// (tests/fixtures/providers/openai, SOURCES.md).
#pragma once

#include "support/test_env.hpp"

#include <ahp/ahp_fake.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace openai_test {

namespace fs = std::filesystem;
namespace json = boost::json;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;

inline std::string fixture(const std::string& name) { return agenthost::test::provider_fixture("openai", name); }
inline json::object fixture_json(const std::string& name) { return json::parse(fixture(name)).as_object(); }

/// What the fake server answers.
struct Served {
    int status = 200;
    json::object headers;
    std::string body;
};

/// A fixture as manifest.json says it was served (status, headers); a vercel .chunks.jsonl is
/// re-framed as SSE per NOTES §3 (`event: <type>\ndata: <line>\n\n`).
inline Served served(const std::string& name) {
    static const json::array manifest = json::parse(agenthost::test::read_file(agenthost::test::fixtures_dir() / "manifest.json")).as_array();
    Served s;
    for (const json::value& e : manifest) {
        if (e.at("file").as_string() != "providers/openai/" + name) continue;
        if (e.at("http_status").is_int64()) s.status = static_cast<int>(e.at("http_status").as_int64());
        if (e.at("response_headers").is_object()) s.headers = e.at("response_headers").as_object();
    }
    s.body = fixture(name);
    return s;
}

using Chunker = std::function<std::vector<std::string_view>(std::string_view)>;
inline std::vector<std::string_view> whole(std::string_view s) { return {s}; }
/// One instance of the built plugin with a scripted http.request.
class Driver {
public:
    explicit Driver(json::object config = {{"base_url", "https://api.openai.com/v1"}, {"api_key", "sk-test"}},
                    unsigned host_minor = AHP_ABI_MINOR)
        : host_(FakeHost::open(std::string(AGENTHOST_BUILD_DIR) + "/plugins/openai.so", json::serialize(config),
                               host_minor)) {
        host_.on_stream_service("http.request", [this](const json::value& params, const FakeHost::ChunkFn& chunk) {
            requests.push_back(params.as_object());
            if (fail_with) throw *fail_with;
            const Served& s = replies.at(std::min(requests.size(), replies.size()) - 1);
            json::object answer{{"status", s.status}, {"headers", s.headers}, {"final_url", params.at("url")}, {"truncated", false}};
            if (s.status < 200 || s.status >= 300) {
                answer["body"] = s.body;
                return json::value(answer);
            }
            for (std::string_view piece : chunker(s.body)) {
                if (!chunk(piece)) break;
            }
            if (cut_with) throw *cut_with;
            return json::value(answer);
        });
    }

    /// driver.chat with the next reply.
    Outcome chat(const json::object& request) { return host_.invoke("driver.chat", request); }
    /// The body of the n-th request.
    json::object body(std::size_t n = 0) const { return json::parse(requests.at(n).at("body").as_string()).as_object(); }
    FakeHost& host() { return host_; }

    std::vector<Served> replies;
    Chunker chunker = whole;
    std::optional<ahp::Error> fail_with;  // the service fails before any byte
    std::optional<ahp::Error> cut_with;   // the service fails after the body was streamed
    std::vector<json::object> requests;

private:
    FakeHost host_;
};

inline const json::object kOfficial{{"base_url", "https://api.openai.com/v1"}, {"api_key", "sk-test"}};
inline const json::object kResponses{{"base_url", "https://api.openai.com/v1"}, {"api_key", "sk-test"}, {"api", "responses"}};

}  // namespace openai_test
