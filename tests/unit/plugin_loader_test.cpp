// The plugin load pipeline (DESIGN §5) over the deliberately broken fixtures in
// tests/plugin_fixtures, through the real loader API; and the SDK's C++ layer (ahp.hpp) through
// the fake host (ahp_fake.hpp) on the built fixture .so files.
#include "plugins/loader.hpp"

#include <ahp/ahp_fake.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kFixtures = AGENTHOST_FIXTURES_DIR;
const fs::path kBuildPlugins = fs::path(AGENTHOST_BUILD_DIR) / "plugins";

/// <fixtures>/<case>/<id>.json
fs::path fixture_manifest(const std::string& fixture_case, const std::string& id) {
    return kFixtures / fixture_case / (id + ".json");
}

/// Whether `text` contains one of `needles` (case-sensitive, so that an upper-case word such as
/// "ELF" or "ABI" does not match the fixture's own lower-case path).
::testing::AssertionResult mentions_any(const std::string& text, const std::vector<std::string>& needles) {
    for (const auto& n : needles) {
        if (text.find(n) != std::string::npos) return ::testing::AssertionSuccess();
    }
    auto failure = ::testing::AssertionFailure() << "\"" << text << "\" mentions none of:";
    for (const auto& n : needles) failure << " \"" << n << "\"";
    return failure;
}

/// Whether a file is mapped into this process (was dlopened): nothing is ever dlclosed, so a
/// library the loader opened stays visible in /proc/self/maps.
bool is_mapped(const fs::path& file) {
    std::string needle = fs::weakly_canonical(file).string();
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        if (line.size() >= needle.size() && line.compare(line.size() - needle.size(), needle.size(), needle) == 0) {
            return true;
        }
    }
    return false;
}

/// The PluginError load_plugin_library threw, or nothing if it loaded.
std::optional<PluginError> load_error(const fs::path& manifest) {
    try {
        auto library = load_plugin_library(manifest);
        EXPECT_NE(library, nullptr);
    } catch (const PluginError& e) {
        return e;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "load_plugin_library(" << manifest << ") threw a non-PluginError: " << e.what();
        return PluginError("?", e.what());
    }
    return std::nullopt;
}

