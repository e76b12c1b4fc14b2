// Event envelopes: JSON in and out, UUIDv7 ids and RFC 3339 timestamps (DESIGN §7).
#include <agenthost/event.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <utility>

namespace agenthost {
namespace {

/// A small, fast PRNG (xoshiro256**), one per thread, seeded from std::random_device.
class FastRandom {
public:
    FastRandom() {
        std::random_device device;
        for (auto& word : state_) {
            word = (static_cast<std::uint64_t>(device()) << 32) ^ device();
        }
        if ((state_[0] | state_[1] | state_[2] | state_[3]) == 0) state_[0] = 1;
    }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> state_{};
};

[[noreturn]] void missing(std::string_view field) {
    throw EventFormatError("event field \"" + std::string(field) + "\" is missing");
}

[[noreturn]] void mistyped(std::string_view field, std::string_view expected) {
    throw EventFormatError("event field \"" + std::string(field) + "\" must be " + std::string(expected));
}

std::string string_field(const json::value* value, std::string_view field) {
    if (value == nullptr) missing(field);
    const auto* text = value->if_string();
    if (text == nullptr) mistyped(field, "a string");
    return std::string(text->data(), text->size());
}

std::uint64_t sequence_field(const json::value* value) {
    constexpr std::string_view kField = "sequence";
    if (value == nullptr) missing(kField);
    if (const auto* u = value->if_uint64()) return *u;
    if (const auto* i = value->if_int64(); i != nullptr && *i >= 0) {
        return static_cast<std::uint64_t>(*i);
    }
    mistyped(kField, "a non-negative integer");
}

}  // namespace

bool is_stored_event(std::string_view type) noexcept {
    return type != event_type::kOutputDelta;
}

json::object to_json(const Event& event) {
    json::object out;
    out.reserve(7);
    out.emplace("id", event.id);
    out.emplace("type", event.type);
    out.emplace("ts", event.ts);
    out.emplace("session_id", event.session_id);
    out.emplace("sequence", event.sequence);
    json::object context;
    if (!event.turn_id.empty()) context.emplace("turn_id", event.turn_id);
    out.emplace("context", std::move(context));
    out.emplace("data", event.data);
    return out;
}

std::string to_json_line(const Event& event) {
    return json::serialize(to_json(event));
}

Event event_from_json(json::value&& value) {
    auto* object = value.if_object();
    if (object == nullptr) throw EventFormatError("an event must be a JSON object");

    // One pass over the members (replay calls this for every line of a log).
    json::value* id = nullptr;
    json::value* type = nullptr;
    json::value* ts = nullptr;
    json::value* session_id = nullptr;
    json::value* sequence = nullptr;
    json::value* context = nullptr;
    json::value* data = nullptr;
    for (auto& member : *object) {
        const std::string_view key = member.key();
        json::value* slot = &member.value();
        if (key == "id")
            id = slot;
        else if (key == "type")
            type = slot;
        else if (key == "ts")
            ts = slot;
        else if (key == "session_id")
            session_id = slot;
        else if (key == "sequence")
            sequence = slot;
        else if (key == "context")
            context = slot;
        else if (key == "data")
            data = slot;
    }

    Event event;
    event.id = string_field(id, "id");
    event.type = string_field(type, "type");
    event.ts = string_field(ts, "ts");
    event.session_id = string_field(session_id, "session_id");
    event.sequence = sequence_field(sequence);

    // context is optional ({} outside a turn); context.turn_id, when present, a string.
    if (context != nullptr) {
        auto* context_object = context->if_object();
        if (context_object == nullptr) mistyped("context", "an object");
        if (auto* turn = context_object->if_contains("turn_id")) {
            event.turn_id = string_field(turn, "context.turn_id");
        }
    }

    if (data == nullptr) missing("data");
    auto* data_object = data->if_object();
    if (data_object == nullptr) mistyped("data", "an object");
    // The caller's value owns the storage: with the default one, this move is O(1).
    event.data = std::move(*data_object);
    return event;
}

std::string new_uuid_v7() {
    thread_local FastRandom random;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto unix_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());

    // RFC 9562 §5.7: 48-bit unix_ts_ms | ver(4)=7 | rand_a(12) | var(2)=0b10 | rand_b(62).
    const std::uint64_t r1 = random.next();
    const std::uint64_t r2 = random.next();
    const std::uint64_t high = (unix_ms << 16) | 0x7000u | (r1 & 0x0FFFu);
    const std::uint64_t low = (r2 & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;

    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(36, '-');
    std::size_t pos = 0;
    auto put = [&](std::uint64_t word, int first_nibble, int count) {
        for (int i = 0; i < count; ++i) {
            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
            const int shift = 60 - 4 * (first_nibble + i);
            out[pos++] = kHex[(word >> shift) & 0xF];
        }
    };
    put(high, 0, 16);
    put(low, 0, 16);
    return out;
}

std::string now_rfc3339() { return format_rfc3339(std::chrono::system_clock::now()); }

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
    const auto ms_total = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    auto seconds = static_cast<std::time_t>(ms_total / 1000);
    auto millis = static_cast<int>(ms_total % 1000);
    if (millis < 0) {  // before 1970: floor, not truncate
        millis += 1000;
        --seconds;
    }
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
    return buffer;
}

}  // namespace agenthost
