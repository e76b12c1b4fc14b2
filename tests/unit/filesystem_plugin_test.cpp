// The built filesystem plugin, driven through ahp::fake::FakeHost over a small in-test fake of
// the fs.* protocol (docs/fs-services.md) with real sha256 hashes.
#include <ahp/ahp_fake.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace {

namespace json = boost::json;
using ahp::fake::FakeHost;
using ahp::fake::Outcome;

std::string sha256(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    static const char* kHex = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned int i = 0; i < len; ++i) out += {kHex[digest[i] >> 4], kHex[digest[i] & 15]};
    return out;
}

std::string norm(std::string p) {
    if (p.rfind("/workspace", 0) == 0) p = p.substr(10);
    while (!p.empty() && p.front() == '/') p.erase(0, 1);
    if (p.rfind("./", 0) == 0) p = p.substr(2);
    return p == "." ? "" : p;
}

std::string str(const json::value& p, const char* key) {
    const json::value* v = p.as_object().if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t num(const json::value& p, const char* key, std::int64_t fallback) {
    const json::value* v = p.as_object().if_contains(key);
    return v && v->is_number() ? v->to_number<std::int64_t>() : fallback;
}

/// A glob as a regex: ** spans folders, * and ? do not.
std::regex glob_regex(const std::string& glob) {
    std::string re;
    for (std::size_t i = 0; i < glob.size(); ++i) {
        char c = glob[i];
        if (c == '*' && i + 1 < glob.size() && glob[i + 1] == '*') {
            bool slash = i + 2 < glob.size() && glob[i + 2] == '/';
            re += slash ? "(.*/)?" : ".*";
            i += slash ? 2 : 1;
        } else if (c == '*') {
            re += "[^/]*";
        } else if (c == '?') {
            re += "[^/]";
        } else {
            if (std::string("\\^$.|+()[]{}").find(c) != std::string::npos) re += '\\';
            re += c;
        }
    }
    return std::regex(re);
}

/// The fs.* protocol and storage.* over a map of files.
struct FakeFs {
    std::map<std::string, std::string> files;
    std::set<std::string> dirs;
    std::map<std::string, std::string> kv;
    std::vector<std::pair<std::string, json::value>> calls;
    std::string deny_writes;             // the approval gate's denial message, when set
    std::function<void()> before_write;  // runs inside fs.write before the CAS check

    [[noreturn]] static void missing(const std::string& p) {
        throw ahp::Error("not_found", p + " does not exist", AHP_NOT_FOUND);
    }
    bool is_dir(const std::string& p) const {
        if (p.empty() || dirs.count(p)) return true;
        auto it = files.lower_bound(p + "/");
        return it != files.end() && it->first.rfind(p + "/", 0) == 0;
    }
    static std::vector<std::string> lines_of(const std::string& s) {
        std::vector<std::string> out;
        std::size_t pos = 0;
        while (pos < s.size()) {
            std::size_t nl = s.find('\n', pos);
            std::size_t end = nl == std::string::npos ? s.size() : nl + 1;
            out.push_back(s.substr(pos, end - pos));
            pos = end;
        }
        return out;
    }

    json::value read(const json::value& p) {
        std::string path = norm(str(p, "path"));
        auto it = files.find(path);
        if (it == files.end()) missing(path);
        const std::string& s = it->second;
        auto lines = lines_of(s);
        auto total = static_cast<std::int64_t>(lines.size());
        std::int64_t offset = std::min(num(p, "offset", 0), total);
        std::int64_t limit = std::min(num(p, "limit", total), total - offset);
        bool binary = s.substr(0, 8192).find('\0') != std::string::npos;
        std::string content;
        for (std::int64_t i = offset; !binary && i < offset + limit; ++i) content += lines[static_cast<std::size_t>(i)];
        return json::object{{"content", content},
                            {"total_lines", total},
                            {"lines_shown", binary ? 0 : limit},
                            {"offset", offset},
                            {"size", s.size()},
                            {"sha256", sha256(s)},
                            {"binary", binary},
                            {"truncated", offset + limit < total}};
    }

    json::value write(const json::value& p) {
        std::string path = norm(str(p, "path"));
        if (!deny_writes.empty()) throw ahp::Error("denied", deny_writes, AHP_DENIED);
        if (before_write) before_write();
        auto it = files.find(path);
        if (const json::value* e = p.as_object().if_contains("expected_sha256")) {
            if (it == files.end() || sha256(it->second) != e->as_string()) {
                throw ahp::Error("error", "conflict: " + path + " changed since it was read");
            }
        }
        bool created = it == files.end();
        files[path] = str(p, "content");
        for (std::size_t s = path.find('/'); s != std::string::npos; s = path.find('/', s + 1)) {
            dirs.insert(path.substr(0, s));
        }
        return json::object{{"created", created}, {"size", files[path].size()}, {"sha256", sha256(files[path])}};
    }

    json::value remove(const json::value& p) {
        std::string path = norm(str(p, "path"));
        if (files.erase(path)) return json::object{{"deleted", true}};
        if (!is_dir(path)) missing(path);
        bool recursive = p.as_object().contains("recursive") && p.at("recursive").as_bool();
        std::string prefix = path + "/";
        bool children =
            files.lower_bound(prefix) != files.end() && files.lower_bound(prefix)->first.rfind(prefix, 0) == 0;
        if (children && !recursive) throw ahp::Error("error", path + " is a folder that is not empty; pass recursive");
        for (auto it = files.lower_bound(prefix); it != files.end() && it->first.rfind(prefix, 0) == 0;)
            it = files.erase(it);
        dirs.erase(path);
        return json::object{{"deleted", true}};
    }

    json::value list(const json::value& p) {
        std::string path = norm(str(p, "path"));
        if (!is_dir(path)) missing(path);
        std::string prefix = path.empty() ? "" : path + "/";
        std::map<std::string, json::object> entries;
        for (const auto& [name, content] : files) {
            if (name.rfind(prefix, 0) != 0) continue;
            std::string rest = name.substr(prefix.size());
            std::size_t slash = rest.find('/');
            if (slash == std::string::npos) {
                entries[rest] = {{"name", rest}, {"is_dir", false}, {"size", content.size()}};
            } else {
                entries[rest.substr(0, slash)] = {{"name", rest.substr(0, slash)}, {"is_dir", true}, {"size", 0}};
            }
        }
        json::array out;
        std::int64_t offset = num(p, "offset", 0), limit = num(p, "limit", 200), i = 0;
        for (auto& [name, e] : entries) {
            if (i >= offset && i < offset + limit) out.push_back(e);
            ++i;
        }
        return json::object{{"entries", out}, {"total", entries.size()}};
    }

    json::value stat(const json::value& p) {
        std::string path = norm(str(p, "path"));
        if (auto it = files.find(path); it != files.end()) {
            return json::object{{"exists", true},
                                {"is_dir", false},
                                {"size", it->second.size()},
                                {"read_only", false},
                                {"mtime", "2025-01-02T03:04:05Z"}};
        }
        if (is_dir(path)) return json::object{{"exists", true}, {"is_dir", true}, {"size", 0}, {"read_only", false}};
        return json::object{{"exists", false}};
    }

    json::value glob(const json::value& p) {
        std::regex re = glob_regex(str(p, "pattern"));
        std::string base = norm(str(p, "path"));
        std::string prefix = base.empty() ? "" : base + "/";
        std::int64_t limit = num(p, "limit", 200);
        json::array paths;
        bool truncated = false;
        for (const auto& [name, content] : files) {
            if (name.rfind(prefix, 0) != 0 || !std::regex_match(name.substr(prefix.size()), re)) continue;
            if (static_cast<std::int64_t>(paths.size()) == limit) {
                truncated = true;
                break;
            }
            paths.push_back(json::string(name));
        }
        return json::object{{"paths", paths}, {"truncated", truncated}};
    }

    json::value grep(const json::value& p) {
        auto flags = std::regex::ECMAScript;
        if (p.as_object().contains("case_insensitive")) flags |= std::regex::icase;
        std::regex re(str(p, "pattern"), flags);
        std::string base = norm(str(p, "path"));
        std::string g = str(p, "glob");
        std::int64_t limit = num(p, "limit", 200), searched = 0;
        json::array matches;
        bool truncated = false;
        for (const auto& [name, content] : files) {
            if (!base.empty() && name.rfind(base + "/", 0) != 0) continue;
            if (!g.empty() && !std::regex_match(name.substr(name.rfind('/') + 1), glob_regex(g))) continue;
            if (content.find('\0') != std::string::npos) continue;
            ++searched;
            auto lines = lines_of(content);
            for (std::size_t i = 0; i < lines.size() && !truncated; ++i) {
                std::string line = lines[i];
                if (!line.empty() && line.back() == '\n') line.pop_back();
                if (!std::regex_search(line, re)) continue;
                if (static_cast<std::int64_t>(matches.size()) == limit) {
                    truncated = true;
                    break;
                }
                matches.push_back(json::object{{"path", name}, {"line", i + 1}, {"text", line}});
            }
        }
        return json::object{{"matches", matches}, {"files_searched", searched}, {"truncated", truncated}};
    }

    void install(FakeHost& host) {
        auto add = [&](const std::string& name, json::value (FakeFs::*fn)(const json::value&)) {
            host.on_service(name, [this, name, fn](const json::value& p) {
                calls.emplace_back(name, p);
                return (this->*fn)(p);
            });
        };
        add("fs.read", &FakeFs::read);
        add("fs.write", &FakeFs::write);
        add("fs.delete", &FakeFs::remove);
        add("fs.list", &FakeFs::list);
        add("fs.stat", &FakeFs::stat);
        add("fs.glob", &FakeFs::glob);
        add("fs.grep", &FakeFs::grep);
        host.on_service("storage.get", [this](const json::value& p) {
            auto it = kv.find(str(p, "key"));
            return json::value{{"value", it == kv.end() ? json::value() : json::value(it->second)}};
        });
        host.on_service("storage.set", [this](const json::value& p) {
            kv[str(p, "key")] = str(p, "value");
            return json::value(json::object{});
        });
        host.on_service("storage.delete", [this](const json::value& p) {
            return json::value{{"deleted", kv.erase(str(p, "key")) > 0}};
        });
    }
    /// The params of the last call to service.
    json::object last(const std::string& service) const {
        for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
            if (it->first == service) return it->second.as_object();
        }
        return {};
    }
};

