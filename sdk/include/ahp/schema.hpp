// schema.hpp — the JSON-schema subset agenthost checks a plugin's config and a tool's arguments
// against: type, properties, required, additionalProperties, items, enum, minimum, maximum,
// minLength, maxLength. The same rules and the same messages as the host's validator
// (host/src/base/json_schema.cpp; tests/unit/fake_host_schema_test.cpp holds both to one table
// of cases), so a plugin's unit test sees the error the host would give. C++17.
//
//   if (auto why = ahp::schema::violation(schema, config, "config")) …  // "config.x: expected integer, got string"
//   if (auto why = ahp::schema::problem(schema, "config_schema")) …     // the schema itself is unusable
#pragma once

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ahp {
inline namespace v1 {
namespace schema {

namespace detail {

namespace json = boost::json;

constexpr int kMaxDepth = 64;

inline std::string prefix(const std::string& where) { return where.empty() ? std::string() : where + ": "; }

inline std::string member_path(const std::string& where, std::string_view name) {
    return where.empty() ? std::string(name) : where + "." + std::string(name);
}

inline std::string index_path(const std::string& where, std::size_t index) {
    return (where.empty() ? std::string("value") : where) + "[" + std::to_string(index) + "]";
}

inline bool is_integral(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) return true;
    if (!v.is_double()) return false;
    const double d = v.get_double();
    return std::isfinite(d) && std::floor(d) == d;
}

/// The JSON type of an instance as a schema names it ("integer" for whole numbers).
inline std::string type_of(const json::value& v) {
    switch (v.kind()) {
        case json::kind::string: return "string";
        case json::kind::bool_: return "boolean";
        case json::kind::object: return "object";
        case json::kind::array: return "array";
        case json::kind::null: return "null";
        default: return is_integral(v) ? "integer" : "number";
    }
}

inline bool has_type(const json::value& v, std::string_view type) {
    if (type == "string") return v.is_string();
    if (type == "number") return v.is_number();
    if (type == "integer") return is_integral(v);
    if (type == "boolean") return v.is_bool();
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "null") return v.is_null();
    return false;
}

inline double as_double(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return v.get_double();
}

/// UTF-8 code points (continuation bytes are not counted).
inline std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

}  // namespace detail

/// A value for an error message: "an object", "an array", or a scalar's JSON cut at 60 characters.
inline std::string excerpt(const boost::json::value& v) {
    if (v.is_object()) return "an object";
    if (v.is_array()) return "an array";
    if (v.is_double()) {
        char buffer[32];
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, v.get_double()).ptr;
        return std::string(buffer, end);
    }
    std::string text = boost::json::serialize(v);
    return text.size() <= 60 ? text : text.substr(0, 57) + "...";
}

