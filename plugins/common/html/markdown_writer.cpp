#include "markdown_writer.hpp"

#include "text.hpp"

#include <algorithm>
#include <array>

namespace html {
namespace {

enum : unsigned char { kPlain, kSpace, kLead, kPipe, kBracket };

/// Byte classes for Writer::text: whitespace, 0xC2 (maybe U+00A0), '|', '[' and ']'.
constexpr std::array<unsigned char, 256> make_classes() {
    std::array<unsigned char, 256> t{};
    t[' '] = t['\t'] = t['\n'] = t['\r'] = t['\f'] = kSpace;
    t[0xC2] = kLead;
    t['|'] = kPipe;
    t['['] = t[']'] = kBracket;
    return t;
}
constexpr std::array<unsigned char, 256> kClass = make_classes();

}  // namespace

void Writer::flush() {
    Line& l = *ln_;
    if (l.breaks != 0) {
        if (l.content) {
            if (capture_) {
                l.space = true;
            } else {
                newlines(l.breaks);
                l.start = true;
            }
        }
        l.breaks = 0;
    }
    if (l.start) {
        if (!capture_) write_prefix();
        l.start = false;
    } else if (l.space) {
        sink_->push_back(' ');
    }
    l.space = false;
    l.content = true;
    l.emitted = 0;
    if (!pending_.empty()) {
        sink_->append(pending_);
        pending_.clear();
    }
    ++flushes_;
}

void Writer::flush_block() {
    Line& l = *ln_;
    if (l.content && !l.start && l.breaks == 0) l.breaks = 1;
    if (l.breaks != 0 && l.content) {
        newlines(l.breaks);
        l.start = true;
    }
    l.breaks = 0;
    if (l.start) write_prefix();
    l.start = false;
    l.space = false;
    l.content = true;
    l.emitted = 0;
}

void Writer::newlines(int n) {
    if (!containers_.empty() && !containers_.back().quote) n = 1;  // lists stay tight
    for (int i = ln_->emitted; i < n; ++i) {
        if (i > 0) write_blank_prefix();
        sink_->push_back('\n');
    }
    ln_->emitted = std::max(ln_->emitted, n);
}

void Writer::settle_breaks() {
    if (capture_ || ln_->breaks == 0 || !ln_->content) return;
    newlines(ln_->breaks);
    ln_->breaks = 0;
    ln_->start = true;
    ln_->space = false;
}

void Writer::write_prefix() {
    for (Container& c : containers_) {
        if (!c.marker.empty()) {
            sink_->append(c.marker);
            c.marker.clear();
        } else {
            sink_->append(c.indent);
        }
    }
}

void Writer::write_blank_prefix() {
    std::size_t before = sink_->size();
    for (const Container& c : containers_) sink_->append(c.indent);
    while (sink_->size() > before && sink_->back() == ' ') sink_->pop_back();
}

void Writer::text(std::string_view s) {
    const bool pipes = markdown_ && capture_, brackets = markdown_ && brackets_ > 0;
    const char* p = s.data();
    const char* const e = p + s.size();
    while (p < e) {
        unsigned char cls = kClass[static_cast<unsigned char>(*p)];
        if (cls == kSpace || (cls == kLead && p + 1 < e && p[1] == '\xA0')) {
            ln_->space = true;
            p += cls == kLead ? 2 : 1;
            continue;
        }
        const char* q = p;
        for (;;) {
            while (q < e && kClass[static_cast<unsigned char>(*q)] == kPlain) ++q;
            if (q >= e) break;
            unsigned char c = kClass[static_cast<unsigned char>(*q)];
            if (c == kSpace || (c == kLead && q + 1 < e && q[1] == '\xA0')) break;
            if ((c == kPipe && pipes) || (c == kBracket && brackets)) break;
            ++q;
        }
        if (q > p) {
            flush();
            sink_->append(p, static_cast<std::size_t>(q - p));
            p = q;
        }
        if (p < e) {
            unsigned char c = kClass[static_cast<unsigned char>(*p)];
            if ((c == kPipe && pipes) || (c == kBracket && brackets)) {
                flush();
                sink_->push_back('\\');
                sink_->push_back(*p++);
            }
        }
    }
}

void Writer::pre_newline() {
    if (ln_->start) write_blank_prefix();
    sink_->push_back('\n');
    ln_->start = true;
}

void Writer::literal(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t nl = s.find('\n', i);
        std::size_t end = nl == std::string_view::npos ? s.size() : nl;
        std::size_t run = end;
        if (run > i && s[run - 1] == '\r') --run;
        if (run > i) {
            if (ln_->start) {
                write_prefix();
                ln_->start = false;
            }
            sink_->append(s.data() + i, run - i);
            ln_->emitted = 0;
        }
        if (nl == std::string_view::npos) break;
        pre_newline();
        i = nl + 1;
    }
}

