#include "entities.hpp"

#include "text.hpp"

#include <algorithm>
#include <cstring>

namespace html {
namespace {

struct Entity {
    const char* name;
    const char* value;
    int legacy;
};

constexpr Entity kEntities[] = {
#include "entity_table.inc"
};

constexpr std::size_t kLongestName = 32;

/// The entity named exactly `name`, or nullptr.
const Entity* find_entity(std::string_view name) {
    const Entity* end = std::end(kEntities);
    const Entity* it = std::lower_bound(std::begin(kEntities), end, name, [](const Entity& e, std::string_view n) {
        return std::string_view(e.name) < n;
    });
    return it != end && std::string_view(it->name) == name ? it : nullptr;
}

/// Windows-1252 code points for the C1 range of numeric references (&#150; → U+2013).
constexpr char16_t kC1[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                              0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                              0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Decode the numeric reference at raw[i] ('&#…'); returns the bytes consumed, 0 if none.
std::size_t numeric(std::string& out, std::string_view raw, std::size_t i) {
    std::size_t j = i + 2;
    bool hex = j < raw.size() && (raw[j] == 'x' || raw[j] == 'X');
    j += hex;
    std::size_t start = j;
    std::uint32_t cp = 0;
    for (; j < raw.size(); ++j) {
        int d = hex ? hex_value(raw[j]) : (raw[j] >= '0' && raw[j] <= '9' ? raw[j] - '0' : -1);
        if (d < 0) break;
        if (cp <= 0x10FFFF) cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
    }
    if (j == start) return 0;
    if (j < raw.size() && raw[j] == ';') ++j;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        cp = 0xFFFD;
    } else if (cp >= 0x80 && cp <= 0x9F) {
        cp = kC1[cp - 0x80];
    }
    append_utf8(out, cp);
    return j - i;
}

/// Decode the named reference at raw[i] ('&name'); returns the bytes consumed, 0 if none.
std::size_t named(std::string& out, std::string_view raw, std::size_t i, bool in_attribute) {
    std::size_t j = i + 1;
    while (j < raw.size() && j - i - 1 < kLongestName && is_alnum(raw[j])) ++j;
    std::string_view name = raw.substr(i + 1, j - i - 1);
    if (name.empty()) return 0;
    if (j < raw.size() && raw[j] == ';') {
        if (const Entity* e = find_entity(name)) {
            out.append(e->value);
            return j + 1 - i;
        }
    }
    // A legacy name without ';', longest first ("&copy2024" → "©2024", "&ampx" → "&x").
    for (std::size_t len = name.size(); len >= 2; --len) {
        const Entity* e = find_entity(name.substr(0, len));
        if (!e || !e->legacy) continue;
        std::size_t end = i + 1 + len;
        if (in_attribute && end < raw.size() && (is_alnum(raw[end]) || raw[end] == '=')) return 0;
        out.append(e->value);
        return len + 1;
    }
    return 0;
}

}  // namespace

void append_decoded(std::string& out, std::string_view raw, bool in_attribute) {
    std::size_t i = 0;
    while (i < raw.size()) {
        const void* amp = std::memchr(raw.data() + i, '&', raw.size() - i);
        if (!amp) {
            out.append(raw.data() + i, raw.size() - i);
            return;
        }
        std::size_t a = static_cast<std::size_t>(static_cast<const char*>(amp) - raw.data());
        out.append(raw.data() + i, a - i);
        std::size_t used = 0;
        if (a + 1 < raw.size()) {
            used = raw[a + 1] == '#' ? numeric(out, raw, a) : named(out, raw, a, in_attribute);
        }
        if (used == 0) {
            out.push_back('&');
            used = 1;
        }
        i = a + used;
    }
}

std::string decode_entities(std::string_view raw, bool in_attribute) {
    std::string out;
    out.reserve(raw.size());
    append_decoded(out, raw, in_attribute);
    return out;
}

}  // namespace html