std::string numbered(int from, int to, const std::string& stem = "line ") {
    std::string out;
    for (int i = from; i <= to; ++i) out += stem + std::to_string(i) + "\n";
    return out;
}

class FilesystemPlugin : public ::testing::Test {
protected:
    FilesystemPlugin() : host(FakeHost::open(AGENTHOST_BUILD_DIR "/plugins/filesystem.so")) { fs.install(host); }

    Outcome call(std::string_view tool, json::object args, std::string_view session = "s1") {
        return host.invoke(
            "tool.call",
            json::object{
                {"name", tool}, {"arguments", std::move(args)}, {"tool_call_id", "c1"}, {"session_id", session}});
    }
    json::object ok(std::string_view tool, json::object args, std::string_view session = "s1") {
        Outcome o = call(tool, std::move(args), session);
        EXPECT_TRUE(o.ok()) << tool << ": " << o.error_message;
        return o.ok() && o.result.is_object() ? o.result.as_object() : json::object{};
    }
    std::string text(std::string_view tool, json::object args) {
        Outcome o = call(tool, std::move(args));
        EXPECT_TRUE(o.ok()) << tool << ": " << o.error_message;
        return o.ok() && o.result.is_string() ? std::string(o.result.as_string()) : std::string();
    }
    std::string error(std::string_view tool, json::object args, std::string_view session = "s1") {
        Outcome o = call(tool, std::move(args), session);
        EXPECT_FALSE(o.ok()) << tool << " unexpectedly succeeded: " << json::serialize(o.result);
        EXPECT_EQ(o.error_code, "tool_error");
        return o.error_message;
    }
    static json::array edits(std::initializer_list<std::pair<std::string, std::string>> list) {
        json::array out;
        for (const auto& [o, n] : list) out.push_back(json::object{{"old_text", o}, {"new_text", n}});
        return out;
    }

