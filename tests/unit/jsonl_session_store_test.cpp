// Session stores on real files: modes, locks across processes, torn and malformed lines, listing;
// and the memory store's matching semantics.
#include <agenthost/storage.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace agenthost {
namespace {

namespace fs = std::filesystem;

Event make_event(const std::string& session, std::uint64_t sequence, std::string_view type = event_type::kTurnStarted,
                 const std::string& text = "") {
    Event event;
    event.id = new_uuid_v7();
    event.type = std::string(type);
    event.ts = "2026-01-02T03:04:05." + std::to_string(100 + sequence % 900) + "Z";
    event.session_id = session;
    event.sequence = sequence;
    event.turn_id = sequence > 1 ? "turn-1" : "";
    if (type == event_type::kInputMessage) {
        json::object part{{"type", "text"}, {"text", text}};
        json::object message{{"id", "m1"}, {"role", "user"}, {"content", json::array{part}}};
        event.data = json::object{{"message", message}};
    }
    return event;
}

std::string line_of(const Event& event) {
    return to_json_line(event) + "\n";
}

std::string storage_error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const StorageError& error) {
        return error.what();
    }
    ADD_FAILURE() << "no StorageError";
    return {};
}

class JsonlStoreTest : public testing::Test {
protected:
    void SetUp() override {
        std::string pattern = testing::TempDir() + "/jsonl_store_XXXXXX";
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        dir_ = root_ + "/data/sessions";
        store_ = make_jsonl_session_store(dir_);
    }
    void TearDown() override { fs::remove_all(root_); }

    std::string path_of(const std::string& id) const { return dir_ + "/" + id + ".jsonl"; }

    void write_raw(const std::string& id, const std::string& content) const {
        fs::create_directories(dir_);
        std::ofstream(path_of(id), std::ios::binary | std::ios::trunc) << content;
    }

