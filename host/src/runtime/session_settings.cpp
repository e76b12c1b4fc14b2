// SessionSettings: what a session was created with and how resuming it changed that (the
// `settings` of session.created, folded with session.reconfigured events).
#include <agenthost/runtime.hpp>

#include <array>
#include <utility>

namespace agenthost {

namespace {

using Field = std::optional<std::string> SessionSettings::*;

constexpr std::array<std::pair<std::string_view, Field>, 5> kFields = {{
    {"harness", &SessionSettings::harness},
    {"model", &SessionSettings::model},
    {"workspace", &SessionSettings::workspace},
    {"approval", &SessionSettings::approval},
    {"sandbox", &SessionSettings::sandbox},
}};

json::value to_value(const std::optional<std::string>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

/// A recorded value: a string, else unset (null or anything a hand-edited log holds).
std::optional<std::string> from_value(const json::value* v) {
    if (v && v->is_string()) return std::string(v->get_string());
    return std::nullopt;
}

}  // namespace

json::object SessionSettings::to_json() const {
    json::object out;
    for (const auto& [name, member] : kFields) out[name] = to_value(this->*member);
    return out;
}

std::optional<SessionSettings> SessionSettings::of_events(const std::vector<Event>& events) {
    std::optional<SessionSettings> settings;
    for (const Event& e : events) {
        if (e.type == event_type::kSessionCreated) {
            const json::value* recorded = e.data.if_contains("settings");
            if (!recorded || !recorded->is_object()) return std::nullopt;
            settings.emplace();
            for (const auto& [name, member] : kFields)
                (*settings).*member = from_value(recorded->get_object().if_contains(name));
        } else if (e.type == event_type::kSessionReconfigured && settings) {
            const json::value* field = e.data.if_contains("field");
            for (const auto& [name, member] : kFields) {
                if (field && field->is_string() && field->get_string() == name)
                    (*settings).*member = from_value(e.data.if_contains("to"));
            }
        }
    }
    return settings;
}

std::vector<json::object> SessionSettings::changes_from(const SessionSettings& before) const {
    std::vector<json::object> out;
    for (const auto& [name, member] : kFields) {
        if (before.*member == this->*member) continue;
        out.push_back(
            json::object{{"field", name}, {"from", to_value(before.*member)}, {"to", to_value(this->*member)}});
    }
    return out;
}

}  // namespace agenthost
