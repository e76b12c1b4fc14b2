#include "plugins/manifest.hpp"

#include "agenthost/errors.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

namespace fs = std::filesystem;
using agenthost::ConfigError;
using agenthost::PluginManifest;
using agenthost::read_plugin_manifest;

/// A fresh temporary folder, removed at the end of the test.
class ManifestTest : public ::testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        dir_ = fs::temp_directory_path() /
               ("agenthost_manifest_test_" + std::to_string(std::random_device{}()) + "_" + std::to_string(counter++));
        fs::create_directories(dir_ / "plugins");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    fs::path write(const std::string& name, const std::string& text) {
        const fs::path file = dir_ / "plugins" / name;
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }

    /// The ConfigError message for a manifest x.json with `text`, or "" when it is accepted.
    std::string error_for(const std::string& text, const std::string& name = "x.json") {
        const fs::path file = write(name, text);
        try {
            read_plugin_manifest(file);
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "";
    }

    /// A valid manifest for x.json with one field replaced (or removed when `value` is empty).
    static std::string with(const std::string& field, const std::string& value) {
        std::vector<std::pair<std::string, std::string>> fields = {
            {"id", R"("x")"}, {"kind", R"("capability")"}, {"version", R"("1.0.0")"},
            {"abi", R"("1.0")"}, {"library", R"("x.so")"}};
        std::string out = "{";
        bool replaced = false;
        for (auto& [k, v] : fields) {
            if (k == field) {
                replaced = true;
                if (value.empty()) continue;
                v = value;
            }
            out += (out.size() > 1 ? ", " : "") + ("\"" + k + "\": " + v);
        }
        if (!replaced) out += ", \"" + field + "\": " + value;
        return out + "}";
    }

    fs::path dir_;
};

/// `message` names the file and the field and contains `expected`.
void expect_names(const std::string& message, const std::string& field, const std::string& expected) {
    EXPECT_NE(message.find("x.json: field '" + field + "': "), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
}

TEST_F(ManifestTest, ReadsAFullManifest) {
    const fs::path file = write("test_math.json", R"({
        "id": "test_math", "kind": "capability", "version": "0.1.0", "abi": "1.0",
        "library": "test_math.so", "description": "add and multiply",
        "provides": ["add", "multiply"], "permissions": ["fs.read", "net"],
        "config_schema": {"type": "object", "properties": {"precision": {"type": "integer"}}}
    })");
    const PluginManifest m = read_plugin_manifest(file);
    EXPECT_EQ(m.file, file);
    EXPECT_EQ(m.id, "test_math");
    EXPECT_EQ(m.kind, "capability");
    EXPECT_EQ(m.version, "0.1.0");
    EXPECT_EQ(m.abi, "1.0");
    EXPECT_EQ(m.library, "test_math.so");
    EXPECT_EQ(m.library_path, dir_ / "plugins" / "test_math.so");
    EXPECT_EQ(m.description, "add and multiply");
    EXPECT_EQ(m.provides, (std::vector<std::string>{"add", "multiply"}));
    EXPECT_EQ(m.permissions, (std::vector<std::string>{"fs.read", "net"}));
    EXPECT_TRUE(m.config_schema.is_object());
}

TEST_F(ManifestTest, MinimalManifestHasDefaults) {
    const PluginManifest m = read_plugin_manifest(write("x.json", with("kind", R"("driver")")));
    EXPECT_EQ(m.kind, "driver");
    EXPECT_TRUE(m.description.empty());
    EXPECT_TRUE(m.provides.empty());
    EXPECT_TRUE(m.permissions.empty());
    EXPECT_TRUE(m.config_schema.is_null());
}

TEST_F(ManifestTest, MissingRequiredFields) {
    expect_names(error_for(with("id", "")), "id", "required field missing");
    expect_names(error_for(with("kind", "")), "kind", R"(required field missing (expected "capability" or "driver"))");
    expect_names(error_for(with("version", "")), "version", "required field missing");
    expect_names(error_for(with("abi", "")), "abi", R"(required field missing (expected "MAJOR.MINOR")");
    expect_names(error_for(with("library", "")), "library", "required field missing (expected a plain file name");
}

TEST_F(ManifestTest, UnknownField) {
    expect_names(error_for(with("entry", R"("main")")), "entry", "unknown field (expected one of: id, kind,");
}

TEST_F(ManifestTest, Id) {
    expect_names(error_for(with("id", "3")), "id", "expected a string of [a-z0-9_]");
    expect_names(error_for(with("id", R"("y")")), "id", R"(expected "x" (the file name without .json), got "y")");
    const std::string bad = error_for(with("id", R"("Bad-Id")"), "Bad-Id.json");
    EXPECT_NE(bad.find("Bad-Id.json: field 'id': expected a string of [a-z0-9_]"), std::string::npos) << bad;
    const std::string long_id(65, 'a');
    const std::string too_long = error_for(with("id", "\"" + long_id + "\""), long_id + ".json");
    EXPECT_NE(too_long.find("field 'id': expected a string of [a-z0-9_], at most 64 characters"), std::string::npos)
        << too_long;
}

TEST_F(ManifestTest, Kind) {
    EXPECT_EQ(error_for(with("kind", R"("tool")")),
              (dir_ / "plugins" / "x.json").string() + R"(: field 'kind': expected "capability" or "driver", got "tool")");
    expect_names(error_for(with("kind", "[]")), "kind", R"(expected "capability" or "driver", got an array)");
}

