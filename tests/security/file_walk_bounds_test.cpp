// The bounds under the file tools, checked on the pieces themselves: the glob matcher's work is
// polynomial and counted, walks stop at the entry limit over a tree with no end, a streamed read
// gives what a whole read gives, file names escape reversibly, and an interrupt stops a walk or
// a delete of a real folder before it changes anything.
#include "support/test_env.hpp"
#include "workspace/file_content.hpp"
#include "workspace/gitignore.hpp"
#include "workspace/tree_search.hpp"

#include <agenthost/workspace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

template <class Fn>
std::string error_of(Fn&& fn) {
    try {
        fn();
    } catch (const FileStoreError& e) {
        return e.code() + ": " + e.what();
    }
    return "";
}

/// Steps a match spends.
std::uint64_t steps_of(std::string_view pattern, std::string_view path) {
    MatchBudget budget(UINT64_MAX);
    glob_match(pattern, path, &budget);
    return UINT64_MAX - budget.left();
}

TEST(FileWalkBounds, GlobMatchingWorkIsPolynomialInSegments) {
    std::string path;  // 100 segments
    for (int i = 0; i < 100; ++i) path += (i ? "/" : "") + std::string(i % 2 ? "b" : "a");
    for (int pairs : {5, 10, 20, 40}) {
        std::string pattern;
        for (int i = 0; i < pairs; ++i) pattern += "a/**/b/**/";
        pattern += "nomatch";
        std::uint64_t steps = steps_of(pattern, path);
        // (pattern segments) × (path segments) states, each a single-segment match of a few steps.
        std::uint64_t bound = static_cast<std::uint64_t>(4 * pairs + 1) * 101 * 8;
        EXPECT_LE(steps, bound) << pairs << " pairs";
    }
    std::string stars;
    for (int i = 0; i < 1000; ++i) stars += "**/";
    EXPECT_TRUE(glob_match(stars + "b", path));
    EXPECT_LE(steps_of(stars + "b", path), 101u * 3 * 8) << "consecutive ** are folded into one";

    MatchBudget small(1000);
    std::string costly;
    for (int i = 0; i < 40; ++i) costly += "a/**/";
    EXPECT_THROW(glob_match(costly + "x", path, &small), MatchBudget::Exhausted);
}

TEST(FileWalkBounds, SegmentMatchingIsBoundedByPatternTimesName) {
    std::string name(250, 'a');
    std::string pattern = "*" + std::string(100, 'a') + "b";
    std::uint64_t steps = steps_of(pattern, name);
    EXPECT_LE(steps, 101u * 251u);
    EXPECT_GT(steps, 1000u) << "the costly case is counted";
}

/// A tree with no end: every folder holds `width` folders and one file.
class EndlessCursor final : public TreeCursor {
public:
    explicit EndlessCursor(std::size_t width, std::string gitignore = "") : width_(width), gitignore_(std::move(gitignore)) {}
    std::vector<Entry> entries(std::size_t max, bool& more) override {
        std::vector<Entry> out;
        out.push_back(Entry{"file.txt", false});
        for (std::size_t i = 0; i < width_; ++i) out.push_back(Entry{"d" + std::to_string(i), true});
        std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
        more = out.size() > max;
        if (more) out.resize(max);
        return out;
    }
    bool enter(const std::string&) override { return ++depth_, true; }
    void leave() override { --depth_; }
    bool read(const std::string& name, const Sink& sink) override {
        if (name == ".gitignore") {
            if (gitignore_.empty()) return false;
            sink(gitignore_);
            return true;
        }
        sink("needle\n");
        return true;
    }

private:
    std::size_t width_;
    std::string gitignore_;
    std::size_t depth_ = 0;
};

