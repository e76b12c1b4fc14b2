// throws.cpp — tools that throw: `boom` a std::runtime_error, `boom_unknown` an int. The
// ahp.hpp thunks must turn both into an error status; `ok` shows the plugin still works after.
#include <ahp/ahp.hpp>

#include <stdexcept>

namespace {

ahp::json::object no_parameters() {
    return ahp::json::object{{"type", "object"}, {"properties", ahp::json::object{}}};
}

class Throws : public ahp::Capability {
public:
    explicit Throws(ahp::json::object config) : Capability(std::move(config)) {
        add_tool({"boom", "Throws std::runtime_error.", no_parameters()},
                 [](const ahp::json::object&, ahp::Call&) -> ahp::json::value {
                     throw std::runtime_error("boom went off");
                 });
        add_tool({"boom_unknown", "Throws an int.", no_parameters()},
                 [](const ahp::json::object&, ahp::Call&) -> ahp::json::value { throw 42; });
        add_tool({"ok", "Answers ok.", no_parameters()},
                 [](const ahp::json::object&, ahp::Call&) -> ahp::json::value { return "ok"; });
    }
};

}  // namespace

AHP_PLUGIN(Throws, "throws", "1.0.0")
