// The runtime as an embedder sees it: this binary links libagenthost.so (agenthost::runtime),
// not the static core, and lives in a folder with no plugins or harnesses (tests/embed/), so
// the runtime must find its own beside the library. It must never write to the embedder's
// stdout: its log lines, the loader's and the plugins' go to the sink the builder was given.
#include "support/test_env.hpp"

#include <agenthost/runtime.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace agenthost {
namespace {

using test::TempDir;
namespace fs = std::filesystem;
namespace json = boost::json;

/// Sends a file descriptor (1 or 2) to a file while alive; text() ends the capture and returns
/// what was written to it.
class CaptureFd {
public:
    CaptureFd(int fd, const fs::path& file) : fd_(fd) {
        std::fflush(nullptr);
        saved_ = ::dup(fd_);
        int to = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (saved_ < 0 || to < 0 || ::dup2(to, fd_) < 0) throw std::runtime_error("cannot capture fd");
        ::close(to);
        file_ = file;
    }
    ~CaptureFd() { restore(); }
    CaptureFd(const CaptureFd&) = delete;
    CaptureFd& operator=(const CaptureFd&) = delete;
    std::string text() {
        restore();
        return test::read_file(file_);
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(nullptr);
        ::dup2(saved_, fd_);
        ::close(saved_);
        saved_ = -1;
    }
    int fd_;
    int saved_ = -1;
    fs::path file_;
};

/// The lines a sink received.
struct Lines {
    std::mutex mu;
    std::vector<std::pair<LogLevel, std::string>> lines;
    LogSink sink() {
        return [this](LogLevel level, std::string_view message) {
            std::lock_guard<std::mutex> lock(mu);
            lines.emplace_back(level, std::string(message));
        };
    }
    bool has(LogLevel level, const std::string& text) {
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& [l, m] : lines) {
            if (l == level && m.find(text) != std::string::npos) return true;
        }
        return false;
    }
    bool mentions(const std::string& text) {
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& line : lines) {
            if (line.second.find(text) != std::string::npos) return true;
        }
        return false;
    }
};

/// An llmsim script whose first answer calls the probe's log tool with each (level, message).
json::array log_script(const std::vector<std::pair<std::string, std::string>>& logs) {
    json::array calls;
    for (const auto& [level, message] : logs) {
        calls.push_back(
            json::object{{"name", "log"}, {"arguments", json::object{{"level", level}, {"message", message}}}});
    }
    return json::array{json::object{{"tool_calls", std::move(calls)}}, test::say("done")};
}

/// Nothing from the user's home or environment: the runtime's own folders only.
class Embedding : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* name : {"HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "AGENTHOST_PLUGIN_PATH"}) {
            if (const char* v = std::getenv(name)) saved_.emplace_back(name, v);
            ::unsetenv(name);
        }
        ::setenv("HOME", home_.path().c_str(), 1);
    }
    void TearDown() override {
        ::unsetenv("HOME");
        for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
    }
    TempDir home_;
    std::vector<std::pair<std::string, std::string>> saved_;
};

/// A runtime of the probe capability whose model calls the probe's log tool.
RuntimeBuilder probe_builder(const std::vector<std::pair<std::string, std::string>>& logs) {
    RuntimeBuilder b;
    b.plugin_dir(test::fixture_dir("probe")).capability("probe");
    b.driver_config("llmsim", json::object{{"responses", log_script(logs)}});
    return b;
}

TEST_F(Embedding, PluginAndLoaderLinesReachTheSinkAndNothingReachesStdout) {
    TempDir tmp;
    Lines got;
    CaptureFd out(1, tmp / "stdout");
    {
        auto rt =
            probe_builder({{"warn", "the probe warns"}, {"info", "the probe informs"}, {"debug", "the probe debugs"}})
                .log(got.sink())
                .log_level(LogLevel::kDebug)
                .build();
        TurnResult r = rt->run_turn("log something");
        EXPECT_TRUE(r.success) << (r.error ? r.error->message : "");
    }
    EXPECT_EQ(out.text(), "");
    EXPECT_TRUE(got.has(LogLevel::kWarn, "plugin=probe the probe warns"));
    EXPECT_TRUE(got.has(LogLevel::kInfo, "plugin=probe the probe informs"));
    EXPECT_TRUE(got.has(LogLevel::kDebug, "plugin=probe the probe debugs"));
    // The loader's own lines come to the same sink.
    EXPECT_TRUE(got.has(LogLevel::kDebug, "plugin=llmsim loaded"));
}

