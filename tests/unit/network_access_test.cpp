#include "net/network_access.hpp"

#include "agenthost/errors.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

namespace json = boost::json;
using agenthost::ConfigError;
using agenthost::NetworkAccessList;

NetworkAccessList list(std::vector<std::string> allow, std::vector<std::string> block = {}) {
    return NetworkAccessList{std::move(allow), std::move(block)};
}

bool allowed(const NetworkAccessList& l, std::string_view url) { return l.check(url).allowed; }

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

/// The ConfigError message from_json throws, or "" when it parses.
std::string from_json_error(const char* text) {
    try {
        NetworkAccessList::from_json(json::parse(text), "h.json: field 'network_access'");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(NetworkAccess, EmptyAllowIsOpen) {
    const NetworkAccessList open;
    const auto d = open.check("https://example.com/x");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.rule, "open (no allow list)");
}

TEST(NetworkAccess, ExactHostMatchesOnlyThatHost) {
    const auto l = list({"example.com"});
    EXPECT_TRUE(allowed(l, "https://example.com/"));
    EXPECT_TRUE(allowed(l, "http://example.com:8080/a?b=c"));
    EXPECT_FALSE(allowed(l, "https://www.example.com/"));
    EXPECT_FALSE(allowed(l, "https://example.com.evil.net/"));
    EXPECT_FALSE(allowed(l, "https://notexample.com/"));
    EXPECT_EQ(l.check("https://example.com/").rule, "allow: example.com");
    EXPECT_EQ(l.check("https://other.org/").rule, "not in allow list");
}

TEST(NetworkAccess, WildcardDomainMatchesDomainAndSubdomains) {
    const auto l = list({"*.example.com"});
    EXPECT_TRUE(allowed(l, "https://example.com/"));
    EXPECT_TRUE(allowed(l, "https://api.example.com/"));
    EXPECT_TRUE(allowed(l, "https://a.b.example.com/"));
    EXPECT_FALSE(allowed(l, "https://badexample.com/"));
    EXPECT_FALSE(allowed(l, "https://example.com.evil.net/"));
}

TEST(NetworkAccess, UrlPrefix) {
    const auto l = list({"https://api.github.com/repos/"});
    EXPECT_TRUE(allowed(l, "https://api.github.com/repos/a/b"));
    EXPECT_TRUE(allowed(l, "https://api.github.com:443/repos/a"));
    EXPECT_FALSE(allowed(l, "https://api.github.com/users/a"));
    EXPECT_FALSE(allowed(l, "http://api.github.com/repos/a"));
    EXPECT_FALSE(allowed(l, "https://api.github.com:8443/repos/a"));
    // Dot segments are resolved before matching.
    EXPECT_FALSE(allowed(l, "https://api.github.com/repos/../users/a"));
    EXPECT_FALSE(allowed(l, "https://api.github.com/repos/%2e%2e/users/a"));
    // A prefix without a path still ends at the host.
    const auto host_prefix = list({"https://example.com"});
    EXPECT_TRUE(allowed(host_prefix, "https://example.com/anything"));
    EXPECT_FALSE(allowed(host_prefix, "https://example.com.evil.net/"));
}

TEST(NetworkAccess, BlockBeatsAllow) {
    const auto l = list({"*.example.com"}, {"secret.example.com", "https://example.com/admin/"});
    EXPECT_TRUE(allowed(l, "https://www.example.com/"));
    const auto d = l.check("https://secret.example.com/x");
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.rule, "block: secret.example.com");
    EXPECT_FALSE(allowed(l, "https://example.com/admin/users"));
    EXPECT_FALSE(allowed(l, "https://example.com/public/../admin/users"));
    EXPECT_TRUE(allowed(l, "https://example.com/public/"));
    // Block applies even with no allow list.
    const auto open_but = list({}, {"*.evil.net"});
    EXPECT_TRUE(allowed(open_but, "https://good.org/"));
    EXPECT_EQ(open_but.check("https://x.evil.net/").rule, "block: *.evil.net");
}

