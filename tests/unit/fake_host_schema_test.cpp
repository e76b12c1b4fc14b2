// The SDK's copies of the host's checks agree with the host's own: the JSON-schema subset
// (ahp/schema.hpp vs base/json_schema.cpp) on a table of schema/value cases, and the manifest
// reader (ahp/manifest.hpp vs plugins/manifest.cpp) on good and broken manifests — the same
// verdicts, word for word.
#include "support/test_env.hpp"

#include "base/json_schema.hpp"
#include "plugins/manifest.hpp"

#include <agenthost/errors.hpp>
#include <ahp/manifest.hpp>
#include <ahp/schema.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace agenthost {
namespace {

namespace json = boost::json;

json::value j(const char* text) { return json::parse(text); }

struct Case {
    const char* schema;
    const char* value;
    bool valid;  // what the host says, stated here too so a case that stops testing anything shows
};

const std::vector<Case>& cases() {
    static const std::vector<Case> kCases = {
        {R"({})", R"(5)", true},
        {R"(true)", R"({"a":1})", true},
        {R"(false)", R"(1)", false},
        {R"("nope")", R"(1)", false},
        {R"({"type":"string"})", R"("x")", true},
        {R"({"type":"string"})", R"(3)", false},
        {R"({"type":"integer"})", R"(3.0)", true},
        {R"({"type":"integer"})", R"(3.5)", false},
        {R"({"type":"integer"})", R"(18446744073709551615)", true},
        {R"({"type":"number"})", R"(1e300)", true},
        {R"({"type":"number"})", R"(-0.25)", true},
        {R"({"type":["string","null"]})", R"(null)", true},
        {R"({"type":["string","null"]})", R"(false)", false},
        {R"({"type":["string",7]})", R"(1)", false},
        {R"({"type":7})", R"(1)", true},
        {R"({"type":"boolean"})", R"([])", false},
        {R"({"enum":["a","b",3]})", R"("b")", true},
        {R"({"enum":["a","b",3]})", R"(3.0)", false},
        {R"({"enum":[{"x":1},[1,2]]})", R"("x")", false},
        {R"({"minimum":2,"maximum":4.5})", R"(5)", false},
        {R"({"minimum":2,"maximum":4.5})", R"(1.25)", false},
        {R"({"minimum":2,"maximum":4.5})", R"(4.5)", true},
        {R"({"minimum":-1})", R"("strings are not bounded")", true},
        {R"({"minLength":2,"maxLength":3})", R"("é")", false},
        {R"({"minLength":2,"maxLength":3})", R"("日本語x")", false},
        {R"({"minLength":2,"maxLength":3})", R"("日本")", true},
        {R"({"type":"object","required":["a","b"]})", R"({"a":1})", false},
        {R"({"type":"object","properties":{"a":{"type":"integer","minimum":1}}})", R"({"a":0})", false},
        {R"({"properties":{"a":{"type":"integer"}},"additionalProperties":false})", R"({"a":1,"b":2})", false},
        {R"({"additionalProperties":false})", R"({"b":2})", false},
        {R"({"properties":{"a":{}},"additionalProperties":{"type":"string"}})", R"({"a":1,"b":2})", false},
        {R"({"properties":{"a":{}},"additionalProperties":{"type":"string"}})", R"({"a":1,"b":"2"})", true},
        {R"({"items":{"type":"object","properties":{"n":{"enum":[1]}}}})", R"([{"n":1},{"n":2}])", false},
        {R"({"items":{"type":"integer"}})", R"([1,2,3])", true},
        {R"({"properties":{"deep":{"properties":{"er":{"items":{"maxLength":1}}}}}})", R"({"deep":{"er":["a","bb"]}})",
         false},
        {R"({"type":"object","properties":{"x":{"type":"string","enum":["a"]}}})", R"({"x":"a"})", true},
        {R"({"enum":["a much longer option that goes on and on past the sixty character cut"]})", R"("b")", false},
    };
    return kCases;
}

TEST(FakeHostSchema, TheSdkValidatorGivesTheHostsVerdictAndMessageOnEveryCase) {
    for (const Case& c : cases()) {
        const json::value schema = j(c.schema), value = j(c.value);
        for (const std::string where : {"", "config", "arguments"}) {
            std::optional<std::string> host = schema_violation(schema, value, where);
            std::optional<std::string> sdk = ahp::schema::violation(schema, value, where);
            EXPECT_EQ(sdk, host) << c.schema << " against " << c.value << " at '" << where << "'";
            EXPECT_EQ(!host.has_value(), c.valid) << c.schema << " against " << c.value << ": " << host.value_or("valid");
        }
    }
}

TEST(FakeHostSchema, TheSdkFindsTheSameProblemsInSchemas) {
    const char* schemas[] = {
        R"({})",
        R"([])",
        R"({"type":"strin"})",
        R"({"type":[]})",
        R"({"type":["string","nul"]})",
        R"({"properties":[]})",
        R"({"properties":{"a":{"type":"object","properties":{"b":5}}}})",
        R"({"required":"a"})",
        R"({"required":["a",1]})",
        R"({"additionalProperties":"no"})",
        R"({"additionalProperties":{"type":"wrong"}})",
        R"({"items":[{"type":"string"}]})",
        R"({"items":{"enum":"a"}})",
        R"({"minimum":"1"})",
        R"({"maxLength":-1})",
        R"({"minLength":1.5})",
        R"({"minLength":2.0,"maximum":1e3,"enum":[1,"a",null]})",
    };
    int problems = 0;
    for (const char* text : schemas) {
        for (const std::string where : {"", "config_schema"}) {
            std::optional<std::string> host = schema_problem(j(text), where);
            EXPECT_EQ(ahp::schema::problem(j(text), where), host) << text;
            problems += host.has_value();
        }
    }
    EXPECT_EQ(problems, 2 * 15) << "the table keeps its bad schemas bad";
    for (const char* text : {R"(1.5)", R"(1e300)", R"("a")", R"({"a":1})", R"([1])", R"(null)"}) {
        EXPECT_EQ(ahp::schema::excerpt(j(text)), json_excerpt(j(text))) << text;
    }
    const std::string long_text = "\"" + std::string(100, 'x') + "\"";
    EXPECT_EQ(ahp::schema::excerpt(j(long_text.c_str())), json_excerpt(j(long_text.c_str())));
}

/// The host's verdict on a manifest file: its error message, or the fields it read.
std::string host_reads(const std::filesystem::path& file) {
    try {
        PluginManifest m = read_plugin_manifest(file);
        std::string perms;
        for (const auto& p : m.permissions) perms += p + ",";
        return m.id + "|" + m.kind + "|" + m.version + "|" + m.abi + "|" + m.library_path.string() + "|" + perms + "|" +
               json::serialize(m.config_schema);
    } catch (const ConfigError& e) {
        return std::string("error: ") + e.what();
    }
}

std::string sdk_reads(const std::filesystem::path& file) {
    try {
        ahp::Manifest m = ahp::read_manifest(file);
        std::string perms;
        for (const auto& p : m.permissions) perms += p + ",";
        return m.id + "|" + m.kind + "|" + m.version + "|" + m.abi + "|" + m.library_path.string() + "|" + perms + "|" +
               json::serialize(m.config_schema);
    } catch (const ahp::ManifestError& e) {
        return std::string("error: ") + e.what();
    }
}

TEST(FakeHostSchema, TheSdkReadsManifestsAsTheHostDoes) {
    test::TempDir dir;
    const std::string good =
        R"({"id":"m","kind":"capability","version":"1.0.0","abi":"1.1","library":"m.so","permissions":["fs.read","net"],)"
        R"("config_schema":{"type":"object","properties":{"n":{"type":"integer"}}}})";
    const std::vector<std::pair<std::string, std::string>> files = {
        {"m.json", good},
        {"m.json", R"({"id":"m","kind":"driver","version":"2","abi":"1.0","library":"m.so"})"},
        {"m.json", R"({"id":"other","kind":"capability","version":"1","abi":"1.0","library":"m.so"})"},
        {"m.json", R"({"id":"M!","kind":"capability","version":"1","abi":"1.0","library":"m.so"})"},
        {"m.json", R"({"id":"m","kind":"tool","version":"1","abi":"1.0","library":"m.so"})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"","abi":"1.0","library":"m.so"})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"1","abi":"one","library":"m.so"})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"1","abi":"1.0","library":"../m.so"})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"1","abi":"1.0"})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"1","abi":"1.0","library":"m.so","permissions":["disk"]})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"1","abi":"1.0","library":"m.so","permissions":[""]})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"1","abi":"1.0","library":"m.so","provides":"x"})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"1","abi":"1.0","library":"m.so","extra":1})"},
        {"m.json", R"({"id":"m","kind":"capability","version":"1","abi":"1.0","library":"m.so","config_schema":[]})"},
        {"m.json",
         R"({"id":"m","kind":"capability","version":"1","abi":"1.0","library":"m.so","config_schema":{"type":"int"}})"},
        {"m.json", R"({"id":"m","kind":"capability",)"},
        {"m.json", "{\"id\":\"m\"}\n  trailing"},
        {"m.json", "[1,2]"},
        {"m.json", std::string(70, '[') + std::string(70, ']')},
        {"m.json", std::string(1024 * 1024 + 10, ' ')},
    };
    int errors = 0;
    for (const auto& [name, text] : files) {
        test::write_file(dir / name, text);
        const std::string host = host_reads(dir / name);
        EXPECT_EQ(sdk_reads(dir / name), host) << text.substr(0, 200);
        errors += host.rfind("error: ", 0) == 0;
    }
    EXPECT_EQ(errors, static_cast<int>(files.size()) - 2);
    EXPECT_EQ(sdk_reads(dir / "missing.json"), host_reads(dir / "missing.json"));
    EXPECT_EQ(sdk_reads(dir.path()), host_reads(dir.path()));
}

}  // namespace
}  // namespace agenthost
