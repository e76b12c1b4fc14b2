#include "net/ssrf_guard.hpp"

#include <array>
#include <cstdint>

namespace agenthost {
namespace {

using boost::asio::ip::address;
using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

bool in(std::uint32_t a, std::uint32_t net, int bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (a & mask) == net;
}

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

std::optional<std::string_view> classify_v4(std::uint32_t a) {
    if (a == 0) return "unspecified";
    if (in(a, v4(0, 0, 0, 0), 8)) return "unspecified";  // "this network"
    if (in(a, v4(127, 0, 0, 0), 8)) return "loopback";
    if (in(a, v4(10, 0, 0, 0), 8) || in(a, v4(172, 16, 0, 0), 12) || in(a, v4(192, 168, 0, 0), 16)) return "private";
    if (in(a, v4(169, 254, 0, 0), 16)) return "link-local";
    if (in(a, v4(100, 64, 0, 0), 10)) return "cgnat";
    if (in(a, v4(224, 0, 0, 0), 4)) return "multicast";
    if (in(a, v4(240, 0, 0, 0), 4)) return "reserved";  // includes 255.255.255.255
    if (in(a, v4(192, 0, 0, 0), 24) || in(a, v4(192, 0, 2, 0), 24) || in(a, v4(198, 18, 0, 0), 15) ||
        in(a, v4(198, 51, 100, 0), 24) || in(a, v4(203, 0, 113, 0), 24))
        return "reserved";
    return std::nullopt;
}

std::uint32_t embedded_v4(const address_v6::bytes_type& b, std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
           b[at + 3];
}

std::optional<std::string_view> classify_v6(const address_v6& a) {
    const auto b = a.to_bytes();
    bool zero12 = true;
    for (std::size_t i = 0; i < 12; ++i) zero12 = zero12 && b[i] == 0;
    if (a.is_unspecified()) return "unspecified";
    if (a.is_loopback()) return "loopback";
    if (a.is_v4_mapped() || zero12) return classify_v4(embedded_v4(b, 12));  // ::ffff:a.b.c.d, ::a.b.c.d
    // 64:ff9b::/96 (NAT64) and 64:ff9b:1::/48 (local NAT64)
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
        bool well_known = true;
        for (std::size_t i = 4; i < 12; ++i) well_known = well_known && b[i] == 0;
        if (well_known) return classify_v4(embedded_v4(b, 12));
        return "private";
    }
    if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(embedded_v4(b, 2));  // 2002::/16 (6to4)
    if ((b[0] & 0xfe) == 0xfc) return "private";                              // fc00::/7
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";           // fe80::/10
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "private";              // fec0::/10 (site-local)
    if (b[0] == 0xff) return "multicast";                                     // ff00::/8
    if (b[0] == 0x01 && b[1] == 0x00 && b[2] == 0 && b[3] == 0 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0)
        return "reserved";                                                                // 100::/64 (discard)
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "reserved";  // 2001:db8::/32
    return std::nullopt;
}

/// One part of an inet_aton-style IPv4: decimal, 0-prefixed octal or 0x-prefixed hex.
std::optional<std::uint64_t> v4_part(std::string_view s) {
    if (s.empty()) return std::nullopt;
    unsigned base = 10;
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
        if (s.empty()) return 0;
    } else if (s.size() >= 2 && s[0] == '0') {
        base = 8;
        s.remove_prefix(1);
    }
    std::uint64_t value = 0;
    for (const char c : s) {
        unsigned digit = 0;
        if (c >= '0' && c <= '9')
            digit = static_cast<unsigned>(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            digit = static_cast<unsigned>(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            digit = static_cast<unsigned>(c - 'A' + 10);
        else
            return std::nullopt;
        if (digit >= base) return std::nullopt;
        value = value * base + digit;
        if (value > 0xffffffffull) return std::nullopt;
    }
    return value;
}

std::optional<address_v4> parse_v4(std::string_view host) {
    std::array<std::uint64_t, 4> parts{};
    std::size_t count = 0;
    while (true) {
        const std::size_t dot = host.find('.');
        if (count == 4) return std::nullopt;
        auto part = v4_part(host.substr(0, dot));
        if (!part) return std::nullopt;
        parts[count++] = *part;
        if (dot == std::string_view::npos) break;
        host.remove_prefix(dot + 1);
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i + 1 < count; ++i) {
        if (parts[i] > 255) return std::nullopt;
        value |= parts[i] << (8 * (3 - i));
    }
    const std::uint64_t last = parts[count - 1];
    if (last >= (std::uint64_t{1} << (8 * (5 - count)))) return std::nullopt;
    value |= last;
    return address_v4(static_cast<address_v4::uint_type>(value));
}

}  // namespace

std::optional<std::string_view> restricted_address_class(const address& a) {
    return a.is_v4() ? classify_v4(a.to_v4().to_uint()) : classify_v6(a.to_v6());
}

std::optional<address> parse_ip_host(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        std::string inner(host.substr(1, host.size() - 2));
        if (inner.find('%') != std::string::npos) return std::nullopt;  // no zone ids
        boost::system::error_code ec;
        const address_v6 a = boost::asio::ip::make_address_v6(inner, ec);
        if (ec) return std::nullopt;
        if (a.is_v4_mapped()) return address(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a));
        return address(a);
    }
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty()) return std::nullopt;
    if (auto a = parse_v4(host)) return address(*a);
    return std::nullopt;
}

std::optional<std::string> ssrf_refusal(std::string_view host, const std::vector<address>& addresses,
                                        bool explicitly_allowed) {
    if (explicitly_allowed) return std::nullopt;
    for (const address& a : addresses) {
        if (auto cls = restricted_address_class(a))
            return "ssrf: " + std::string(host) + " resolves to " + a.to_string() + " (" + std::string(*cls) + ")";
    }
    return std::nullopt;
}

}  // namespace agenthost
