// test_math: `add` and `multiply`, the smallest useful capability; the math harness and the
// provider fixtures (multiply(1231, 2331)) use it.
#include <ahp/ahp.hpp>

#include <cmath>
#include <limits>

namespace {

namespace json = ahp::json;

json::value number_schema() {
    return json::object{{"type", "object"},
                        {"properties", json::object{{"a", json::object{{"type", "number"}, {"description", "first operand"}}},
                                                    {"b", json::object{{"type", "number"}, {"description", "second operand"}}}}},
                        {"required", json::array{"a", "b"}},
                        {"additionalProperties", false}};
}

/// An operand as a number; integers stay exact.
json::value operand(const json::object& args, const char* key) {
    const json::value* v = args.if_contains(key);
    if (!v || !v->is_number()) {
        throw ahp::Error("invalid_arguments", std::string("'") + key + "' must be a number", AHP_INVALID_ARGUMENT);
    }
    return *v;
}

bool as_int(const json::value& v, std::int64_t& out) {
    if (v.is_int64()) return out = v.get_int64(), true;
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return out = static_cast<std::int64_t>(v.get_uint64()), true;
    }
    return false;
}

double as_double(const json::value& v) { return v.to_number<double>(); }

class TestMath : public ahp::Capability {
public:
    explicit TestMath(json::object config) : Capability(std::move(config)) {
        add_tool({"add", "Add two numbers and return the exact sum.", number_schema(), false},
                 [](const json::object& args, ahp::Call&) -> json::value {
                     json::value a = operand(args, "a"), b = operand(args, "b");
                     std::int64_t x = 0, y = 0, r = 0;
                     if (as_int(a, x) && as_int(b, y) && !__builtin_add_overflow(x, y, &r)) return r;
                     return as_double(a) + as_double(b);
                 });
        add_tool({"multiply", "Multiply two numbers and return the exact product.", number_schema(), false},
                 [](const json::object& args, ahp::Call&) -> json::value {
                     json::value a = operand(args, "a"), b = operand(args, "b");
                     std::int64_t x = 0, y = 0, r = 0;
                     if (as_int(a, x) && as_int(b, y) && !__builtin_mul_overflow(x, y, &r)) return r;
                     return as_double(a) * as_double(b);
                 });
    }
};

}  // namespace

AHP_PLUGIN(TestMath, "test_math", "1.0.0")
