// fs.grep and fs.glob over both stores: regexes, binary files, .gitignore (negation, anchors,
// nested files), limits; and the glob / .gitignore matcher itself.
#include "support/test_env.hpp"
#include "workspace/gitignore.hpp"

#include <agenthost/workspace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace agenthost {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::vector<std::string> where(const GrepResult& r) {
    std::vector<std::string> out;
    for (const GrepMatch& m : r.matches) out.push_back(m.path + ":" + std::to_string(m.line) + ":" + m.text);
    return out;
}

template <class Fn>
std::string error_code(Fn&& fn) {
    try {
        fn();
    } catch (const FileStoreError& e) {
        return e.code();
    }
    return "";
}

/// The same tree in memory or on disk.
class WorkspaceGrep : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        store_ = GetParam() ? make_real_disk_file_store(dir_.path()) : make_memory_file_store();
        put(".gitignore", "# build output\n*.log\n!keep.log\n/out/\ngen/**/*.c\ntmp?.txt\n");
        put("src/main.cpp", "int main() {\n    return run_app(1);\n}\n");
        put("src/util.cpp", "// helper\nint Run_Util() { return 2; }\n");
        put("src/sub/.gitignore", "secret.txt\n!important.log\n");
        put("src/sub/secret.txt", "run_app secret\n");
        put("src/sub/visible.txt", "run_app visible\n");
        put("src/sub/important.log", "run_app important\n");
        put("debug.log", "run_app debug\n");
        put("keep.log", "run_app kept\n");
        put("out/result.txt", "run_app out\n");
        put("lib/out/result.txt", "run_app not anchored\n");
        put("gen/a/b/x.c", "run_app generated\n");
        put("tmp1.txt", "run_app tmp\n");
        put("tmp10.txt", "run_app tmp10\n");
        put(".git/config", "run_app in git\n");
        put("image.png", std::string("run_app\0\x89PNG", 12));
    }
    void put(const std::string& path, const std::string& content) {
        if (GetParam())
            test::write_file(dir_ / path, content);
        else
            store_->write(path, content);
    }
    test::TempDir dir_;
    std::shared_ptr<FileStore> store_;
};

TEST_P(WorkspaceGrep, FindsLinesAndSkipsIgnoredBinaryAndGit) {
    GrepResult r = store_->grep(GrepQuery{"run_app", "", "", false, 200});
    EXPECT_THAT(where(r),
                ElementsAre("keep.log:1:run_app kept", "lib/out/result.txt:1:run_app not anchored",
                            "src/main.cpp:2:    return run_app(1);", "src/sub/important.log:1:run_app important",
                            "src/sub/visible.txt:1:run_app visible", "tmp10.txt:1:run_app tmp10"));
    EXPECT_FALSE(r.truncated);
    EXPECT_EQ(r.files_searched, 9u);  // 6 with matches, util.cpp and the two .gitignore files; not image.png
}

TEST_P(WorkspaceGrep, RegexSyntaxCaseAndAnchors) {
    EXPECT_THAT(where(store_->grep(GrepQuery{R"(run_\w+\(\d\))", "src", "", false, 200})),
                ElementsAre("src/main.cpp:2:    return run_app(1);"));
    EXPECT_THAT(where(store_->grep(GrepQuery{"run_util", "src", "", true, 200})),
                ElementsAre("src/util.cpp:2:int Run_Util() { return 2; }"));
    EXPECT_THAT(where(store_->grep(GrepQuery{"^}$", "", "", false, 200})), ElementsAre("src/main.cpp:3:}"));
    EXPECT_EQ(error_code([&] { store_->grep(GrepQuery{"(unclosed", "", "", false, 200}); }), "invalid_pattern");
}

TEST_P(WorkspaceGrep, PathGlobAndLimits) {
    EXPECT_THAT(where(store_->grep(GrepQuery{"run_app", "src/sub/visible.txt", "", false, 200})),
                ElementsAre("src/sub/visible.txt:1:run_app visible"));
    GrepResult in_sub = store_->grep(GrepQuery{"run_app", "src/sub", "", false, 200});
    EXPECT_EQ(in_sub.matches.size(), 2u);
    EXPECT_TRUE(store_->grep(GrepQuery{"run_app", "gen", "", false, 200}).matches.empty())
        << "the root .gitignore applies below a searched folder";
    EXPECT_THAT(where(store_->grep(GrepQuery{"run_app", "", "*.cpp", false, 200})),
                ElementsAre("src/main.cpp:2:    return run_app(1);"));
    GrepResult one = store_->grep(GrepQuery{"run_app", "", "", false, 2});
    EXPECT_EQ(one.matches.size(), 2u);
    EXPECT_TRUE(one.truncated);
    EXPECT_EQ(error_code([&] { store_->grep(GrepQuery{"x", "nope", "", false, 200}); }), "not_found");
}

