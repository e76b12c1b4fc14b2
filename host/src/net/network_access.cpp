#include "net/network_access.hpp"

#include "agenthost/errors.hpp"

// Boost.URL is used header-only: its sources are compiled into this one translation unit
// (Boost::url is not linked). No other .cpp in the host may include <boost/url/src.hpp>.
#include "base/json_schema.hpp"

#include <boost/url/src.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <variant>

namespace agenthost {
namespace {

namespace json = boost::json;

constexpr std::string_view kNone = "<none>";

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

/// A host name as written in a URL or an entry: lower case, no trailing dot, and only the
/// characters a DNS name (or a bracketed IPv6 literal) may hold. nullopt when unusable.
std::optional<std::string> normalize_host(std::string_view raw) {
    std::string host = lower(raw);
    if (!host.empty() && host.back() == '.') host.pop_back();
    if (host.empty()) return std::nullopt;
    if (host.front() == '[') {
        if (host.back() != ']' || host.size() < 3) return std::nullopt;
        for (std::size_t i = 1; i + 1 < host.size(); ++i) {
            const char c = host[i];
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return std::nullopt;
        }
        return host;
    }
    for (const char c : host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') return std::nullopt;
    }
    if (host.front() == '.' || host.find("..") != std::string::npos) return std::nullopt;
    return host;
}

/// An http(s) URL reduced to what the rules look at.
struct Target {
    std::string host;        ///< normalized host
    std::string normalized;  ///< scheme://host[:port]/path[?query]: scheme and host lower case, path and query
                             ///< as sent (percent-encoding normalized), no userinfo or fragment
};

/// Why a URL is refused before any rule applies.
struct UrlError {
    std::string reason;
};

/// RFC 3986 leaves "/.." at the start of an absolute path; a server resolves it to "/".
std::string drop_leading_dot_dots(std::string path) {
    while (path.rfind("/../", 0) == 0) path.erase(0, 3);
    if (path == "/..") path = "/";
    return path;
}

/// Parse and normalize an absolute http(s) URL.
std::variant<Target, UrlError> parse_target(std::string_view text) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return UrlError{"invalid URL"};
    boost::urls::url url(*parsed);
    url.normalize();
    const std::string scheme = lower(url.scheme());
    if (scheme != "http" && scheme != "https") return UrlError{"unsupported scheme '" + scheme + "'"};
    if (!url.has_authority()) return UrlError{"invalid URL"};
    const auto type = url.host_type();
    if (type == boost::urls::host_type::none || type == boost::urls::host_type::ipvfuture)
        return UrlError{"invalid URL"};
    auto host = normalize_host(url.host());
    if (!host) return UrlError{"invalid URL"};

    std::string port;
    if (url.has_port() && !url.port().empty()) {
        const std::string_view p = url.port();
        if (p.size() > 5 || !std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isdigit(c); }))
            return UrlError{"invalid URL"};
        const unsigned long number = std::stoul(std::string(p));
        if (number == 0 || number > 65535) return UrlError{"invalid URL"};
        const bool is_default = (scheme == "http" && number == 80) || (scheme == "https" && number == 443);
        if (!is_default) port = ":" + std::to_string(number);
    }
    std::string path = url.encoded_path().empty() ? std::string("/") : std::string(url.encoded_path());
    path = drop_leading_dot_dots(std::move(path));

    // Scheme and host are case-insensitive (lowered above); the path and the query are not:
    // "/api/" must not match "/API/x", which a server may route elsewhere.
    Target target;
    target.host = *host;
    target.normalized = scheme + "://" + *host + port + path;
    if (url.has_query()) target.normalized += "?" + std::string(url.encoded_query());
    return target;
}

/// One entry of a list, parsed.
struct Pattern {
    enum class Kind { host, domain, prefix, none, invalid };
    Kind kind = Kind::invalid;
    std::string host;    ///< host, or the domain for *.domain, or the prefix's host
    std::string prefix;  ///< normalized URL prefix
};

