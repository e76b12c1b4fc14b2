// The daemon's one bearer token (DESIGN §8 Auth): kept in a 0600 file, compared in constant time.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost::server {

/// The token in `file`, or a new one (32 random bytes as hex) written there with mode 0600 when
/// the file does not exist. Throws ConfigError when it cannot be read or made, is empty, or is
/// readable by group or others.
std::string load_or_create_token(const std::filesystem::path& file);

/// Whether `presented` is `expected`, in time that does not depend on where they differ.
bool token_matches(std::string_view expected, std::string_view presented);

/// The token of an `Authorization: Bearer <token>` header value, or nullopt for another scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization);

/// The token of a Sec-WebSocket-Protocol list offering `agenthost.bearer.<token>`, if any.
std::optional<std::string> subprotocol_token(std::string_view protocols);

}  // namespace agenthost::server