    std::string read_raw(const std::string& id) const {
        std::ifstream in(path_of(id), std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

    static mode_t mode_of(const std::string& path) {
        struct stat st {};
        EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
        return st.st_mode & 07777;
    }

    /// Runs `child` in a forked process; returns its exit status.
    static int in_child(const std::function<int()>& child) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            int code = 99;
            try {
                code = child();
            } catch (...) {
                code = 98;
            }
            ::_exit(code);
        }
        int status = 0;
        EXPECT_EQ(::waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    std::string root_;
    std::string dir_;
    std::shared_ptr<SessionStore> store_;
};

TEST_F(JsonlStoreTest, RoundTripAndContinue) {
    std::vector<Event> written;
    {
        auto opened = store_->open("s1", true);
        EXPECT_TRUE(opened.events.empty());
        EXPECT_TRUE(opened.warnings.empty());
        written.push_back(make_event("s1", 1, event_type::kSessionCreated));
        written.push_back(make_event("s1", 2, event_type::kInputMessage, "hello"));
        written.push_back(make_event("s1", 3));
        for (const auto& event : written) opened.log->append(event);
    }
    EXPECT_EQ(read_raw("s1"), line_of(written[0]) + line_of(written[1]) + line_of(written[2]));
    auto opened = store_->open("s1", false);
    ASSERT_EQ(opened.events.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(to_json_line(opened.events[i]), to_json_line(written[i]));
    EXPECT_TRUE(opened.warnings.empty());
    opened.log->append(make_event("s1", 4));
    const auto message = storage_error_of([&] { opened.log->append(make_event("s1", 4)); });
    EXPECT_NE(message.find("expects 5"), std::string::npos) << message;
}

TEST_F(JsonlStoreTest, WhatAppendWritesReplaysEvenOddBytesAndDeepNesting) {
    Event odd = make_event("s1", 1, event_type::kToolCompleted);
    odd.data["output"] = "bytes \xff\xfe from a tool, \x01 and \"quotes\"\n";
    json::value deep = json::array{};
    for (int i = 0; i < 100; ++i) deep = json::array{deep};
    odd.data["deep"] = deep;
    store_->open("s1", true).log->append(odd);
    auto opened = store_->open("s1", false);
    ASSERT_EQ(opened.events.size(), 1u);
    EXPECT_EQ(opened.events[0].data, odd.data);
}

TEST_F(JsonlStoreTest, DirectoryIs0700AndFileIs0600) {
    auto opened = store_->open("s1", true);
    EXPECT_EQ(mode_of(dir_), 0700u);
    EXPECT_EQ(mode_of(path_of("s1")), 0600u);
}

TEST_F(JsonlStoreTest, LooserExistingFileIsTightened) {
    write_raw("s1", "");
    ASSERT_EQ(::chmod(path_of("s1").c_str(), 0644), 0);
    auto opened = store_->open("s1", false);
    EXPECT_EQ(mode_of(path_of("s1")), 0600u);
}

TEST_F(JsonlStoreTest, MissingSessionWithoutCreate) {
    const auto message = storage_error_of([&] { store_->open("nope", false); });
    EXPECT_NE(message.find("session nope not found"), std::string::npos) << message;
    EXPECT_FALSE(store_->exists("nope"));
}

TEST_F(JsonlStoreTest, EmptyFileIsNewSession) {
    write_raw("s1", "");
    auto opened = store_->open("s1", false);
    EXPECT_TRUE(opened.events.empty());
    EXPECT_TRUE(opened.warnings.empty());
    opened.log->append(make_event("s1", 1));
    EXPECT_EQ(read_raw("s1").back(), '\n');
}

TEST_F(JsonlStoreTest, LockConflictFromForkedChildAndRelease) {
    auto opened = store_->open("s1", true);
    opened.log->append(make_event("s1", 1));
    const std::string dir = dir_;
    const std::string expected = "session s1 is in use by another process (lock held on " + path_of("s1") + ")";
    EXPECT_EQ(in_child([&] {
                  try {
                      make_jsonl_session_store(dir)->open("s1", false);
                  } catch (const StorageError& error) {
                      return std::string(error.what()) == expected ? 0 : 2;
                  }
                  return 1;  // got the lock although the parent holds it
              }),
              0);
    // A second open in this process is refused too (flock is per open file description).
    EXPECT_EQ(storage_error_of([&] { store_->open("s1", false); }), expected);

    opened.log.reset();
    EXPECT_EQ(in_child([&] {
                  auto child = make_jsonl_session_store(dir)->open("s1", false);
                  if (child.events.size() != 1) return 3;
                  child.log->append(make_event("s1", 2));
                  return 0;
              }),
              0);
    EXPECT_EQ(store_->open("s1", false).events.size(), 2u);
}

// `sessions show` reads a session another process is running: no lock taken, nothing cut.
TEST_F(JsonlStoreTest, ReadNeedsNoLockAndRepairsNothing) {
    write_raw("s1", line_of(make_event("s1", 1)) + line_of(make_event("s1", 2)));
    auto held = store_->open("s1", false);  // the lock is held, as by a running turn
    held.log->append(make_event("s1", 3));
    const std::string being_written = R"({"id":"0190","type":"tool.comp)";
    std::ofstream(path_of("s1"), std::ios::binary | std::ios::app) << being_written;
    const std::string before = read_raw("s1");
    const std::string dir = dir_;
    EXPECT_EQ(in_child([&] {
                  std::vector<Event> read = make_jsonl_session_store(dir)->read("s1");
                  return read.size() == 3 && read[2].sequence == 3 ? 0 : 4;
              }),
              0);
    EXPECT_EQ(store_->read("s1").size(), 3u) << "in this process too";
    EXPECT_EQ(read_raw("s1"), before) << "read cuts nothing";
    EXPECT_EQ(storage_error_of([&] { store_->read("nope"); }), "session nope not found (no " + path_of("nope") + ")");
}

TEST_F(JsonlStoreTest, TornLastLineIsCutReportedAndSequenceContinues) {
    const std::string good = line_of(make_event("s1", 1)) + line_of(make_event("s1", 2));
    const std::string torn = R"({"id":"0190","type":"tool.comp)";
    write_raw("s1", good + torn);
    {
        auto opened = store_->open("s1", false);
        ASSERT_EQ(opened.events.size(), 2u);
        ASSERT_EQ(opened.warnings.size(), 1u);
        EXPECT_EQ(opened.warnings[0],
                  "cut a torn last line (" + std::to_string(torn.size()) + " bytes) at line 3 of " + path_of("s1"));
        EXPECT_EQ(read_raw("s1"), good);
        opened.log->append(make_event("s1", 3));
    }
    auto reopened = store_->open("s1", false);
    EXPECT_TRUE(reopened.warnings.empty());
    ASSERT_EQ(reopened.events.size(), 3u);
    EXPECT_EQ(reopened.events[2].sequence, 3u);
}

TEST_F(JsonlStoreTest, TornOnlyLineLeavesEmptySession) {
    write_raw("s1", "{\"id\":");
    auto opened = store_->open("s1", false);
    EXPECT_TRUE(opened.events.empty());
    ASSERT_EQ(opened.warnings.size(), 1u);
    EXPECT_NE(opened.warnings[0].find("(6 bytes) at line 1"), std::string::npos);
    EXPECT_EQ(read_raw("s1"), "");
}

TEST_F(JsonlStoreTest, ValidLastLineWithoutNewlineIsKept) {
    const std::string first = line_of(make_event("s1", 1));
    std::string second = to_json_line(make_event("s1", 2));
    write_raw("s1", first + second);
    Event third = make_event("s1", 3);
    {
        auto opened = store_->open("s1", false);
        EXPECT_EQ(opened.events.size(), 2u);
        EXPECT_TRUE(opened.warnings.empty());
        opened.log->append(third);
    }
    EXPECT_EQ(read_raw("s1"), first + second + "\n" + line_of(third));
    EXPECT_EQ(store_->open("s1", false).events.size(), 3u);
}

TEST_F(JsonlStoreTest, MalformedMiddleLineNamesTheLine) {
    write_raw("s1", line_of(make_event("s1", 1)) + "{not json}\n" + line_of(make_event("s1", 2)));
    const auto message = storage_error_of([&] { store_->open("s1", false); });
    EXPECT_EQ(message.rfind(path_of("s1") + ":2: not valid JSON", 0), 0u) << message;
    // Never repaired behind the user's back.
    EXPECT_NE(read_raw("s1").find("{not json}"), std::string::npos);
}

TEST_F(JsonlStoreTest, BlankMiddleLineIsAnError) {
    write_raw("s1", line_of(make_event("s1", 1)) + "\n" + line_of(make_event("s1", 2)));
    const auto message = storage_error_of([&] { store_->open("s1", false); });
    EXPECT_EQ(message.rfind(path_of("s1") + ":2:", 0), 0u) << message;
}

TEST_F(JsonlStoreTest, LineThatIsNotAnEnvelope) {
    json::object bad = to_json(make_event("s1", 2));
    bad.erase("type");
    write_raw("s1", line_of(make_event("s1", 1)) + json::serialize(bad) + "\n");
    const auto message = storage_error_of([&] { store_->open("s1", false); });
    EXPECT_EQ(message.rfind(path_of("s1") + ":2: not an event envelope", 0), 0u) << message;
    EXPECT_NE(message.find("\"type\""), std::string::npos) << message;
}

TEST_F(JsonlStoreTest, ValidButNonEnvelopeLastLineWithoutNewlineIsAnError) {
    write_raw("s1", line_of(make_event("s1", 1)) + "[1,2,3]");
    const auto message = storage_error_of([&] { store_->open("s1", false); });
    EXPECT_EQ(message.rfind(path_of("s1") + ":2:", 0), 0u) << message;
}

TEST_F(JsonlStoreTest, LineOfAnotherSession) {
    write_raw("s1", line_of(make_event("s1", 1)) + line_of(make_event("other", 2)));
    const auto message = storage_error_of([&] { store_->open("s1", false); });
    EXPECT_EQ(message.rfind(path_of("s1") + ":2:", 0), 0u) << message;
    EXPECT_NE(message.find("\"other\""), std::string::npos) << message;
}

TEST_F(JsonlStoreTest, SequenceGapAndBadStart) {
    write_raw("s1", line_of(make_event("s1", 1)) + line_of(make_event("s1", 2)) + line_of(make_event("s1", 4)));
    auto message = storage_error_of([&] { store_->open("s1", false); });
    EXPECT_EQ(message, path_of("s1") + ":3: sequence 4 where 3 was expected");

    write_raw("s2", line_of(make_event("s2", 2)));
    message = storage_error_of([&] { store_->open("s2", false); });
    EXPECT_EQ(message, path_of("s2") + ":1: sequence 2 where 1 was expected");
}

TEST_F(JsonlStoreTest, StoredDeltaLineIsAnError) {
    write_raw("s1", line_of(make_event("s1", 1)) + line_of(make_event("s1", 2, event_type::kOutputDelta)));
    const auto message = storage_error_of([&] { store_->open("s1", false); });
    EXPECT_EQ(message.rfind(path_of("s1") + ":2:", 0), 0u) << message;
}

TEST_F(JsonlStoreTest, AppendRefusesDeltasOtherSessionsAndGaps) {
    auto opened = store_->open("s1", true);
    opened.log->append(make_event("s1", 1));
    const std::string before = read_raw("s1");
    auto message = storage_error_of([&] { opened.log->append(make_event("s1", 2, event_type::kOutputDelta)); });
    EXPECT_NE(message.find("output.message.delta"), std::string::npos) << message;
    message = storage_error_of([&] { opened.log->append(make_event("s2", 2)); });
    EXPECT_NE(message.find("s2"), std::string::npos) << message;
    message = storage_error_of([&] { opened.log->append(make_event("s1", 3)); });
    EXPECT_NE(message.find("expects 2"), std::string::npos) << message;
    EXPECT_EQ(read_raw("s1"), before);
    opened.log->append(make_event("s1", 2));  // still usable
}

TEST_F(JsonlStoreTest, BadSessionIdsAreRefused) {
    for (const std::string& id :
         std::vector<std::string>{"../x", "a/b", "", ".hidden", "a b", "x\ny", std::string(129, 'a')}) {
        const auto message = storage_error_of([&] { store_->open(id, true); });
        EXPECT_NE(message.find("invalid session id"), std::string::npos) << message;
        const std::string shown = id == "x\ny" ? "x\\x0ay" : id.size() <= 128 ? id : "";
        EXPECT_NE(message.find("\"" + shown), std::string::npos) << message;
        EXPECT_THROW(store_->exists(id), StorageError);
    }
    EXPECT_FALSE(fs::exists(dir_ + "/../x.jsonl"));
    EXPECT_FALSE(fs::exists(dir_));                           // nothing was created for a refused id
    auto opened = store_->open(std::string(128, 'a'), true);  // the longest allowed
    EXPECT_FALSE(store_->exists("a.b_c-D9"));                 // valid, just absent
}

TEST_F(JsonlStoreTest, ListIsNewestFirstWithTitles) {
    EXPECT_TRUE(store_->list().empty());  // the directory does not exist yet
    EXPECT_FALSE(store_->latest().has_value());
    const std::string long_text = "\n  " + std::string(78, 'x') + "\xc3\xa9\xc3\xa9\xc3\xa9 tail\nsecond line";
    auto make = [&](const std::string& id, const std::string& text) {
        auto opened = store_->open(id, true);
        opened.log->append(make_event(id, 1, event_type::kSessionCreated));
        if (!text.empty()) opened.log->append(make_event(id, 2, event_type::kInputMessage, text));
    };
    make("a", "first line\nsecond line");
    make("b", long_text);
    make("c", "");
    write_raw("d", "");
    std::ofstream(dir_ + "/notes.txt") << "{}\n";
    std::ofstream(dir_ + "/.hidden.jsonl") << "";
    ASSERT_EQ(::mkdir((dir_ + "/dir.jsonl").c_str(), 0700), 0);
    auto set_mtime = [&](const std::string& id, time_t seconds) {
        const timespec times[2] = {{seconds, 0}, {seconds, 0}};
        ASSERT_EQ(::utimensat(AT_FDCWD, path_of(id).c_str(), times, 0), 0);
    };
    set_mtime("a", 1000);
    set_mtime("b", 3000);
    set_mtime("c", 2000);
    set_mtime("d", 500);

    const auto all = store_->list();
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].id, "b");
    EXPECT_EQ(all[1].id, "c");
    EXPECT_EQ(all[2].id, "a");
    EXPECT_EQ(all[3].id, "d");
    EXPECT_EQ(all[0].title, std::string(78, 'x') + "\xc3\xa9\xc3\xa9");  // 80 code points
    EXPECT_EQ(all[1].title, "");
    EXPECT_EQ(all[2].title, "first line");
    EXPECT_EQ(all[0].updated, "1970-01-01T00:50:00.000Z");
    EXPECT_EQ(all[2].created, make_event("a", 1).ts);
    EXPECT_EQ(all[2].size_bytes, fs::file_size(path_of("a")));
    EXPECT_EQ(all[3].created, "");
    EXPECT_EQ(store_->latest(), "b");
    EXPECT_TRUE(store_->exists("a"));
    EXPECT_FALSE(store_->exists("dir"));
}