TEST_P(WorkspaceGrep, GlobListsFilesNotIgnored) {
    EXPECT_THAT(store_->glob(GlobQuery{"src/**/*.cpp", "", 200}).paths, ElementsAre("src/main.cpp", "src/util.cpp"));
    EXPECT_THAT(store_->glob(GlobQuery{"*.txt", "", 200}).paths,
                ElementsAre("lib/out/result.txt", "src/sub/visible.txt", "tmp10.txt"));
    EXPECT_THAT(store_->glob(GlobQuery{"*.cpp", "src", 200}).paths, ElementsAre("src/main.cpp", "src/util.cpp"));
    EXPECT_THAT(store_->glob(GlobQuery{"sub/*", "src", 200}).paths,
                UnorderedElementsAre("src/sub/.gitignore", "src/sub/important.log", "src/sub/visible.txt"));
    GlobResult limited = store_->glob(GlobQuery{"**", "", 3});
    EXPECT_EQ(limited.paths.size(), 3u);
    EXPECT_TRUE(limited.truncated);
    EXPECT_EQ(error_code([&] { store_->glob(GlobQuery{"*", "src/main.cpp", 200}); }), "not_directory");
}

INSTANTIATE_TEST_SUITE_P(Stores, WorkspaceGrep, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Disk" : "Memory"; });

TEST(WorkspaceGrepMemory, LiteralPrefiltersNeverHideAMatch) {
    auto store = make_memory_file_store();
    store->write("t.txt", "color\ncolour\nac\nabbbc\nx7y]z\nfoo.bar(1)\nfooXbar(1)\nhello world\nend$\n{a}\n");
    auto lines = [&](const std::string& pattern) {
        std::vector<std::uint64_t> out;
        for (const GrepMatch& m : store->grep(GrepQuery{pattern, "", "", false, 200}).matches) out.push_back(m.line);
        return out;
    };
    EXPECT_THAT(lines("colou?r"), ElementsAre(1, 2));
    EXPECT_THAT(lines("ab*c"), ElementsAre(3, 4));
    EXPECT_THAT(lines("ab+c"), ElementsAre(4));
    EXPECT_THAT(lines("ab{0,2}c"), ElementsAre(3));
    EXPECT_THAT(lines("x[[:digit:]]y]z"), ElementsAre(5));
    EXPECT_THAT(lines(R"(foo\.bar\(1\))"), ElementsAre(6));
    EXPECT_THAT(lines(R"(foo.bar\(1\))"), ElementsAre(6, 7));
    EXPECT_THAT(lines("(hello )?world"), ElementsAre(8));
    EXPECT_THAT(lines("hello|end"), ElementsAre(8, 9));
    EXPECT_THAT(lines("(col|xx)or"), ElementsAre(1));
    EXPECT_THAT(lines("(hello|abb)(b|x)c"), ElementsAre(4));
    EXPECT_THAT(lines(R"(end\$$)"), ElementsAre(9));
    EXPECT_THAT(lines(R"(\{a\})"), ElementsAre(10));
    EXPECT_THAT(lines("^wor"), ElementsAre());
    EXPECT_THAT(lines("o w"), ElementsAre(8));
}

TEST(WorkspaceGrepDisk, LongFilesAcrossReadChunksKeepLineNumbersAndCutLongLines) {
    test::TempDir dir;
    std::string text;
    for (int i = 1; i <= 200000; ++i) text += (i % 50000 == 0 ? "needle " : "hay ") + std::to_string(i) + "\n";
    text += std::string(5000, 'x') + " needle at the end";  // no final newline, longer than 400 bytes
    test::write_file(dir / "big.txt", text);
    ASSERT_GT(text.size(), 1u << 20);  // more than one read chunk
    auto store = make_real_disk_file_store(dir.path());
    GrepResult r = store->grep(GrepQuery{"needle", "", "", false, 200});
    ASSERT_EQ(r.matches.size(), 5u);
    EXPECT_EQ(r.matches[0].line, 50000u);
    EXPECT_EQ(r.matches[0].text, "needle 50000");
    EXPECT_EQ(r.matches[3].line, 200000u);
    EXPECT_EQ(r.matches[4].line, 200001u);
    EXPECT_EQ(r.matches[4].text.size(), 400u);
}

TEST(WorkspaceGrepDisk, SymlinksAreNeverFollowedBySearches) {
    test::TempDir dir, outside;
    test::write_file(outside / "secret.txt", "needle outside\n");
    test::write_file(dir / "in.txt", "needle inside\n");
    std::filesystem::create_directory_symlink(outside.path(), dir / "linked_dir");
    std::filesystem::create_symlink(outside / "secret.txt", dir / "linked_file.txt");
    auto store = make_real_disk_file_store(dir.path());
    EXPECT_THAT(where(store->grep(GrepQuery{"needle", "", "", false, 200})), ElementsAre("in.txt:1:needle inside"));
    EXPECT_THAT(store->glob(GlobQuery{"**", "", 200}).paths, ElementsAre("in.txt"));
    EXPECT_EQ(error_code([&] { store->grep(GrepQuery{"needle", "linked_dir", "", false, 200}); }), "denied");
}

TEST(WorkspaceGlobMatch, SegmentsStarsAndClasses) {
    EXPECT_TRUE(glob_match("*.cpp", "a.cpp"));
    EXPECT_FALSE(glob_match("*.cpp", "src/a.cpp"));
    EXPECT_TRUE(glob_match("src/**/*.cpp", "src/a.cpp"));
    EXPECT_TRUE(glob_match("src/**/*.cpp", "src/x/y/a.cpp"));
    EXPECT_TRUE(glob_match("**", "a/b/c"));
    EXPECT_TRUE(glob_match("a/**", "a/b"));
    EXPECT_FALSE(glob_match("a/**", "a"));
    EXPECT_TRUE(glob_match("**/b", "b"));
    EXPECT_TRUE(glob_match("file?.[ch]", "file1.h"));
    EXPECT_FALSE(glob_match("file?.[!ch]", "file1.h"));
    EXPECT_TRUE(glob_match("[a-c]x", "bx"));
    EXPECT_TRUE(glob_match(R"(\*.txt)", "*.txt"));
    EXPECT_FALSE(glob_match(R"(\*.txt)", "a.txt"));
    EXPECT_TRUE(glob_match("a*b*c*d", "aXbYcZd"));
    EXPECT_FALSE(glob_match("a*a*a*a*a*a*a*b", std::string(200, 'a')));  // no blow-up
}

TEST(WorkspaceGlobMatch, GitignoreRules) {
    GitignoreRules root("", "*.o\n!keep.o\n/only-root\ndocs/\n\\#hash\n  \n# comment\nspace\\ \n");
    using V = GitignoreRules::Verdict;
    EXPECT_EQ(root.match("a/b.o", false), V::kIgnore);
    EXPECT_EQ(root.match("a/keep.o", false), V::kInclude);
    EXPECT_EQ(root.match("only-root", false), V::kIgnore);
    EXPECT_EQ(root.match("a/only-root", false), V::kNone);
    EXPECT_EQ(root.match("x/docs", true), V::kIgnore);
    EXPECT_EQ(root.match("x/docs", false), V::kNone);
    EXPECT_EQ(root.match("#hash", false), V::kIgnore);
    GitignoreRules nested("sub", "*.tmp\n/here\n");
    EXPECT_EQ(nested.match("sub/a/x.tmp", false), V::kIgnore);
    EXPECT_EQ(nested.match("other/x.tmp", false), V::kNone);
    EXPECT_EQ(nested.match("sub/here", false), V::kIgnore);
    EXPECT_EQ(nested.match("sub/a/here", false), V::kNone);
    IgnoreStack stack;
    stack.push(GitignoreRules("", "*.log\n"));
    stack.push(GitignoreRules("sub", "!important.log\n"));
    EXPECT_FALSE(stack.ignored("sub/important.log", "important.log", false));
    EXPECT_TRUE(stack.ignored("sub/other.log", "other.log", false));
    EXPECT_TRUE(stack.ignored("sub/.git", ".git", true));
}

}  // namespace
}  // namespace agenthost
