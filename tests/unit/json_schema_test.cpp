#include "base/json_schema.hpp"

#include <gtest/gtest.h>

namespace {

namespace json = boost::json;
using agenthost::schema_problem;
using agenthost::schema_violation;

/// The violation message, or "" when the instance matches.
std::string violation(const char* schema, const char* instance, const std::string& where = "config") {
    return schema_violation(json::parse(schema), json::parse(instance), where).value_or("");
}

/// The problem message, or "" when the schema is usable.
std::string problem(const char* schema, const std::string& where = "schema") {
    return schema_problem(json::parse(schema), where).value_or("");
}

const char* const kConfigSchema = R"({
  "type": "object",
  "description": "ignored",
  "properties": {
    "threshold": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
    "name": {"type": "string", "minLength": 2, "maxLength": 4, "title": "ignored"},
    "mode": {"enum": ["fast", "slow"]},
    "ratio": {"type": "number"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "maybe": {"type": ["string", "null"]},
    "nested": {"type": "object", "properties": {"deep": {"type": "boolean"}}, "required": ["deep"]}
  },
  "required": ["threshold"],
  "additionalProperties": false
})";

TEST(JsonSchema, AcceptsAValidInstance) {
    EXPECT_EQ(violation(kConfigSchema,
                        R"({"threshold": 3, "name": "abc", "mode": "fast", "ratio": 0.5, "tags": ["a"],
                            "maybe": null, "nested": {"deep": true}})"),
              "");
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 10, "maybe": "x"})"), "");
}

TEST(JsonSchema, TypeMismatchNamesThePath) {
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": "3"})"), "config.threshold: expected integer, got string");
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "ratio": true})"),
              "config.ratio: expected number, got boolean");
    EXPECT_EQ(violation(kConfigSchema, "[]"), "config: expected object, got array");
}

TEST(JsonSchema, IntegerMeansNoFraction) {
    EXPECT_EQ(violation(R"({"type": "integer"})", "3.0"), "");
    EXPECT_EQ(violation(R"({"type": "integer"})", "-7"), "");
    EXPECT_EQ(violation(R"({"type": "integer"})", "3.5"), "config: expected integer, got number");
    EXPECT_EQ(violation(R"({"type": "number"})", "3"), "");
}

TEST(JsonSchema, TypeArrayListsEveryAlternative) {
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "maybe": 4})"),
              "config.maybe: expected string or null, got integer");
}

TEST(JsonSchema, Required) {
    EXPECT_EQ(violation(kConfigSchema, "{}"), "config: missing required property 'threshold'");
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "nested": {}})"),
              "config.nested: missing required property 'deep'");
}

TEST(JsonSchema, AdditionalPropertiesFalseNamesTheField) {
    const std::string message = violation(kConfigSchema, R"({"threshold": 1, "extra": 1})");
    EXPECT_NE(message.find("config.extra: unknown property"), std::string::npos) << message;
    EXPECT_NE(message.find("threshold"), std::string::npos) << message;
}

TEST(JsonSchema, AdditionalPropertiesSchema) {
    const char* schema = R"({"type": "object", "additionalProperties": {"type": "integer"}})";
    EXPECT_EQ(violation(schema, R"({"a": 1, "b": 2})"), "");
    EXPECT_EQ(violation(schema, R"({"a": 1, "b": "x"})"), "config.b: expected integer, got string");
    EXPECT_EQ(violation(R"({"type": "object"})", R"({"anything": [1]})"), "");
}

TEST(JsonSchema, Items) {
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "tags": ["a", 2]})"),
              "config.tags[1]: expected string, got integer");
}

TEST(JsonSchema, Enum) {
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "mode": "medium"})"),
              R"(config.mode: expected one of "fast", "slow", got "medium")");
}

TEST(JsonSchema, MinimumMaximum) {
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 0})"), "config.threshold: expected at least 1, got 0");
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 11})"), "config.threshold: expected at most 10, got 11");
}

TEST(JsonSchema, LengthCountsCharactersNotBytes) {
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "name": "a"})"),
              "config.name: expected at least 2 characters, got 1");
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "name": "abcde"})"),
              "config.name: expected at most 4 characters, got 5");
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "name": "\u00e9\u00e9\u00e9\u00e9"})"), "");
}

