// edit_file: exact-text replacements, each old_text matching exactly once in the file as read,
// all applied together. Line endings (CRLF) and a UTF-8 BOM are kept. A stale edit — the file
// changed since the model last saw it — is refused by content hash, and the write is a
// compare-and-swap so a change between this read and the write is caught too.
#include "tools.hpp"

#include <algorithm>
#include <cctype>

namespace fsplug {

namespace {

constexpr std::size_t kMaxDiffChars = 16000;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

struct Edit {
    std::string old_text;
    std::string new_text;
};

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(s.size());
    std::size_t pos = 0;
    while (true) {
        std::size_t hit = s.find(from, pos);
        if (hit == std::string_view::npos) break;
        out.append(s.substr(pos, hit - pos)).append(to);
        pos = hit + from.size();
    }
    out.append(s.substr(pos));
    return out;
}

/// A file's text with its line-ending convention and BOM taken off, so edits match what
/// read_file showed; restore() puts them back.
struct Normalized {
    std::string text;
    bool crlf = false;
    bool bom = false;

    explicit Normalized(std::string_view raw) {
        if (raw.substr(0, kBom.size()) == kBom) {
            bom = true;
            raw.remove_prefix(kBom.size());
        }
        std::size_t crlfs = 0, lfs = 0;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '\n') continue;
            ++lfs;
            if (i > 0 && raw[i - 1] == '\r') ++crlfs;
        }
        crlf = crlfs > 0 && crlfs == lfs;
        text = crlf ? replace_all(raw, "\r\n", "\n") : std::string(raw);
    }
    /// Model text in this file's convention for matching.
    std::string adapt(std::string_view s) const { return crlf ? replace_all(s, "\r\n", "\n") : std::string(s); }
    std::string restore(std::string_view s) const {
        return std::string(bom ? kBom : "") + (crlf ? replace_all(s, "\n", "\r\n") : std::string(s));
    }
};

std::vector<Edit> edits_arg(const json::object& args) {
    const json::value* v = args.if_contains("edits");
    if (!v || !v->is_array() || v->get_array().empty()) {
        fail("'edits' is required: a non-empty list of {old_text, new_text}");
    }
    std::vector<Edit> edits;
    for (const json::value& e : v->get_array()) {
        std::string n = "edit " + std::to_string(edits.size() + 1);
        const json::object* o = e.if_object();
        const json::value* old_v = o ? o->if_contains("old_text") : nullptr;
        const json::value* new_v = o ? o->if_contains("new_text") : nullptr;
        if (!old_v || !old_v->is_string() || !new_v || !new_v->is_string()) {
            fail(n + " must be an object with string fields old_text and new_text");
        }
        Edit edit{std::string(old_v->get_string()), std::string(new_v->get_string())};
        if (edit.old_text.empty())
            fail(n + ": old_text is empty; quote the exact text to replace (use write_file for a new file)");
        if (edit.old_text == edit.new_text) fail(n + ": old_text and new_text are the same; nothing would change");
        edits.push_back(std::move(edit));
    }
    return edits;
}