void Writer::inline_raw(std::string_view s) {
    flush();
    sink_->append(s);
}

Writer::Mark Writer::open_inline(std::string_view marker) {
    Mark m{flushes_, pending_.size()};
    pending_.append(marker);
    return m;
}

bool Writer::close_inline(const Mark& m, std::string_view closer) {
    if (flushes_ == m.flushes) {
        pending_.resize(std::min(pending_.size(), m.pending));
        return false;
    }
    sink_->append(closer);
    return true;
}

void Writer::block(int breaks) {
    if (is_flat()) {
        ln_->space = true;
        return;
    }
    ln_->breaks = std::max(ln_->breaks, breaks);
}

void Writer::line_break() {
    if (is_flat()) {
        ln_->space = true;
        return;
    }
    if (ln_->content) ln_->breaks = std::min(2, ln_->breaks + 1);
    ln_->space = false;
}

void Writer::begin_pre(std::string_view fence_line) {
    Line& l = *ln_;
    if (l.breaks != 0 && l.content) {
        newlines(l.breaks);
        l.start = true;
    } else if (!l.start && l.content) {
        newlines(1);
        l.start = true;
    }
    l.breaks = 0;
    l.space = false;
    l.content = true;
    if (!fence_line.empty()) {
        write_prefix();
        sink_->append(fence_line);
        l.emitted = 0;
        pre_newline();
    } else {
        l.start = true;
    }
}

void Writer::end_pre(std::string_view fence) {
    if (!ln_->start) pre_newline();
    if (!fence.empty()) {
        write_prefix();
        sink_->append(fence);
        ln_->start = false;
        ln_->emitted = 0;
    } else {
        ln_->emitted = 1;  // the code's own last newline
    }
    ln_->breaks = 2;
}

void Writer::write_line(std::string_view line) {
    flush_block();
    sink_->append(line);
}

void Writer::push_quote() {
    settle_breaks();
    containers_.push_back(Container{true, "> ", {}});
}

void Writer::push_item(const std::string& marker, bool following) {
    if (following) ln_->breaks = std::min(ln_->breaks, 1);
    settle_breaks();
    containers_.push_back(Container{false, std::string(marker.size(), ' '), marker});
}

void Writer::pop_container() {
    if (!containers_.empty()) containers_.pop_back();
}

void Writer::capture(std::string* into) {
    if (into == nullptr) {
        if (!capture_) return;
        capture_ = nullptr;
        sink_ = &out_;
        ln_ = &main_;
        pending_ = std::move(saved_pending_);
        saved_pending_.clear();
        return;
    }
    if (!capture_) {
        saved_pending_ = std::move(pending_);
        pending_.clear();
    }
    capture_ = into;
    sink_ = into;
    cap_ = Line{};
    ln_ = &cap_;
}

std::string Writer::finish() {
    capture(nullptr);
    while (!out_.empty() && is_space(out_.back())) out_.pop_back();
    return std::move(out_);
}

}  // namespace html
