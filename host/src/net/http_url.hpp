// URLs for the HTTP client: absolute http(s) targets (IP-literal hosts made canonical, so
// policies see "127.0.0.1" however it was written), redirect locations, and the
// HTTP_PROXY / HTTPS_PROXY / NO_PROXY rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace agenthost {

/// An absolute http(s) URL as the client uses it.
struct HttpTarget {
    std::string scheme;       ///< "http" | "https"
    std::string host;         ///< lower-case name, or a canonical IP ("127.0.0.1", "::1")
    bool host_is_ip = false;  ///< the host is an IP literal
    unsigned short port = 0;  ///< explicit or the scheme's default
    std::string target;       ///< the origin-form request target: "/path?query"
    std::string url;          ///< the URL with its canonical host, without userinfo or fragment
    std::string userinfo;     ///< "user:password", percent-decoded ("" if none)

    /// host[:port] as the Host header says it (IPv6 in brackets, a default port left out).
    std::string authority() const;
    /// host:port, always with the port (IPv6 in brackets): a CONNECT target.
    std::string host_port() const;
    /// Whether the scheme is https.
    bool tls() const { return scheme == "https"; }
};

/// Parse an absolute http(s) URL; on failure, what is wrong with it.
std::variant<HttpTarget, std::string> parse_http_url(std::string_view url);

/// A redirect's `location` (absolute or relative) resolved against `base`; nullopt if unusable.
std::optional<std::string> resolve_redirect(std::string_view base, std::string_view location);

/// "user:password" as a Basic credential ("Basic dXNlcjpwYXNzd29yZA==").
std::string basic_credentials(std::string_view userinfo);

/// Which proxy a request goes through.
struct ProxyConfig {
    std::string http_proxy;   ///< proxy for http:// URLs, "http://[user:pass@]host:port" ("" for none)
    std::string https_proxy;  ///< proxy for https:// URLs, reached with CONNECT ("" for none)
    std::string no_proxy;     ///< comma-separated: hosts, domains (".example.com" or "example.com"), IPs, CIDRs, "*"

    /// From HTTP_PROXY / HTTPS_PROXY / NO_PROXY (and their lower-case forms, which win).
    static ProxyConfig from_environment();
    /// The proxy URL for `target`, or "" to connect directly. Loopback hosts never use a proxy.
    std::string proxy_for(const HttpTarget& target) const;
};

}  // namespace agenthost
