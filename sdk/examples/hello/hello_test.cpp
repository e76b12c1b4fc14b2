// hello_test.cpp — the hello plugin's unit test, with the SDK's fake host: the built hello.so,
// opened through hello.json and held to it as agenthost would hold it.
#include <ahp/ahp_fake.hpp>

#include <gtest/gtest.h>

namespace {

using ahp::fake::FakeHost;
using ahp::fake::Outcome;

TEST(Hello, GreetsByName) {
    FakeHost host = FakeHost::open_with_manifest(HELLO_MANIFEST);
    Outcome r = host.call_tool("hello", {{"name", "Ada"}});
    ASSERT_TRUE(r.ok()) << r.error_message;
    EXPECT_EQ(r.result, "Hello, Ada!");
}

TEST(Hello, ArgumentsItsSchemaRejectsNeverReachIt) {
    FakeHost host = FakeHost::open_with_manifest(HELLO_MANIFEST);
    Outcome r = host.call_tool("hello", {});
    EXPECT_EQ(r.status, AHP_INVALID_ARGUMENT);
    EXPECT_EQ(r.error_message, "invalid arguments for 'hello': arguments: missing required property 'name'");
}

}  // namespace
