// Facts about file content shared by every store: hashes, binary detection, line ranges.
#pragma once

#include "base/utf8.hpp"

#include <agenthost/workspace.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost {

/// How many leading bytes binary detection looks at for a NUL byte.
inline constexpr std::size_t kBinaryProbeBytes = 8192;

/// "sha256:<lowercase hex>" of `data`.
std::string sha256_tag(std::string_view data);

/// A SHA-256 computed over data fed in pieces.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    /// Add the next bytes.
    void update(std::string_view data);
    /// "sha256:<lowercase hex>" of everything fed.
    std::string tag();

private:
    struct Ctx;
    Ctx* ctx_;
};

/// Builds the FileContent of a read range from a file's bytes fed in order, in one pass:
/// the whole file's size, line count, hash and binary flag, and only the requested lines
/// (at most max_bytes + 1 bytes of them) kept — memory is bounded by what is returned.
class LineSlicer {
public:
    /// Slice `range`; `hash` says whether to compute the whole file's hash.
    LineSlicer(const ReadRange& range, bool hash);
    ~LineSlicer();
    LineSlicer(const LineSlicer&) = delete;
    LineSlicer& operator=(const LineSlicer&) = delete;
    /// The next bytes of the file.
    void feed(std::string_view chunk);
    /// The result once the whole file was fed (its hash `known_sha256` when given).
    FileContent finish(std::optional<std::string> known_sha256 = std::nullopt);

private:
    void check_text(std::string_view chunk);
    void keep(const char* begin, const char* end);

    ReadRange range_;
    std::unique_ptr<Sha256> sha_;
    std::uint64_t size_ = 0;
    std::uint64_t newlines_ = 0;  // '\n' bytes fed so far: the 0-based line being fed
    char last_ = '\n';
    bool binary_ = false;
    std::string utf8_pending_;  // a UTF-8 sequence begun at the end of the last chunk
    std::string kept_;          // the requested lines fed so far (capped)
};

/// Whether the first 8 KiB hold a NUL byte (the quick test grep uses).
bool has_nul_prefix(std::string_view data);

/// The number of '\n' bytes in [p, p + len), counted 16 bytes at a time.
std::uint64_t count_newlines(const char* p, std::size_t len);

/// The lines `range` asks for out of a whole file, with the whole file's facts (its hash
/// computed unless known): a LineSlicer fed `data` at once.
FileContent slice_lines(std::string_view data, const ReadRange& range,
                        std::optional<std::string> known_sha256 = std::nullopt);

}  // namespace agenthost
