// good.cpp — a valid capability with one tool, `ping` -> "pong". Built as `good_tool` (the
// plugin the host must go on loading next to the broken ones) and as `dup` (the same id in
// two plugin folders); FIXTURE_ID picks the id.
#include <ahp/ahp.hpp>

#ifndef FIXTURE_ID
#error "FIXTURE_ID must be defined"
#endif

namespace {

class GoodTool : public ahp::Capability {
public:
    explicit GoodTool(ahp::json::object config) : Capability(std::move(config)) {
        add_tool({"ping", "Answers pong.", ahp::json::object{{"type", "object"}, {"properties", ahp::json::object{}}}},
                 [](const ahp::json::object&, ahp::Call&) -> ahp::json::value { return "pong"; });
    }
};

}  // namespace

AHP_PLUGIN(GoodTool, FIXTURE_ID, "1.0.0")