TEST(NetworkAccess, CaseInsensitiveAndNormalized) {
    const auto l = list({"Example.COM", "https://API.example.org/V1/"}, {"*.Blocked.Example.com"});
    EXPECT_TRUE(allowed(l, "HTTPS://EXAMPLE.com/"));
    EXPECT_TRUE(allowed(l, "https://example.com./"));  // trailing dot
    EXPECT_TRUE(allowed(l, "https://api.EXAMPLE.org/V1/x"));  // scheme and host fold case, the path does not
    EXPECT_FALSE(allowed(list({"example.com"}, {"*.Blocked.Example.com"}), "https://X.BLOCKED.example.COM/"));
}

TEST(NetworkAccess, InvalidAndNonHttpUrlsAreDenied) {
    const NetworkAccessList open;
    for (const char* url : {"", "not a url", "example.com/path", "//example.com/", "https:///path", "http://",
                            "https://exa mple.com/", "http://a.com:99999/", "http://a.com:0/", "http://%2F.com/",
                            "http://[v1.x]/"}) {
        const auto d = open.check(url);
        EXPECT_FALSE(d.allowed) << url;
        EXPECT_EQ(d.rule, "invalid URL") << url;
    }
    for (const char* url : {"ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "mailto:a@b.c"}) {
        const auto d = open.check(url);
        EXPECT_FALSE(d.allowed) << url;
        EXPECT_NE(d.rule.find("unsupported scheme"), std::string::npos) << url << " " << d.rule;
    }
}

TEST(NetworkAccess, IpLiteralsAndUserinfo) {
    const auto l = list({"127.0.0.1", "[::1]"});
    EXPECT_TRUE(allowed(l, "http://127.0.0.1:8080/"));
    EXPECT_TRUE(allowed(l, "http://[::1]:8080/"));
    // The host is what follows the userinfo.
    EXPECT_FALSE(allowed(list({"good.com"}), "https://good.com@evil.net/"));
    EXPECT_TRUE(allowed(list({"evil.net"}), "https://good.com@evil.net/"));
}

TEST(NetworkAccess, NoneSentinelMatchesNothing) {
    const auto l = list({"<none>"});
    EXPECT_FALSE(allowed(l, "https://example.com/"));
    EXPECT_EQ(l.check("https://example.com/").rule, "not in allow list");
}

TEST(NetworkAccess, NarrowingBlocksJoin) {
    const auto merged = list({}, {"a.com", "b.com"}).narrowed_by(list({}, {"b.com", "c.com"}));
    EXPECT_EQ(merged.block, (std::vector<std::string>{"a.com", "b.com", "c.com"}));
    EXPECT_TRUE(merged.allow.empty());
}

TEST(NetworkAccess, NarrowingEmptyAllowTakesTheOther) {
    EXPECT_EQ(list({}).narrowed_by(list({"a.com"})).allow, std::vector<std::string>{"a.com"});
    EXPECT_EQ(list({"a.com"}).narrowed_by(list({})).allow, std::vector<std::string>{"a.com"});
}

TEST(NetworkAccess, NarrowingKeepsChildEntriesInsideParentEntries) {
    const auto parent = list({"*.github.com", "https://example.com/docs/", "pypi.org"});
    const auto child = list({"api.github.com", "*.raw.github.com", "https://example.com/docs/v2/",
                             "https://pypi.org/simple/", "npmjs.com"});
    const auto merged = parent.narrowed_by(child);
    EXPECT_EQ(sorted(merged.allow), sorted({"api.github.com", "*.raw.github.com", "https://example.com/docs/v2/",
                                            "https://pypi.org/simple/"}));
    EXPECT_TRUE(allowed(merged, "https://api.github.com/x"));
    EXPECT_FALSE(allowed(merged, "https://github.com/x"));
    EXPECT_FALSE(allowed(merged, "https://npmjs.com/"));
    EXPECT_FALSE(allowed(merged, "https://example.com/docs/v1/"));
}

TEST(NetworkAccess, NarrowingNeverWidensABroaderChildEntry) {
    // The child asks for more than the parent grants: only what both permit survives.
    const auto merged = list({"api.github.com"}).narrowed_by(list({"*.github.com"}));
    EXPECT_EQ(merged.allow, std::vector<std::string>{"api.github.com"});
    EXPECT_FALSE(allowed(merged, "https://gist.github.com/"));
    const auto prefix = list({"https://example.com/docs/"}).narrowed_by(list({"*.example.com", "other.org"}));
    EXPECT_EQ(prefix.allow, std::vector<std::string>{"https://example.com/docs/"});
}

TEST(NetworkAccess, NarrowingToNothingUsesTheNoneSentinel) {
    const auto merged = list({"a.com"}).narrowed_by(list({"b.com"}));
    EXPECT_EQ(merged.allow, std::vector<std::string>{"<none>"});
    EXPECT_FALSE(allowed(merged, "https://a.com/"));
    EXPECT_FALSE(allowed(merged, "https://b.com/"));
    // The sentinel stays closed under further narrowing.
    EXPECT_EQ(merged.narrowed_by(list({"a.com"})).allow, std::vector<std::string>{"<none>"});
    EXPECT_EQ(merged.narrowed_by(list({})).allow, std::vector<std::string>{"<none>"});
    EXPECT_EQ(list({}).narrowed_by(merged).allow, std::vector<std::string>{"<none>"});
}

TEST(NetworkAccess, ThreeLevelsHarnessAgentSession) {
    const auto harness = list({"*.example.com", "*.github.com"}, {"evil.example.com"});
    const auto agent = list({"api.example.com", "www.example.com", "*.github.com"}, {"gist.github.com"});
    const auto session = list({"api.example.com", "api.github.com", "other.org"}, {"https://api.example.com/admin/"});
    const auto merged = harness.narrowed_by(agent).narrowed_by(session);
    EXPECT_EQ(sorted(merged.allow), sorted({"api.example.com", "api.github.com"}));
    EXPECT_EQ(sorted(merged.block), sorted({"evil.example.com", "gist.github.com", "https://api.example.com/admin/"}));
    EXPECT_TRUE(allowed(merged, "https://api.example.com/v1"));
    EXPECT_FALSE(allowed(merged, "https://api.example.com/admin/x"));
    EXPECT_FALSE(allowed(merged, "https://www.example.com/"));  // the session dropped it
    EXPECT_FALSE(allowed(merged, "https://other.org/"));        // never granted by the harness
    EXPECT_FALSE(allowed(merged, "https://gist.github.com/"));
}

TEST(NetworkAccess, NarrowingIsOrderSafe) {
    const std::vector<NetworkAccessList> levels = {
        list({"*.example.com", "https://docs.org/a/"}, {"x.example.com"}),
        list({"api.example.com", "*.b.example.com", "https://docs.org/a/b/"}, {"https://docs.org/a/b/secret"}),
        list({"*.example.com", "https://docs.org/"}, {}),
        list({"https://api.example.com/v1/", "docs.org"}, {"z.b.example.com"}),
    };
    const std::vector<std::string> urls = {
        "https://api.example.com/v1/x", "https://api.example.com/v2/", "https://q.b.example.com/",
        "https://z.b.example.com/",     "https://docs.org/a/b/c",      "https://docs.org/a/b/secret/1",
        "https://docs.org/a/c",         "https://x.example.com/",      "https://example.com/",
    };
    const auto left = levels[0].narrowed_by(levels[1]).narrowed_by(levels[2]).narrowed_by(levels[3]);
    const auto right = levels[0].narrowed_by(levels[1].narrowed_by(levels[2].narrowed_by(levels[3])));
    const auto reversed = levels[3].narrowed_by(levels[2]).narrowed_by(levels[1]).narrowed_by(levels[0]);
    for (const auto& url : urls) {
        bool every_level = true;
        for (const auto& level : levels) every_level = every_level && allowed(level, url);
        EXPECT_EQ(allowed(left, url), every_level) << url;
        EXPECT_EQ(allowed(right, url), every_level) << url;
        EXPECT_EQ(allowed(reversed, url), every_level) << url;
    }
}

TEST(NetworkAccess, NarrowedResultIsNeverWiderThanEitherSide) {
    const std::vector<NetworkAccessList> lists = {
        list({}), list({"a.com"}), list({"*.a.com"}), list({"https://a.com/x/"}), list({"b.a.com", "c.com"}),
        list({"<none>"}), list({}, {"a.com"}), list({"*.com"}, {"https://c.com/p/"}),
    };
    const std::vector<std::string> urls = {"https://a.com/x/1", "https://a.com/y", "http://b.a.com/",
                                           "https://c.com/p/q", "https://c.com/", "https://d.org/"};
    for (const auto& parent : lists) {
        for (const auto& child : lists) {
            const auto merged = parent.narrowed_by(child);
            for (const auto& url : urls) {
                EXPECT_EQ(allowed(merged, url), allowed(parent, url) && allowed(child, url))
                    << json::serialize(parent.to_json()) << " narrowed by " << json::serialize(child.to_json())
                    << " on " << url;
            }
        }
    }
}

TEST(NetworkAccess, JsonRoundTripNormalizesEntries) {
    const auto l = NetworkAccessList::from_json(
        json::parse(R"({"allow": ["Example.COM.", "*.GitHub.com", "HTTPS://Docs.org:443/A/"], "block": ["<none>"]})"),
        "x");
    // Scheme and host fold case; the path keeps its case (it is case-sensitive).
    EXPECT_EQ(l.allow, (std::vector<std::string>{"example.com", "*.github.com", "https://docs.org/A/"}));
    const auto back = NetworkAccessList::from_json(l.to_json(), "x");
    EXPECT_EQ(back.allow, l.allow);
    EXPECT_EQ(back.block, l.block);
    EXPECT_EQ(json::serialize(list({"a.com"}, {"b.com"}).to_json()), R"({"allow":["a.com"],"block":["b.com"]})");
    EXPECT_TRUE(NetworkAccessList::from_json(json::parse("{}"), "x").allow.empty());
}

TEST(NetworkAccess, FromJsonErrorsNameTheFieldAndExpectation) {
    EXPECT_EQ(from_json_error("[]"),
              R"(h.json: field 'network_access': expected an object {"allow": [...], "block": [...]}, got an array)");
    EXPECT_EQ(from_json_error(R"({"alow": []})"),
              "h.json: field 'network_access': unknown field 'alow' (expected allow, block)");
    EXPECT_EQ(from_json_error(R"({"allow": "a.com"})"),
              R"(h.json: field 'network_access': allow: expected an array of hosts, "*.domain" or URL prefixes, got "a.com")");
    EXPECT_EQ(from_json_error(R"({"block": [1]})"), "h.json: field 'network_access': block[0]: expected a string, got 1");
    for (const char* bad : {R"({"allow": ["ftp://a.com/"]})", R"({"allow": ["a.com", "*."]})",
                            R"({"allow": ["has space.com"]})", R"({"allow": ["*"]})", R"({"allow": [""]})",
                            R"({"allow": ["a.com/path"]})"}) {
        const std::string message = from_json_error(bad);
        EXPECT_NE(message.find("h.json: field 'network_access': allow["), std::string::npos) << bad << message;
        EXPECT_NE(message.find("expected a host (example.com), a domain (*.example.com) or an http(s) URL prefix"),
                  std::string::npos)
            << message;
    }
}

}  // namespace