    FakeFs fs;
    FakeHost host;
};

TEST_F(FilesystemPlugin, DescribesEightToolsWithinTheSchemaBudget) {
    json::object d = host.describe();
    EXPECT_EQ(d.at("id").as_string(), "filesystem");
    std::map<std::string, bool> mutating;
    for (const auto& t : d.at("tools").as_array())
        mutating[std::string(t.at("name").as_string())] = t.at("mutating").as_bool();
    std::map<std::string, bool> expected{{"read_file", false},      {"write_file", true}, {"edit_file", true},
                                         {"list_directory", false}, {"glob", false},      {"grep_files", false},
                                         {"stat_file", false},      {"delete_file", true}};
    EXPECT_EQ(mutating, expected);
    std::size_t bytes = json::serialize(d.at("tools")).size();
    RecordProperty("tool_schema_bytes", static_cast<int>(bytes));
    EXPECT_LT(bytes, 4096u) << json::serialize(d.at("tools"));
}

TEST_F(FilesystemPlugin, ReadNumbersLinesAndReportsTheHash) {
    fs.files["a.txt"] = "alpha\nbeta\ngamma\n";
    json::object r = ok("read_file", {{"path", "a.txt"}});
    EXPECT_EQ(r.at("content").as_string(), "     1\talpha\n     2\tbeta\n     3\tgamma");
    EXPECT_EQ(r.at("total_lines").as_int64(), 3);
    EXPECT_EQ(r.at("lines_shown").as_int64(), 3);
    EXPECT_EQ(r.at("content_hash").as_string(), sha256(fs.files["a.txt"]));
    EXPECT_FALSE(r.at("truncated").as_bool());
    EXPECT_FALSE(r.contains("note"));
}

