// Host name lookup for the HTTP client: getaddrinfo on a helper thread, so the caller can give
// up on its deadline or a cancel (an abandoned lookup finishes on its own and is dropped).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace agenthost {

/// The addresses of `host` (a name, or an IP literal returned as is), in the resolver's order;
/// throws HttpError (network_error, timeout past `until`, cancelled once `*cancelled`).
std::vector<boost::asio::ip::address> lookup_host(const std::string& host, std::chrono::steady_clock::time_point until,
                                                  const std::atomic<bool>* cancelled);

}  // namespace agenthost
