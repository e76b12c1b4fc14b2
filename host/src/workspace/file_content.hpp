// Facts about file content shared by every store: hashes, binary detection, line ranges.
#pragma once

#include "base/utf8.hpp"

#include <agenthost/workspace.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost {

/// How many leading bytes binary detection looks at for a NUL byte.
inline constexpr std::size_t kBinaryProbeBytes = 8192;

/// "sha256:<lowercase hex>" of `data`.
std::string sha256_tag(std::string_view data);

/// Whether the first 8 KiB hold a NUL byte (the quick test grep uses).
bool has_nul_prefix(std::string_view data);

/// A NUL byte in the first 8 KiB, or invalid UTF-8 anywhere.
bool is_binary_content(std::string_view data);

/// The number of '\n' bytes in [p, p + len), counted 16 bytes at a time.
std::uint64_t count_newlines(const char* p, std::size_t len);

/// The lines `range` asks for out of a whole file, with the whole file's facts (its hash
/// computed unless known).
FileContent slice_lines(std::string_view data, const ReadRange& range,
                        std::optional<std::string> known_sha256 = std::nullopt);

}  // namespace agenthost
