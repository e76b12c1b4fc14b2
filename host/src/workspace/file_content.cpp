#include "workspace/file_content.hpp"

#include <openssl/evp.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>

namespace agenthost {

struct Sha256::Ctx {
    EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : ctx_(new Ctx) {
    ctx_->md = EVP_MD_CTX_new();
    if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(ctx_->md);
        delete ctx_;
        throw FileStoreError("io_error", "sha256 failed");
    }
}

Sha256::~Sha256() {
    EVP_MD_CTX_free(ctx_->md);
    delete ctx_;
}

void Sha256::update(std::string_view data) {
    if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) throw FileStoreError("io_error", "sha256 failed");
}

std::string Sha256::tag() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_->md, digest, &len) != 1) throw FileStoreError("io_error", "sha256 failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "sha256:";
    out.reserve(7 + 2 * len);
    for (unsigned int i = 0; i < len; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xF];
    }
    return out;
}

std::string sha256_tag(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.tag();
}

bool has_nul_prefix(std::string_view data) {
    return std::memchr(data.data(), '\0', std::min(data.size(), kBinaryProbeBytes)) != nullptr;
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

/// Where line `n` (0-based) starts after `p`, or `end` if there is none; `passed` gets the
/// newlines stepped over. Whole 4 KiB blocks are counted and skipped, the last one is walked.
const char* skip_lines(const char* p, const char* end, std::uint64_t n, std::uint64_t& passed) {
    constexpr std::size_t kBlock = 4080;
    passed = 0;
    while (n > passed && static_cast<std::size_t>(end - p) > kBlock) {
        std::uint64_t here = count_newlines(p, kBlock);
        if (passed + here >= n) break;
        passed += here;
        p += kBlock;
    }
    for (; n > passed && p < end; ++passed) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        if (!nl) return end;
        p = static_cast<const char*>(nl) + 1;
    }
    return p;
}

/// How many bytes a UTF-8 sequence starting with `lead` has (1 for a byte that cannot start one,
/// so that the validator rejects it).
std::size_t sequence_length(unsigned char lead) {
    return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

}  // namespace

LineSlicer::LineSlicer(const ReadRange& range, bool hash) : range_(range) {
    if (hash) sha_ = std::make_unique<Sha256>();
}

LineSlicer::~LineSlicer() = default;

void LineSlicer::check_text(std::string_view chunk) {
    if (size_ < kBinaryProbeBytes &&
        std::memchr(chunk.data(), '\0', std::min<std::uint64_t>(chunk.size(), kBinaryProbeBytes - size_))) {
        binary_ = true;
        return;
    }
    if (!utf8_pending_.empty()) {  // finish the sequence the last chunk began
        std::size_t need = sequence_length(static_cast<unsigned char>(utf8_pending_[0])) - utf8_pending_.size();
        std::size_t take = std::min(need, chunk.size());
        utf8_pending_.append(chunk.substr(0, take));
        chunk.remove_prefix(take);
        if (take < need) return;
        if (!is_valid_utf8(utf8_pending_)) binary_ = true;
        utf8_pending_.clear();
    }
    std::size_t cut = chunk.size();  // where a sequence the chunk does not finish begins
    for (std::size_t back = 1; back <= 3 && back <= chunk.size(); ++back) {
        auto c = static_cast<unsigned char>(chunk[chunk.size() - back]);
        if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
        if (c >= 0xC0 && sequence_length(c) > back) cut = chunk.size() - back;
        break;
    }
    if (!is_valid_utf8(chunk.substr(0, cut))) binary_ = true;
    utf8_pending_.assign(chunk.substr(cut));
}

void LineSlicer::keep(const char* begin, const char* end) {
    auto n = static_cast<std::uint64_t>(end - begin);
    if (range_.max_bytes) {  // one byte past max_bytes tells that it cut the range
        std::uint64_t cap = *range_.max_bytes == UINT64_MAX ? UINT64_MAX : *range_.max_bytes + 1;
        n = std::min<std::uint64_t>(n, cap - std::min<std::uint64_t>(cap, kept_.size()));
    }
    kept_.append(begin, static_cast<std::size_t>(n));
}

void LineSlicer::feed(std::string_view chunk) {
    if (chunk.empty()) return;
    if (sha_) sha_->update(chunk);
    if (!binary_) check_text(chunk);
    size_ += chunk.size();
    last_ = chunk.back();
    const char* p = chunk.data();
    const char* end = p + chunk.size();
    std::uint64_t passed = 0;
    if (newlines_ < range_.offset) {  // before the range
        p = skip_lines(p, end, range_.offset - newlines_, passed);
        newlines_ += passed;
    }
    std::uint64_t stop = range_.limit ? range_.offset + *range_.limit : UINT64_MAX;
    if (p < end && newlines_ >= range_.offset && newlines_ < stop && !binary_) {  // inside it
        const char* q = skip_lines(p, end, stop - newlines_, passed);
        keep(p, q);
        newlines_ += passed;
        p = q;
    }
    newlines_ += count_newlines(p, static_cast<std::size_t>(end - p));  // after it
}

FileContent LineSlicer::finish(std::optional<std::string> known_sha256) {
    FileContent out;
    out.size = size_;
    out.sha256 = known_sha256 ? std::move(*known_sha256) : sha_ ? sha_->tag() : std::string();
    out.offset = range_.offset;
    out.binary = binary_ || !utf8_pending_.empty();
    out.total_lines = newlines_ + (size_ > 0 && last_ != '\n' ? 1 : 0);
    if (out.binary || range_.offset >= out.total_lines) return out;
    std::uint64_t left = out.total_lines - range_.offset;
    out.lines_shown = range_.limit ? std::min(*range_.limit, left) : left;
    std::string_view shown = kept_;
    if (range_.max_bytes && shown.size() > *range_.max_bytes) {
        out.truncated = true;
        std::string_view head = shown.substr(0, static_cast<std::size_t>(*range_.max_bytes));
        std::size_t last_nl = head.rfind('\n');
        if (last_nl != std::string_view::npos) {
            shown = head.substr(0, last_nl + 1);  // whole lines only
            out.lines_shown = static_cast<std::uint64_t>(std::count(shown.begin(), shown.end(), '\n'));
        } else {
            shown = cut_utf8(shown, static_cast<std::size_t>(*range_.max_bytes));  // one long line: its head
            out.lines_shown = shown.empty() ? 0 : 1;
        }
    }
    out.content.assign(shown);
    return out;
}

FileContent slice_lines(std::string_view data, const ReadRange& range, std::optional<std::string> known_sha256) {
    LineSlicer slicer(range, !known_sha256);
    slicer.feed(data);
    return slicer.finish(std::move(known_sha256));
}

}  // namespace agenthost
