#include "base/json_schema.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

namespace agenthost {
namespace {

namespace json = boost::json;

constexpr int kMaxSchemaDepth = 64;
constexpr std::array<std::string_view, 7> kTypeNames = {"string", "number", "integer", "boolean",
                                                        "object", "array", "null"};

/// "where: " or "" at the root.
std::string prefix(const std::string& where) { return where.empty() ? std::string() : where + ": "; }

/// where.name, or name at the root.
std::string member_path(const std::string& where, std::string_view name) {
    return where.empty() ? std::string(name) : where + "." + std::string(name);
}

/// where[index].
std::string index_path(const std::string& where, std::size_t index) {
    return (where.empty() ? std::string("value") : where) + "[" + std::to_string(index) + "]";
}

bool is_integral(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) return true;
    if (!v.is_double()) return false;
    const double d = v.get_double();
    return std::isfinite(d) && std::floor(d) == d;
}

/// The JSON type of an instance, as a schema would name it ("integer" for whole numbers).
std::string type_of(const json::value& v) {
    switch (v.kind()) {
        case json::kind::string: return "string";
        case json::kind::bool_: return "boolean";
        case json::kind::object: return "object";
        case json::kind::array: return "array";
        case json::kind::null: return "null";
        default: return is_integral(v) ? "integer" : "number";
    }
}

bool has_type(const json::value& v, std::string_view type) {
    if (type == "string") return v.is_string();
    if (type == "number") return v.is_number();
    if (type == "integer") return is_integral(v);
    if (type == "boolean") return v.is_bool();
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "null") return v.is_null();
    return false;
}

double as_double(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return v.get_double();
}


/// Number of UTF-8 code points (continuation bytes are not counted).
std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (const unsigned char c : s) {
        if ((c & 0xC0) != 0x80) ++n;
    }
    return n;
}