TEST(JsonSchema, NestedPath) {
    EXPECT_EQ(violation(kConfigSchema, R"({"threshold": 1, "nested": {"deep": 1}})"),
              "config.nested.deep: expected boolean, got integer");
}

TEST(JsonSchema, EmptyWhereHasNoPrefix) {
    EXPECT_EQ(violation(R"({"type": "string"})", "1", ""), "expected string, got integer");
    EXPECT_EQ(violation(R"({"properties": {"a": {"type": "string"}}})", R"({"a": 1})", ""),
              "a: expected string, got integer");
}

TEST(JsonSchema, UnknownKeywordsAreIgnored) {
    EXPECT_EQ(problem(R"({"type": "string", "format": "uri", "$schema": "x", "pattern": "["})"), "");
    EXPECT_EQ(violation(R"({"type": "string", "pattern": "^a$"})", R"("b")"), "");
}

TEST(JsonSchema, ValidSchemasHaveNoProblem) {
    EXPECT_EQ(problem(kConfigSchema), "");
    EXPECT_EQ(problem("{}"), "");
    EXPECT_EQ(problem(R"({"additionalProperties": {"type": "number"}})"), "");
}

TEST(JsonSchema, ProblemNotAnObject) {
    EXPECT_EQ(problem("[]"), "schema: expected a schema object, got array");
    EXPECT_EQ(problem("true"), "schema: expected a schema object, got boolean");
}

TEST(JsonSchema, ProblemWronglyTypedKeywords) {
    EXPECT_NE(problem(R"({"type": "str"})").find("schema.type: expected a type name"), std::string::npos);
    EXPECT_NE(problem(R"({"type": []})").find("schema.type:"), std::string::npos);
    EXPECT_NE(problem(R"({"type": ["string", 3]})").find("schema.type:"), std::string::npos);
    EXPECT_EQ(problem(R"({"properties": []})"), "schema.properties: expected an object of schemas, got array");
    EXPECT_EQ(problem(R"({"properties": {"a": {"type": "nope"}}})").rfind("schema.properties.a.type:", 0), 0u);
    EXPECT_EQ(problem(R"({"properties": {"a": 3}})"), "schema.properties.a: expected a schema object, got integer");
    EXPECT_EQ(problem(R"({"required": "a"})"), R"(schema.required: expected an array of property names, got "a")");
    EXPECT_EQ(problem(R"({"required": [1]})"), "schema.required: expected an array of property names, got an array");
    EXPECT_EQ(problem(R"({"additionalProperties": 1})"),
              "schema.additionalProperties: expected a boolean or a schema object, got integer");
    EXPECT_EQ(problem(R"({"additionalProperties": {"type": 1}})").rfind("schema.additionalProperties.type:", 0), 0u);
    EXPECT_EQ(problem(R"({"items": [{}]})"), "schema.items: expected a schema object, got array");
    EXPECT_EQ(problem(R"({"items": {"minimum": "1"}})"), "schema.items.minimum: expected a number, got string");
    EXPECT_EQ(problem(R"({"enum": "a"})"), "schema.enum: expected an array of allowed values, got string");
    EXPECT_EQ(problem(R"({"maximum": null})"), "schema.maximum: expected a number, got null");
    EXPECT_EQ(problem(R"({"minLength": -1})"), "schema.minLength: expected a non-negative integer, got -1");
    EXPECT_EQ(problem(R"({"maxLength": 1.5})"), "schema.maxLength: expected a non-negative integer, got 1.5");
}

TEST(JsonSchema, DeepSchemaIsAProblemNotACrash) {
    std::string schema;
    for (int i = 0; i < 100; ++i) schema += R"({"items": )";
    schema += "{}";
    for (int i = 0; i < 100; ++i) schema += "}";
    json::parse_options options;
    options.max_depth = 1000;
    const auto parsed = json::parse(schema, {}, options);
    const auto message = schema_problem(parsed, "schema");
    ASSERT_TRUE(message.has_value());
    EXPECT_NE(message->find("too deeply"), std::string::npos) << *message;
}

}  // namespace
