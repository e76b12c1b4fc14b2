// The real-disk store on real files in a temp folder: reads, atomic writes, read ranges,
// compare-and-swap, deletes, seeds and refused paths.
#include "support/test_env.hpp"
#include "workspace/file_content.hpp"

#include <agenthost/workspace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

namespace agenthost {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

/// The code of the FileStoreError `fn` throws ("" if none).
template <class Fn>
std::string error_code(Fn&& fn, std::string* message = nullptr) {
    try {
        fn();
    } catch (const FileStoreError& e) {
        if (message) *message = e.what();
        return e.code();
    }
    return "";
}

TEST(WorkspaceRealDisk, WritesCreateParentsAndReadBack) {
    test::TempDir dir;
    auto store = make_real_disk_file_store(dir.path());
    EXPECT_EQ(store->root(), fs::canonical(dir.path()));
    WriteResult w = store->write("src/deep/a.txt", "hello\n");
    EXPECT_TRUE(w.created);
    EXPECT_EQ(w.size, 6u);
    EXPECT_EQ(w.sha256, sha256_tag("hello\n"));
    EXPECT_THAT(w.sha256, StartsWith("sha256:"));
    EXPECT_EQ(test::read_file(dir / "src/deep/a.txt"), "hello\n");
    EXPECT_FALSE(store->write("/workspace/src/deep/a.txt", "again\n").created);
    EXPECT_EQ(store->read("/src/deep/a.txt"), "again\n");
    EXPECT_EQ(store->read("missing.txt"), std::nullopt);
    EXPECT_EQ(store->read("no/such/folder.txt"), std::nullopt);
    EXPECT_EQ(error_code([&] { store->read("src"); }), "is_directory");
}

TEST(WorkspaceRealDisk, ListAndStat) {
    test::TempDir dir;
    test::write_file(dir / "b.txt", "12345");
    test::write_file(dir / "a/x.txt", "x");
    auto store = make_real_disk_file_store(dir.path());
    auto entries = store->list("");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].name, "a");
    EXPECT_TRUE(entries[0].is_dir);
    EXPECT_EQ(entries[1].name, "b.txt");
    EXPECT_EQ(entries[1].size, 5u);
    EXPECT_EQ(error_code([&] { store->list("b.txt"); }), "not_directory");
    EXPECT_EQ(error_code([&] { store->list("nope"); }), "not_found");
    FileStat st = store->stat("b.txt");
    EXPECT_TRUE(st.exists);
    EXPECT_FALSE(st.is_dir);
    EXPECT_EQ(st.size, 5u);
    EXPECT_GT(st.mtime.time_since_epoch().count(), 0);
    EXPECT_TRUE(store->stat("a").is_dir);
    EXPECT_TRUE(store->stat("").is_dir);
    EXPECT_FALSE(store->stat("a/missing").exists);
}

TEST(WorkspaceRealDisk, TheRootListsTheSameEveryTime) {
    // Its listings read duplicates of one handle, which share a file offset: each must start over.
    test::TempDir dir;
    test::write_file(dir / "b.txt", "12345");
    test::write_file(dir / "a/x.txt", "x");
    auto store = make_real_disk_file_store(dir.path());
    for (int i = 0; i < 3; ++i) {
        auto entries = store->list(i == 1 ? "/" : "");
        ASSERT_EQ(entries.size(), 2u) << "listing " << i;
        EXPECT_EQ(entries[0].name, "a");
        EXPECT_EQ(store->glob(GlobQuery{"**/*.txt", "", 10}).paths.size(), 2u) << "glob " << i;
    }
}

