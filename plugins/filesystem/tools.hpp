// The filesystem plugin's tools (DESIGN §11), each a function of the model's arguments.
#pragma once

#include "fs_common.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace fsplug {

/// read_file{path, offset?, limit?}: numbered lines with per-kind defaults (read.cpp).
json::value read_file(const json::object& args, Ctx& ctx);
/// edit_file{path, edits:[{old_text,new_text}], expected_hash?} (edit.cpp).
json::value edit_file(const json::object& args, Ctx& ctx);
/// write_file{path, content} (tools.cpp, as are the rest).
json::value write_file(const json::object& args, Ctx& ctx);
/// list_directory{path?, offset?, limit?}.
json::value list_directory(const json::object& args, Ctx& ctx);
/// glob{pattern, path?, limit?}.
json::value glob(const json::object& args, Ctx& ctx);
/// grep_files{pattern, path?, glob?, case_insensitive?, limit?}.
json::value grep_files(const json::object& args, Ctx& ctx);
/// stat_file{path}.
json::value stat_file(const json::object& args, Ctx& ctx);
/// delete_file{path, recursive?}.
json::value delete_file(const json::object& args, Ctx& ctx);

/// One replacement over a text: the bytes [begin, end) become text.
struct Replacement {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::string text;
};

/// A unified diff of old_content → old_content with the replacements applied (sorted by begin,
/// non-overlapping), 3 lines of context, cut to max_chars (diff.cpp).
std::string unified_diff(std::string_view path, std::string_view old_content,
                         const std::vector<Replacement>& replacements, std::size_t max_chars);

}  // namespace fsplug