/// A temporary folder, removed at the end of the test.
class TempDir {
public:
    explicit TempDir(const std::string& tag)
        : path_(fs::temp_directory_path() / ("agenthost_" + tag + "_" + std::to_string(::getpid()))) {
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// --- refused fixtures ----------------------------------------------------------------------

struct RefusedCase {
    std::string fixture_case;        // folder under plugin_fixtures/
    std::string id;                  // the id the refusal must name
    std::vector<std::string> reason; // the reason mentions one of these
    bool before_describe = true;     // refused by load_plugin_library (steps 1-4), not only at describe
    bool before_dlopen = false;      // the library must never have been dlopened
};

std::ostream& operator<<(std::ostream& os, const RefusedCase& c) { return os << c.fixture_case; }

const RefusedCase kRefused[] = {
    {"no_entry", "no_entry", {"ahp_plugin_entry_v1"}, true, true},
    {"null_entry", "null_entry", {"NULL", "nullptr", "returned null", "null table"}},
    {"abi_major", "abi_major", {"ABI"}},
    {"abi_major_manifest", "abi_major_manifest", {"ABI", "'abi'", "\"abi\"", "2.0"}, true, true},
    {"newer_minor", "newer_minor", {"1.99"}},
    {"newer_minor_table", "newer_minor_table", {"1.99"}},
    {"null_slot", "null_slot", {"invoke"}},
    {"describe_mismatch", "describe_mismatch", {"describe", "someone_else"}, false},
    {"bad_manifest", "bad_manifest", {"JSON", "line", "syntax", "parse"}, true, true},
    {"missing_library", "missing_library", {"does not exist", "not found", "No such file", "no such file", "not exist"}},
    {"not_elf", "not_elf", {"ELF"}, true, true},
};

class RefusedFixture : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(RefusedFixture, CheckPluginRefusesWithReason) {
    const RefusedCase& c = GetParam();
    fs::path manifest = fixture_manifest(c.fixture_case, c.id);
    ASSERT_TRUE(fs::exists(manifest)) << manifest << " was not built (target plugin_fixtures)";

    PluginReport report = check_plugin(manifest);
    EXPECT_FALSE(report.loaded) << c.fixture_case << " was loaded";
    EXPECT_EQ(report.id, c.id);
    EXPECT_FALSE(report.reason.empty());
    EXPECT_TRUE(mentions_any(report.reason, c.reason)) << "case " << c.fixture_case;
    if (c.before_dlopen) {
        EXPECT_FALSE(is_mapped(kFixtures / c.fixture_case / (c.id + ".so")))
            << c.fixture_case << ": the library was dlopened although it must be refused before";
    }
}

TEST_P(RefusedFixture, LoadLibraryRefusesWithPluginErrorNamingThePlugin) {
    const RefusedCase& c = GetParam();
    std::optional<PluginError> error = load_error(fixture_manifest(c.fixture_case, c.id));
    if (!c.before_describe) {
        // Steps 1-4 pass (table and manifest agree); only describe, in check_plugin, refuses it.
        EXPECT_FALSE(error.has_value()) << error->what();
        return;
    }
    ASSERT_TRUE(error.has_value()) << c.fixture_case << " was loaded";
    EXPECT_EQ(error->plugin_id(), c.id);
    EXPECT_NE(std::string(error->what()).find(c.id), std::string::npos) << error->what();
    EXPECT_TRUE(mentions_any(error->reason(), c.reason)) << "case " << c.fixture_case;
}

INSTANTIATE_TEST_SUITE_P(PluginFixtures, RefusedFixture, ::testing::ValuesIn(kRefused),
                         [](const ::testing::TestParamInfo<RefusedCase>& info) { return info.param.fixture_case; });

// --- good plugins ---------------------------------------------------------------------------

TEST(PluginLoader, GoodFixtureLoads) {
    fs::path manifest = fixture_manifest("good", "good_tool");
    PluginReport report = check_plugin(manifest);
    EXPECT_TRUE(report.loaded) << report.reason;
    EXPECT_TRUE(report.reason.empty()) << report.reason;
    EXPECT_EQ(report.id, "good_tool");
    EXPECT_EQ(report.kind, "capability");
    EXPECT_EQ(report.version, "1.0.0");

    std::optional<PluginError> error = load_error(manifest);
    ASSERT_FALSE(error.has_value()) << error->what();
    auto library = load_plugin_library(manifest);
    EXPECT_TRUE(is_mapped(kFixtures / "good" / "good_tool.so")) << "is_mapped() cannot see a loaded library";
    EXPECT_EQ(library_manifest(*library).id, "good_tool");
    const ahp_plugin_v1& table = library_table(*library);
    EXPECT_STREQ(table.id, "good_tool");
    EXPECT_STREQ(table.version, "1.0.0");
    EXPECT_EQ(AHP_VERSION_MAJOR(table.abi_version), 1u);
    EXPECT_NE(table.invoke, nullptr);
}

TEST(PluginLoader, CheckAcceptsTheLibraryPathToo) {
    PluginReport report = check_plugin(kFixtures / "good" / "good_tool.so");
    EXPECT_TRUE(report.loaded) << report.reason;
    EXPECT_EQ(report.id, "good_tool");
}

TEST(PluginLoader, ProbeAndThrowsFixturesLoad) {
    for (const auto& [fixture_case, id] : {std::pair<std::string, std::string>{"probe", "probe"}, {"throws", "throws"}}) {
        PluginReport report = check_plugin(fixture_manifest(fixture_case, id));
        EXPECT_TRUE(report.loaded) << id << ": " << report.reason;
    }
}

TEST(PluginLoader, RealTestMathLoads) {
    fs::path manifest = kBuildPlugins / "test_math.json";
    ASSERT_TRUE(fs::exists(manifest)) << manifest;
    PluginReport report = check_plugin(manifest);
    EXPECT_TRUE(report.loaded) << report.reason;
    EXPECT_EQ(report.id, "test_math");
}

TEST(PluginLoader, WorldWritableLibraryIsRefusedBeforeDlopen) {
    TempDir dir("world_writable");
    fs::copy_file(kFixtures / "good" / "good_tool.so", dir.path() / "good_tool.so");
    fs::copy_file(kFixtures / "good" / "good_tool.json", dir.path() / "good_tool.json");
    fs::permissions(dir.path() / "good_tool.so", fs::perms::others_write, fs::perm_options::add);

    PluginReport report = check_plugin(dir.path() / "good_tool.json");
    EXPECT_FALSE(report.loaded);
    EXPECT_EQ(report.id, "good_tool");
    EXPECT_TRUE(mentions_any(report.reason, {"writable", "writeable"}));
    EXPECT_FALSE(is_mapped(dir.path() / "good_tool.so")) << "a world-writable library was dlopened";

    std::optional<PluginError> error = load_error(dir.path() / "good_tool.json");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->plugin_id(), "good_tool");
}

// --- one catalog run: the host goes on with the others ----------------------------------------

TEST(PluginCatalog, BrokenPluginsAreRefusedAndTheOthersLoad) {
    std::vector<fs::path> dirs;
    for (const char* fixture_case : {"good", "dup_a", "dup_b", "probe", "throws", "no_entry", "null_entry",
                                     "abi_major", "abi_major_manifest", "newer_minor", "newer_minor_table", "null_slot",
                                     "describe_mismatch", "bad_manifest", "missing_library", "not_elf"}) {
        dirs.push_back(kFixtures / fixture_case);
    }
    dirs.push_back(kBuildPlugins);

    PluginCatalog catalog(dirs);
    // Discovery alone reports the second `dup` as a duplicate naming the first.
    {
        std::vector<const PluginReport*> dups;
        for (const auto& r : catalog.reports()) {
            if (r.id == "dup") dups.push_back(&r);
        }
        ASSERT_EQ(dups.size(), 2u) << "both dup manifests are reported";
        EXPECT_EQ(dups[0]->manifest.parent_path().filename(), "dup_a");
        EXPECT_EQ(dups[1]->manifest.parent_path().filename(), "dup_b");
        EXPECT_FALSE(dups[1]->loaded);
        EXPECT_TRUE(mentions_any(dups[1]->reason, {"duplicate"}));
        EXPECT_TRUE(mentions_any(dups[1]->reason, {"dup_a"})) << "names the manifest that won";
    }

    catalog.load_all(/*describe=*/true);

    std::map<std::string, std::vector<const PluginReport*>> by_id;
    for (const auto& r : catalog.reports()) by_id[r.id].push_back(&r);

    for (const char* id : {"good_tool", "probe", "throws", "test_math"}) {
        ASSERT_EQ(by_id.count(id), 1u) << id << " was not discovered";
        const PluginReport& r = *by_id[id].front();
        EXPECT_TRUE(r.loaded) << id << ": " << r.reason;
    }
    ASSERT_EQ(by_id["dup"].size(), 2u);
    EXPECT_TRUE(by_id["dup"][0]->loaded) << by_id["dup"][0]->reason;
    EXPECT_FALSE(by_id["dup"][1]->loaded);
    EXPECT_TRUE(mentions_any(by_id["dup"][1]->reason, {"duplicate"}));

    for (const RefusedCase& c : kRefused) {
        ASSERT_EQ(by_id.count(c.id), 1u) << c.id << " was not reported";
        const PluginReport& r = *by_id[c.id].front();
        EXPECT_FALSE(r.loaded) << c.id << " was loaded";
        EXPECT_TRUE(mentions_any(r.reason, c.reason)) << "case " << c.fixture_case;
    }

    // load(id): cached for a good plugin, a PluginError naming the plugin for a refused one.
    auto good = catalog.load("good_tool");
    ASSERT_NE(good, nullptr);
    EXPECT_EQ(catalog.load("good_tool"), good);
    try {
        catalog.load("null_slot");
        ADD_FAILURE() << "null_slot loaded";
    } catch (const PluginError& e) {
        EXPECT_EQ(e.plugin_id(), "null_slot");
        EXPECT_TRUE(mentions_any(e.reason(), {"invoke"}));
    }
    EXPECT_THROW(catalog.load("no_such_plugin"), PluginError);
}

// --- exceptions inside a plugin never cross the ABI ------------------------------------------

TEST(PluginThrows, ExceptionsBecomeErrorStatusesAndTheProcessSurvives) {
    auto host = ahp::fake::FakeHost::open((kFixtures / "throws" / "throws.so").string());

    ahp::fake::Outcome boom = host.call_tool("boom");
    EXPECT_EQ(boom.status, AHP_ERROR);
    EXPECT_FALSE(boom.error_code.empty());
    EXPECT_NE(boom.error_message.find("boom went off"), std::string::npos) << boom.error_message;

    ahp::fake::Outcome unknown = host.call_tool("boom_unknown");
    EXPECT_EQ(unknown.status, AHP_ERROR);
    EXPECT_FALSE(unknown.error_message.empty());
    EXPECT_NE(unknown.error_message.find("non-standard"), std::string::npos) << unknown.error_message;

    // The plugin still works afterwards, many times over.
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(host.call_tool("boom").status, AHP_ERROR);
        ahp::fake::Outcome ok = host.call_tool("ok");
        ASSERT_TRUE(ok.ok()) << ok.error_message;
        EXPECT_EQ(ok.result, json::value("ok"));
    }

