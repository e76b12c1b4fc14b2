// A unified diff of two versions of a file, for the approval of a write.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost {

/// Beyond this many differing lines (after the common head and tail) the diff is a summary.
inline constexpr std::size_t kDiffMaxLines = 20000;
/// Beyond this many inserted plus deleted lines the diff is a summary.
inline constexpr std::size_t kDiffMaxEdits = 2000;

/// `--- a/<path>` / `+++ b/<path>` (`--- /dev/null` when `before` is nullopt: a new file) and
/// hunks with 3 lines of context, from a Myers line diff. Binary content, or a change larger
/// than the limits, gives a one-line summary instead ("file replaced: N lines -> M lines").
/// Equal versions give "".
std::string unified_diff(std::string_view path, std::optional<std::string_view> before, std::string_view after);

}  // namespace agenthost