TEST_F(Embedding, TheLevelFiltersTheSink) {
    Lines got;
    auto rt = probe_builder({{"warn", "a warning"}, {"error", "an error"}})
                  .log(got.sink())
                  .log_level(LogLevel::kError)
                  .build();
    EXPECT_TRUE(rt->run_turn("log").success);
    EXPECT_TRUE(got.has(LogLevel::kError, "plugin=probe an error"));
    EXPECT_FALSE(got.mentions("a warning"));
}

TEST_F(Embedding, WithoutASinkWarningsGoToStderrNeverStdout) {
    TempDir tmp;
    CaptureFd out(1, tmp / "stdout");
    CaptureFd err(2, tmp / "stderr");
    {
        auto rt = probe_builder({{"warn", "warned on stderr"}, {"info", "not shown by default"}}).build();
        EXPECT_TRUE(rt->run_turn("log").success);
    }
    std::string error_text = err.text();
    EXPECT_EQ(out.text(), "");
    EXPECT_NE(error_text.find("agenthost: warning: plugin=probe warned on stderr\n"), std::string::npos) << error_text;
    EXPECT_EQ(error_text.find("not shown by default"), std::string::npos) << error_text;
}

TEST_F(Embedding, TwoRuntimesInOneProcessEachLogToTheirOwnSink) {
    Lines first, second;
    auto a = probe_builder({{"warn", "from runtime A"}}).log(first.sink()).build();
    auto b = probe_builder({{"warn", "from runtime B"}}).log(second.sink()).build();
    std::thread ta([&] { EXPECT_TRUE(a->run_turn("log").success); });
    std::thread tb([&] { EXPECT_TRUE(b->run_turn("log").success); });
    ta.join();
    tb.join();
    EXPECT_TRUE(first.has(LogLevel::kWarn, "from runtime A"));
    EXPECT_FALSE(first.mentions("from runtime B"));
    EXPECT_TRUE(second.has(LogLevel::kWarn, "from runtime B"));
    EXPECT_FALSE(second.mentions("from runtime A"));
}

TEST_F(Embedding, TheRuntimeFindsItsOwnHarnessesAndPluginsBesideTheLibrary) {
    // No plugin_dir, no harness_dir: math and test_math come from the library's folder (the
    // build tree here), not from this executable's, which holds neither.
    ASSERT_FALSE(fs::exists(test::build_dir() / "tests/embed/plugins"));
    auto rt =
        RuntimeBuilder()
            .harness("math")
            .driver_config(
                "llmsim",
                json::object{{"responses", json::array{test::call("multiply", {{"a", 6}, {"b", 7}}), test::say("42")}}})
            .build();
    TurnResult r = rt->run_turn("What is 6 * 7?");
    ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
    bool saw_result = false;
    for (const Message& m : rt->messages(rt->default_session_id())) {
        if (m.role == "tool_result" && json::serialize(m.content).find("42") != std::string::npos) saw_result = true;
    }
    EXPECT_TRUE(saw_result);
}

TEST_F(Embedding, AHarnessNotFoundIsAConfigErrorNamingTheFoldersAndHowToAddOne) {
    try {
        RuntimeBuilder().harness("no_such_harness").build();
        FAIL() << "build() did not throw";
    } catch (const ConfigError& e) {  // caught by type across the library boundary
        std::string message = e.what();
        EXPECT_NE(message.find("harness 'no_such_harness' not found"), std::string::npos) << message;
        EXPECT_NE(message.find((test::build_dir() / "harnesses").string()), std::string::npos) << message;
        EXPECT_NE(message.find("RuntimeBuilder::harness_dir()"), std::string::npos) << message;
    }
}

TEST_F(Embedding, ErrorsOfTheLibraryAreCaughtByTheirTypes) {
    EXPECT_THROW(RuntimeBuilder().no_default_plugin_dirs().build(), ConfigError);  // no llmsim anywhere
    auto rt = RuntimeBuilder().build();
    EXPECT_THROW(rt->run_turn("no such session", "hi"), UsageError);
    TempDir tmp;
    auto store = make_real_disk_file_store(tmp.path());
    EXPECT_THROW(store->read("../outside"), FileStoreError);
    EXPECT_THROW(make_jsonl_session_store((tmp / "missing/sessions").string())->open("x", false), StorageError);
}

}  // namespace
}  // namespace agenthost
