// Bounded capture of one output stream: the head and the tail are kept, the middle is counted
// and replaced by one line that says how much was cut. Memory stays O(limit) however much the
// command writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bash_plugin {

/// Keeps the first and last bytes of a stream up to `limit` in total.
class HeadTailBuffer {
public:
    /// A buffer that keeps at most `limit` bytes (half head, half tail).
    explicit HeadTailBuffer(std::size_t limit);

    /// Add the next chunk of the stream.
    void append(std::string_view data);
    /// Every byte the stream produced, kept or not.
    std::uint64_t total_bytes() const noexcept { return total_bytes_; }
    /// Whether render() will cut something.
    bool truncated() const noexcept { return total_bytes_ > head_limit_ + tail_limit_; }
    /// The kept text as valid UTF-8, with a "[… N bytes (M lines) cut …]" line in the middle
    /// when the stream was longer than the limit.
    std::string render() const;

private:
    std::size_t head_limit_;
    std::size_t tail_limit_;
    std::string head_;
    std::string tail_;  // the last bytes after the head; trimmed lazily to tail_limit_
    std::uint64_t total_bytes_ = 0;
    std::uint64_t total_lines_ = 0;  // newline characters seen
};

/// `text` with every invalid UTF-8 sequence replaced by U+FFFD, so it can go into JSON.
std::string sanitize_utf8(std::string_view text);

/// The longest prefix of `text` of at most `max_bytes` that does not split a UTF-8 character.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace bash_plugin
