#include "table.hpp"

#include "text.hpp"

#include <algorithm>

namespace html {

void write_table(Writer& w, TableBuffer tb, bool markdown) {
    std::string before = collapse_whitespace(tb.stray);
    if (!before.empty()) {
        w.block(2);
        w.inline_raw(before);
        w.block(2);
    }
    std::size_t cols = 0;
    std::vector<std::vector<std::string>> rows;
    for (auto& row : tb.rows) {
        for (auto& cell : row) cell = collapse_whitespace(cell);
        while (!row.empty() && row.back().empty()) row.pop_back();
        if (row.empty()) continue;
        cols = std::max(cols, row.size());
        rows.push_back(std::move(row));
    }
    if (rows.empty()) return;
    bool layout = cols == 1;
    for (const auto& row : rows) {
        for (const auto& cell : row) layout = layout || cell.size() > 600;
    }
    w.block(2);
    if (layout) {  // a table used for layout: its cells as paragraphs
        for (const auto& row : rows) {
            for (const auto& cell : row) {
                if (cell.empty()) continue;
                w.block(2);
                w.inline_raw(cell);
            }
        }
    } else {
        for (std::size_t r = 0; r < rows.size(); ++r) {
            std::string line = markdown ? "|" : "";
            for (std::size_t c = 0; c < cols; ++c) {
                const std::string& cell = c < rows[r].size() ? rows[r][c] : std::string();
                if (markdown) {
                    line += " " + cell + " |";
                } else {
                    line += (c ? " | " : "") + cell;
                }
            }
            if (!markdown) line = std::string(trim(line));
            w.write_line(line);
            if (r == 0 && markdown) {
                std::string sep = "|";
                for (std::size_t c = 0; c < cols; ++c) sep += " --- |";
                w.write_line(sep);
            }
        }
    }
    w.block(2);
}

}  // namespace html
