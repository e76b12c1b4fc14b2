// What every store shares: path normalization and the FileStore defaults.
#include <agenthost/workspace.hpp>

#include "workspace/file_content.hpp"

#include <cctype>
#include <utility>

namespace agenthost {

namespace {

thread_local const std::atomic<bool>* t_cancel_flag = nullptr;

constexpr char kHex[] = "0123456789ABCDEF";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/// The length of the well-formed UTF-8 sequence at s[i], or 0 if none starts there.
std::size_t utf8_at(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    return n != 0 && i + n <= s.size() && is_valid_utf8(s.substr(i, n)) ? n : 0;
}

/// One path component in canonical escaped form: `\xnn` upper-cased and checked to be an
/// escape escape_file_name would write.
std::string canonical_component(std::string_view part, std::string_view path) {
    if (part.find('\\') == std::string_view::npos) return std::string(part);
    std::string shown(part);
    for (std::size_t i = 0; i < shown.size(); ++i) {
        if (shown[i] != '\\') continue;
        if (i + 3 >= shown.size() || shown[i + 1] != 'x' || hex_value(shown[i + 2]) < 0 || hex_value(shown[i + 3]) < 0) {
            throw FileStoreError("invalid_path", "path '" + std::string(path) +
                                                     "' has a backslash that is not an escape: a name's backslash is "
                                                     "written \\x5C and a byte that is not UTF-8 \\xNN");
        }
        shown[i + 2] = static_cast<char>(std::toupper(static_cast<unsigned char>(shown[i + 2])));
        shown[i + 3] = static_cast<char>(std::toupper(static_cast<unsigned char>(shown[i + 3])));
        i += 3;
    }
    if (escape_file_name(unescape_file_name(shown)) != shown) {
        throw FileStoreError("invalid_path", "path '" + std::string(path) +
                                                 "' escapes a character that is written plainly: \\xNN stands only "
                                                 "for the backslash and bytes that are not UTF-8");
    }
    return shown;
}

}  // namespace

std::string escape_file_name(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    std::size_t i = 0;
    while (i < raw.size()) {
        std::size_t n = raw[i] == '\\' ? 0 : utf8_at(raw, i);
        if (n > 0) {
            out.append(raw.substr(i, n));
            i += n;
            continue;
        }
        auto c = static_cast<unsigned char>(raw[i++]);
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    return out;
}

std::string unescape_file_name(std::string_view shown) {
    std::string out;
    out.reserve(shown.size());
    for (std::size_t i = 0; i < shown.size(); ++i) {
        if (shown[i] == '\\' && i + 3 < shown.size() && shown[i + 1] == 'x' &&
            hex_value(shown[i + 2]) >= 0 && hex_value(shown[i + 3]) >= 0) {
            out += static_cast<char>(hex_value(shown[i + 2]) * 16 + hex_value(shown[i + 3]));
            i += 3;
        } else {
            out += shown[i];
        }
    }
    return out;
}

std::string normalize_workspace_path(std::string_view path) {
    if (path.find('\0') != std::string_view::npos) throw FileStoreError("invalid_path", "path contains a NUL byte");
    if (!is_valid_utf8(path)) {
        throw FileStoreError("invalid_path", "path '" + escape_file_name(path) +
                                                 "' is not UTF-8: name a byte that is not UTF-8 as \\xNN");
    }
    constexpr std::string_view kPrefix = "/workspace";
    if (path.substr(0, kPrefix.size()) == kPrefix && (path.size() == kPrefix.size() || path[kPrefix.size()] == '/')) {
        path.remove_prefix(kPrefix.size());
    }
    std::string out;
    std::size_t depth = 0;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        std::size_t slash = path.find('/', pos);
        std::string_view part =
            path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (part == "..")
            throw FileStoreError("invalid_path", "path '" + std::string(path) + "' leaves the workspace ('..')");
        if (!part.empty() && part != ".") {
            if (++depth > kMaxPathDepth) {
                throw FileStoreError("invalid_path", "path '" + std::string(cut_utf8(path, 200)) + "…' has more than " +
                                                         std::to_string(kMaxPathDepth) +
                                                         " folder levels, the most a workspace path may have");
            }
            if (!out.empty()) out += '/';
            out += canonical_component(part, path);
        }
        if (slash == std::string_view::npos) break;
        pos = slash + 1;
    }
    return out;
}

FileCancelScope::FileCancelScope(const std::atomic<bool>* flag) : previous_(std::exchange(t_cancel_flag, flag)) {}

FileCancelScope::~FileCancelScope() {
    t_cancel_flag = previous_;
}

bool FileCancelScope::cancelled() {
    return t_cancel_flag && t_cancel_flag->load(std::memory_order_relaxed);
}

void FileCancelScope::throw_if_cancelled(std::string_view what) {
    if (cancelled()) throw FileStoreError("cancelled", std::string(what) + " was interrupted");
}

std::optional<FileContent> FileStore::read_range(std::string_view path, const ReadRange& range) {
    std::optional<std::string> data = read(path);
    if (!data) return std::nullopt;
    return slice_lines(*data, range);
}

std::string FileStore::resolve_path(std::string_view path) const {
    return normalize_workspace_path(path);
}

void FileStore::check_writable(std::string_view path) {
    if (resolve_path(path).empty())
        throw FileStoreError("denied", "the workspace root itself cannot be written or deleted");
    if (stat(path).read_only) throw FileStoreError("read_only", "'" + resolve_path(path) + "' is read-only");
}

}  // namespace agenthost
