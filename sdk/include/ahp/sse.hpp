// sse.hpp — a Server-Sent Events parser for driver plugins (header-only, C++17), following
// the WHATWG spec: `event:`, `data:` (multi-line, joined with '\n'), `id:`, `retry:`, comments
// (lines starting with ':'), CR, LF or CRLF line ends, a leading BOM, and any split of the byte
// stream into chunks (a CRLF split across two chunks included).
//
//   ahp::SseParser parser([&](const ahp::SseEvent& e) { handle(e.event, e.data); return true; });
//   parser.feed(chunk);  // as bytes arrive; the callback returns false to stop
//   parser.finish();     // at the end of the stream (an unterminated event is dropped, per spec)
//
// Lines are found with memchr and parsed in place; only a line split across chunks is copied.
// The event's strings keep their capacity from one event to the next.
#pragma once

#include <cstring>
#include <functional>
#include <string>
#include <string_view>

namespace ahp {
inline namespace v1 {

/// One dispatched event.
struct SseEvent {
    std::string event = "message";  ///< the `event:` field, "message" when absent
    std::string data;               ///< the `data:` lines joined with '\n'
    std::string id;                 ///< the last `id:` seen (persists across events)
    long retry_ms = -1;             ///< the last valid `retry:`, or -1
};

/// Incremental SSE parser; feed it bytes, it calls back once per complete event.
class SseParser {
public:
    /// `on_event` returns false to stop parsing (feed then returns false too).
    explicit SseParser(std::function<bool(const SseEvent&)> on_event) : on_event_(std::move(on_event)) {
        current_.event.clear();
    }

    /// Feed the next bytes; false once the callback asked to stop.
    bool feed(std::string_view bytes) {
        if (stopped_) return false;
        const char* const data = bytes.data();
        const std::size_t size = bytes.size();
        std::size_t at = 0;
        if (skip_lf_ && size != 0) {
            skip_lf_ = false;
            if (data[0] == '\n') at = 1;
        }
        std::size_t cr = 0;  // the next '\r' at or after `at` (size: none); valid while cr >= at
        bool cr_known = false;
        while (at < size) {
            if (!cr_known || cr < at) {
                const void* found = std::memchr(data + at, '\r', size - at);
                cr = found ? static_cast<std::size_t>(static_cast<const char*>(found) - data) : size;
                cr_known = true;
            }
            const void* lf = std::memchr(data + at, '\n', cr - at);
            const std::size_t eol = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - data) : cr;
            if (eol == size) {  // an unfinished line: keep it for the next chunk
                line_.append(data + at, size - at);
                return true;
            }
            std::string_view l(data + at, eol - at);
            if (!line_.empty()) {
                line_.append(l.data(), l.size());
                l = line_;
            }
            at = eol + 1;
            if (data[eol] == '\r') {
                if (at == size) {
                    skip_lf_ = true;
                } else if (data[at] == '\n') {
                    ++at;
                }
            }
            const bool keep_going = line(l);
            line_.clear();
            if (!keep_going) return false;
        }
        return true;
    }

    /// The stream ended. A final event without its blank line is not dispatched (spec).
    void finish() {
        line_.clear();
        reset_event();
    }

    /// Bytes received in the current, unfinished line.
    std::size_t pending_bytes() const noexcept { return line_.size(); }

private:
    bool line(std::string_view l) {
        if (first_line_) {
            first_line_ = false;
            constexpr std::string_view kBom = "\xEF\xBB\xBF";
            if (l.substr(0, kBom.size()) == kBom) l.remove_prefix(kBom.size());
        }
        if (l.empty()) return dispatch();
        if (l.front() == ':') return true;  // a comment
        std::string_view field = l, value;
        if (const void* colon = std::memchr(l.data(), ':', l.size())) {
            const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(colon) - l.data());
            field = l.substr(0, at);
            value = l.substr(at + 1);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        if (field == "data") {
            if (has_data_) current_.data.push_back('\n');
            current_.data.append(value.data(), value.size());
            has_data_ = true;
        } else if (field == "event") {
            current_.event.assign(value.data(), value.size());
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos) last_id_.assign(value.data(), value.size());
        } else if (field == "retry") {
            if (!value.empty() && value.size() < 10 &&
                value.find_first_not_of("0123456789") == std::string_view::npos) {
                long ms = 0;
                for (char c : value) ms = ms * 10 + (c - '0');
                retry_ms_ = ms;
            }
        }  // any other field is ignored (spec)
        return true;
    }

    bool dispatch() {
        bool keep_going = true;
        if (has_data_) {
            if (current_.id != last_id_) current_.id = last_id_;
            current_.retry_ms = retry_ms_;
            if (current_.event.empty()) current_.event.assign("message");
            keep_going = on_event_(current_);
        }
        reset_event();
        if (!keep_going) stopped_ = true;
        return keep_going;
    }

    void reset_event() {
        current_.event.clear();  // "message" is filled in at dispatch; capacity is kept
        current_.data.clear();
        has_data_ = false;
    }

    std::function<bool(const SseEvent&)> on_event_;
    SseEvent current_;
    std::string line_;
    std::string last_id_;
    long retry_ms_ = -1;
    bool has_data_ = false;
    bool skip_lf_ = false;
    bool first_line_ = true;
    bool stopped_ = false;
};

}  // namespace v1
}  // namespace ahp
