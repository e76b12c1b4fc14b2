// fs.glob and fs.grep over any store: a walk of a folder tree through a cursor, skipping
// `.git` and .gitignore'd paths, with RE2 for the regex.
#pragma once

#include <agenthost/workspace.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

/// A folder tree that searches walk one folder at a time; symlinks are never reported.
class TreeCursor {
public:
    /// A file or folder in the current folder.
    struct Entry {
        std::string name;
        bool is_dir = false;
    };
    /// Gets a file's bytes in order; returns false to stop reading.
    using Sink = std::function<bool(std::string_view chunk)>;

    virtual ~TreeCursor() = default;
    /// The current folder's files and folders, sorted by name: at most `max` of them (and
    /// `more` set) when it holds more. Names are escaped as escape_file_name says.
    virtual std::vector<Entry> entries(std::size_t max, bool& more) = 0;
    /// Step into a child folder; false if it cannot be opened.
    virtual bool enter(const std::string& name) = 0;
    /// Step back out of the folder entered last.
    virtual void leave() = 0;
    /// Feed a file of the current folder to `sink` in chunks; false if it cannot be read.
    virtual bool read(const std::string& name, const Sink& sink) = 0;
};

/// Where a search starts: a workspace-relative path and whether it is a folder.
struct SearchStart {
    std::string path;
    bool is_dir = true;
};

/// How far a walk may go; a walk that reaches a limit stops and says where ("stopped at …").
struct WalkLimits {
    std::size_t max_depth = kMaxPathDepth;        ///< folder levels below the workspace root
    std::size_t max_entries = kMaxWalkEntries;    ///< files and folders visited
    std::uint64_t max_match_steps = kMaxMatchSteps;  ///< glob and .gitignore matching work
};

/// Files under `start` (a folder) whose path relative to it matches `query.pattern`, in tree
/// order (sorted by name within each folder). The cursor starts at the workspace root.
/// Throws FileStoreError (invalid_pattern; cancelled when FileCancelScope's flag is set).
GlobResult tree_glob(TreeCursor& cursor, const SearchStart& start, const GlobQuery& query,
                     const WalkLimits& limits = {});

/// Lines matching `query.pattern` in the text files under `start` (or in that one file).
/// Throws FileStoreError(invalid_pattern) for a bad regex, cancelled as tree_glob.
GrepResult tree_grep(TreeCursor& cursor, const SearchStart& start, const GrepQuery& query,
                     const WalkLimits& limits = {});

/// Whether a path relative to a search folder matches a glob of GlobQuery's form.
bool search_glob_match(std::string_view pattern, std::string_view relative_path);

}  // namespace agenthost
