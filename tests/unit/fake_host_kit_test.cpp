// The plugin authors' kit (ahp_fake.hpp) on real built plugins: a plugin opened with its manifest
// is held to what agenthost holds it to — the same refusals at load, the same config checks, the
// same answer to a service it did not declare — and the helpers send the params the host sends
// for tools, commands, hooks and driver.chat. Each claim is checked against the host itself.
#include "support/test_env.hpp"

#include "plugins/loader.hpp"
#include "plugins/plugin_instance.hpp"

#include <ahp/ahp_fake.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>

namespace agenthost {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;
using ahp::fake::PluginRefused;
using test::call;
using test::say;
using ::testing::HasSubstr;

/// The fake host's verdict on loading a manifest: "loaded" or the refusal's reason.
std::string fake_loads(const fs::path& manifest, const json::object& config = {}) {
    try {
        FakeHost::open_with_manifest(manifest.string(), config);
        return "loaded";
    } catch (const PluginRefused& e) {
        EXPECT_EQ(std::string(e.what()), "plugin '" + e.id() + "': " + e.reason());
        return e.reason();
    }
}

/// The host's verdict on the same manifest and config.
std::string host_loads(const fs::path& manifest, const json::object& config = {}) {
    try {
        PluginInstance::create(load_plugin_library(manifest), config, nullptr, stderr_logger());
        return "loaded";
    } catch (const PluginError& e) {
        return e.reason();
    }
}

fs::path plugin(const std::string& id) { return test::plugins_dir() / (id + ".json"); }
fs::path fixture(const std::string& dir, const std::string& id) { return test::fixture_dir(dir) / (id + ".json"); }

/// The tool result of message i of a run: {result, is_error}.
const json::object& tool_result(const std::vector<Message>& ms, std::size_t i) {
    return ms.at(i).content.at(0).as_object();
}

TEST(FakeHostKit, ThePermissionTableIsTheHostsOwnRegistrations) {
    // Every service the host registers, read from its sources: router.add("name", "permission", …).
    static const std::regex kAdd(R"re(\badd\(\s*"([a-z_]+\.[a-z_.]+)",\s*"([a-z.]*)")re");
    std::map<std::string, std::string> host;
    for (const auto& entry : fs::recursive_directory_iterator(test::source_dir() / "host/src")) {
        if (entry.path().extension() != ".cpp") continue;
        const std::string text = test::read_file(entry.path());
        for (auto it = std::sregex_iterator(text.begin(), text.end(), kAdd); it != std::sregex_iterator(); ++it) {
            host[(*it)[1]] = (*it)[2];
        }
    }
    ASSERT_GE(host.size(), 20u) << "the scan found the registrations";
    std::map<std::string, std::string> sdk;
    for (const auto& [name, permission] : ahp::host_services()) sdk[std::string(name)] = std::string(permission);
    EXPECT_EQ(sdk, host);
}

TEST(FakeHostKit, LoadVerdictsAreTheHostsOnEveryFixtureAndBuiltPlugin) {
    std::vector<fs::path> manifests;
    for (const auto& e : fs::recursive_directory_iterator(test::fixture_dir(""))) {
        if (e.path().extension() == ".json") manifests.push_back(e.path());
    }
    for (const auto& e : fs::directory_iterator(test::plugins_dir())) {
        if (e.path().extension() == ".json") manifests.push_back(e.path());
    }
    std::sort(manifests.begin(), manifests.end());
    int refused = 0, loaded = 0;
    for (const fs::path& m : manifests) {
        const std::string want = host_loads(m);
        EXPECT_EQ(fake_loads(m), want) << m;
        (want == "loaded" ? loaded : refused)++;
    }
    EXPECT_GE(refused, 10) << "the broken fixtures are refused";
    EXPECT_GE(loaded, 15) << "the plugins of this repository load";
}

TEST(FakeHostKit, ALibraryPathFindsItsManifestBesideIt) {
    FakeHost host = FakeHost::open_with_manifest((test::plugins_dir() / "prompt_caching.so").string());
    ASSERT_NE(host.manifest(), nullptr);
    EXPECT_EQ(host.manifest()->id, "prompt_caching");
    EXPECT_EQ(host.describe().at("id"), "prompt_caching");
}

TEST(FakeHostKit, ConfigIsCheckedAgainstTheSchemaAsByTheHost) {
    const fs::path m = fixture("undeclared", "undeclared");
    for (const json::object& config : {json::object{{"greeting", 5}}, json::object{{"greeting", ""}},
                                       json::object{{"other", true}}, json::object{{"greeting", "hi"}}}) {
        EXPECT_EQ(fake_loads(m, config), host_loads(m, config)) << json::serialize(config);
    }
    EXPECT_EQ(fake_loads(m, {{"greeting", 5}}), "invalid config: config.greeting: expected string, got integer");
    EXPECT_EQ(fake_loads(plugin("loop_detection"), {{"threshold", 1}}),
              "invalid config: config.threshold: expected at least 2, got 1");
}

TEST(FakeHostKit, AServiceTheManifestDoesNotDeclareFailsAsInTheHost) {
    // In agenthost: an llmsim model calls the fixture's tool four ways.
    const std::vector<json::object> uses = {
        {{"service", "fs.write"}, {"params", {{"path", "a.txt"}, {"content", "x"}}}},
        {{"service", "model.complete"}, {"params", {{"messages", json::array{}}}}},
        {{"service", "no.such_service"}},
        {{"service", "fs.read"}, {"params", {{"path", "missing.txt"}}}},
        {{"params", json::object{}}},
    };
    json::array script;
    for (const auto& u : uses) script.push_back(call("use", u));
    script.push_back(say("done"));
    test::TempDir ws;
    RuntimeBuilder b = test::builder(script);
    b.plugin_dir(test::fixture_dir("undeclared")).capability("undeclared").workspace(ws.path());
    auto rt = b.build();
    ASSERT_TRUE(rt->run_turn("go").success);
    const std::vector<Message> ms = rt->messages(rt->default_session_id());
    ASSERT_EQ(ms.size(), 1 + 2 * uses.size() + 1);

    // In the fake host, opened with the fixture's manifest.
    FakeHost host = FakeHost::open_with_manifest(fixture("undeclared", "undeclared").string());
    host.use_memory_fs();
    host.on_service("model.complete", [](const json::value&) { return json::value{{"text", "never"}}; });
    for (std::size_t i = 0; i < uses.size(); ++i) {
        const json::object& real = tool_result(ms, 2 + 2 * i);
        ASSERT_TRUE(real.at("is_error").as_bool()) << i;
        Outcome o = host.call_tool("use", uses[i]);
        EXPECT_FALSE(o.ok()) << i;
        EXPECT_EQ(o.error_message, real.at("result").as_string()) << json::serialize(uses[i]);
    }
    Outcome denied = host.call_tool("use", uses[0]);
    EXPECT_EQ(denied.status, AHP_DENIED);
    EXPECT_EQ(denied.error_code, "denied");
    EXPECT_EQ(denied.error_message,
              "plugin 'undeclared' did not declare the permission 'fs.write' that fs.write needs in its manifest");
    EXPECT_FALSE(host.memory_fs().read("a.txt")) << "the write never reached the workspace";
    // Without a manifest nothing is enforced: the same request goes through.
    FakeHost lax = FakeHost::open((test::fixture_dir("undeclared") / "undeclared.so").string());
    lax.use_memory_fs();
    EXPECT_TRUE(lax.call_tool("use", uses[0]).ok());
    EXPECT_EQ(lax.memory_fs().read("a.txt"), "x");
}

TEST(FakeHostKit, TheFilesystemPluginWorksOnTheMemoryWorkspace) {
    FakeHost host = FakeHost::open_with_manifest(plugin("filesystem").string());
    ahp::fake::MemoryFs& files = host.use_memory_fs({{"src/a.cpp", "int main() {\n  return 1;\n}\n"}, {"notes.txt", "hi\n"}});
    host.use_memory_storage();
    auto text = [&](std::string_view tool, json::object args) {
        Outcome o = host.call_tool(tool, std::move(args));
        EXPECT_TRUE(o.ok()) << tool << ": " << o.error_message;
        return o.result.is_string() ? std::string(o.result.as_string()) : json::serialize(o.result);
    };
    Outcome read = host.call_tool("read_file", {{"path", "src/a.cpp"}});
    ASSERT_TRUE(read.ok()) << read.error_message;
    EXPECT_EQ(read.result.at("content"), "     1\tint main() {\n     2\t  return 1;\n     3\t}");
    EXPECT_EQ(read.result.at("content_hash"), json::value(ahp::fake::fs_detail::sha256_tag("int main() {\n  return 1;\n}\n")));

    Outcome edit = host.call_tool("edit_file", {{"path", "src/a.cpp"},
                                                {"edits", json::array{{{"old_text", "return 1;"}, {"new_text", "return 0;"}}}}});
    ASSERT_TRUE(edit.ok()) << edit.error_message;
    EXPECT_EQ(files.read("src/a.cpp"), "int main() {\n  return 0;\n}\n");
    EXPECT_THAT(std::string(edit.result.at("diff").as_string()), HasSubstr("-  return 1;\n+  return 0;"));

    files.write("src/a.cpp", "changed behind the tool's back\n");
    Outcome stale = host.call_tool("edit_file", {{"path", "src/a.cpp"},
                                                 {"edits", json::array{{{"old_text", "changed"}, {"new_text", "x"}}}}});
    EXPECT_EQ(stale.error_message, "src/a.cpp changed since you last read it; read it again before editing");

    Outcome written = host.call_tool("write_file", {{"path", "docs/new.md"}, {"content", "# New\nmain idea\n"}});
    ASSERT_TRUE(written.ok()) << written.error_message;
    EXPECT_EQ(written.result.at("status"), "created");
    EXPECT_EQ(text("list_directory", {}), "docs/\nnotes.txt  (3 B)\nsrc/");
    EXPECT_EQ(text("glob", {{"pattern", "**/*.md"}}), "docs/new.md");
    EXPECT_EQ(text("grep_files", {{"pattern", "main"}}), "docs/new.md:2: main idea");
    EXPECT_THAT(text("stat_file", {{"path", "notes.txt"}}), HasSubstr(R"("exists":true,"type":"file","size":3)"));
    EXPECT_THAT(host.call_tool("delete_file", {{"path", "src"}}).error_message, HasSubstr("pass recursive"));
    EXPECT_TRUE(host.call_tool("delete_file", {{"path", "src"}, {"recursive", true}}).ok());
    EXPECT_EQ(files.files(), (std::map<std::string, std::string>{{"docs/new.md", "# New\nmain idea\n"}, {"notes.txt", "hi\n"}}));

    // The host checks the arguments against the tool's schema before the plugin sees them.
    Outcome bad = host.call_tool("read_file", {{"path", 7}});
    EXPECT_EQ(bad.status, AHP_INVALID_ARGUMENT);
    EXPECT_EQ(bad.error_message, "invalid arguments for 'read_file': arguments.path: expected string, got integer");
    EXPECT_THAT(host.call_tool("read_files", {}).error_message, HasSubstr("unknown tool 'read_files'; available tools: read_file,"));
}

TEST(FakeHostKit, AManifestWithoutFsWriteFailsTheWriteToolsInTheUnitTest) {
    test::TempDir dir;
    fs::copy_file(test::plugins_dir() / "filesystem.so", dir / "filesystem.so");
    std::string manifest = test::read_file(plugin("filesystem"));
    manifest = std::regex_replace(manifest, std::regex(R"("permissions": \[[^\]]*\])"), R"("permissions": ["fs.read"])");
    ASSERT_THAT(manifest, HasSubstr(R"("permissions": ["fs.read"])"));
    test::write_file(dir / "filesystem.json", manifest);

    FakeHost host = FakeHost::open_with_manifest((dir / "filesystem.json").string());
    host.use_memory_fs({{"a.txt", "one\n"}});
    host.use_memory_storage();
    EXPECT_TRUE(host.call_tool("read_file", {{"path", "a.txt"}}).ok());
    for (const auto& [tool, args] : std::vector<std::pair<std::string, json::object>>{
             {"write_file", {{"path", "a.txt"}, {"content", "two\n"}}},
             {"delete_file", {{"path", "a.txt"}}},
             {"edit_file", {{"path", "a.txt"}, {"edits", json::array{{{"old_text", "one"}, {"new_text", "two"}}}}}}}) {
        Outcome o = host.call_tool(tool, args);
        EXPECT_EQ(o.status, AHP_DENIED) << tool;
        EXPECT_THAT(o.error_message, HasSubstr("did not declare the permission 'fs.write'")) << tool;
    }
    EXPECT_EQ(host.memory_fs().read("a.txt"), "one\n");
}

TEST(FakeHostKit, CommandsGetTheHostsParamsAndOneArgumentsString) {
    auto rt = test::builder({say("unused")}).capability("probe").build();
    CommandResult real = rt->execute_command(rt->default_session_id(), "/probe_cmd", "one two  \"three\"");
    ASSERT_TRUE(real.success);

    FakeHost host = FakeHost::open_with_manifest(fixture("probe", "probe").string());
    Outcome fake = host.run_command("/probe_cmd", "one two  \"three\"");
    ASSERT_TRUE(fake.ok()) << fake.error_message;
    EXPECT_EQ(fake.result.at("message"), json::value(real.message));
    EXPECT_EQ(host.hook_system_prompt().result.at("text"), "PROBE-PROMPT");

    // btw: a side question from the history through model.complete, which needs "model".
    FakeHost btw = FakeHost::open_with_manifest(plugin("btw").string(), {{"max_tokens", 64}});
    json::value asked;
    btw.on_service("model.complete", [&](const json::value& p) {
        asked = p;
        return json::value{{"text", " forty-two "}, {"usage", {{"input_tokens", 3}}}};
    });
    json::array history{json::object{{"id", "u1"}, {"role", "user"},
                                     {"content", json::array{{{"type", "text"}, {"text", "x is 42"}}}}}};
    Outcome answer = btw.run_command("btw", "what is x?", history);
    ASSERT_TRUE(answer.ok()) << answer.error_message;
    EXPECT_EQ(answer.result.at("message"), "forty-two");
    EXPECT_EQ(asked.at("max_tokens"), 64);
    ASSERT_EQ(asked.at("messages").as_array().size(), 2u);
    EXPECT_EQ(asked.at("messages").at(1).at("content").at(0).at("text"), "what is x?");
    EXPECT_EQ(btw.run_command("btw", "  ").result.at("message"), "usage: /btw QUESTION");
}

TEST(FakeHostKit, HooksGetTheHostsParams) {
    FakeHost caching = FakeHost::open_with_manifest(plugin("prompt_caching").string(), {{"volatile_suffix", 2}});
    caching.set_session_id("s-7");
    Outcome set = caching.hook_before_model();
    ASSERT_TRUE(set.ok()) << set.error_message;
    EXPECT_EQ(json::serialize(set.result), R"({"set":{"prompt_cache":{"enabled":true,"volatile_suffix":2,"key":"s-7"}}})");

    // tool_output keeps a large result out of the context: saved whole as session data.
    FakeHost output = FakeHost::open_with_manifest(plugin("tool_output").string(), {{"threshold_bytes", 2048}});
    output.use_memory_fs();
    std::string big;
    for (int i = 0; i < 2000; ++i) big += "line " + std::to_string(i) + "\n";
    Outcome cut = output.hook_after_tool({{"id", "call-1"}, {"name", "bash"}, {"arguments", json::object{}}}, json::value{{"stdout", big}});
    ASSERT_TRUE(cut.ok()) << cut.error_message;
    EXPECT_TRUE(output.memory_fs().session_data("outputs/call-1.txt") == big) << "saved whole";
    EXPECT_THAT(std::string(cut.result.at("result").at("stdout").as_string()), HasSubstr("/@session/outputs/call-1.txt"));
    EXPECT_EQ(output.hook_after_tool({{"id", "c2"}, {"name", "bash"}}, "short").result, json::object{});

    // loop_detection reads recent_messages: the same failing call again and again.
    FakeHost loops = FakeHost::open_with_manifest(plugin("loop_detection").string(), {{"threshold", 3}});
    ahp::fake::BeforeModel params;
    params.recent_messages.push_back(json::object{{"id", "u"}, {"role", "user"},
                                                  {"content", json::array{{{"type", "text"}, {"text", "fix it"}}}}});
    for (int i = 0; i < 3; ++i) {
        const std::string id = "call_" + std::to_string(i);
        params.recent_messages.push_back(json::object{
            {"id", "a" + std::to_string(i)}, {"role", "agent"},
            {"content", json::array{{{"type", "tool_call"}, {"id", id}, {"name", "bash"}, {"arguments", {{"command", "make"}}}}}}});
        params.recent_messages.push_back(json::object{
            {"id", "r" + std::to_string(i)}, {"role", "tool_result"},
            {"content", json::array{{{"type", "tool_result"}, {"tool_call_id", id}, {"tool_name", "bash"},
                                      {"result", "error: no rule"}, {"is_error", true}}}}});
    }
    params.iteration = 4;
    Outcome warned = loops.hook_before_model(params);
    ASSERT_TRUE(warned.ok()) << warned.error_message;
    EXPECT_TRUE(warned.result.as_object().contains("append_system")) << json::serialize(warned.result);
    params.recent_messages.resize(3);
    EXPECT_EQ(loops.hook_before_model(params).result, json::object{});
}

TEST(FakeHostKit, DriverChatGivesTextUsageAndStopReason) {
    FakeHost sim = FakeHost::open_with_manifest(plugin("llmsim").string(), {{"text", "hello there"}});
    Outcome o = sim.driver_chat({{"model", "llmsim"},
                                 {"system", "be brief"},
                                 {"messages", json::array{{{"id", "u1"}, {"role", "user"},
                                                           {"content", json::array{{{"type", "text"}, {"text", "hi"}}}}}}},
                                 {"tools", json::array{}}});
    ASSERT_TRUE(o.ok()) << o.error_message;
    EXPECT_EQ(o.result.at("text"), "hello there");
    EXPECT_EQ(o.result.at("stop_reason"), "end_turn");
    EXPECT_TRUE(o.result.at("tool_calls").as_array().empty());
    for (const char* k : {"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"}) {
        EXPECT_TRUE(o.result.at("usage").as_object().contains(k)) << k;
    }
    std::string streamed;
    for (const json::value& e : o.events) {
        EXPECT_EQ(e.at("type"), "text_delta");
        streamed += e.at("text").as_string();
    }
    EXPECT_EQ(streamed, "hello there");
}

}  // namespace
}  // namespace agenthost