std::size_t count_lines_before(std::string_view s, std::size_t pos) {
    return static_cast<std::size_t>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

/// Whether some line of s starts like read_file's numbering ("    12\t").
bool has_line_numbers(std::string_view s) {
    std::size_t pos = 0;
    while (pos < s.size()) {
        std::size_t i = pos;
        while (i < s.size() && s[i] == ' ') ++i;
        std::size_t digits = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        if (i > digits && i < s.size() && s[i] == '\t' && i - pos >= 6) return true;
        std::size_t nl = s.find('\n', pos);
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    return false;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

/// Why old_text may have missed, for the error message.
std::string miss_hint(std::string_view text, std::string_view old_text) {
    if (has_line_numbers(old_text)) return "; leave out the line-number prefixes that read_file adds";
    std::string first = trim(old_text.substr(0, old_text.find('\n')));
    if (first.size() >= 3) {
        std::size_t hit = text.find(first);
        if (hit != std::string_view::npos) {
            return "; its first line appears at line " + std::to_string(count_lines_before(text, hit) + 1) +
                   ", so check whitespace, indentation and the lines after it";
        }
    }
    return "; read the file again and copy the exact text";
}

/// Where each edit matches in text (exactly once, or a tool error), sorted, overlap-checked.
std::vector<Replacement> locate(const std::string& path, std::string_view text, const std::vector<Edit>& edits,
                                const Normalized& norm) {
    struct Located {
        Replacement r;
        std::size_t index;
    };
    std::vector<Located> found;
    for (std::size_t i = 0; i < edits.size(); ++i) {
        std::string n = edits.size() == 1 ? "old_text" : "edit " + std::to_string(i + 1) + ": old_text";
        std::string old_text = norm.adapt(edits[i].old_text);
        std::size_t first = text.find(old_text);
        if (first == std::string_view::npos) {
            fail(n + " " + short_quote(edits[i].old_text) + " was not found in " + path + miss_hint(text, old_text));
        }
        std::size_t count = 1;
        for (std::size_t at = text.find(old_text, first + 1); at != std::string_view::npos;
             at = text.find(old_text, at + 1)) {
            ++count;
        }
        if (count > 1) {
            fail(n + " " + short_quote(edits[i].old_text) + " matches " + std::to_string(count) + " times in " + path +
                 " (first at line " + std::to_string(count_lines_before(text, first) + 1) +
                 "); add surrounding lines so it matches exactly once");
        }
        found.push_back({{first, first + old_text.size(), norm.adapt(edits[i].new_text)}, i});
    }
    std::sort(found.begin(), found.end(), [](const Located& a, const Located& b) { return a.r.begin < b.r.begin; });
    std::vector<Replacement> out;
    for (std::size_t k = 0; k < found.size(); ++k) {
        if (k > 0 && found[k].r.begin < found[k - 1].r.end) {
            std::size_t a = std::min(found[k - 1].index, found[k].index) + 1;
            std::size_t b = std::max(found[k - 1].index, found[k].index) + 1;
            fail("edits " + std::to_string(a) + " and " + std::to_string(b) + " overlap in " + path +
                 "; merge them into one edit");
        }
        out.push_back(std::move(found[k].r));
    }
    return out;
}

std::string apply_replacements(std::string_view text, const std::vector<Replacement>& reps) {
    std::string out;
    std::size_t pos = 0;
    for (const Replacement& r : reps) {
        out.append(text.substr(pos, r.begin - pos)).append(r.text);
        pos = r.end;
    }
    out.append(text.substr(pos));
    return out;
}

/// The 1-based line of the first character the edits change.
std::size_t first_changed_line(std::string_view text, const Replacement& first) {
    std::string_view old_part = text.substr(first.begin, first.end - first.begin);
    std::size_t common = 0;
    while (common < old_part.size() && common < first.text.size() && old_part[common] == first.text[common]) ++common;
    return count_lines_before(text, first.begin + common) + 1;
}

[[noreturn]] void fail_stale(const std::string& path) {
    fail(path + " changed since you last read it; read it again before editing");
}

}  // namespace

json::value edit_file(const json::object& args, Ctx& ctx) {
    std::string path = path_arg(args);
    std::vector<Edit> edits = edits_arg(args);
    std::optional<std::string> expected = opt_string(args, "expected_hash");
    if (expected && expected->empty()) expected.reset();
    std::optional<std::string> seen = recall_hash(ctx, path);

    json::object current;
    try {
        current = request(ctx, "fs.read", json::object{{"path", path}});
    } catch (const ahp::Error& e) {
        if (e.status() == AHP_NOT_FOUND) {
            if (seen || expected) {
                fail(path +
                     " no longer exists: it was deleted or moved after you read it; check with list_directory or glob");
            }
            fail(std::string(e.what()) + "; use write_file to create a new file");
        }
        fail_from(e);
    }
    if (bool_field(current, "binary")) fail(path + " is a binary file; edit_file only edits text files");
    if (bool_field(current, "truncated")) {
        fail(path + " (" + human_size(int_field(current, "size")) +
             ") is larger than the host returns in one read, so edit_file cannot edit it; use bash tools");
    }
    const std::string hash = string_field(current, "sha256");
    if (expected && *expected != hash) fail_stale(path);
    if (!expected && seen && *seen != hash) fail_stale(path);

    const json::value* content_v = current.if_contains("content");
    Normalized norm(content_v && content_v->is_string() ? std::string_view(content_v->get_string()) : "");
    std::vector<Replacement> reps = locate(path, norm.text, edits, norm);
    std::string updated = apply_replacements(norm.text, reps);

    json::object written;
    try {
        written = request(ctx, "fs.write",
                          json::object{{"path", path}, {"content", norm.restore(updated)}, {"expected_sha256", hash}});
    } catch (const ahp::Error& e) {
        std::string_view message = e.what();
        if (e.status() == AHP_ERROR && message.substr(0, 9) == "conflict:") fail_stale(path);
        if (e.status() == AHP_NOT_FOUND) fail(path + " was deleted while it was being edited; nothing was written");
        fail_from(e);
    }
    std::string new_hash = string_field(written, "sha256");
    remember_hash(ctx, path, new_hash);
    return json::object{{"path", path},
                        {"edits_applied", edits.size()},
                        {"first_changed_line", first_changed_line(norm.text, reps.front())},
                        {"content_hash", new_hash},
                        {"diff", unified_diff(path, norm.text, reps, kMaxDiffChars)}};
}

}  // namespace fsplug
