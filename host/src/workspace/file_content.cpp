#include "workspace/file_content.hpp"

#include <openssl/evp.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>

namespace agenthost {

std::string sha256_tag(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
        throw FileStoreError("io_error", "sha256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "sha256:";
    out.reserve(7 + 2 * len);
    for (unsigned int i = 0; i < len; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xF];
    }
    return out;
}

bool has_nul_prefix(std::string_view data) {
    return std::memchr(data.data(), '\0', std::min(data.size(), kBinaryProbeBytes)) != nullptr;
}

bool is_binary_content(std::string_view data) {
    return has_nul_prefix(data) || !is_valid_utf8(data);
}

/// SSE2 byte compares summed in 8-bit lanes, 255 blocks at a time (a plain loop without SSE2).
std::uint64_t count_newlines(const char* p, std::size_t len) {
    std::uint64_t total = 0;
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n');
    while (len - i >= 16) {
        std::size_t blocks = std::min<std::size_t>((len - i) / 16, 255);
        __m128i acc = _mm_setzero_si128();
        for (std::size_t b = 0; b < blocks; ++b, i += 16) {
            __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, nl));  // a match is -1: subtracting counts it
        }
        __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
        total += static_cast<std::uint64_t>(_mm_cvtsi128_si64(sums)) +
                 static_cast<std::uint64_t>(_mm_extract_epi16(sums, 4));
    }
#endif
    for (; i < len; ++i) total += p[i] == '\n';
    return total;
}

namespace {

/// Where line `n` (0-based) starts after `p`, or `end` if there is none: whole 4 KiB blocks
/// are counted and skipped, the last one is walked.
const char* skip_lines(const char* p, const char* end, std::uint64_t n) {
    constexpr std::size_t kBlock = 4080;
    while (n > 0 && static_cast<std::size_t>(end - p) > kBlock) {
        std::uint64_t here = count_newlines(p, kBlock);
        if (here >= n) break;
        n -= here;
        p += kBlock;
    }
    for (; n > 0 && p < end; --n) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        p = nl ? static_cast<const char*>(nl) + 1 : end;
    }
    return p;
}

}  // namespace

FileContent slice_lines(std::string_view data, const ReadRange& range, std::optional<std::string> known_sha256) {
    FileContent out;
    out.size = data.size();
    out.sha256 = known_sha256 ? std::move(*known_sha256) : sha256_tag(data);
    out.offset = range.offset;
    out.binary = is_binary_content(data);
    const char* base = data.data();
    const char* end = base + data.size();
    out.total_lines = count_newlines(base, data.size());
    if (!data.empty() && data.back() != '\n') ++out.total_lines;
    if (out.binary || range.offset >= out.total_lines) return out;

    const char* begin = skip_lines(base, end, range.offset);
    std::uint64_t want =
        range.limit ? std::min(*range.limit, out.total_lines - range.offset) : out.total_lines - range.offset;
    const char* stop = skip_lines(begin, end, want);
    std::string_view shown(begin, static_cast<std::size_t>(stop - begin));
    out.lines_shown = want;
    if (range.max_bytes && shown.size() > *range.max_bytes) {
        out.truncated = true;
        std::string_view head = shown.substr(0, static_cast<std::size_t>(*range.max_bytes));
        std::size_t last_nl = head.rfind('\n');
        if (last_nl != std::string_view::npos) {
            shown = head.substr(0, last_nl + 1);  // whole lines only
            out.lines_shown = static_cast<std::uint64_t>(std::count(shown.begin(), shown.end(), '\n'));
        } else {
            shown = cut_utf8(shown, static_cast<std::size_t>(*range.max_bytes));  // one long line: its head
            out.lines_shown = shown.empty() ? 0 : 1;
        }
    }
    out.content.assign(shown);
    return out;
}

}  // namespace agenthost
