// The SDK's in-memory workspace (ahp/fake_fs.hpp) against the host's own fs.* and session_data.*
// services over its in-memory store: one sequence of requests, good and bad, through both; every
// answer, status and message must be the same (mtimes aside), so a plugin tested on the fake
// sees what it will see in agenthost.
#include "core/config.hpp"
#include "core/session.hpp"
#include "services/context_services.hpp"
#include "services/fs_services.hpp"

#include <agenthost/storage.hpp>
#include <agenthost/workspace.hpp>
#include <ahp/fake_fs.hpp>

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace agenthost {
namespace {

namespace json = boost::json;

/// What a service answered: the status, and the JSON answer or the message.
struct Answer {
    ahp_status status = AHP_OK;
    std::string text;
};

/// An mtime of "now" is not comparable between two stores; the epoch (folders) is.
std::string without_mtimes(std::string text) {
    static const std::regex kMtime(R"re("mtime":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")re");
    std::string out;
    auto it = std::sregex_iterator(text.begin(), text.end(), kMtime);
    std::size_t last = 0;
    for (; it != std::sregex_iterator(); ++it) {
        out += text.substr(last, static_cast<std::size_t>(it->position()) - last);
        out += (*it)[1] == "1970-01-01T00:00:00.000Z" ? it->str() : std::string(R"("mtime":"<now>")");
        last = static_cast<std::size_t>(it->position() + it->length());
    }
    return out + text.substr(last);
}

struct Seed {
    std::string path;
    std::string content;
    bool read_only = false;
};

/// The host side: a session over a memory store, its fs and context services, and a plugin that
/// declared fs.read and fs.write.
class HostSide {
public:
    explicit HostSide(const std::vector<Seed>& seeds) {
        std::shared_ptr<FileStore> files = make_memory_file_store();
        for (const Seed& s : seeds) files->seed(InitialFileSpec{s.path, s.content, s.read_only});
        session_ = std::make_unique<Session>("parity", store_->open("parity", true).log, std::vector<Event>{}, files);
        session_->set_data_files(make_memory_file_store());
        add_file_services(router_, *session_);
        add_context_services(router_, config_, *session_);
        plugin_.id = "parity";
        plugin_.permissions = {"fs.read", "fs.write"};
    }
    Answer call(const std::string& service, const json::value& params) {
        CallContext ctx;
        ServiceRequest request{plugin_, ctx, [](std::string_view) { return true; }, {}};
        try {
            return {AHP_OK, without_mtimes(json::serialize(router_.handle(service, params, request)))};
        } catch (const ServiceError& e) {
            return {e.status(), e.what()};
        }
    }

private:
    std::shared_ptr<SessionStore> store_ = make_memory_session_store();
    std::unique_ptr<Session> session_;
    RuntimeConfig config_;
    ServiceRouter router_;
    PluginManifest plugin_;
};

/// The SDK side.
class KitSide {
public:
    explicit KitSide(const std::vector<Seed>& seeds) {
        for (const Seed& s : seeds) {
            fs_.write(s.path, s.content);
            if (s.read_only) fs_.set_read_only(s.path);
        }
    }
    Answer call(const std::string& service, const json::value& params) {
        try {
            return {AHP_OK, without_mtimes(json::serialize(fs_.handle(service, params)))};
        } catch (const ahp::Error& e) {
            return {e.status(), e.what()};
        }
    }

private:
    ahp::fake::MemoryFs fs_;
};

std::vector<Seed> seeds() {
    return {{"a.txt", "alpha\nbeta\ngamma\n"},
            {"src/main.cpp", "int main() {\n  return 0;\r\n}\n"},
            {"src/lib/util.hpp", "// Util\nint helper();\n"},
            {"src.txt", "a file beside the folder src\n"},
            {"docs/readme.md", "Main docs\nno newline at the end"},
            {"bin/blob", std::string("\x01\0\x02main", 7)},
            {"bad.txt", "\xff\xfe not UTF-8\n"},
            {".git/config", "[core] main\n"},
            {"ro.txt", "locked\n", true},
            {"long.txt", std::string(500, 'x') + "\n" + "tail"},
            {"empty.txt", ""}};
}

/// Each request, in order, through both; the later ones see what the earlier ones changed.
const std::vector<std::pair<std::string, json::value>>& requests() {
    static const std::string hash_a = ahp::fake::fs_detail::sha256_tag("alpha\nbeta\ngamma\n");
    static const std::vector<std::pair<std::string, json::value>> kRequests = {
        {"fs.read", {{"path", "a.txt"}}},
        {"fs.read", {{"path", "/workspace/a.txt"}, {"offset", 1}, {"limit", 1}}},
        {"fs.read", {{"path", "./a.txt"}, {"offset", 10}}},
        {"fs.read", {{"path", "a.txt"}, {"max_bytes", 8}}},
        {"fs.read", {{"path", "long.txt"}, {"max_bytes", 10}}},
        {"fs.read", {{"path", "docs/readme.md"}, {"offset", 1}}},
        {"fs.read", {{"path", "bin/blob"}}},
        {"fs.read", {{"path", "bad.txt"}}},
        {"fs.read", {{"path", "empty.txt"}}},
        {"fs.read", {{"path", "nope.txt"}}},
        {"fs.read", {{"path", "src"}}},
        {"fs.read", {{"path", "../etc/passwd"}}},
        {"fs.read", {{"path", "a\\b"}}},
        {"fs.read", json::object{}},
        {"fs.read", {{"path", 5}}},
        {"fs.read", {{"path", "a.txt"}, {"offset", -1}}},
        {"fs.read", {{"path", "a.txt"}, {"limit", 1.5}}},
        {"fs.read", {{"path", "a.txt"}, {"offset", 2.0}, {"limit", nullptr}}},
        {"fs.stat", {{"path", "a.txt"}}},
        {"fs.stat", {{"path", "src"}}},
        {"fs.stat", {{"path", "nope"}}},
        {"fs.stat", {{"path", "ro.txt"}}},
        {"fs.stat", {{"path", "/"}}},
        {"fs.list", json::object{}},
        {"fs.list", {{"path", "src"}}},
        {"fs.list", {{"path", "a.txt"}}},
        {"fs.list", {{"path", "nope"}}},
        {"fs.list", {{"path", ""}, {"offset", 1}, {"limit", 2}}},
        {"fs.list", {{"limit", 0}}},
        {"fs.list", {{"path", 3}}},
        {"fs.glob", {{"pattern", "**/*.cpp"}}},
        {"fs.glob", {{"pattern", "*.hpp"}}},
        {"fs.glob", {{"pattern", "src/**"}}},
        {"fs.glob", {{"pattern", "*"}, {"path", "src"}}},
        {"fs.glob", {{"pattern", "*.txt"}, {"limit", 2}}},
        {"fs.glob", {{"pattern", "[a-c]*.txt"}}},
        {"fs.glob", {{"pattern", "/a.txt"}}},
        {"fs.glob", {{"pattern", "config"}}},
        {"fs.glob", {{"pattern", ""}}},
        {"fs.glob", {{"pattern", "*"}, {"path", "a.txt"}}},
        {"fs.glob", {{"pattern", "*"}, {"path", "nope"}}},
        {"fs.glob", json::object{}},
        {"fs.grep", {{"pattern", "main"}}},
        {"fs.grep", {{"pattern", "MAIN"}, {"case_insensitive", true}}},
        {"fs.grep", {{"pattern", "return \\d;"}, {"path", "src"}}},
        {"fs.grep", {{"pattern", "int"}, {"glob", "*.hpp"}}},
        {"fs.grep", {{"pattern", "a"}, {"limit", 2}}},
        {"fs.grep", {{"pattern", "x+"}, {"path", "long.txt"}}},
        {"fs.grep", {{"pattern", "^}$"}}},
        {"fs.grep", {{"pattern", "end$"}, {"path", "docs"}}},
        {"fs.grep", {{"pattern", "core"}}},
        {"fs.grep", {{"pattern", "x"}, {"path", "nope"}}},
        {"fs.write", {{"path", "new/dir/f.txt"}, {"content", "one\n"}}},
        {"fs.write", {{"path", "/workspace/new/dir/f.txt"}, {"content", "two\n"}}},
        {"fs.write", {{"path", "a.txt"}, {"content", "A\n"}, {"expected_sha256", "sha256:00"}}},
        {"fs.write", {{"path", "gone.txt"}, {"content", "A\n"}, {"expected_sha256", hash_a}}},
        {"fs.write", {{"path", "a.txt"}, {"content", "A\n"}, {"expected_sha256", hash_a}}},
        {"fs.write", {{"path", "a.txt"}, {"content", "B\n"}, {"expected_sha256", ""}}},
        {"fs.write", {{"path", "ro.txt"}, {"content", "x"}}},
        {"fs.write", {{"path", "src"}, {"content", "x"}}},
        {"fs.write", {{"path", "a.txt/inner"}, {"content", "x"}}},
        {"fs.write", {{"path", "/"}, {"content", "x"}}},
        {"fs.write", {{"path", "/@session/x.txt"}, {"content", "x"}}},
        {"fs.write", {{"path", "x.txt"}}},
        {"fs.write", {{"path", "x.txt"}, {"content", "x"}, {"expected_sha256", 7}}},
        {"fs.delete", {{"path", "nope"}}},
        {"fs.delete", {{"path", "src"}}},
        {"fs.delete", {{"path", "ro.txt"}}},
        {"fs.delete", {{"path", "/"}}},
        {"fs.delete", {{"path", "/@session"}}},
        {"fs.delete", {{"path", "src"}, {"recursive", true}}},
        {"fs.delete", {{"path", "empty.txt"}}},
        {"fs.list", json::object{}},
        {"session_data.write", {{"name", "outputs/c1.txt"}, {"content", "saved\nlines\n"}}},
        {"session_data.write", {{"name", "/abs.txt"}, {"content", "x"}}},
        {"session_data.write", {{"name", "../up.txt"}, {"content", "x"}}},
        {"session_data.write", {{"name", "."}, {"content", "x"}}},
        {"session_data.read", {{"name", "outputs/c1.txt"}}},
        {"session_data.read", {{"name", "nope.txt"}}},
        {"fs.read", {{"path", "/@session/outputs/c1.txt"}, {"offset", 1}}},
        {"fs.stat", {{"path", "/@session/outputs/c1.txt"}}},
        {"fs.stat", {{"path", "/@session/outputs"}}},
        {"fs.nope", json::object{}},
    };
    return kRequests;
}

TEST(FakeFsParity, EveryRequestGetsTheHostsAnswerStatusAndMessage) {
    HostSide host(seeds());
    KitSide kit(seeds());
    int failures = 0;
    for (const auto& [service, params] : requests()) {
        Answer want = host.call(service, params);
        Answer got = kit.call(service, params);
        const std::string what = service + " " + json::serialize(params);
        EXPECT_EQ(got.status, want.status) << what;
        EXPECT_EQ(got.text, want.text) << what;
        failures += got.status != want.status || got.text != want.text;
    }
    EXPECT_EQ(failures, 0);
}

TEST(FakeFsParity, AnInvalidRegexIsInvalidArgumentsOnBothThoughTheEnginesWordItDifferently) {
    HostSide host(seeds());
    KitSide kit(seeds());
    const json::value params{{"pattern", "(unclosed"}};
    Answer want = host.call("fs.grep", params);
    Answer got = kit.call("fs.grep", params);
    EXPECT_EQ(want.status, AHP_INVALID_ARGUMENT) << want.text;
    EXPECT_EQ(got.status, AHP_INVALID_ARGUMENT) << got.text;
    EXPECT_EQ(got.text.rfind("invalid regex '(unclosed': ", 0), 0u) << got.text;
    EXPECT_EQ(want.text.rfind("invalid regex '(unclosed': ", 0), 0u) << want.text;
}

}  // namespace
}  // namespace agenthost