TEST(FileWalkBounds, AWalkOverAnEndlessTreeStopsAtTheEntryLimitAndSaysSo) {
    EndlessCursor wide(50);
    GlobResult g = tree_glob(wide, SearchStart{"", true}, GlobQuery{"*.none", "", 1000});
    EXPECT_THAT(g.stopped, HasSubstr("stopped at " + std::to_string(kMaxWalkEntries) + " files and folders"));
    EXPECT_TRUE(g.paths.empty());

    EndlessCursor deep(1);
    GrepResult r = tree_grep(deep, SearchStart{"", true}, GrepQuery{"needle", "", "", false, 1000});
    EXPECT_THAT(r.stopped, HasSubstr("stopped at depth " + std::to_string(kMaxPathDepth)));
    EXPECT_EQ(r.matches.size(), kMaxPathDepth + 1) << "one file per level, the root's included";

    WalkLimits small{10, 50, 1000000};
    EndlessCursor again(3);
    GlobResult limited = tree_glob(again, SearchStart{"", true}, GlobQuery{"*", "", 1000}, small);
    EXPECT_THAT(limited.stopped, HasSubstr("stopped at 50 files and folders"));
}

TEST(FileWalkBounds, CostlyGitignoreRulesInEveryFolderStopAtTheBudget) {
    std::string rules;
    for (int i = 0; i < 200; ++i) rules += "**/a*/**/b*/**/c*/**/d" + std::to_string(i) + "\n";
    EndlessCursor cursor(4, rules);
    GlobResult g = tree_glob(cursor, SearchStart{"", true}, GlobQuery{"**/*.none", "", 10},
                             WalkLimits{kMaxPathDepth, kMaxWalkEntries, 5000000});
    EXPECT_THAT(g.stopped, HasSubstr("stopped at 5000000 steps of pattern matching"));
}

TEST(FileWalkBounds, AStreamedReadGivesWhatAWholeReadGives) {
    std::mt19937 rng(7);
    std::vector<std::string> samples = {"", "one", "one\n", "a\nb\nc", "\xC3\xA9t\xC3\xA9\n\xE2\x82\xAC\n",
                                        std::string("x\n\0y\n", 5), "caf\xE9\n", "\xF0\x9F\x98\x80\n"};
    std::string long_text;
    for (int i = 0; i < 3000; ++i) long_text += "l\xC3\xA9gume " + std::to_string(i) + (i % 7 ? "\n" : "\r\n");
    samples.push_back(long_text);
    std::vector<ReadRange> ranges = {{0, std::nullopt, std::nullopt}, {1, 1, std::nullopt}, {2, 5, 7},
                                     {0, 3, 1},                        {2999, 10, 100},      {0, 0, std::nullopt}};
    for (const std::string& data : samples) {
        for (const ReadRange& range : ranges) {
            FileContent whole = slice_lines(data, range);
            for (int attempt = 0; attempt < 20; ++attempt) {
                LineSlicer slicer(range, true);
                std::size_t pos = 0;
                while (pos < data.size()) {
                    std::size_t n = std::uniform_int_distribution<std::size_t>(1, 9)(rng);
                    slicer.feed(std::string_view(data).substr(pos, n));
                    pos += n;
                }
                FileContent parts = slicer.finish();
                EXPECT_EQ(parts.content, whole.content);
                EXPECT_EQ(parts.total_lines, whole.total_lines);
                EXPECT_EQ(parts.lines_shown, whole.lines_shown);
                EXPECT_EQ(parts.binary, whole.binary);
                EXPECT_EQ(parts.truncated, whole.truncated);
                EXPECT_EQ(parts.sha256, whole.sha256);
                EXPECT_EQ(parts.size, data.size());
            }
        }
    }
    EXPECT_TRUE(slice_lines("caf\xE9\n", {}).binary);
    EXPECT_FALSE(slice_lines("\xE2\x82\xAC\n", {}).binary);
    FileContent three = slice_lines("a\nb\nc\nd\n", ReadRange{1, 2, std::nullopt});
    EXPECT_EQ(three.content, "b\nc\n");
    EXPECT_EQ(three.total_lines, 4u);
}

