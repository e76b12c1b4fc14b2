// apis.hpp — the two OpenAI APIs the driver speaks: how each one writes a request body (the
// history and the tools converted element by element, so converted elements can be remembered
// between calls) and the protocol that reads its answer.
#pragma once

#include "openai_common.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace openai {

/// One API's request and answer formats.
struct Api {
    /// The path under the base URL ("/chat/completions").
    const char* path;
    /// Append the canonical messages as this API's history elements to out, which ends with '['
    /// or with an element. True when every tool call got its result before the end (nothing
    /// was made up for a missing one), so what was written depends on these messages alone.
    bool (*history)(const json::array& messages, std::string& out);
    /// Append the tools as this API's tool elements to out, which ends with '[' or an element.
    void (*tools)(const json::array& tools, std::string& out);
    /// The request body: the request's own fields (model, system, max_tokens, prompt_cache,
    /// session_id; its messages and tools are not read) around converted history and tools
    /// elements (comma-separated, without brackets).
    std::string (*body)(const json::object& fields, std::string_view history, std::string_view tools,
                        const Settings& settings);
    /// Reads a stream (or a whole JSON answer) of this API.
    std::unique_ptr<Protocol> (*protocol)(ahp::Call& call);
};

/// Chat Completions (NOTES §3.2).
const Api& chat_api();
/// The Responses API (NOTES §3.3).
const Api& responses_api();

/// The whole body for a parsed driver.chat request, converted without any cache.
std::string request_body(const Api& api, const json::object& request, const Settings& settings);

}  // namespace openai
