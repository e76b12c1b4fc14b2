// Shared helpers for the tests: where the build put things, temp folders, runtime builders.
#pragma once

#include <agenthost/runtime.hpp>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace agenthost::test {

namespace fs = std::filesystem;

/// The build tree (agenthost, plugins/, harnesses/).
inline fs::path build_dir() { return fs::path(AGENTHOST_BUILD_DIR); }
/// The source tree.
inline fs::path source_dir() { return fs::path(AGENTHOST_SOURCE_DIR); }
/// The built first-party plugins.
inline fs::path plugins_dir() { return build_dir() / "plugins"; }
/// One fixture case folder (<build>/plugin_fixtures/<name>).
inline fs::path fixture_dir(const std::string& name) { return fs::path(AGENTHOST_FIXTURES_DIR) / name; }

/// A fresh temporary folder, removed with its contents when this goes away.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "agenthost-test-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    /// The folder.
    const fs::path& path() const { return path_; }
    /// A path inside it.
    fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

/// Write a file, creating its folder.
inline void write_file(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

/// Recorded third-party data the tests replay, kept in the repository with its provenance
/// (tests/fixtures/SOURCES.md, manifest.json).
inline fs::path fixtures_dir() { return source_dir() / "tests" / "fixtures"; }
/// The providers' recorded traffic (tests/fixtures/providers).
inline fs::path provider_fixtures_dir() { return fixtures_dir() / "providers"; }

/// A whole file.
inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// The saved web page `name` (tests/fixtures/web); throws naming it when it is missing.
inline std::string web_fixture(const std::string& name) {
    const fs::path p = fixtures_dir() / "web" / name;
    if (!fs::exists(p)) throw std::runtime_error("missing fixture " + p.string());
    return read_file(p);
}

/// One recorded file of `provider` ("openai", "anthropic"); throws naming it when it is missing.
inline std::string provider_fixture(const std::string& provider, const std::string& name) {
    const fs::path p = provider_fixtures_dir() / provider / name;
    if (!fs::exists(p)) throw std::runtime_error("missing fixture " + p.string());
    return read_file(p);
}

/// A builder that sees only the built plugins and the probe fixture, with the source tree's
/// harnesses, an llmsim script, no retry delays, and nothing from the user's home.
inline RuntimeBuilder builder(const boost::json::array& responses = {}) {
    RuntimeBuilder b;
    b.no_default_plugin_dirs().plugin_dir(plugins_dir()).plugin_dir(fixture_dir("probe"));
    b.harness_dir(source_dir() / "manifests/harnesses");
    b.retry_policy(RetryPolicy{3, std::chrono::milliseconds(1), std::chrono::milliseconds(2)});
    if (!responses.empty()) b.driver_config("llmsim", boost::json::object{{"responses", responses}});
    return b;
}

/// {"tool_calls":[{"name":…,"arguments":…}]} for an llmsim script.
inline boost::json::object call(const std::string& name, boost::json::object args = {}) {
    return boost::json::object{
        {"tool_calls", boost::json::array{boost::json::object{{"name", name}, {"arguments", std::move(args)}}}}};
}
/// {"text":…} for an llmsim script.
inline boost::json::object say(const std::string& text) { return boost::json::object{{"text", text}}; }

}  // namespace agenthost::test
