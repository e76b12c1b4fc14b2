// hello.cpp — the smallest useful agenthost plugin: one tool, hello{name} -> "Hello, <name>!".
#include <ahp/ahp.hpp>

#include <string>

namespace {

class Hello : public ahp::Capability {
public:
    explicit Hello(ahp::json::object config) : Capability(std::move(config)) {
        ahp::ToolSpec spec;
        spec.name = "hello";
        spec.description = "Greet someone by name.";
        spec.parameters = ahp::json::parse(R"({
            "type": "object",
            "properties": {"name": {"type": "string", "description": "who to greet"}},
            "required": ["name"]
        })");
        add_tool(std::move(spec), [](const ahp::json::object& args, ahp::Call&) -> ahp::json::value {
            const ahp::json::value* name = args.if_contains("name");
            if (!name || !name->is_string()) {
                throw ahp::Error("invalid_arguments", "hello needs a string 'name'", AHP_INVALID_ARGUMENT);
            }
            return ahp::json::string("Hello, " + std::string(name->get_string()) + "!");
        });
    }
};

}  // namespace

AHP_PLUGIN(Hello, "hello", "1.0.0")
