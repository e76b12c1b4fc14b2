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
    // The same text as serialize(to_json(event)), without copying the data to build it.
    std::string out = R"({"id":)";
    out += json::serialize(json::string_view(event.id));
    out += R"(,"type":)";
    out += json::serialize(json::string_view(event.type));
    out += R"(,"ts":)";
    out += json::serialize(json::string_view(event.ts));
    out += R"(,"session_id":)";
    out += json::serialize(json::string_view(event.session_id));
    out += R"(,"sequence":)";
    out += std::to_string(event.sequence);
    out += R"(,"context":{)";
    if (!event.turn_id.empty()) {
        out += R"("turn_id":)";
        out += json::serialize(json::string_view(event.turn_id));
    }
    out += R"(},"data":)";
    out += json::serialize(event.data);
    out += '}';
    return out;
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
    // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted):
    // every event is stamped, and gmtime_r + snprintf cost ten times as much.
    std::int64_t days = seconds / 86400;
    std::int64_t secs = seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t doe = days - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {  // outside what four digits can say: the slow, general way
        std::tm utc{};
        gmtime_r(&seconds, &utc);
        char buffer[96];
        std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                      utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
        return buffer;
    }
    char out[25] = "0000-00-00T00:00:00.000Z";
    auto put = [&out](std::size_t at, std::int64_t value, int width) {
        for (int i = width - 1; i >= 0; --i, value /= 10) out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, secs / 3600, 2);
    put(14, secs / 60 % 60, 2);
    put(17, secs % 60, 2);
    put(20, millis, 3);
    return std::string(out, 24);
}

}  // namespace agenthost
