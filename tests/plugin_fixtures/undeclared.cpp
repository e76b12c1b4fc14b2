// undeclared.cpp — a capability whose manifest declares only fs.read, with a tool that asks the
// host for any service: the kit's tests show a service it did not declare the permission for
// failing the same way in the fake host (ahp_fake.hpp) as in agenthost.
#include <ahp/ahp.hpp>

#include <string>

namespace {

namespace json = ahp::json;

class Undeclared : public ahp::Capability {
public:
    explicit Undeclared(json::object config) : Capability(std::move(config)) {
        add_tool({"use", "Ask the host for a service and return its answer.",
                  json::object{{"type", "object"},
                               {"properties", {{"service", {{"type", "string"}}}, {"params", {{"type", "object"}}}}},
                               {"required", {"service"}}}},
                 [](const json::object& a, ahp::Call& call) -> json::value {
                     const json::value* params = a.if_contains("params");
                     return call.request(string_field(a, "service"), params ? *params : json::value(json::object()));
                 });
    }
};

}  // namespace

AHP_PLUGIN(Undeclared, FIXTURE_ID, "1.0.0")