    ahp::fake::Outcome missing = host.call_tool("no_such_tool");
    EXPECT_EQ(missing.status, AHP_NOT_FOUND);
    EXPECT_EQ(missing.error_code, "not_found");
}

// --- the SDK layer (ahp.hpp) through the fake host, on the probe fixture ----------------------

class ProbeSdk : public ::testing::Test {
protected:
    ahp::fake::FakeHost host = ahp::fake::FakeHost::open((kFixtures / "probe" / "probe.so").string());
};

TEST_F(ProbeSdk, DescribeListsToolsHooksAndCommands) {
    json::object d = host.describe();
    EXPECT_EQ(d.at("id"), "probe");
    EXPECT_EQ(d.at("version"), "1.0.0");
    EXPECT_EQ(d.at("abi").as_string(), std::to_string(AHP_ABI_MAJOR) + "." + std::to_string(AHP_ABI_MINOR));  // the SDK targets its own minor
    std::map<std::string, bool> mutating;
    for (const auto& t : d.at("tools").as_array()) {
        const auto& o = t.as_object();
        EXPECT_TRUE(o.at("parameters").as_object().at("type") == "object") << o.at("name");
        mutating[std::string(o.at("name").as_string())] = o.at("mutating").as_bool();
    }
    for (const char* name : {"kv_set", "kv_get", "secret_get", "connection_get", "sleep", "touch", "fail", "echo"}) {
        EXPECT_EQ(mutating.count(name), 1u) << name;
    }
    EXPECT_TRUE(mutating["touch"]);
    EXPECT_FALSE(mutating["sleep"]);
    EXPECT_EQ(d.at("hooks"), (json::array{"system_prompt"}));
    ASSERT_EQ(d.at("commands").as_array().size(), 1u);
    EXPECT_EQ(d.at("commands").as_array()[0].as_object().at("name"), "probe_cmd");
}

