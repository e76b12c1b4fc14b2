// What every session store does the same way: valid ids, stored types, contiguous sequences,
// titles for `sessions list`.
#pragma once

#include <agenthost/event.hpp>
#include <agenthost/storage.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace agenthost::storage_detail {

/// Longest accepted session id.
inline constexpr std::size_t kMaxSessionIdLength = 128;

/// Whether `id` is 1..128 chars of [A-Za-z0-9._-] and does not start with '.'.
inline bool is_valid_session_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > kMaxSessionIdLength || id.front() == '.') return false;
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/// Throws StorageError naming `id` unless it is a valid session id.
inline void validate_session_id(std::string_view id) {
    if (is_valid_session_id(id)) return;
    std::string shown;
    for (const char c : id.substr(0, kMaxSessionIdLength + 8)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
            static constexpr char kHex[] = "0123456789abcdef";
            shown += "\\x";
            shown += kHex[u >> 4];
            shown += kHex[u & 0xF];
        } else {
            shown += c;
        }
    }
    if (id.size() > kMaxSessionIdLength + 8) shown += "...";
    throw StorageError("invalid session id \"" + shown +
                       "\": use 1 to 128 characters of A-Z a-z 0-9 . _ - , not starting with '.'");
}

/// Throws StorageError unless `event` may be appended to `session_id` after `last_sequence`.
inline void check_appendable(const Event& event, std::string_view session_id, std::uint64_t last_sequence) {
    if (!is_stored_event(event.type)) {
        throw StorageError("refusing to store a live-only " + event.type + " event in session " +
                           std::string(session_id));
    }
    if (event.session_id != session_id) {
        throw StorageError("event " + event.id + " belongs to session \"" + event.session_id + "\", not " +
                           std::string(session_id));
    }
    if (event.sequence != last_sequence + 1) {
        throw StorageError("event " + event.id + " has sequence " + std::to_string(event.sequence) + " but session " +
                           std::string(session_id) + " expects " + std::to_string(last_sequence + 1));
    }
}

/// Longest title, in code points.
inline constexpr std::size_t kMaxTitleLength = 80;

/// The title of an `input.message` payload: the first line of its first text, cut to 80 chars.
inline std::string title_of_input(const json::object& data) {
    const auto* message = data.if_contains("message");
    if (message == nullptr || !message->is_object()) return {};
    const auto* content = message->get_object().if_contains("content");
    if (content == nullptr) return {};
    std::string_view text;
    if (content->is_string()) {
        text = content->get_string();
    } else if (content->is_array()) {
        for (const auto& part : content->get_array()) {
            if (!part.is_object()) continue;
            const auto& fields = part.get_object();
            const auto* type = fields.if_contains("type");
            const auto* part_text = fields.if_contains("text");
            if (type != nullptr && type->is_string() && type->get_string() == "text" && part_text != nullptr &&
                part_text->is_string()) {
                text = part_text->get_string();
                break;
            }
        }
    }
    const auto start = text.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return {};
    text.remove_prefix(start);
    text = text.substr(0, text.find('\n'));
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    // Cut at a code point boundary: count bytes that do not continue a UTF-8 sequence.
    std::size_t code_points = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
        if (code_points++ == kMaxTitleLength) return std::string(text.substr(0, i));
    }
    return std::string(text);
}

}  // namespace agenthost::storage_detail
