// conversion.hpp — turning a driver.chat request into an API's body cheaply. The host sends the
// whole history on every call and, within a turn, each call's messages begin with the previous
// call's messages. So the driver remembers, per session, the raw text of the messages it
// converted and their converted elements, and converts only what follows them: no parse and no
// conversion of the history already seen. Anything else (another session, a compacted or edited
// history, another API) converts from scratch, the same way.
#pragma once

#include "apis.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace openai {

/// The raw text of a driver.chat request's parts, found without parsing it.
struct RawRequest {
    std::string fields;  ///< a JSON object of every member but messages and tools
    std::optional<std::string_view> messages;  ///< the messages array's text
    std::optional<std::string_view> tools;     ///< the tools array's text
};

/// Split a request's JSON text at its top level (ahp/raw_json.hpp). nullopt when it is not
/// shaped like a JSON object with plain keys: the caller then parses it the ordinary way, which
/// reports what is wrong.
std::optional<RawRequest> split_request(std::string_view text);

/// Converted histories and tools remembered between calls (see the file comment). Safe to use
/// from several threads; holds at most kSessions histories of at most kMaxRemembered bytes
/// each (twice that with their conversions).
class ConversionCache {
public:
    static constexpr std::size_t kSessions = 8;
    /// A history whose raw text is larger is converted whole every time, not remembered.
    static constexpr std::size_t kMaxRemembered = 16u << 20;

    /// The converted history elements of `messages` (a messages array's text) for `session`.
    /// nullopt when the new part is not valid JSON.
    std::optional<std::string> history(const Api& api, std::string_view session, std::string_view messages);
    /// The converted tool elements of `tools` (a tools array's text); nullopt when not valid JSON.
    std::optional<std::string> tools(const Api& api, std::string_view tools);

private:
    struct Entry {
        const Api* api = nullptr;
        std::string session;
        std::string raw;        ///< the array content converted: whole elements
        std::string converted;  ///< their elements, comma-separated
        std::uint64_t used = 0;
    };

    std::mutex mu_;
    std::vector<Entry> histories_;
    Entry tools_;
    std::uint64_t clock_ = 0;
};

}  // namespace openai
