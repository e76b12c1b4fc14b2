// apis.hpp — the two OpenAI APIs the driver speaks: the request body each one sends and the
// protocol that reads its answer.
#pragma once

#include "openai_common.hpp"

#include <memory>
#include <string>

namespace openai {

/// The POST /chat/completions body for a driver.chat request.
std::string chat_request_body(const json::object& request, const Settings& settings);
/// Reads a Chat Completions stream (or a whole chat.completion object).
std::unique_ptr<Protocol> make_chat_protocol(ahp::Call& call);

/// The POST /responses body for a driver.chat request.
std::string responses_request_body(const json::object& request, const Settings& settings);
/// Reads a Responses API stream (or a whole response object).
std::unique_ptr<Protocol> make_responses_protocol(ahp::Call& call);

}  // namespace openai