TEST_F(ProbeSdk, StorageRoundTrip) {
    std::map<std::string, json::value> store;
    host.on_service("storage.set", [&](const json::value& p) -> json::value {
        store[std::string(p.at("key").as_string())] = p.at("value");
        return json::object{};
    });
    host.on_service("storage.get", [&](const json::value& p) -> json::value {
        auto it = store.find(std::string(p.at("key").as_string()));
        if (it == store.end()) throw ahp::Error("not_found", "no such key", AHP_NOT_FOUND);
        return json::object{{"value", it->second}};
    });

    ahp::fake::Outcome set = host.call_tool("kv_set", {{"key", "colour"}, {"value", "blue"}});
    ASSERT_TRUE(set.ok()) << set.error_message;
    EXPECT_EQ(store["colour"], "blue");

    ahp::fake::Outcome get = host.call_tool("kv_get", {{"key", "colour"}});
    ASSERT_TRUE(get.ok()) << get.error_message;
    EXPECT_EQ(get.result, (json::object{{"value", "blue"}}));

    // A failed service surfaces as the tool's error, with the service's status and message.
    ahp::fake::Outcome missing = host.call_tool("kv_get", {{"key", "nothing"}});
    EXPECT_EQ(missing.status, AHP_NOT_FOUND);
    EXPECT_EQ(missing.error_code, "not_found");
    EXPECT_EQ(missing.error_message, "no such key");
}

