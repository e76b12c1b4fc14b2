// A unified diff for edit_file. The changed regions are known exactly (the replacements), so no
// general diff algorithm is needed: each run of replacements on neighbouring lines is one change
// group, and groups whose 3-line contexts touch share a hunk.
#include "tools.hpp"

#include <algorithm>

namespace fsplug {

namespace {

constexpr std::size_t kContext = 3;

std::vector<std::string_view> split_lines(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        std::size_t nl = s.find('\n', pos);
        out.push_back(s.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    return out;
}

/// The lines of the old text, by their start offsets.
class Lines {
public:
    explicit Lines(std::string_view text) : text_(text) {
        if (text.empty()) return;
        starts_.push_back(0);
        for (std::size_t i = 0; i + 1 < text.size(); ++i) {
            if (text[i] == '\n') starts_.push_back(i + 1);
        }
    }
    std::size_t count() const { return starts_.size(); }
    /// The 0-based line holding byte pos.
    std::size_t line_of(std::size_t pos) const {
        auto it = std::upper_bound(starts_.begin(), starts_.end(), pos);
        return it == starts_.begin() ? 0 : static_cast<std::size_t>(it - starts_.begin()) - 1;
    }
    std::size_t start(std::size_t line) const { return starts_[line]; }
    /// One past the line's last byte (its '\n' included).
    std::size_t end(std::size_t line) const { return line + 1 < starts_.size() ? starts_[line + 1] : text_.size(); }
    std::string_view text(std::size_t line) const {
        std::string_view l = text_.substr(start(line), end(line) - start(line));
        if (!l.empty() && l.back() == '\n') l.remove_suffix(1);
        return l;
    }

private:
    std::string_view text_;
    std::vector<std::size_t> starts_;
};

/// Old lines [a0, a1] replaced by new_lines.
struct Group {
    std::size_t a0 = 0, a1 = 0;
    std::size_t r0 = 0, r1 = 0;  // replacements [r0, r1)
    std::string new_text;
    std::size_t old_lines() const { return a1 - a0 + 1; }
};

std::string region_new_text(std::string_view old, const Lines& lines, const std::vector<Replacement>& reps,
                            const Group& g) {
    std::string out;
    std::size_t pos = lines.start(g.a0);
    for (std::size_t k = g.r0; k < g.r1; ++k) {
        out.append(old.substr(pos, reps[k].begin - pos)).append(reps[k].text);
        pos = reps[k].end;
    }
    out.append(old.substr(pos, lines.end(g.a1) - pos));
    return out;
}

std::vector<Group> make_groups(std::string_view old, const Lines& lines, const std::vector<Replacement>& reps) {
    auto last_line = [&](const Replacement& r) { return lines.line_of(std::max(r.begin, r.end - 1)); };
    std::vector<Group> groups;
    std::size_t k = 0;
    while (k < reps.size()) {
        Group g;
        g.a0 = lines.line_of(reps[k].begin);
        g.a1 = last_line(reps[k]);
        g.r0 = k;
        g.r1 = k + 1;
        while (true) {
            while (g.r1 < reps.size() && lines.line_of(reps[g.r1].begin) <= g.a1) {
                g.a1 = std::max(g.a1, last_line(reps[g.r1]));
                ++g.r1;
            }
            g.new_text = region_new_text(old, lines, reps, g);
            // A region that now ends mid-line joins the next line: take that line in too.
            bool joins = !g.new_text.empty() && g.new_text.back() != '\n' && lines.end(g.a1) < old.size();
            if (!joins) break;
            ++g.a1;
        }
        k = g.r1;
        groups.push_back(std::move(g));
    }
    return groups;
}

}  // namespace

std::string unified_diff(std::string_view path, std::string_view old, const std::vector<Replacement>& reps,
                         std::size_t max_chars) {
    std::string display = path_key(path);
    std::string out = "--- a/" + display + "\n+++ b/" + display + "\n";
    if (reps.empty() || old.empty()) return out;
    const Lines lines(old);
    const std::vector<Group> groups = make_groups(old, lines, reps);

    bool cut = false;
    auto add = [&](std::string_view mark, std::string_view text) {
        if (cut) return;
        if (out.size() + text.size() + 2 > max_chars) {
            out += "… (diff cut at " + std::to_string(max_chars) + " chars)\n";
            cut = true;
            return;
        }
        out.append(mark).append(text);
        out += '\n';
    };

    std::ptrdiff_t delta = 0;  // new lines minus old lines before the current hunk
    std::size_t i = 0;
    while (i < groups.size() && !cut) {
        std::size_t j = i;
        while (j + 1 < groups.size() && groups[j + 1].a0 - groups[j].a1 - 1 <= 2 * kContext) ++j;
        const std::size_t old_start = groups[i].a0 >= kContext ? groups[i].a0 - kContext : 0;
        const std::size_t old_end = std::min(lines.count() - 1, groups[j].a1 + kContext);
        std::ptrdiff_t hunk_delta = 0;
        std::vector<std::vector<std::string_view>> new_lines;
        for (std::size_t g = i; g <= j; ++g) {
            new_lines.push_back(split_lines(groups[g].new_text));
            hunk_delta += static_cast<std::ptrdiff_t>(new_lines.back().size()) -
                          static_cast<std::ptrdiff_t>(groups[g].old_lines());
        }
        const std::size_t old_count = old_end - old_start + 1;
        const std::size_t new_count = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(old_count) + hunk_delta);
        const std::size_t new_start = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(old_start) + delta);
        std::string header = "@@ -" + std::to_string(old_start + 1) + "," + std::to_string(old_count) + " +" +
                             std::to_string(new_count == 0 ? new_start : new_start + 1) + "," +
                             std::to_string(new_count) + " @@";
        add("", header);
        std::size_t line = old_start;
        for (std::size_t g = i; g <= j; ++g) {
            for (; line < groups[g].a0; ++line) add(" ", lines.text(line));
            for (; line <= groups[g].a1; ++line) add("-", lines.text(line));
            for (std::string_view l : new_lines[g - i]) add("+", l);
        }
        for (; line <= old_end; ++line) add(" ", lines.text(line));
        delta += hunk_delta;
        i = j + 1;
    }
    return out;
}

}  // namespace fsplug