TEST_F(ManifestTest, Version) {
    expect_names(error_for(with("version", R"("")")), "version", "expected a non-empty version string");
    expect_names(error_for(with("version", "1")), "version", "expected a non-empty version string");
}

TEST_F(ManifestTest, Abi) {
    for (const char* bad : {R"("1")", R"("1.")", R"(".1")", R"("1.0.0")", R"("v1.0")", R"("1.x")", "1.0"})
        expect_names(error_for(with("abi", bad)), "abi", R"(expected "MAJOR.MINOR" such as "1.0")");
}

TEST_F(ManifestTest, Library) {
    for (const char* bad : {R"("../x.so")", R"("/usr/lib/x.so")", R"("sub/x.so")", R"("..")", R"("")", "7"})
        expect_names(error_for(with("library", bad)), "library", "expected a plain file name");
}

TEST_F(ManifestTest, OptionalFieldTypes) {
    expect_names(error_for(with("description", "1")), "description", "expected a string, got 1");
    expect_names(error_for(with("provides", R"("add")")), "provides", R"(expected an array of strings, got "add")");
    expect_names(error_for(with("provides", R"(["add", 2])")), "provides[1]", "expected a non-empty string, got 2");
    expect_names(error_for(with("permissions", R"(["fs.read", "root"])")), "permissions[1]",
                 R"(expected one of fs.read, fs.write, exec, net, model, got "root")");
    expect_names(error_for(with("permissions", "{}")), "permissions", "expected an array of strings, got an object");
}

TEST_F(ManifestTest, ConfigSchema) {
    expect_names(error_for(with("config_schema", "[]")), "config_schema", "expected a JSON schema object, got an array");
    expect_names(error_for(with("config_schema", R"({"type": "obj"})")), "config_schema",
                 "type: expected a type name");
    expect_names(error_for(with("config_schema", R"({"properties": {"a": {"minimum": "0"}}})")), "config_schema",
                 "properties.a.minimum: expected a number, got string");
    EXPECT_EQ(error_for(with("config_schema", R"({"type": "object", "x-custom": 1})")), "");
}

TEST_F(ManifestTest, MalformedJsonNamesLineAndColumn) {
    const std::string file = (dir_ / "plugins" / "x.json").string();
    const std::string message = error_for("{\n  \"id\": \"x\",\n  \"kind\": tru\n}");
    EXPECT_EQ(message.rfind(file + ":3:", 0), 0u) << message;
    EXPECT_NE(message.find("malformed JSON"), std::string::npos) << message;
    EXPECT_EQ(error_for("{\"id\": \"x\"").rfind(file + ":1:11: malformed JSON: unexpected end of file", 0), 0u);
    EXPECT_EQ(error_for("{} {}").rfind(file + ":1:4: malformed JSON: unexpected text after the JSON value", 0), 0u);
    EXPECT_EQ(error_for("").rfind(file + ":1:1: malformed JSON", 0), 0u);
}

TEST_F(ManifestTest, TopLevelMustBeAnObject) {
    EXPECT_NE(error_for("[1]").find("x.json: expected a JSON object at the top level, got an array"), std::string::npos);
}

TEST_F(ManifestTest, DepthIsCapped) {
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    const std::string message = error_for(with("description", deep));
    EXPECT_NE(message.find("malformed JSON: nested deeper than 64 levels"), std::string::npos) << message;
}

TEST_F(ManifestTest, SizeIsCapped) {
    const std::string message = error_for(with("description", "\"" + std::string(1024 * 1024, 'a') + "\""));
    EXPECT_NE(message.find("x.json: file is larger than 1 MiB"), std::string::npos) << message;
}

TEST_F(ManifestTest, MissingFileAndFolder) {
    try {
        read_plugin_manifest(dir_ / "plugins" / "nope.json");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("nope.json: cannot read: no such file"), std::string::npos);
    }
    fs::create_directories(dir_ / "plugins" / "dir.json");
    EXPECT_THROW(read_plugin_manifest(dir_ / "plugins" / "dir.json"), ConfigError);
}

TEST_F(ManifestTest, InvalidUtf8IsMalformed) {
    EXPECT_NE(error_for(with("description", "\"\xff\xfe\"")).find("malformed JSON"), std::string::npos);
}

TEST(ParseAbiVersion, Accepts) {
    unsigned major = 9;
    unsigned minor = 9;
    EXPECT_TRUE(agenthost::parse_abi_version("1.0", major, minor));
    EXPECT_EQ(major, 1u);
    EXPECT_EQ(minor, 0u);
    EXPECT_TRUE(agenthost::parse_abi_version("12.34", major, minor));
    EXPECT_EQ(major, 12u);
    EXPECT_EQ(minor, 34u);
}

TEST(ParseAbiVersion, Rejects) {
    unsigned major = 0;
    unsigned minor = 0;
    for (const char* bad : {"", "1", "1.", ".1", "1.0.0", "a.b", "-1.0", "1.-0", " 1.0", "1.0 ", "99999999999.0"})
        EXPECT_FALSE(agenthost::parse_abi_version(bad, major, minor)) << bad;
}

}  // namespace