TEST_F(FilesystemPlugin, ReadDefaultsTo2000LinesAndSaysHowToContinue) {
    fs.files["big.txt"] = numbered(1, 5000);
    json::object r = ok("read_file", {{"path", "big.txt"}});
    EXPECT_EQ(r.at("lines_shown").as_int64(), 2000);
    EXPECT_EQ(r.at("total_lines").as_int64(), 5000);
    EXPECT_TRUE(r.at("truncated").as_bool());
    EXPECT_NE(r.at("note").as_string().find("use offset=2000 to continue"), json::string::npos);
    EXPECT_EQ(fs.last("fs.read").at("limit").as_int64(), 2000);

    r = ok("read_file", {{"path", "big.txt"}, {"offset", 2000}, {"limit", 2}});
    EXPECT_EQ(r.at("content").as_string(), "  2001\tline 2001\n  2002\tline 2002");
    EXPECT_EQ(r.at("offset").as_int64(), 2000);
}

TEST_F(FilesystemPlugin, LogAndOutFilesShowTheirLast500Lines) {
    for (std::string name : {"server.log", "run.OUT"}) {
        fs.files[name] = numbered(1, 1200);
        json::object r = ok("read_file", {{"path", name}});
        EXPECT_EQ(r.at("lines_shown").as_int64(), 500) << name;
        std::string content(r.at("content").as_string());
        EXPECT_EQ(content.substr(0, 15), "   701\tline 701") << name;
        EXPECT_NE(r.at("note").as_string().find("last 500 lines"), json::string::npos);
    }
    fs.files["small.log"] = numbered(1, 3);
    EXPECT_EQ(ok("read_file", {{"path", "small.log"}}).at("lines_shown").as_int64(), 3);
    // With an offset a log reads forward like any file.
    json::object r = ok("read_file", {{"path", "server.log"}, {"offset", 0}, {"limit", 2}});
    EXPECT_EQ(r.at("content").as_string(), "     1\tline 1\n     2\tline 2");
}

TEST_F(FilesystemPlugin, CsvShows100RowsAndKeepsTheHeader) {
    fs.files["data.csv"] = "id,name\n" + numbered(1, 300, "row,");
    json::object r = ok("read_file", {{"path", "data.csv"}});
    EXPECT_EQ(r.at("lines_shown").as_int64(), 100);
    EXPECT_EQ(std::string(r.at("content").as_string()).substr(0, 14), "     1\tid,name");
    r = ok("read_file", {{"path", "data.csv"}, {"offset", 150}});
    std::string content(r.at("content").as_string());
    EXPECT_EQ(content.substr(0, 30), "     1\tid,name\n   151\trow,150\n");
    EXPECT_EQ(r.at("lines_shown").as_int64(), 100);
    EXPECT_NE(r.at("note").as_string().find("header"), json::string::npos);
}

