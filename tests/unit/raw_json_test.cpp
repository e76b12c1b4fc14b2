// ahp/raw_json.hpp: the members and elements it finds in JSON text, checked against Boost.JSON
// on hand-picked traps (escaped quotes, runs of backslashes, brackets inside strings) and on
// random documents, and what it must refuse.
#include <ahp/raw_json.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

namespace json = boost::json;
namespace raw = ahp::raw;

TEST(RawJson, MembersAreFoundWithTheirTextAcrossStringTraps) {
    const std::string text =
        R"( { "a" : "x\"}],{[" , "b\\":[1,{"c":"\\\\"}], "e":{"f":[]} ,"n":-1.5e3,"t":true,"z":null } )";
    auto m = raw::members(text);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->size(), 6u);
    EXPECT_EQ((*m)[0].key, "a");
    EXPECT_EQ((*m)[0].value, R"("x\"}],{[")");
    EXPECT_EQ((*m)[1].key, R"(b\\)");
    EXPECT_EQ((*m)[1].value, R"([1,{"c":"\\\\"}])");
    EXPECT_EQ((*m)[2].text, R"("e":{"f":[]})");
    EXPECT_EQ((*m)[3].value, "-1.5e3");
    EXPECT_EQ((*m)[4].value, "true");
    EXPECT_EQ((*m)[5].value, "null");
    EXPECT_EQ(json::parse((*m)[1].value), json::parse(R"([1,{"c":"\\\\"}])"));
}

TEST(RawJson, EmptyContainersAndArrayContent) {
    EXPECT_EQ(raw::members(" {} ")->size(), 0u);
    EXPECT_EQ(raw::elements("[ ]")->size(), 0u);
    EXPECT_EQ(*raw::array_content(" [ 1 , 2 ] "), "1 , 2");
    EXPECT_EQ(*raw::array_content("[]"), "");
    EXPECT_FALSE(raw::array_content("{}"));
}

TEST(RawJson, WhatIsNotShapedRightIsRefused) {
    for (const char* bad : {"", "[]", R"({"a")", R"({"a":})", R"({"a":1,})", R"({"a":1} x)", R"({"a":"unterminated})",
                            R"({"a":[1,2})", R"({a:1})", R"({"a" 1})", R"({"a":1 "b":2})"}) {
        EXPECT_FALSE(raw::members(bad)) << bad;
    }
    for (const char* bad : {"", "{}", "[1,]", "[1 2]", R"(["a)", "[[1]", "[1] x"}) EXPECT_FALSE(raw::elements(bad)) << bad;
}

/// A random JSON value with strings full of quotes, backslashes, brackets and non-ASCII text.
json::value random_value(std::mt19937& rng, int depth) {
    std::uniform_int_distribution<int> kind(0, depth > 3 ? 3 : 5);
    static const std::string kChars[] = {"a", "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "\n", "\xC3\xA9", "\\\""};
    auto text = [&] {
        std::string s;
        for (int i = std::uniform_int_distribution<int>(0, 12)(rng); i > 0; --i) s += kChars[rng() % std::size(kChars)];
        return s;
    };
    switch (kind(rng)) {
        case 0: return json::value(static_cast<std::int64_t>(rng() % 100000) - 50000);
        case 1: return json::value(text());
        case 2: return json::value(rng() % 2 == 0);
        case 3: return json::value(nullptr);
        case 4: {
            json::array a;
            for (int i = std::uniform_int_distribution<int>(0, 4)(rng); i > 0; --i) a.push_back(random_value(rng, depth + 1));
            return a;
        }
        default: {
            json::object o;
            for (int i = std::uniform_int_distribution<int>(0, 4)(rng); i > 0; --i) o[text() + std::to_string(i)] = random_value(rng, depth + 1);
            return o;
        }
    }
}

TEST(RawJson, RandomDocumentsSplitIntoWhatBoostJsonReads) {
    std::mt19937 rng(7);
    for (int round = 0; round < 2000; ++round) {
        json::object doc;
        for (int i = std::uniform_int_distribution<int>(0, 6)(rng); i > 0; --i) {
            doc["k" + std::to_string(i) + std::string(rng() % 2 ? "\\\"" : "")] = random_value(rng, 0);
        }
        const std::string text = json::serialize(doc);
        auto members = raw::members(text);
        ASSERT_TRUE(members) << text;
        ASSERT_EQ(members->size(), doc.size()) << text;
        std::size_t i = 0;
        for (const auto& kv : doc) {
            const raw::Member& m = (*members)[i++];
            EXPECT_EQ(json::parse("\"" + std::string(m.key) + "\"").as_string(), kv.key()) << text;
            EXPECT_EQ(json::parse(m.value), kv.value()) << text;
            if (const json::array* a = kv.value().if_array()) {
                auto elements = raw::elements(m.value);
                ASSERT_TRUE(elements) << m.value;
                ASSERT_EQ(elements->size(), a->size());
                for (std::size_t e = 0; e < a->size(); ++e) EXPECT_EQ(json::parse((*elements)[e]), (*a)[e]);
            }
        }
    }
}

}  // namespace
