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

namespace {

/// The length of the well-formed UTF-8 sequence at p (1 to 4), or 0 if none starts there.
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
    const unsigned char c = *p;
    if (c < 0x80) return 1;
    int extra = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF)
        extra = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        extra = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        extra = 3, cp = c & 0x07;
    else
        return 0;
    if (end - p <= extra) return 0;
    for (int i = 1; i <= extra; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;  // overlong, surrogate or out of range
    }
    return static_cast<std::size_t>(extra) + 1;
}

/// Eight ASCII bytes at p (the fast path).
bool ascii8(const unsigned char* p) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    return (word & 0x8080808080808080ULL) == 0;
}

}  // namespace

bool is_valid_utf8(std::string_view data) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const auto* end = p + data.size();
    while (p < end) {
        if (end - p >= 8 && ascii8(p)) {
            p += 8;
            continue;
        }
        const std::size_t n = utf8_sequence(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

std::string repair_utf8(std::string_view data) {
    std::string out;
    out.reserve(data.size());
    const auto* begin = reinterpret_cast<const unsigned char*>(data.data());
    const auto* p = begin;
    const auto* end = p + data.size();
    const unsigned char* run = p;  // start of the well-formed bytes not yet copied
    while (p < end) {
        if (end - p >= 8 && ascii8(p)) {
            p += 8;
            continue;
        }
        const std::size_t n = utf8_sequence(p, end);
        if (n != 0) {
            p += n;
            continue;
        }
        out.append(data.data() + (run - begin), static_cast<std::size_t>(p - run));
        out += "\xEF\xBF\xBD";  // U+FFFD
        run = ++p;
    }
    out.append(data.data() + (run - begin), static_cast<std::size_t>(end - run));
    return out;
}

bool is_binary_content(std::string_view data) {
    return has_nul_prefix(data) || !is_valid_utf8(data);
}

std::string_view cut_utf8(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) return s;
    std::size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] continues a sequence
    return s.substr(0, n);
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
