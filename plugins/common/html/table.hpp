// table.hpp — an HTML table collected cell by cell, written as a markdown table (or, for a
// table used for layout, as paragraphs).
#pragma once

#include "markdown_writer.hpp"

#include <string>
#include <vector>

namespace html {

/// The cells of one table as the converter collects them.
struct TableBuffer {
    std::vector<std::vector<std::string>> rows;
    bool row_open = false;
    std::string stray;  // the caption and text outside cells, shown before the table
};

/// Write a collected table: the first row as the header; one column or a long cell means a
/// layout table, whose cells become paragraphs; plain text joins cells with " | ".
void write_table(Writer& w, TableBuffer tb, bool markdown);

}  // namespace html
