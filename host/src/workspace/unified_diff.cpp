#include "workspace/unified_diff.hpp"

#include "workspace/file_content.hpp"

#include <algorithm>
#include <vector>

namespace agenthost {

namespace {

constexpr std::size_t kContext = 3;

/// Lines with their '\n' (the last may lack it).
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        out.push_back(text.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

enum class Op : char { kEqual = ' ', kDelete = '-', kInsert = '+' };

/// One step of the edit script: `a` indexes the old lines, `b` the new ones.
struct Edit {
    Op op;
    std::size_t a;
    std::size_t b;
};

/// Myers' O((N+M)D) diff of a[lo_a, hi_a) against b[lo_b, hi_b), appended to `out`; false if
/// it needs more than kDiffMaxEdits edits.
bool myers(const std::vector<std::string_view>& a, std::size_t lo_a, std::size_t hi_a,
           const std::vector<std::string_view>& b, std::size_t lo_b, std::size_t hi_b, std::vector<Edit>& out) {
    const long n = static_cast<long>(hi_a - lo_a), m = static_cast<long>(hi_b - lo_b);
    const long max_d = std::min<long>(n + m, static_cast<long>(kDiffMaxEdits));
    const long offset = max_d + 1;
    std::vector<long> v(static_cast<std::size_t>(2 * offset + 1), 0);
    std::vector<std::vector<long>> trace;  // v[-d-1 .. d+1] before step d
    auto at = [&](long k) -> long& { return v[static_cast<std::size_t>(k + offset)]; };
    long found = -1;
    for (long d = 0; d <= max_d && found < 0; ++d) {
        trace.emplace_back(v.begin() + (offset - d - 1), v.begin() + (offset + d + 2));
        for (long k = -d; k <= d; k += 2) {
            long x = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? at(k + 1) : at(k - 1) + 1;
            long y = x - k;
            while (x < n && y < m && a[lo_a + static_cast<std::size_t>(x)] == b[lo_b + static_cast<std::size_t>(y)])
                ++x, ++y;
            at(k) = x;
            if (x >= n && y >= m) {
                found = d;
                break;
            }
        }
    }
    if (found < 0) return false;
    std::vector<Edit> rev;
    long x = n, y = m;
    for (long d = found; d >= 0; --d) {
        const std::vector<long>& snap = trace[static_cast<std::size_t>(d)];
        auto old = [&](long k) { return snap[static_cast<std::size_t>(k + d + 1)]; };
        long k = x - y;
        long prev_k = (k == -d || (k != d && old(k - 1) < old(k + 1))) ? k + 1 : k - 1;
        long prev_x = d == 0 ? 0 : old(prev_k);
        long prev_y = prev_x - prev_k;
        while (x > prev_x && y > prev_y) {
            --x, --y;
            rev.push_back(Edit{Op::kEqual, lo_a + static_cast<std::size_t>(x), lo_b + static_cast<std::size_t>(y)});
        }
        if (d == 0) break;
        if (x == prev_x)
            rev.push_back(
                Edit{Op::kInsert, lo_a + static_cast<std::size_t>(x), lo_b + static_cast<std::size_t>(prev_y)});
        else
            rev.push_back(
                Edit{Op::kDelete, lo_a + static_cast<std::size_t>(prev_x), lo_b + static_cast<std::size_t>(y)});
        x = prev_x, y = prev_y;
    }
    out.insert(out.end(), rev.rbegin(), rev.rend());
    return true;
}

std::string range(std::size_t start, std::size_t count) {
    std::string s = std::to_string(count == 0 ? start : start + 1);
    if (count != 1) {
        s += ',';
        s += std::to_string(count);
    }
    return s;
}

void put_line(std::string& out, char mark, std::string_view line) {
    out += mark;
    out += line;
    if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

std::string summary(std::size_t from, std::size_t to) {
    return "file replaced: " + std::to_string(from) + " lines -> " + std::to_string(to) + " lines\n";
}

}  // namespace

std::string unified_diff(std::string_view path, std::optional<std::string_view> before, std::string_view after) {
    std::string_view old_text = before.value_or("");
    if (before && *before == after) return "";
    std::string header =
        std::string("--- ") + (before ? "a/" + std::string(path) : "/dev/null") + "\n+++ b/" + std::string(path) + "\n";
    if (has_nul_prefix(old_text) || has_nul_prefix(after)) {
        return header + "binary file replaced: " + std::to_string(old_text.size()) + " bytes -> " +
               std::to_string(after.size()) + " bytes\n";
    }
    std::vector<std::string_view> a = split_lines(old_text), b = split_lines(after);
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
    if ((a.size() - head - tail) + (b.size() - head - tail) > kDiffMaxLines)
        return header + summary(a.size(), b.size());

    std::vector<Edit> edits;
    for (std::size_t i = 0; i < head; ++i) edits.push_back(Edit{Op::kEqual, i, i});
    if (!myers(a, head, a.size() - tail, b, head, b.size() - tail, edits)) return header + summary(a.size(), b.size());
    for (std::size_t i = tail; i > 0; --i) edits.push_back(Edit{Op::kEqual, a.size() - i, b.size() - i});

    std::string out = header;
    std::size_t i = 0;
    while (i < edits.size()) {
        while (i < edits.size() && edits[i].op == Op::kEqual) ++i;
        if (i == edits.size()) break;
        std::size_t start = i >= kContext ? i - kContext : 0;
        std::size_t end = i;  // one past the last change of the hunk
        for (std::size_t j = i; j < edits.size(); ++j) {
            if (edits[j].op != Op::kEqual)
                end = j + 1;
            else if (j - end + 1 > 2 * kContext)
                break;  // a gap wide enough to split hunks
        }
        std::size_t stop = std::min(edits.size(), end + kContext);
        std::size_t a_count = 0, b_count = 0;
        for (std::size_t j = start; j < stop; ++j) {
            a_count += edits[j].op != Op::kInsert;
            b_count += edits[j].op != Op::kDelete;
        }
        out += "@@ -" + range(edits[start].a, a_count) + " +" + range(edits[start].b, b_count) + " @@\n";
        for (std::size_t j = start; j < stop; ++j) {
            const Edit& e = edits[j];
            put_line(out, static_cast<char>(e.op), e.op == Op::kInsert ? b[e.b] : a[e.a]);
        }
        i = stop;
    }
    return out;
}

}  // namespace agenthost