TEST_F(FilesystemPlugin, HugeRangesAreClampedAndPastTheEndIsSaid) {
    fs.files["f.txt"] = numbered(1, 120);
    json::object r = ok("read_file", {{"path", "f.txt"}, {"offset", 5000}});
    EXPECT_EQ(r.at("lines_shown").as_int64(), 0);
    EXPECT_NE(r.at("note").as_string().find("offset 5000 is past the end (120 lines)"), json::string::npos);
    r = ok("read_file", {{"path", "f.txt"}, {"limit", 1000000000000LL}});
    EXPECT_EQ(r.at("lines_shown").as_int64(), 120);
    EXPECT_LE(fs.last("fs.read").at("limit").as_int64(), 10000);
    r = ok("read_file", {{"path", "f.txt"}, {"offset", 119}, {"limit", 1000000000000LL}});
    EXPECT_EQ(r.at("content").as_string(), "   120\tline 120");
    EXPECT_NE(error("read_file", {{"path", "f.txt"}, {"offset", -1}}).find("offset"), std::string::npos);
    EXPECT_NE(error("read_file", {{"path", "f.txt"}, {"limit", 0}}).find("limit"), std::string::npos);
    fs.files["empty.txt"] = "";
    EXPECT_NE(ok("read_file", {{"path", "empty.txt"}}).at("note").as_string().find("is empty"), json::string::npos);
}

TEST_F(FilesystemPlugin, LongLinesAreCutAt2000Chars) {
    fs.files["min.js"] = std::string(5000, 'x') + "\n";
    json::object r = ok("read_file", {{"path", "min.js"}});
    std::string content(r.at("content").as_string());
    EXPECT_EQ(content.size(), 7 + 2000 + std::string(" … [3000 more chars]").size());
    EXPECT_NE(content.find("[3000 more chars]"), std::string::npos);
    EXPECT_TRUE(r.at("truncated").as_bool());
}

TEST_F(FilesystemPlugin, BinaryFilesGiveMetadataOnlyAndRefuseEdits) {
    fs.files["logo.png"] = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    json::object r = ok("read_file", {{"path", "logo.png"}});
    EXPECT_TRUE(r.at("binary").as_bool());
    EXPECT_FALSE(r.contains("content"));
    EXPECT_EQ(r.at("size").as_int64(), 16);
    EXPECT_NE(r.at("note").as_string().find("binary file"), json::string::npos);
    std::string e = error("edit_file", {{"path", "logo.png"}, {"edits", edits({{"PNG", "JPG"}})}});
    EXPECT_NE(e.find("binary"), std::string::npos) << e;
}

TEST_F(FilesystemPlugin, MissingFilesAndBadPathsAreClearErrors) {
    EXPECT_EQ(error("read_file", {{"path", "nope.txt"}}), "nope.txt does not exist");
    EXPECT_NE(error("read_file", {{"path", std::string("a\0b", 3)}}).find("NUL"), std::string::npos);
    EXPECT_NE(error("read_file", {}).find("'path' is required"), std::string::npos);
    std::string e = error("edit_file", {{"path", "nope.txt"}, {"edits", edits({{"a", "b"}})}});
    EXPECT_NE(e.find("write_file"), std::string::npos) << e;
}

TEST_F(FilesystemPlugin, WriteSaysCreatedOrOverwrittenAndTheSize) {
    json::object r = ok("write_file", {{"path", "src/new/x.txt"}, {"content", "hello\n"}});
    EXPECT_EQ(r.at("status").as_string(), "created");
    EXPECT_EQ(r.at("size").as_int64(), 6);
    EXPECT_EQ(r.at("content_hash").as_string(), sha256("hello\n"));
    EXPECT_EQ(fs.files["src/new/x.txt"], "hello\n");
    EXPECT_EQ(ok("write_file", {{"path", "src/new/x.txt"}, {"content", "bye"}}).at("status").as_string(),
              "overwritten");
}

