// prompt_caching: asks the model driver to cache the stable prefix of every request. Its
// before_model hook answers {"set": {"prompt_cache": {"enabled": true, "key": <session id>,
// "volatile_suffix": N}}}, which the host merges into the model request (docs/context-services.md);
// each driver maps it to its provider:
//   - anthropic: cache_control breakpoints on the system prompt, the last tool and the last block
//     of each of the two most recent messages, skipping the last N (volatile) messages;
//   - openai: prompt_cache_key = key (OpenAI caches prefixes by itself).
// Keep volatile text (the time, live facts) out of the cached prefix: a plugin that adds such
// text appends it as the LAST message, and volatile_suffix says how many trailing messages that
// is. Volatile text in the system prompt (append_system included) changes the prefix on every
// call and defeats the cache from the system prompt on.
#include <ahp/ahp.hpp>

namespace {

namespace json = ahp::json;

class PromptCaching : public ahp::Capability {
public:
    explicit PromptCaching(json::object cfg) : Capability(std::move(cfg)) {
        for (const auto& kv : config()) {
            if (kv.key() != "volatile_suffix") {
                throw ahp::Error(
                    "invalid_config",
                    "prompt_caching config: unknown field '" + std::string(kv.key()) + "' (expected volatile_suffix)",
                    AHP_INVALID_ARGUMENT);
            }
            const json::value& v = kv.value();
            if (!v.is_int64() || v.get_int64() < 0) {
                throw ahp::Error("invalid_config", "prompt_caching config 'volatile_suffix': must be an integer >= 0",
                                 AHP_INVALID_ARGUMENT);
            }
            volatile_suffix_ = v.get_int64();
        }
        on_hook("before_model", [this](const json::object& params, ahp::Call&) { return before_model(params); });
    }

private:
    json::value before_model(const json::object& params) const {
        json::object cache{{"enabled", true}, {"volatile_suffix", volatile_suffix_}};
        const json::value* sid = params.if_contains("session_id");
        if (sid && sid->is_string() && !sid->get_string().empty()) cache["key"] = sid->get_string();
        return json::object{{"set", json::object{{"prompt_cache", std::move(cache)}}}};
    }

    std::int64_t volatile_suffix_ = 0;
};

}  // namespace

AHP_PLUGIN(PromptCaching, "prompt_caching", "1.0.0")