Pattern parse_pattern(std::string_view entry) {
    Pattern p;
    if (entry == kNone) {
        p.kind = Pattern::Kind::none;
        return p;
    }
    if (entry.find("://") != std::string_view::npos) {
        auto parsed = parse_target(entry);
        if (auto* target = std::get_if<Target>(&parsed)) {
            p.kind = Pattern::Kind::prefix;
            p.host = target->host;
            p.prefix = target->normalized;
        }
        return p;
    }
    if (entry.rfind("*.", 0) == 0) {
        if (auto domain = normalize_host(entry.substr(2)); domain && domain->front() != '[') {
            p.kind = Pattern::Kind::domain;
            p.host = *domain;
        }
        return p;
    }
    if (auto host = normalize_host(entry)) {
        p.kind = Pattern::Kind::host;
        p.host = *host;
    }
    return p;
}

/// `host` is `domain` or one of its subdomains.
bool within_domain(const std::string& host, const std::string& domain) {
    return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                              host[host.size() - domain.size() - 1] == '.');
}

/// How a URL prefix compares paths: an allow entry exactly ("/api/" does not grant "/API/x"),
/// a block entry ignoring case (a server that folds case cannot be reached around it).
enum class PathCase { kExact, kFolded };

bool matches(const Pattern& p, const Target& t, PathCase path_case = PathCase::kExact) {
    switch (p.kind) {
        case Pattern::Kind::host: return t.host == p.host;
        case Pattern::Kind::domain: return within_domain(t.host, p.host);
        case Pattern::Kind::prefix:
            return path_case == PathCase::kExact ? t.normalized.starts_with(p.prefix)
                                                 : lower(t.normalized).starts_with(lower(p.prefix));
        default: return false;
    }
}

/// Every URL `inner` matches is also matched by `outer`. Because a normalized prefix always
/// contains its whole authority, this is exact, and the intersection of two entries is always
/// one of them or nothing.
bool is_subset(const Pattern& inner, const Pattern& outer) {
    using Kind = Pattern::Kind;
    if (inner.kind == Kind::invalid || outer.kind == Kind::invalid) return false;
    if (inner.kind == Kind::none) return true;
    switch (outer.kind) {
        case Kind::host:
            return (inner.kind == Kind::host || inner.kind == Kind::prefix) && inner.host == outer.host;
        case Kind::domain:
            return within_domain(inner.host, outer.host);
        case Kind::prefix:
            return inner.kind == Kind::prefix && inner.prefix.starts_with(outer.prefix);
        default: return false;
    }
}

void add_unique(std::vector<std::string>& list, const std::string& entry) {
    if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(entry);
}


std::vector<std::string> entries_from_json(const json::value& value, const std::string& where,
                                           std::string_view field) {
    const std::string context = where + ": " + std::string(field);
    if (!value.is_array())
        throw ConfigError(context + ": expected an array of hosts, \"*.domain\" or URL prefixes, got " + json_excerpt(value));
    std::vector<std::string> out;
    const auto& array = value.get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
        const std::string item = context + "[" + std::to_string(i) + "]";
        if (!array[i].is_string()) throw ConfigError(item + ": expected a string, got " + json_excerpt(array[i]));
        const std::string_view entry = array[i].get_string();
        const Pattern p = parse_pattern(entry);
        switch (p.kind) {
            case Pattern::Kind::host: add_unique(out, p.host); break;
            case Pattern::Kind::domain: add_unique(out, "*." + p.host); break;
            case Pattern::Kind::prefix: add_unique(out, p.prefix); break;
            case Pattern::Kind::none: add_unique(out, std::string(kNone)); break;
            case Pattern::Kind::invalid:
                throw ConfigError(item +
                                  ": expected a host (example.com), a domain (*.example.com) or an http(s) "
                                  "URL prefix (https://example.com/path/), got " + json_excerpt(array[i]));
        }
    }
    return out;
}

}  // namespace