TEST_F(FilesystemPlugin, EditReplacesTextThatMatchesExactlyOnce) {
    fs.files["m.py"] = "def f():\n    return 1\n\ndef g():\n    return 2\n";
    json::object r =
        ok("edit_file", {{"path", "m.py"}, {"edits", edits({{"return 2", "return 3"}, {"def f", "def h"}})}});
    EXPECT_EQ(fs.files["m.py"], "def h():\n    return 1\n\ndef g():\n    return 3\n");
    EXPECT_EQ(r.at("first_changed_line").as_int64(), 1);
    EXPECT_EQ(r.at("edits_applied").as_int64(), 2);
    EXPECT_EQ(r.at("content_hash").as_string(), sha256(fs.files["m.py"]));
    EXPECT_EQ(r.at("diff").as_string(),
              "--- a/m.py\n+++ b/m.py\n@@ -1,5 +1,5 @@\n-def f():\n+def h():\n     return 1\n \n def g():\n"
              "-    return 2\n+    return 3\n");
    EXPECT_EQ(fs.last("fs.write").at("expected_sha256").as_string(),
              sha256("def f():\n    return 1\n\ndef g():\n    return 2\n"));
}

TEST_F(FilesystemPlugin, EditDiffsKeepHunksApartAndJoinLinesRight) {
    fs.files["n.txt"] = numbered(1, 20);
    json::object r =
        ok("edit_file", {{"path", "n.txt"}, {"edits", edits({{"line 2\n", ""}, {"line 15\nline 16", "X"}})}});
    EXPECT_EQ(r.at("first_changed_line").as_int64(), 2);
    EXPECT_EQ(
        r.at("diff").as_string(),
        "--- a/n.txt\n+++ b/n.txt\n@@ -1,5 +1,4 @@\n line 1\n-line 2\n line 3\n line 4\n line 5\n"
        "@@ -12,8 +11,7 @@\n line 12\n line 13\n line 14\n-line 15\n-line 16\n+X\n line 17\n line 18\n line 19\n");
    // A match that eats a newline joins two lines; the diff shows the joined line.
    fs.files["j.txt"] = "a\nb\nc\n";
    r = ok("edit_file", {{"path", "j.txt"}, {"edits", edits({{"a\n", "a "}})}});
    EXPECT_EQ(fs.files["j.txt"], "a b\nc\n");
    EXPECT_EQ(r.at("diff").as_string(), "--- a/j.txt\n+++ b/j.txt\n@@ -1,3 +1,2 @@\n-a\n-b\n+a b\n c\n");
}

TEST_F(FilesystemPlugin, EditRefusesZeroManyAndOverlappingMatches) {
    fs.files["c.txt"] = "x = 1\nx = 1\nx = 1\ny = 2\n";
    std::string e = error("edit_file", {{"path", "c.txt"}, {"edits", edits({{"z = 9", "z = 0"}})}});
    EXPECT_NE(e.find("\"z = 9\" was not found in c.txt"), std::string::npos) << e;
    e = error("edit_file", {{"path", "c.txt"}, {"edits", edits({{"  y = 2", "y = 3"}})}});
    EXPECT_NE(e.find("first line appears at line 4"), std::string::npos) << e;
    e = error("edit_file", {{"path", "c.txt"}, {"edits", edits({{"     4\ty = 2", "y = 3"}})}});
    EXPECT_NE(e.find("line-number prefixes"), std::string::npos) << e;
    e = error("edit_file", {{"path", "c.txt"}, {"edits", edits({{"x = 1", "x = 2"}})}});
    EXPECT_NE(e.find("matches 3 times"), std::string::npos) << e;
    EXPECT_NE(e.find("add surrounding lines"), std::string::npos) << e;
    e = error("edit_file", {{"path", "c.txt"}, {"edits", edits({{"x = 1\ny = 2", "a"}, {"y = 2\n", "b"}})}});
    EXPECT_NE(e.find("edits 1 and 2 overlap"), std::string::npos) << e;
    e = error("edit_file", {{"path", "c.txt"}, {"edits", edits({{"y = 2", "y = 2"}})}});
    EXPECT_NE(e.find("the same"), std::string::npos) << e;
    EXPECT_NE(error("edit_file", {{"path", "c.txt"}, {"edits", json::array{}}}).find("non-empty"), std::string::npos);
    EXPECT_EQ(fs.files["c.txt"], "x = 1\nx = 1\nx = 1\ny = 2\n");
    EXPECT_TRUE(fs.last("fs.write").empty());
}

