// The one secret redactor of the process: every event (stored or live), log line, tool result
// and line the CLI prints goes through it before it is stored or shown (docs/security.md).
#pragma once

#include <boost/json/fwd.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

/// What a secret is replaced by.
inline constexpr std::string_view kRedacted = "[REDACTED]";
/// Secrets shorter than this (in bytes) are redacted only as whole words: where the bytes
/// around them are not letters, digits or '_'. A longer secret is redacted wherever it occurs.
inline constexpr std::size_t kMinSubstringSecret = 8;

/// Known secret values, and the text with them replaced by kRedacted. A value is also found in
/// its JSON-escaped forms (quotes, backslashes, controls, \uXXXX for non-ASCII, "\/").
/// Thread-safe; values are only ever added.
class Redactor {
public:
    /// The process's redactor: what events, logs and the CLI's output go through.
    static Redactor& global();

    /// Add a secret value (empty values are ignored).
    void add(std::string_view value);
    /// Whether no secret is known (the fast path).
    bool empty() const noexcept;
    /// `text` with every secret replaced.
    std::string redact(std::string_view text) const;
    /// Replace every secret in `text`; true if anything changed.
    bool redact_in_place(std::string& text) const;
    /// `text` redacted, or nullopt if it holds no secret.
    std::optional<std::string> redacted(std::string_view text) const;

    struct Pattern {
        std::string text;
        bool whole_word = false;
    };
    using Patterns = std::vector<Pattern>;

    /// Redacts text that arrives in pieces (a model's streamed deltas): a secret split across two
    /// pieces is still caught, because a tail that may begin a secret is held back until the
    /// next piece shows whether it does. A UTF-8 sequence is never split either.
    class Stream {
    public:
        explicit Stream(const Redactor& redactor) : redactor_(redactor) {}
        /// Take a piece; returns what may be shown now (possibly empty).
        std::string feed(std::string_view piece);
        /// The held-back rest, redacted; the stream is empty afterwards.
        std::string finish();

    private:
        const Redactor& redactor_;
        std::string pending_;
        int prev_ = -1;  // the byte before pending_ (-1: the start)
    };
    /// A stream over this redactor.
    Stream stream() const { return Stream(*this); }

private:
    std::shared_ptr<const Patterns> patterns() const;

    mutable std::mutex mu_;
    std::shared_ptr<const Patterns> patterns_ = std::make_shared<Patterns>();
    std::vector<std::string> values_;
    std::atomic<bool> empty_{true};
};

/// `text` as it may be stored or shown: repaired to UTF-8 (U+FFFD) and redacted.
std::string clean_text(std::string_view text, const Redactor& redactor = Redactor::global());
/// Every string of `value`, object keys included, repaired to UTF-8 and redacted: what every
/// event's data passes before it is stored or published. True if anything changed.
bool clean_json(boost::json::value& value, const Redactor& redactor = Redactor::global());
/// The same for an object.
bool clean_json(boost::json::object& object, const Redactor& redactor = Redactor::global());

}  // namespace agenthost