NetworkAccessList::Decision NetworkAccessList::check(std::string_view url) const {
    auto parsed = parse_target(url);
    if (auto* error = std::get_if<UrlError>(&parsed)) return {false, error->reason};
    const Target& target = std::get<Target>(parsed);
    for (const auto& entry : block) {
        if (matches(parse_pattern(entry), target, PathCase::kFolded)) return {false, "block: " + entry};
    }
    if (allow.empty()) return {true, "open (no allow list)"};
    for (const auto& entry : allow) {
        if (matches(parse_pattern(entry), target)) return {true, "allow: " + entry};
    }
    return {false, "not in allow list"};
}

bool NetworkAccessList::names_explicitly(std::string_view url) const {
    auto parsed = parse_target(url);
    const Target* target = std::get_if<Target>(&parsed);
    if (!target) return false;
    for (const auto& entry : allow) {
        const Pattern p = parse_pattern(entry);
        if ((p.kind == Pattern::Kind::host || p.kind == Pattern::Kind::prefix) && matches(p, *target)) return true;
    }
    return false;
}

// Allows intersect exactly: a child entry survives when it lies inside a parent entry, and a
// parent entry survives when it lies inside a child entry (the child asked for something
// broader than the parent grants; the parent's narrower entry is what both permit). Every
// surviving entry is inside both lists, so narrowing never widens, and the result does not
// depend on how harness -> agent -> session is grouped.
NetworkAccessList NetworkAccessList::narrowed_by(const NetworkAccessList& child) const {
    NetworkAccessList out;
    for (const auto& entry : block) add_unique(out.block, entry);
    for (const auto& entry : child.block) add_unique(out.block, entry);

    if (allow.empty()) {
        out.allow = child.allow;
        return out;
    }
    if (child.allow.empty()) {
        out.allow = allow;
        return out;
    }
    std::vector<Pattern> parents;
    for (const auto& entry : allow) parents.push_back(parse_pattern(entry));
    std::vector<Pattern> children;
    for (const auto& entry : child.allow) children.push_back(parse_pattern(entry));

    for (std::size_t i = 0; i < child.allow.size(); ++i) {
        if (children[i].kind == Pattern::Kind::none) continue;
        for (const auto& parent : parents) {
            if (is_subset(children[i], parent)) {
                add_unique(out.allow, child.allow[i]);
                break;
            }
        }
    }
    for (std::size_t i = 0; i < allow.size(); ++i) {
        if (parents[i].kind == Pattern::Kind::none) continue;
        for (const auto& c : children) {
            if (is_subset(parents[i], c)) {
                add_unique(out.allow, allow[i]);
                break;
            }
        }
    }
    // Drop entries already covered by another survivor, so the list stays minimal.
    std::vector<std::string> minimal;
    for (std::size_t i = 0; i < out.allow.size(); ++i) {
        const Pattern p = parse_pattern(out.allow[i]);
        bool covered = false;
        for (std::size_t j = 0; j < out.allow.size() && !covered; ++j) {
            if (i == j) continue;
            const Pattern q = parse_pattern(out.allow[j]);
            // Equal-coverage pairs keep the earlier one.
            covered = is_subset(p, q) && (!is_subset(q, p) || j < i);
        }
        if (!covered) minimal.push_back(out.allow[i]);
    }
    out.allow = std::move(minimal);
    if (out.allow.empty()) out.allow.emplace_back(kNone);
    return out;
}

boost::json::object NetworkAccessList::to_json() const {
    json::array a(allow.begin(), allow.end());
    json::array b(block.begin(), block.end());
    return json::object{{"allow", std::move(a)}, {"block", std::move(b)}};
}

NetworkAccessList NetworkAccessList::from_json(const boost::json::value& value, const std::string& where) {
    if (!value.is_object())
        throw ConfigError(where + ": expected an object {\"allow\": [...], \"block\": [...]}, got " + json_excerpt(value));
    NetworkAccessList list;
    for (const auto& [key, field] : value.get_object()) {
        if (key == "allow") {
            list.allow = entries_from_json(field, where, "allow");
        } else if (key == "block") {
            list.block = entries_from_json(field, where, "block");
        } else {
            throw ConfigError(where + ": unknown field '" + std::string(key) + "' (expected allow, block)");
        }
    }
    return list;
}

}  // namespace agenthost
