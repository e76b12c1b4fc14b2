// Network access lists (DESIGN §4, everruns NetworkAccessList): entries are an exact host,
// "*.domain" (the domain and its subdomains) or a URL prefix ("https://host/path/").
// `block` always wins; an empty `allow` means open; narrowing only ever narrows.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

/// The allow and block lists of a harness, agent or session.
struct NetworkAccessList {
    std::vector<std::string> allow;
    std::vector<std::string> block;

    /// The verdict on one URL and the rule that decided it.
    struct Decision {
        bool allowed = false;
        std::string rule;  ///< e.g. "block: *.example.com", "allow: api.github.com",
                           ///< "not in allow list", "open (no allow list)", "invalid URL"
    };

    /// Whether `url` may be fetched. Non-http(s) and unparsable URLs are refused.
    Decision check(std::string_view url) const;
    /// Whether an allow entry names the host of `url` itself: an exact host entry, or a URL
    /// prefix that matches `url` ("*.domain" does not count). This lifts the SSRF guard.
    bool names_explicitly(std::string_view url) const;
    /// This list narrowed by a child's: blocks join; allows intersect (a child entry survives
    /// only inside a parent entry, and a parent entry inside a child entry is kept); if both
    /// allowed something and nothing survives, "<none>" blocks everything.
    NetworkAccessList narrowed_by(const NetworkAccessList& child) const;
    /// {allow:[…], block:[…]}.
    boost::json::object to_json() const;
    /// Parse {allow, block}; throws ConfigError naming `where` and the bad field.
    static NetworkAccessList from_json(const boost::json::value& value, const std::string& where);
};

}  // namespace agenthost