namespace detail {

inline std::optional<std::string> check_type(const json::value& type, const json::value& instance,
                                             const std::string& where) {
    std::string expected;
    if (type.is_string()) {
        if (has_type(instance, type.get_string())) return std::nullopt;
        expected = type.get_string();
    } else if (type.is_array()) {
        for (const auto& t : type.get_array()) {
            if (t.is_string() && has_type(instance, t.get_string())) return std::nullopt;
            if (t.is_string()) expected += (expected.empty() ? "" : " or ") + std::string(t.get_string());
        }
    } else {
        return std::nullopt;
    }
    return prefix(where) + "expected " + expected + ", got " + type_of(instance);
}

inline std::optional<std::string> violation(const json::value& schema, const json::value& instance,
                                            const std::string& where, int depth);

inline std::optional<std::string> check_object(const json::object& schema, const json::object& instance,
                                               const std::string& where, int depth) {
    const json::object* properties = nullptr;
    if (const json::value* p = schema.if_contains("properties"); p && p->is_object()) properties = &p->get_object();
    if (const json::value* r = schema.if_contains("required"); r && r->is_array()) {
        for (const auto& name : r->get_array()) {
            if (name.is_string() && !instance.contains(name.get_string()))
                return prefix(where) + "missing required property '" + std::string(name.get_string()) + "'";
        }
    }
    const json::value* additional = schema.if_contains("additionalProperties");
    for (const auto& kv : instance) {
        const std::string path = member_path(where, kv.key());
        if (properties) {
            if (const json::value* sub = properties->if_contains(kv.key())) {
                if (auto v = violation(*sub, kv.value(), path, depth + 1)) return v;
                continue;
            }
        }
        if (!additional) continue;
        if (additional->is_bool()) {
            if (additional->get_bool()) continue;
            std::string allowed;
            if (properties) {
                for (const auto& p : *properties) allowed += (allowed.empty() ? "" : ", ") + std::string(p.key());
            }
            return path + ": unknown property (expected " +
                   (allowed.empty() ? std::string("no properties") : "one of: " + allowed) + ")";
        }
        if (auto v = violation(*additional, kv.value(), path, depth + 1)) return v;
    }
    return std::nullopt;
}

inline std::optional<std::string> violation(const json::value& schema, const json::value& instance,
                                            const std::string& where, int depth) {
    if (schema.is_bool()) {
        if (schema.get_bool()) return std::nullopt;
        return prefix(where) + "no value is allowed here";
    }
    if (!schema.is_object()) return prefix(where) + "invalid schema (expected an object)";
    if (depth > kMaxDepth) return prefix(where) + "schema nested too deeply";
    const json::object& s = schema.get_object();

    if (const json::value* type = s.if_contains("type")) {
        if (auto v = check_type(*type, instance, where)) return v;
    }
    if (const json::value* options = s.if_contains("enum"); options && options->is_array()) {
        bool found = false;
        std::string listed;
        for (const auto& option : options->get_array()) {
            if (option == instance) found = true;
            listed += (listed.empty() ? "" : ", ") + excerpt(option);
        }
        if (!found) return prefix(where) + "expected one of " + listed + ", got " + excerpt(instance);
    }
    if (instance.is_number()) {
        const double x = as_double(instance);
        if (const json::value* min = s.if_contains("minimum"); min && min->is_number() && x < as_double(*min))
            return prefix(where) + "expected at least " + excerpt(*min) + ", got " + excerpt(instance);
        if (const json::value* max = s.if_contains("maximum"); max && max->is_number() && x > as_double(*max))
            return prefix(where) + "expected at most " + excerpt(*max) + ", got " + excerpt(instance);
    }
    if (instance.is_string()) {
        const std::size_t length = utf8_length(instance.get_string());
        const double len = static_cast<double>(length);
        if (const json::value* min = s.if_contains("minLength"); min && min->is_number() && len < as_double(*min))
            return prefix(where) + "expected at least " + excerpt(*min) + " characters, got " + std::to_string(length);
        if (const json::value* max = s.if_contains("maxLength"); max && max->is_number() && len > as_double(*max))
            return prefix(where) + "expected at most " + excerpt(*max) + " characters, got " + std::to_string(length);
    }
    if (instance.is_object()) {
        if (auto v = check_object(s, instance.get_object(), where, depth)) return v;
    }
    if (instance.is_array()) {
        if (const json::value* items = s.if_contains("items")) {
            const auto& array = instance.get_array();
            for (std::size_t i = 0; i < array.size(); ++i) {
                if (auto v = violation(*items, array[i], index_path(where, i), depth + 1)) return v;
            }
        }
    }
    return std::nullopt;
}

inline bool is_type_name(const json::value& v) {
    static constexpr std::array<std::string_view, 7> kNames = {"string", "number", "integer", "boolean",
                                                               "object", "array",  "null"};
    if (!v.is_string()) return false;
    for (const auto name : kNames) {
        if (v.get_string() == name) return true;
    }
    return false;
}

inline std::optional<std::string> problem(const json::value& schema, const std::string& where, int depth) {
    if (!schema.is_object()) return prefix(where) + "expected a schema object, got " + type_of(schema);
    if (depth > kMaxDepth) return prefix(where) + "schema nested too deeply";
    const json::object& s = schema.get_object();

    if (const json::value* type = s.if_contains("type")) {
        bool ok = is_type_name(*type);
        if (type->is_array()) {
            ok = !type->get_array().empty();
            for (const auto& t : type->get_array()) ok = ok && is_type_name(t);
        }
        if (!ok)
            return member_path(where, "type") +
                   ": expected a type name (string, number, integer, boolean, object, array, null) or an "
                   "array of them, got " +
                   excerpt(*type);
    }
    if (const json::value* properties = s.if_contains("properties")) {
        if (!properties->is_object())
            return member_path(where, "properties") + ": expected an object of schemas, got " + type_of(*properties);
        for (const auto& kv : properties->get_object()) {
            if (auto p = problem(kv.value(), member_path(member_path(where, "properties"), kv.key()), depth + 1)) return p;
        }
    }
    if (const json::value* required = s.if_contains("required")) {
        bool ok = required->is_array();
        if (ok) {
            for (const auto& name : required->get_array()) ok = ok && name.is_string();
        }
        if (!ok)
            return member_path(where, "required") + ": expected an array of property names, got " + excerpt(*required);
    }
    if (const json::value* additional = s.if_contains("additionalProperties"); additional && !additional->is_bool()) {
        if (!additional->is_object())
            return member_path(where, "additionalProperties") + ": expected a boolean or a schema object, got " +
                   type_of(*additional);
        if (auto p = problem(*additional, member_path(where, "additionalProperties"), depth + 1)) return p;
    }
    if (const json::value* items = s.if_contains("items")) {
        if (!items->is_object()) return member_path(where, "items") + ": expected a schema object, got " + type_of(*items);
        if (auto p = problem(*items, member_path(where, "items"), depth + 1)) return p;
    }
    if (const json::value* options = s.if_contains("enum"); options && !options->is_array())
        return member_path(where, "enum") + ": expected an array of allowed values, got " + type_of(*options);
    for (const char* key : {"minimum", "maximum"}) {
        if (const json::value* bound = s.if_contains(key); bound && !bound->is_number())
            return member_path(where, key) + ": expected a number, got " + type_of(*bound);
    }
    for (const char* key : {"minLength", "maxLength"}) {
        if (const json::value* bound = s.if_contains(key); bound && !(is_integral(*bound) && as_double(*bound) >= 0))
            return member_path(where, key) + ": expected a non-negative integer, got " + excerpt(*bound);
    }
    return std::nullopt;
}

}  // namespace detail

/// Why `instance` does not match `schema` ("config.threshold: expected integer, got string"), or
/// nullopt. `where` prefixes the path in the message.
inline std::optional<std::string> violation(const boost::json::value& schema, const boost::json::value& instance,
                                            const std::string& where) {
    return detail::violation(schema, instance, where, 0);
}

/// Why `schema` is not a usable schema of the subset, or nullopt.
inline std::optional<std::string> problem(const boost::json::value& schema, const std::string& where) {
    return detail::problem(schema, where, 0);
}

}  // namespace schema
}  // namespace v1
}  // namespace ahp