TEST(WorkspaceRealDisk, WritesAreAtomicKeepTheModeAndLeaveNoTemporaryFile) {
    test::TempDir dir;
    test::write_file(dir / "run.sh", "#!/bin/sh\n");
    ::chmod((dir / "run.sh").c_str(), 0750);
    auto store = make_real_disk_file_store(dir.path());
    store->write("run.sh", "#!/bin/sh\necho hi\n");
    struct stat st {};
    ASSERT_EQ(::stat((dir / "run.sh").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
    EXPECT_THAT(names, ::testing::ElementsAre("run.sh"));
}

TEST(WorkspaceRealDisk, ReadRangesGiveTheLinesAndTheWholeFileFacts) {
    test::TempDir dir;
    std::string text;
    for (int i = 0; i < 10; ++i) text += "line " + std::to_string(i) + "\n";
    test::write_file(dir / "ten.txt", text);
    test::write_file(dir / "open.txt", "a\nb");  // no final newline
    auto store = make_real_disk_file_store(dir.path());

    FileContent c = *store->read_range("ten.txt", ReadRange{3, 2, std::nullopt});
    EXPECT_EQ(c.content, "line 3\nline 4\n");
    EXPECT_EQ(c.total_lines, 10u);
    EXPECT_EQ(c.lines_shown, 2u);
    EXPECT_EQ(c.offset, 3u);
    EXPECT_EQ(c.size, text.size());
    EXPECT_EQ(c.sha256, sha256_tag(text));
    EXPECT_FALSE(c.binary);
    EXPECT_FALSE(c.truncated);

    FileContent all = *store->read_range("ten.txt", ReadRange{});
    EXPECT_EQ(all.content, text);
    EXPECT_EQ(all.lines_shown, 10u);

    FileContent tail = *store->read_range("ten.txt", ReadRange{8, 1000000000, std::nullopt});
    EXPECT_EQ(tail.content, "line 8\nline 9\n");
    FileContent past = *store->read_range("ten.txt", ReadRange{1000000000, 5, std::nullopt});
    EXPECT_EQ(past.content, "");
    EXPECT_EQ(past.lines_shown, 0u);
    EXPECT_EQ(past.total_lines, 10u);

    FileContent cut = *store->read_range("ten.txt", ReadRange{0, std::nullopt, 16});
    EXPECT_EQ(cut.content, "line 0\nline 1\n");
    EXPECT_EQ(cut.lines_shown, 2u);
    EXPECT_TRUE(cut.truncated);

    FileContent open = *store->read_range("open.txt", ReadRange{1, 1, std::nullopt});
    EXPECT_EQ(open.content, "b");
    EXPECT_EQ(open.total_lines, 2u);
    EXPECT_EQ(store->read_range("missing", ReadRange{}), std::nullopt);
}

TEST(WorkspaceRealDisk, BinaryFilesAreFlaggedAndNeverReturned) {
    test::TempDir dir;
    test::write_file(dir / "nul.bin", std::string("abc\0def", 7));
    test::write_file(dir / "latin1.txt", "caf\xe9\n");
    test::write_file(dir / "utf8.txt", "caf\xc3\xa9\n");
    auto store = make_real_disk_file_store(dir.path());
    for (const char* name : {"nul.bin", "latin1.txt"}) {
        FileContent c = *store->read_range(name, ReadRange{});
        EXPECT_TRUE(c.binary) << name;
        EXPECT_EQ(c.content, "") << name;
        EXPECT_GT(c.size, 0u);
    }
    EXPECT_FALSE(store->read_range("utf8.txt", ReadRange{})->binary);
}

TEST(WorkspaceRealDisk, CompareAndSwapRefusesAStaleHash) {
    test::TempDir dir;
    auto store = make_real_disk_file_store(dir.path());
    std::string h1 = store->write("f.txt", "one\n").sha256;
    test::write_file(dir / "f.txt", "changed by someone else\n");
    std::string message;
    EXPECT_EQ(error_code([&] { store->write("f.txt", "two\n", h1); }, &message), "conflict");
    EXPECT_THAT(message, StartsWith("conflict: f.txt"));
    EXPECT_EQ(test::read_file(dir / "f.txt"), "changed by someone else\n");
    std::string h2 = sha256_tag("changed by someone else\n");
    EXPECT_EQ(store->write("f.txt", "two\n", h2).sha256, sha256_tag("two\n"));
    EXPECT_EQ(test::read_file(dir / "f.txt"), "two\n");
}

TEST(WorkspaceRealDisk, AFileThatDisappearsBetweenReadAndEditIsAConflict) {
    test::TempDir dir;
    test::write_file(dir / "gone.txt", "x\n");
    auto store = make_real_disk_file_store(dir.path());
    std::string hash = store->read_range("gone.txt", ReadRange{})->sha256;
    fs::remove(dir / "gone.txt");
    std::string message;
    EXPECT_EQ(error_code([&] { store->write("gone.txt", "y\n", hash); }, &message), "conflict");
    EXPECT_THAT(message, HasSubstr("no longer exists"));
    EXPECT_FALSE(fs::exists(dir / "gone.txt"));
}

TEST(WorkspaceRealDisk, DeletesFilesAndFoldersButNeverTheRoot) {
    test::TempDir dir;
    test::write_file(dir / "d/e/f.txt", "f");
    test::write_file(dir / "g.txt", "g");
    auto store = make_real_disk_file_store(dir.path());
    EXPECT_EQ(error_code([&] { store->remove("", true); }), "denied");
    EXPECT_EQ(error_code([&] { store->remove("/workspace", true); }), "denied");
    EXPECT_EQ(error_code([&] { store->remove("d", false); }), "is_directory");
    EXPECT_TRUE(store->remove("g.txt", false));
    EXPECT_FALSE(store->remove("g.txt", false));
    EXPECT_TRUE(store->remove("d", true));
    EXPECT_FALSE(fs::exists(dir / "d"));
    EXPECT_TRUE(fs::exists(dir.path()));
}

TEST(WorkspaceRealDisk, SeedsStayReadOnlyAndNeverReplaceTheUsersFile) {
    test::TempDir dir;
    test::write_file(dir / "mine.txt", "the user's\n");
    auto store = make_real_disk_file_store(dir.path());
    store->seed({"mine.txt", "seeded\n", false});
    EXPECT_EQ(test::read_file(dir / "mine.txt"), "the user's\n");
    store->seed({"docs/rules.md", "rules\n", true});
    EXPECT_EQ(test::read_file(dir / "docs/rules.md"), "rules\n");
    EXPECT_TRUE(store->stat("docs/rules.md").read_only);
    EXPECT_EQ(error_code([&] { store->write("docs/rules.md", "no"); }), "read_only");
    EXPECT_EQ(error_code([&] { store->remove("docs/rules.md", false); }), "read_only");
    EXPECT_EQ(error_code([&] { store->remove("docs", true); }), "read_only");
    EXPECT_EQ(error_code([&] { store->check_writable("docs/rules.md"); }), "read_only");
    EXPECT_EQ(test::read_file(dir / "docs/rules.md"), "rules\n");
}

TEST(WorkspaceRealDisk, BadPathsAreInvalid) {
    test::TempDir dir;
    auto store = make_real_disk_file_store(dir.path());
    std::string message;
    EXPECT_EQ(error_code([&] { store->write(std::string("a\0b", 3), "x"); }, &message), "invalid_path");
    EXPECT_THAT(message, HasSubstr("NUL"));
    EXPECT_EQ(error_code([&] { store->read("../x"); }, &message), "invalid_path");
    EXPECT_THAT(message, HasSubstr(".."));
    EXPECT_EQ(error_code([&] { store->write(std::string(300, 'n'), "x"); }), "invalid_path");
}

TEST(WorkspaceRealDisk, TheWorkspacesOwnAbsolutePathNamesAFileInside) {
    test::TempDir dir;
    auto store = make_real_disk_file_store(dir.path());
    std::string root = fs::canonical(dir.path()).string();
    store->write(root + "/in.txt", "x");
    EXPECT_EQ(test::read_file(dir / "in.txt"), "x");
    EXPECT_EQ(store->resolve_path(root + "/a/b"), "a/b");
    EXPECT_EQ(store->resolve_path("/etc/passwd"), "etc/passwd");
}

TEST(WorkspaceRealDisk, SpecialFilesAreNotOpened) {
    test::TempDir dir;
    ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
    auto store = make_real_disk_file_store(dir.path());
    EXPECT_EQ(error_code([&] { store->read("pipe"); }), "invalid_path");  // and does not block
    EXPECT_EQ(error_code([&] { store->write("pipe", "x"); }), "invalid_path");
}

TEST(WorkspaceRealDisk, AMissingRootIsRefused) {
    test::TempDir dir;
    EXPECT_EQ(error_code([&] { make_real_disk_file_store(dir / "nope"); }), "not_found");
    test::write_file(dir / "file", "x");
    EXPECT_EQ(error_code([&] { make_real_disk_file_store(dir / "file"); }), "not_found");
}

TEST(WorkspaceMemory, ReadRangesCompareAndSwapAndMtimeWorkInMemoryToo) {
    auto store = make_memory_file_store();
    EXPECT_EQ(store->root(), fs::path());
    WriteResult w = store->write("/workspace/a/b.txt", "1\n2\n3\n");
    EXPECT_TRUE(w.created);
    FileContent c = *store->read_range("a/b.txt", ReadRange{1, 1, std::nullopt});
    EXPECT_EQ(c.content, "2\n");
    EXPECT_EQ(c.total_lines, 3u);
    EXPECT_EQ(c.sha256, w.sha256);
    EXPECT_EQ(error_code([&] { store->write("a/b.txt", "x", std::string("sha256:00")); }), "conflict");
    EXPECT_FALSE(store->write("a/b.txt", "x", w.sha256).created);
    EXPECT_GT(store->stat("a/b.txt").mtime.time_since_epoch().count(), 0);
    EXPECT_EQ(error_code([&] { store->write("a/b.txt/c", "x"); }), "not_directory");
    store->seed({"ro.txt", "r", true});
    EXPECT_EQ(error_code([&] { store->write("ro.txt", "w"); }), "read_only");
    EXPECT_EQ(store->read("ro.txt"), "r");
}

TEST(Utf8, RepairReplacesEveryStrayByteAndKeepsWellFormedText) {
    EXPECT_EQ(repair_utf8("plain ascii, long enough for the fast path"), "plain ascii, long enough for the fast path");
    EXPECT_EQ(repair_utf8("caf\xC3\xA9 \xE6\xBC\xA2 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE6\xBC\xA2 \xF0\x9F\x98\x80");
    EXPECT_EQ(repair_utf8("supprim\xE9" "e"), "supprim\xEF\xBF\xBD" "e");             // Latin-1
    EXPECT_EQ(repair_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                // overlong
    EXPECT_EQ(repair_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    EXPECT_EQ(repair_utf8("end \xE6\xBC"), "end \xEF\xBF\xBD\xEF\xBF\xBD");        // cut short
    EXPECT_EQ(repair_utf8(""), "");
    for (const char* s : {"supprim\xE9", "\xFF\xFE", "ok \xC3", "12345678\x80"}) {
        EXPECT_FALSE(is_valid_utf8(s)) << s;
        EXPECT_TRUE(is_valid_utf8(repair_utf8(s))) << s;
    }
}

}  // namespace
}  // namespace agenthost