TEST_F(FilesystemPlugin, EditKeepsCrlfAndBom) {
    fs.files["w.txt"] = "\xEF\xBB\xBFone\r\ntwo\r\nthree\r\n";
    json::object r = ok("read_file", {{"path", "w.txt"}});
    EXPECT_EQ(r.at("content").as_string(), "     1\tone\n     2\ttwo\n     3\tthree");
    ok("edit_file", {{"path", "w.txt"}, {"edits", edits({{"one\ntwo", "uno\ndos\nmas"}})}});
    EXPECT_EQ(fs.files["w.txt"], "\xEF\xBB\xBFuno\r\ndos\r\nmas\r\nthree\r\n");
}

TEST_F(FilesystemPlugin, StaleEditsAreRefusedAfterAnOutOfBandChange) {
    fs.files["s.txt"] = "hello world\n";
    ok("read_file", {{"path", "/workspace/s.txt"}});
    fs.files["s.txt"] = "hello there world\n";  // bash, the user, another tool…
    std::string e = error("edit_file", {{"path", "s.txt"}, {"edits", edits({{"world", "moon"}})}});
    EXPECT_EQ(e, "s.txt changed since you last read it; read it again before editing");
    EXPECT_EQ(fs.files["s.txt"], "hello there world\n");
    // Another session never saw the file: nothing stale to refuse.
    ok("edit_file", {{"path", "s.txt"}, {"edits", edits({{"there", "there,"}})}}, "s2");
    // Reading again makes the edit go through; the edit's own write is remembered too.
    ok("read_file", {{"path", "s.txt"}});
    ok("edit_file", {{"path", "s.txt"}, {"edits", edits({{"world", "moon"}})}});
    ok("edit_file", {{"path", "s.txt"}, {"edits", edits({{"moon", "sun"}})}});
    EXPECT_EQ(fs.files["s.txt"], "hello there, sun\n");
}

TEST_F(FilesystemPlugin, ExpectedHashTakesPrecedence) {
    fs.files["h.txt"] = "v1\n";
    std::string old_hash = sha256("v1\n");
    ok("read_file", {{"path", "h.txt"}});
    fs.files["h.txt"] = "v2\n";
    // The model passes the hash of what it has now (say, from another read it trusts).
    ok("edit_file", {{"path", "h.txt"}, {"expected_hash", sha256("v2\n")}, {"edits", edits({{"v2", "v3"}})}});
    EXPECT_EQ(fs.files["h.txt"], "v3\n");
    std::string e =
        error("edit_file", {{"path", "h.txt"}, {"expected_hash", old_hash}, {"edits", edits({{"v3", "v4"}})}});
    EXPECT_NE(e.find("changed since you last read it"), std::string::npos);
}

TEST_F(FilesystemPlugin, AChangeBetweenReadAndWriteIsCaughtByTheCas) {
    fs.files["r.txt"] = "a\n";
    fs.before_write = [this] { fs.files["r.txt"] = "b\n"; };
    std::string e = error("edit_file", {{"path", "r.txt"}, {"edits", edits({{"a", "c"}})}});
    EXPECT_NE(e.find("r.txt changed since you last read it"), std::string::npos) << e;
    EXPECT_EQ(fs.files["r.txt"], "b\n");
}

TEST_F(FilesystemPlugin, AFileThatDisappearsBeforeTheEditIsAClearError) {
    fs.files["gone.txt"] = "x\n";
    ok("read_file", {{"path", "gone.txt"}});
    fs.files.erase("gone.txt");
    std::string e = error("edit_file", {{"path", "gone.txt"}, {"edits", edits({{"x", "y"}})}});
    EXPECT_NE(e.find("gone.txt no longer exists"), std::string::npos) << e;
    EXPECT_EQ(fs.files.count("gone.txt"), 0u);
}