TEST_F(ProbeSdk, SecretAndConnectionGoThroughTheHost) {
    host.on_service("secret.get", [](const json::value& p) -> json::value {
        EXPECT_EQ(p.at("name"), "API_TOKEN");
        return json::object{{"value", "s3cret-value"}};
    });
    host.on_service("connection.get", [](const json::value& p) -> json::value {
        return json::object{{"provider", p.at("provider")}, {"token", "t0k"}};
    });
    ahp::fake::Outcome secret = host.call_tool("secret_get", {{"name", "API_TOKEN"}});
    ASSERT_TRUE(secret.ok()) << secret.error_message;
    EXPECT_EQ(secret.result, "s3cret-value");

    ahp::fake::Outcome conn = host.call_tool("connection_get", {{"provider", "github"}});
    ASSERT_TRUE(conn.ok()) << conn.error_message;
    EXPECT_EQ(conn.result, (json::object{{"provider", "github"}, {"token", "t0k"}}));

    // No handler: the fake host answers not_found, and the tool reports it.
    ahp::fake::FakeHost bare = ahp::fake::FakeHost::open((kFixtures / "probe" / "probe.so").string());
    ahp::fake::Outcome none = bare.call_tool("secret_get", {{"name", "API_TOKEN"}});
    EXPECT_EQ(none.status, AHP_NOT_FOUND);
    EXPECT_NE(none.error_message.find("secret.get"), std::string::npos) << none.error_message;
}

TEST_F(ProbeSdk, FailReportsToolError) {
    ahp::fake::Outcome r = host.call_tool("fail", {{"message", "it broke"}});
    EXPECT_EQ(r.status, AHP_ERROR);
    EXPECT_EQ(r.error_code, "tool_error");
    EXPECT_EQ(r.error_message, "it broke");

    ahp::fake::Outcome bad = host.call_tool("fail", {});
    EXPECT_EQ(bad.status, AHP_INVALID_ARGUMENT);
    EXPECT_EQ(bad.error_code, "invalid_arguments");
}

TEST_F(ProbeSdk, SleepFinishesOrIsCancelled) {
    ahp::fake::Outcome slept = host.call_tool("sleep", {{"ms", 20}});
    ASSERT_TRUE(slept.ok()) << slept.error_message;
    EXPECT_EQ(slept.result, "slept");

    host.set_cancelled(true);
    auto start = std::chrono::steady_clock::now();
    ahp::fake::Outcome cancelled = host.call_tool("sleep", {{"ms", 60000}});
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(cancelled.status, AHP_CANCELLED);
    EXPECT_EQ(cancelled.error_code, "cancelled");
    EXPECT_LT(took, std::chrono::seconds(5));

    host.set_cancelled(false);
    EXPECT_TRUE(host.call_tool("sleep", {{"ms", 1}}).ok());
}

TEST_F(ProbeSdk, TouchEchoHookAndCommand) {
    ahp::fake::Outcome touch = host.call_tool("touch", {{"name", "notes.txt"}});
    ASSERT_TRUE(touch.ok()) << touch.error_message;
    EXPECT_EQ(touch.result, "notes.txt");

    json::object args{{"a", 1}, {"b", json::array{"x", true}}};
    ahp::fake::Outcome echo = host.call_tool("echo", args);
    ASSERT_TRUE(echo.ok()) << echo.error_message;
    EXPECT_EQ(echo.result, args);

    ahp::fake::Outcome hook = host.invoke("hook.system_prompt", json::object{});
    ASSERT_TRUE(hook.ok()) << hook.error_message;
    EXPECT_EQ(hook.result, (json::object{{"text", "PROBE-PROMPT"}}));

    ahp::fake::Outcome cmd = host.invoke("command.execute",
                                         json::object{{"name", "probe_cmd"}, {"arguments", "one two"}, {"session_id", "s1"}});
    ASSERT_TRUE(cmd.ok()) << cmd.error_message;
    EXPECT_EQ(cmd.result, (json::object{{"success", true}, {"message", "probe ran with one two"}}));

    ahp::fake::Outcome unknown = host.invoke("hook.before_model", json::object{});
    EXPECT_EQ(unknown.status, AHP_NOT_FOUND);
}

}  // namespace
}  // namespace agenthost