std::optional<std::string> check_type(const json::value& type, const json::value& instance,
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

std::optional<std::string> violation(const json::value& schema, const json::value& instance,
                                     const std::string& where, int depth);

std::optional<std::string> check_object(const json::object& schema, const json::object& instance,
                                        const std::string& where, int depth) {
    const json::object* properties = nullptr;
    if (auto it = schema.find("properties"); it != schema.end() && it->value().is_object())
        properties = &it->value().get_object();

    if (auto it = schema.find("required"); it != schema.end() && it->value().is_array()) {
        for (const auto& name : it->value().get_array()) {
            if (name.is_string() && !instance.contains(name.get_string()))
                return prefix(where) + "missing required property '" + std::string(name.get_string()) + "'";
        }
    }

    const json::value* additional = schema.if_contains("additionalProperties");
    for (const auto& [key, value] : instance) {
        const std::string path = member_path(where, key);
        if (properties) {
            if (auto it = properties->find(key); it != properties->end()) {
                if (auto v = violation(it->value(), value, path, depth + 1)) return v;
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
        if (auto v = violation(*additional, value, path, depth + 1)) return v;
    }
    return std::nullopt;
}

std::optional<std::string> violation(const json::value& schema, const json::value& instance,
                                     const std::string& where, int depth) {
    if (schema.is_bool()) {
        if (schema.get_bool()) return std::nullopt;
        return prefix(where) + "no value is allowed here";
    }
    if (!schema.is_object()) return prefix(where) + "invalid schema (expected an object)";
    if (depth > kMaxSchemaDepth) return prefix(where) + "schema nested too deeply";
    const json::object& s = schema.get_object();

    if (const auto* type = s.if_contains("type")) {
        if (auto v = check_type(*type, instance, where)) return v;
    }
    if (const auto* options = s.if_contains("enum"); options && options->is_array()) {
        bool found = false;
        std::string listed;
        for (const auto& option : options->get_array()) {
            if (option == instance) found = true;
            listed += (listed.empty() ? "" : ", ") + json_excerpt(option);
        }
        if (!found) return prefix(where) + "expected one of " + listed + ", got " + json_excerpt(instance);
    }
    if (instance.is_number()) {
        const double x = as_double(instance);
        if (const auto* min = s.if_contains("minimum"); min && min->is_number() && x < as_double(*min))
            return prefix(where) + "expected at least " + json_excerpt(*min) + ", got " + json_excerpt(instance);
        if (const auto* max = s.if_contains("maximum"); max && max->is_number() && x > as_double(*max))
            return prefix(where) + "expected at most " + json_excerpt(*max) + ", got " + json_excerpt(instance);
    }
    if (instance.is_string()) {
        const std::size_t length = utf8_length(instance.get_string());
        if (const auto* min = s.if_contains("minLength"); min && min->is_number() && length < as_double(*min))
            return prefix(where) + "expected at least " + json_excerpt(*min) + " characters, got " + std::to_string(length);
        if (const auto* max = s.if_contains("maxLength"); max && max->is_number() && length > as_double(*max))
            return prefix(where) + "expected at most " + json_excerpt(*max) + " characters, got " + std::to_string(length);
    }
    if (instance.is_object()) {
        if (auto v = check_object(s, instance.get_object(), where, depth)) return v;
    }
    if (instance.is_array()) {
        if (const auto* items = s.if_contains("items")) {
            const auto& array = instance.get_array();
            for (std::size_t i = 0; i < array.size(); ++i) {
                if (auto v = violation(*items, array[i], index_path(where, i), depth + 1)) return v;
            }
        }
    }
    return std::nullopt;
}

bool is_type_name(const json::value& v) {
    if (!v.is_string()) return false;
    for (const auto name : kTypeNames) {
        if (v.get_string() == name) return true;
    }
    return false;
}

bool is_non_negative_integer(const json::value& v) { return is_integral(v) && as_double(v) >= 0; }

std::optional<std::string> problem(const json::value& schema, const std::string& where, int depth) {
    if (!schema.is_object())
        return prefix(where) + "expected a schema object, got " + type_of(schema);
    if (depth > kMaxSchemaDepth) return prefix(where) + "schema nested too deeply";
    const json::object& s = schema.get_object();

    if (const auto* type = s.if_contains("type")) {
        bool ok = is_type_name(*type);
        if (type->is_array()) {
            ok = !type->get_array().empty();
            for (const auto& t : type->get_array()) ok = ok && is_type_name(t);
        }
        if (!ok)
            return member_path(where, "type") +
                   ": expected a type name (string, number, integer, boolean, object, array, null) or an "
                   "array of them, got " + json_excerpt(*type);
    }
    if (const auto* properties = s.if_contains("properties")) {
        if (!properties->is_object())
            return member_path(where, "properties") + ": expected an object of schemas, got " + type_of(*properties);
        for (const auto& [key, sub] : properties->get_object()) {
            if (auto p = problem(sub, member_path(member_path(where, "properties"), key), depth + 1)) return p;
        }
    }
    if (const auto* required = s.if_contains("required")) {
        bool ok = required->is_array();
        if (ok) {
            for (const auto& name : required->get_array()) ok = ok && name.is_string();
        }
        if (!ok) return member_path(where, "required") + ": expected an array of property names, got " + json_excerpt(*required);
    }
    if (const auto* additional = s.if_contains("additionalProperties"); additional && !additional->is_bool()) {
        if (!additional->is_object())
            return member_path(where, "additionalProperties") + ": expected a boolean or a schema object, got " +
                   type_of(*additional);
        if (auto p = problem(*additional, member_path(where, "additionalProperties"), depth + 1)) return p;
    }
    if (const auto* items = s.if_contains("items")) {
        if (!items->is_object())
            return member_path(where, "items") + ": expected a schema object, got " + type_of(*items);
        if (auto p = problem(*items, member_path(where, "items"), depth + 1)) return p;
    }
    if (const auto* options = s.if_contains("enum"); options && !options->is_array())
        return member_path(where, "enum") + ": expected an array of allowed values, got " + type_of(*options);
    for (const char* key : {"minimum", "maximum"}) {
        if (const auto* bound = s.if_contains(key); bound && !bound->is_number())
            return member_path(where, key) + ": expected a number, got " + type_of(*bound);
    }
    for (const char* key : {"minLength", "maxLength"}) {
        if (const auto* bound = s.if_contains(key); bound && !is_non_negative_integer(*bound))
            return member_path(where, key) + ": expected a non-negative integer, got " + json_excerpt(*bound);
    }
    return std::nullopt;
}

}  // namespace

std::string json_excerpt(const json::value& v) {
    if (v.is_object()) return "an object";
    if (v.is_array()) return "an array";
    if (v.is_double()) {
        char buffer[32];
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, v.get_double()).ptr;
        return std::string(buffer, end);
    }
    std::string text = json::serialize(v);
    return text.size() <= 60 ? text : text.substr(0, 57) + "...";
}

std::optional<std::string> schema_violation(const boost::json::value& schema,
                                            const boost::json::value& instance,
                                            const std::string& where) {
    return violation(schema, instance, where, 0);
}

std::optional<std::string> schema_problem(const boost::json::value& schema, const std::string& where) {
    return problem(schema, where, 0);
}

namespace {

bool flag(const json::object& schema, std::string_view key) {
    const json::value* v = schema.if_contains(key);
    return v && v->is_bool() && v->get_bool();
}

/// Every string in `v`, nested ones included.
void strings_of(const json::value& v, std::vector<std::string>& out) {
    if (v.is_string()) out.emplace_back(v.get_string());
    if (v.is_array()) {
        for (const json::value& item : v.get_array()) strings_of(item, out);
    }
    if (v.is_object()) {
        for (const auto& kv : v.get_object()) strings_of(kv.value(), out);
    }
}

void collect_secrets(const json::value& schema, const json::value& instance, SchemaSecrets& out, int depth) {
    const json::object* s = schema.if_object();
    if (!s || depth > 64) return;
    if (flag(*s, "writeOnly")) strings_of(instance, out.values);
    if (flag(*s, "x-secret-env")) strings_of(instance, out.env_names);
    if (const json::object* o = instance.if_object()) {
        const json::value* props = s->if_contains("properties");
        const json::value* additional = s->if_contains("additionalProperties");
        for (const auto& kv : *o) {
            const json::value* sub = props && props->is_object() ? props->get_object().if_contains(kv.key()) : nullptr;
            if (!sub) sub = additional;
            if (sub) collect_secrets(*sub, kv.value(), out, depth + 1);
        }
    }
    if (const json::array* a = instance.if_array()) {
        if (const json::value* items = s->if_contains("items")) {
            for (const json::value& item : *a) collect_secrets(*items, item, out, depth + 1);
        }
    }
}

}  // namespace

SchemaSecrets schema_secrets(const json::value& schema, const json::value& instance) {
    SchemaSecrets out;
    collect_secrets(schema, instance, out, 0);
    return out;
}

}  // namespace agenthost