TEST_F(JsonlStoreTest, ASymlinkedLogIsRefusedSayingSo) {
    {
        auto opened = store_->open("real", true);
        opened.log->append(make_event("real", 1, event_type::kSessionCreated));
    }
    ASSERT_EQ(::symlink(path_of("real").c_str(), path_of("linked").c_str()), 0);
    const std::string why = "session log " + path_of("linked") + " is a symlink; refusing to follow it";
    auto message = [](auto&& fn) {
        try {
            fn();
        } catch (const StorageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message([&] { store_->exists("linked"); }), why);
    EXPECT_EQ(message([&] { store_->open("linked", false); }), why);
    EXPECT_EQ(message([&] { store_->open("linked", true); }), why);
    EXPECT_EQ(message([&] { store_->read("linked"); }), why);
    EXPECT_EQ(store_->read("real").size(), 1u) << "the target is untouched";
}

TEST(MemoryStoreTest, SameSemanticsWithoutFiles) {
    auto store = make_memory_session_store();
    EXPECT_THROW(store->open("nope", false), StorageError);
    EXPECT_THROW(store->open("../x", true), StorageError);
    EXPECT_FALSE(store->exists("s1"));
    {
        auto opened = store->open("s1", true);
        EXPECT_TRUE(store->exists("s1"));
        opened.log->append(make_event("s1", 1, event_type::kSessionCreated));
        opened.log->append(make_event("s1", 2, event_type::kInputMessage, "the title\nmore"));
        EXPECT_THROW(opened.log->append(make_event("s1", 3, event_type::kOutputDelta)), StorageError);
        EXPECT_THROW(opened.log->append(make_event("s1", 4)), StorageError);
        EXPECT_THROW(opened.log->append(make_event("s2", 3)), StorageError);
        const auto message = storage_error_of([&] { store->open("s1", false); });
        EXPECT_NE(message.find("in use"), std::string::npos) << message;
        EXPECT_EQ(store->read("s1").size(), 2u) << "read while it is open";
    }
    EXPECT_THROW(store->read("nope"), StorageError);
    auto reopened = store->open("s1", false);
    ASSERT_EQ(reopened.events.size(), 2u);
    EXPECT_EQ(reopened.events[1].sequence, 2u);
    reopened.log->append(make_event("s1", 3));

    { auto other = store->open("s2", true); }
    auto all = store->list();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].id, "s2");
    EXPECT_EQ(all[1].id, "s1");
    EXPECT_EQ(all[1].title, "the title");
    EXPECT_EQ(all[1].created, make_event("s1", 1).ts);
    EXPECT_GT(all[1].size_bytes, 0u);
    reopened.log->append(make_event("s1", 4));
    EXPECT_EQ(store->latest(), "s1");
}

}  // namespace
}  // namespace agenthost
