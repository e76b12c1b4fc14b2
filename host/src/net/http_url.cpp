#include "net/http_url.hpp"

#include "net/ssrf_guard.hpp"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace agenthost {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool valid_name(std::string_view host) {
    if (host.empty() || host.front() == '.' || host.find("..") != std::string_view::npos) return false;
    return std::all_of(host.begin(), host.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_'; });
}

std::string env(const char* lower_name, const char* upper_name) {
    if (const char* v = std::getenv(lower_name); v && *v) return v;
    if (const char* v = std::getenv(upper_name); v && *v) return v;
    return {};
}

bool is_loopback_host(const HttpTarget& t) {
    if (t.host_is_ip) {
        auto a = parse_ip_host(t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host);
        return a && a->is_loopback();
    }
    return t.host == "localhost" || t.host.ends_with(".localhost");
}

/// One NO_PROXY entry against a target.
bool no_proxy_matches(std::string_view entry, const HttpTarget& t) {
    entry = trim(entry);
    if (entry.empty()) return false;
    if (entry == "*") return true;
    std::string e = lower(entry);
    if (e.find('/') != std::string::npos) {  // CIDR
        if (!t.host_is_ip) return false;
        boost::system::error_code ec;
        if (t.host.find(':') == std::string::npos) {
            auto net = boost::asio::ip::make_network_v4(e, ec);
            if (ec) return false;
            auto a = boost::asio::ip::make_address_v4(t.host, ec);
            return !ec && boost::asio::ip::network_v4(a, net.prefix_length()).canonical() == net.canonical();
        }
        auto net = boost::asio::ip::make_network_v6(e, ec);
        if (ec) return false;
        auto a = boost::asio::ip::make_address_v6(t.host, ec);
        return !ec && boost::asio::ip::network_v6(a, net.prefix_length()).canonical() == net.canonical();
    }
    // An optional :port (not for a bare IPv6).
    if (const auto colon = e.rfind(':'); colon != std::string::npos && e.find(':') == colon && e.front() != '[') {
        if (e.substr(colon + 1) != std::to_string(t.port)) return false;
        e.resize(colon);
    }
    if (e.size() > 2 && e.front() == '[' && e.back() == ']') e = e.substr(1, e.size() - 2);
    if (e.starts_with("*.")) e.erase(0, 1);
    if (e.starts_with(".")) return t.host.ends_with(e) || t.host == e.substr(1);
    return t.host == e ||
           (t.host.size() > e.size() && t.host.ends_with(e) && t.host[t.host.size() - e.size() - 1] == '.');
}

}  // namespace

std::string HttpTarget::authority() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    if (!default_port) out += ":" + std::to_string(port);
    return out;
}

std::string HttpTarget::host_port() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::variant<HttpTarget, std::string> parse_http_url(std::string_view text) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return std::string("not an absolute URL");
    const boost::urls::url_view u = *parsed;
    HttpTarget t;
    t.scheme = lower(u.scheme());
    if (t.scheme != "http" && t.scheme != "https") return "unsupported scheme '" + t.scheme + "' (http or https)";
    if (!u.has_authority()) return std::string("no host");

    std::string host;
    switch (u.host_type()) {
        case boost::urls::host_type::ipv4:
        case boost::urls::host_type::ipv6:
        case boost::urls::host_type::name:
            host = lower(u.host());
            break;
        default:
            return std::string("unusable host");
    }
    if (auto ip = parse_ip_host(host)) {
        t.host = ip->to_string();
        t.host_is_ip = true;
    } else {
        if (!host.empty() && host.back() == '.') host.pop_back();
        if (!valid_name(host)) return "invalid host '" + std::string(u.host()) + "'";
        t.host = host;
    }

    t.port = t.tls() ? 443 : 80;
    if (u.has_port() && !u.port().empty()) {
        const std::string_view p = u.port();
        if (p.size() > 5 || !std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isdigit(c); }))
            return "invalid port '" + std::string(p) + "'";
        const unsigned long n = std::stoul(std::string(p));
        if (n == 0 || n > 65535) return "invalid port '" + std::string(p) + "'";
        t.port = static_cast<unsigned short>(n);
    }
    if (u.has_userinfo()) {
        t.userinfo = u.user();
        if (u.has_password()) t.userinfo += ":" + std::string(u.password());
    }
    t.target = u.encoded_path().empty() ? std::string("/") : std::string(u.encoded_path());
    if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
    t.url = t.scheme + "://" + t.authority() + t.target;
    return t;
}

std::optional<std::string> resolve_redirect(std::string_view base, std::string_view location) {
    auto b = boost::urls::parse_uri(base);
    auto ref = boost::urls::parse_uri_reference(trim(location));
    if (!b || !ref) return std::nullopt;
    boost::urls::url out;
    if (!boost::urls::resolve(*b, *ref, out)) return std::nullopt;
    return std::string(out.buffer());
}

std::string basic_credentials(std::string_view userinfo) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out = "Basic ";
    std::size_t i = 0;
    for (; i + 2 < userinfo.size(); i += 3) {
        const unsigned n = (static_cast<unsigned char>(userinfo[i]) << 16) |
                           (static_cast<unsigned char>(userinfo[i + 1]) << 8) |
                           static_cast<unsigned char>(userinfo[i + 2]);
        out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
    }
    if (const std::size_t rest = userinfo.size() - i; rest > 0) {
        unsigned n = static_cast<unsigned char>(userinfo[i]) << 16;
        if (rest == 2) n |= static_cast<unsigned char>(userinfo[i + 1]) << 8;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

ProxyConfig ProxyConfig::from_environment() {
    ProxyConfig c;
    c.http_proxy = env("http_proxy", "HTTP_PROXY");
    c.https_proxy = env("https_proxy", "HTTPS_PROXY");
    c.no_proxy = env("no_proxy", "NO_PROXY");
    return c;
}

std::string ProxyConfig::proxy_for(const HttpTarget& target) const {
    const std::string& proxy = target.tls() ? https_proxy : http_proxy;
    if (proxy.empty() || is_loopback_host(target)) return {};
    std::string_view list = no_proxy;
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        if (no_proxy_matches(list.substr(0, comma), target)) return {};
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return proxy.find("://") == std::string::npos ? "http://" + proxy : proxy;
}

}  // namespace agenthost