TEST(FileWalkBounds, FileNamesEscapeReversibly) {
    std::mt19937 rng(11);
    for (int i = 0; i < 2000; ++i) {
        std::string raw;
        std::size_t n = std::uniform_int_distribution<std::size_t>(1, 12)(rng);
        for (std::size_t k = 0; k < n; ++k) {
            char c = static_cast<char>(std::uniform_int_distribution<int>(1, 255)(rng));
            raw += c == '/' ? 'x' : c;
        }
        std::string shown = escape_file_name(raw);
        EXPECT_EQ(unescape_file_name(shown), raw);
        EXPECT_EQ(normalize_workspace_path(shown), shown) << "the escaped form is the canonical one";
    }
    EXPECT_EQ(escape_file_name("caf\xE9"), "caf\\xE9");
    EXPECT_EQ(escape_file_name("a\\b"), "a\\x5Cb");
    EXPECT_EQ(escape_file_name("\xC3\xA9"), "\xC3\xA9");
    EXPECT_EQ(normalize_workspace_path("d\\xff/x"), "d\\xFF/x");
    EXPECT_THAT(error_of([] { normalize_workspace_path("\\x41"); }), HasSubstr("invalid_path"));
    EXPECT_THAT(error_of([] { normalize_workspace_path("\\xC3\\xA9"); }), HasSubstr("written plainly"));
    EXPECT_THAT(error_of([] { normalize_workspace_path("a\\"); }), HasSubstr("not an escape"));
    EXPECT_THAT(error_of([] { normalize_workspace_path("caf\xE9"); }), HasSubstr("not UTF-8"));
}

TEST(FileWalkBounds, AnInterruptStopsWalksAndDeletesOnRealDisk) {
    test::TempDir dir;
    for (int i = 0; i < 5; ++i) test::write_file(dir / ("d/f" + std::to_string(i) + ".txt"), "needle\n");
    test::write_file(dir / "big.txt", std::string(3u << 20, 'x'));
    auto store = make_real_disk_file_store(dir.path());
    std::atomic<bool> flag{true};
    {
        FileCancelScope scope(&flag);
        EXPECT_THAT(error_of([&] { store->glob(GlobQuery{"**/*", "", 100}); }), HasSubstr("cancelled"));
        EXPECT_THAT(error_of([&] { store->grep(GrepQuery{"needle", "", "", false, 100}); }), HasSubstr("cancelled"));
        EXPECT_THAT(error_of([&] { store->read_range("big.txt", ReadRange{0, 1, std::nullopt}); }),
                    HasSubstr("cancelled"));
        EXPECT_THAT(error_of([&] { store->remove("d", true); }), HasSubstr("cancelled"));
    }
    EXPECT_EQ(std::distance(fs::directory_iterator(dir / "d"), fs::directory_iterator{}), 5);
    flag = false;
    FileCancelScope scope(&flag);
    EXPECT_EQ(store->glob(GlobQuery{"**/*.txt", "", 100}).paths.size(), 6u);
    EXPECT_TRUE(store->remove("d", true));
    EXPECT_FALSE(fs::exists(dir / "d"));
}

TEST(FileWalkBounds, ADeleteChecksEverythingBeforeRemovingAnything) {
    for (bool disk : {false, true}) {
        test::TempDir dir;
        auto store = disk ? make_real_disk_file_store(dir.path()) : make_memory_file_store();
        store->write("p/a.txt", "a");
        store->write("p/q/r/s.txt", "s");
        store->write("p/z.txt", "z");
        std::vector<std::string> checked;
        RemoveCheck refuse_r = [&](std::string_view path) {
            checked.emplace_back(path);
            if (path == "p/q/r") throw FileStoreError("denied", "no r");
        };
        EXPECT_THAT(error_of([&] { store->remove("p", RemoveOptions{true, refuse_r, false}); }), HasSubstr("no r"));
        EXPECT_TRUE(store->stat("p/a.txt").exists) << disk;
        EXPECT_TRUE(store->stat("p/z.txt").exists) << disk;
        EXPECT_EQ(store->remove("p", RemoveOptions{true, {}, true}), 6u) << "p, a.txt, q, r, s.txt, z.txt";
        EXPECT_TRUE(store->stat("p/q/r/s.txt").exists) << "a dry run removes nothing";
        EXPECT_EQ(store->remove("p", RemoveOptions{true, {}, false}), 6u);
        EXPECT_FALSE(store->stat("p").exists);
    }
}

}  // namespace
}  // namespace agenthost
