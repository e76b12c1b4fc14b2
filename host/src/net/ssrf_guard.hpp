// The SSRF guard (docs/http-services.md): the destination addresses a capability plugin may not
// reach unless its session's allow list names the host explicitly, and IP literals in URL hosts
// read the way a resolver would (so "2130706433", "0177.0.0.1" and "[::ffff:127.0.0.1]" are all
// 127.0.0.1 before any rule looks at them).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

/// The class of a non-public address ("loopback", "private", "link-local", "cgnat",
/// "unspecified", "multicast", "reserved"), or nullopt for a public one. IPv6 forms that embed
/// an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address.
std::optional<std::string_view> restricted_address_class(const boost::asio::ip::address& address);

/// A URL host read as an IP literal the way inet_aton and URL parsers read it: dotted, decimal,
/// octal or hex IPv4 in one to four parts ("127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1"),
/// or a bracketed IPv6 ("[::1]"); an IPv4-mapped IPv6 comes back as IPv4. nullopt for a name.
std::optional<boost::asio::ip::address> parse_ip_host(std::string_view host);

/// The guard's verdict on `host` resolving to `addresses`: nullopt to go on, else the refusal
/// "ssrf: <host> resolves to <address> (<class>)". `explicitly_allowed` (the allow list names
/// the host itself) lifts the guard.
std::optional<std::string> ssrf_refusal(std::string_view host, const std::vector<boost::asio::ip::address>& addresses,
                                        bool explicitly_allowed);

}  // namespace agenthost
