// sse.hpp — a Server-Sent Events parser for driver plugins (header-only, C++17), following
// the WHATWG spec: `event:`, `data:` (multi-line, joined with '\n'), `id:`, `retry:`, comments
// (lines starting with ':'), CR, LF or CRLF line ends, a leading BOM, and any split of the byte
// stream into chunks (a CRLF split across two chunks included).
//
//   ahp::SseParser parser([&](const ahp::SseEvent& e) { handle(e.event, e.data); return true; });
//   parser.feed(chunk);  // as bytes arrive; the callback returns false to stop
//   parser.finish();     // at the end of the stream (an unterminated event is dropped, per spec)
#pragma once

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
    explicit SseParser(std::function<bool(const SseEvent&)> on_event) : on_event_(std::move(on_event)) {}

    /// Feed the next bytes; false once the callback asked to stop.
    bool feed(std::string_view bytes) {
        if (stopped_) return false;
        for (char c : bytes) {
            if (skip_lf_) {
                skip_lf_ = false;
                if (c == '\n') continue;
            }
            if (c == '\r' || c == '\n') {
                skip_lf_ = c == '\r';
                if (!line(line_)) return false;
                line_.clear();
            } else {
                line_.push_back(c);
            }
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
        if (std::size_t colon = l.find(':'); colon != std::string_view::npos) {
            field = l.substr(0, colon);
            value = l.substr(colon + 1);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        if (field == "event") {
            current_.event.assign(value);
        } else if (field == "data") {
            if (has_data_) current_.data.push_back('\n');
            current_.data.append(value);
            has_data_ = true;
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
        } else if (field == "retry") {
            if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos && value.size() < 10) {
                retry_ms_ = std::stol(std::string(value));
            }
        }
        return true;
    }

    bool dispatch() {
        bool keep_going = true;
        if (has_data_) {
            current_.id = last_id_;
            current_.retry_ms = retry_ms_;
            if (current_.event.empty()) current_.event = "message";
            keep_going = on_event_(current_);
        }
        reset_event();
        if (!keep_going) stopped_ = true;
        return keep_going;
    }

    void reset_event() {
        current_ = SseEvent{};
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