TEST_F(FilesystemPlugin, DeniedWritesPassTheMessageThrough) {
    fs.files["d.txt"] = "1\n";
    fs.deny_writes = "the user denied the write of d.txt";
    for (const auto& [tool, args] : std::vector<std::pair<std::string, json::object>>{
             {"write_file", {{"path", "d.txt"}, {"content", "2"}}},
             {"edit_file", {{"path", "d.txt"}, {"edits", edits({{"1", "2"}})}}}}) {
        Outcome o = call(tool, args);
        EXPECT_EQ(o.status, AHP_DENIED) << tool;
        EXPECT_EQ(o.error_message, "the user denied the write of d.txt") << tool;
    }
    EXPECT_EQ(fs.files["d.txt"], "1\n");
}

TEST_F(FilesystemPlugin, GlobAndGrepPrintOneHitPerLine) {
    fs.files["src/a.cpp"] = "#include <x>\nint main() {}\n";
    fs.files["src/b.cpp"] = "int helper();\r\n";
    fs.files["src/lib/c.hpp"] = "// MAIN header\n";
    fs.files["README.md"] = "main docs\n";
    EXPECT_EQ(text("glob", {{"pattern", "src/**/*.cpp"}}), "src/a.cpp\nsrc/b.cpp");
    EXPECT_EQ(text("glob", {{"pattern", "*.hpp"}, {"path", "src/lib"}}), "src/lib/c.hpp");
    EXPECT_EQ(text("glob", {{"pattern", "*.rs"}}), "no files match *.rs");
    EXPECT_EQ(text("glob", {{"pattern", "**/*"}, {"limit", 2}}),
              "README.md\nsrc/a.cpp\n[stopped at 2 paths; narrow the pattern or path]");

    EXPECT_EQ(text("grep_files", {{"pattern", "int \\w+\\("}, {"path", "src"}}),
              "src/a.cpp:2: int main() {}\nsrc/b.cpp:1: int helper();");
    EXPECT_EQ(text("grep_files", {{"pattern", "main"}, {"case_insensitive", true}, {"glob", "*.hpp"}}),
              "src/lib/c.hpp:1: // MAIN header");
    EXPECT_TRUE(fs.last("fs.grep").at("case_insensitive").as_bool());
    EXPECT_EQ(text("grep_files", {{"pattern", "main"}, {"limit", 1}}),
              "README.md:1: main docs\n[stopped at 1 matches; narrow the pattern, path or glob]");
    EXPECT_EQ(text("grep_files", {{"pattern", "nothing"}}), "no matches for nothing in 4 files");
}

TEST_F(FilesystemPlugin, ListStatAndDelete) {
    fs.files["src/a.cpp"] = std::string(2048, 'a');
    fs.files["notes.txt"] = "hi";
    EXPECT_EQ(text("list_directory", {}), "notes.txt  (2 B)\nsrc/");
    EXPECT_EQ(fs.last("fs.list").at("path").as_string(), ".");
    EXPECT_EQ(text("list_directory", {{"path", "src"}}), "a.cpp  (2.0 KB)");
    EXPECT_EQ(text("list_directory", {{"limit", 1}}), "notes.txt  (2 B)\n[entries 1-1 of 2; use offset=1 to continue]");
    EXPECT_EQ(fs.last("fs.list").at("limit").as_int64(), 1);
    text("list_directory", {{"limit", 5000}});
    EXPECT_EQ(fs.last("fs.list").at("limit").as_int64(), 1000);

    json::object s = ok("stat_file", {{"path", "notes.txt"}});
    EXPECT_EQ(
        json::serialize(s),
        R"({"path":"notes.txt","exists":true,"type":"file","size":2,"read_only":false,"mtime":"2025-01-02T03:04:05Z"})");
    EXPECT_EQ(ok("stat_file", {{"path", "src"}}).at("type").as_string(), "directory");
    EXPECT_FALSE(ok("stat_file", {{"path", "nope"}}).at("exists").as_bool());

    EXPECT_NE(error("delete_file", {{"path", "src"}}).find("pass recursive"), std::string::npos);
    EXPECT_TRUE(ok("delete_file", {{"path", "src"}, {"recursive", true}}).at("recursive").as_bool());
    EXPECT_EQ(fs.files.count("src/a.cpp"), 0u);
    ok("delete_file", {{"path", "notes.txt"}});
    EXPECT_TRUE(fs.files.empty());
    EXPECT_EQ(error("delete_file", {{"path", "notes.txt"}}), "notes.txt does not exist");
}

}  // namespace
