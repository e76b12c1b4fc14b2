// read_file: a line range of a text file through fs.read, numbered like `cat -n`, with defaults
// that depend on the kind of file (everruns' session_file_system): text 2000 lines, .log/.out
// the last 500 lines, csv/tsv 100 lines with the header row kept.
#include "tools.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace fsplug {

namespace {

constexpr std::int64_t kTextLines = 2000;
constexpr std::int64_t kLogLines = 500;
constexpr std::int64_t kTableLines = 100;
constexpr std::int64_t kMaxLines = 10000;            // one call never asks for more
constexpr std::size_t kLineChars = 2000;             // each shown line is cut here
constexpr std::size_t kMaxOutputBytes = 256 * 1024;  // the numbered text never grows past this
constexpr std::int64_t kMaxReadBytes = 1 << 20;      // content asked of fs.read: more than is ever shown
constexpr std::string_view kBom = "\xEF\xBB\xBF";

enum class Kind { kText, kLog, kTable };

Kind kind_of(std::string_view path) {
    std::string_view name = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
    std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return Kind::kText;
    std::string ext(name.substr(dot + 1));
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == "log" || ext == "out") return Kind::kLog;
    if (ext == "csv" || ext == "tsv") return Kind::kTable;
    return Kind::kText;
}

json::object fs_read(Ctx& ctx, const std::string& path, std::int64_t offset, std::int64_t limit) {
    return request(ctx, "fs.read",
                   json::object{{"path", path}, {"offset", offset}, {"limit", limit}, {"max_bytes", kMaxReadBytes}});
}

/// The numbered text of a range of lines.
struct Rendered {
    std::string text;
    std::int64_t lines = 0;
    bool cut_long = false;    // some line was longer than kLineChars
    bool budget_hit = false;  // stopped at kMaxOutputBytes
};

void render(std::string_view content, std::int64_t first_number, bool strip_bom, Rendered& out) {
    std::size_t pos = 0;
    while (pos < content.size()) {
        std::size_t nl = content.find('\n', pos);
        std::string_view line = content.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? content.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (strip_bom && out.lines == 0 && line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
        std::size_t dropped = 0;
        std::string shown = cut_chars(line, kLineChars, &dropped);
        char number[32];
        std::snprintf(number, sizeof number, "%6lld\t", static_cast<long long>(first_number + out.lines));
        std::string piece = number + shown;
        if (dropped) piece += " … [" + std::to_string(dropped) + " more chars]";
        if (out.lines > 0 && out.text.size() + piece.size() + 1 > kMaxOutputBytes) {
            out.budget_hit = true;
            return;
        }
        if (dropped) out.cut_long = true;
        if (!out.text.empty()) out.text += '\n';
        out.text += piece;
        ++out.lines;
    }
}

json::value binary_result(const std::string& path, const json::object& answer) {
    std::int64_t size = int_field(answer, "size");
    return json::object{{"path", path},
                        {"binary", true},
                        {"size", size},
                        {"content_hash", string_field(answer, "sha256")},
                        {"note", "binary file (" + human_size(size) + "); its content is not shown"}};
}

}  // namespace

json::value read_file(const json::object& args, Ctx& ctx) {
    std::string path = path_arg(args);
    std::optional<std::int64_t> offset = opt_int(args, "offset");
    if (offset && *offset < 0) fail("offset must be 0 or more (a 0-based line number)");
    Kind kind = kind_of(path);
    std::int64_t fallback = kind == Kind::kLog ? kLogLines : kind == Kind::kTable ? kTableLines : kTextLines;
    std::int64_t limit = clamp_limit(args, fallback, kMaxLines);
    bool tail = kind == Kind::kLog && !offset;

    json::object answer;
    std::int64_t start = offset.value_or(0);
    try {
        if (tail) {
            json::object probe = fs_read(ctx, path, 0, 1);
            std::int64_t total = int_field(probe, "total_lines");
            start = total > limit ? total - limit : 0;
            answer = bool_field(probe, "binary") || total <= 1 ? std::move(probe) : fs_read(ctx, path, start, limit);
        } else {
            answer = fs_read(ctx, path, start, limit);
        }
    } catch (const ahp::Error& e) {
        // A host that refuses an offset past the end: say so plainly, as for one that allows it.
        if (e.status() != AHP_INVALID_ARGUMENT || start == 0) fail_from(e);
        try {
            answer = fs_read(ctx, path, 0, 1);
        } catch (const ahp::Error&) {
            fail_from(e);
        }
        if (start < int_field(answer, "total_lines")) fail_from(e);
        answer["content"] = "";
    }
    if (bool_field(answer, "binary")) return binary_result(path, answer);

    const std::int64_t total = int_field(answer, "total_lines");
    const std::string hash = string_field(answer, "sha256");
    const json::value* content_v = answer.if_contains("content");
    std::string_view content = content_v && content_v->is_string() ? std::string_view(content_v->get_string()) : "";

    Rendered header, body;
    if (kind == Kind::kTable && start > 0 && start < total) {
        try {
            json::object first = fs_read(ctx, path, 0, 1);
            const json::value* h = first.if_contains("content");
            if (h && h->is_string()) render(h->get_string(), 1, true, header);
        } catch (const ahp::Error& e) {
            if (e.status() == AHP_CANCELLED) throw;
            // Otherwise the header is a convenience; the range itself was read.
        }
    }
    render(content, start + 1, start == 0, body);

    const std::int64_t end = start + body.lines;
    std::string note;
    if (total == 0) {
        note = path + " is empty";
    } else if (start >= total) {
        note = "offset " + std::to_string(start) + " is past the end (" + std::to_string(total) +
               " lines); use an offset below " + std::to_string(total);
    } else {
        std::string range = std::to_string(start + 1) + "-" + std::to_string(end) + " of " + std::to_string(total);
        std::string capped = body.budget_hit ? " (output capped at 256 KB)" : "";
        if (tail && start > 0 && !body.budget_hit) {
            note = "showing the last " + std::to_string(body.lines) + " lines (" + range +
                   "); use offset and limit to read earlier lines";
        } else if (end < total) {
            note = "showing lines " + range + capped + "; use offset=" + std::to_string(end) + " to continue";
        }
        if (header.lines > 0) note += std::string(note.empty() ? "" : "; ") + "line 1 (the header row) is shown first";
        if (body.cut_long) note += std::string(note.empty() ? "" : "; ") + "lines over 2000 chars were cut";
    }

    if (!hash.empty()) remember_hash(ctx, path, hash);
    json::object result{{"path", path},
                        {"total_lines", total},
                        {"lines_shown", body.lines},
                        {"content_hash", hash},
                        {"truncated", (start > 0 && start < total) || end < total || body.cut_long}};
    if (start > 0) result["offset"] = start;
    if (!note.empty()) result["note"] = note;
    result["content"] = header.lines > 0 ? header.text + "\n" + body.text : body.text;
    return result;
}

}  // namespace fsplug
