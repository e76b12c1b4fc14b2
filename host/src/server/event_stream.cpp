#include "server/event_stream.hpp"

#include "server/api_error.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace agenthost::server {

namespace asio = boost::asio;

namespace {

/// Replay is framed this many bytes at a time, as the socket drains.
constexpr std::size_t kReplayBatch = 64 << 10;

}  // namespace

EventStream::EventStream(SessionManager& manager, std::string session_id, std::uint64_t after,
                         std::size_t buffer_limit, asio::any_io_executor executor)
    : manager_(manager), session_id_(std::move(session_id)), after_(after), limit_(buffer_limit), executor_(std::move(executor)) {}

void EventStream::start_feed() {
    std::weak_ptr<EventStream> weak = weak_from_this();
    asio::any_io_executor exec = executor_;
    // Subscribe first, then read the store: whatever is stored meanwhile arrives live as well
    // and is dropped when the replay switches to live.
    subscription_ = manager_.subscribe(
        session_id_,
        [weak](const Event& e) {
            if (auto self = weak.lock()) self->on_live(e);
        },
        [weak, exec] {
            asio::post(exec, [weak] {
                if (auto self = weak.lock(); self && !self->closed_) {
                    // What was published before the deletion (the turn's end) goes out first.
                    self->stop_feed();
                    self->close_when_drained_ = true;
                    self->pump();
                }
            });
        });
    replay_ = manager_.events(session_id_, after_, 0);
    replay_through_ = replay_.empty() ? after_ : replay_.back().sequence;
}

void EventStream::stop_feed() { subscription_.reset(); }

void EventStream::send_control(std::string frame) {
    queue_.push_back(Frame{std::move(frame), false, 0});
    pump();
}

void EventStream::on_live(const Event& event) {
    // The session's emitting thread: frame it here, queue it on the strand, never wait.
    std::string frame = frame_of(event);
    const bool stored = is_stored_event(event.type);
    std::lock_guard<std::mutex> lock(mu_);
    if (overflowed_) return;
    // Behind = bytes waiting behind the next frame the socket will take: one frame larger than
    // the buffer passes; what has to wait behind it counts.
    if (!live_) {
        pending_bytes_ += frame.size();
        pending_.push_back(Frame{std::move(frame), stored, event.sequence});
        if (pending_bytes_ - pending_.front().text.size() > limit_) overflow_locked();
        return;
    }
    if (stored) {
        if (event.sequence <= last_sent_) return;
        last_sent_ = event.sequence;
    }
    queued_bytes_ += frame.size();
    queued_sizes_.push_back(frame.size());
    if (queued_bytes_ - queued_sizes_.front() > limit_) return overflow_locked();
    asio::post(executor_, [self = shared_from_this(), f = Frame{std::move(frame), true, stored ? event.sequence : 0}]() mutable {
        self->queue_.push_back(std::move(f));
        self->pump();
    });
}

void EventStream::overflow_locked() {
    overflowed_ = true;
    asio::post(executor_, [self = shared_from_this()] {
        if (self->closed_) return;
        self->closed_ = true;
        self->stop_feed();
        self->close_with("backpressure", "fell behind by more than " + std::to_string(self->limit_) +
                                             " bytes; reconnect with after=" + std::to_string(self->delivered_));
    });
}

void EventStream::switch_live() {
    std::lock_guard<std::mutex> lock(mu_);
    last_sent_ = replay_through_;
    for (Frame& f : pending_) {
        // Stored events the replay gave are dropped; a delta carries the last stored sequence,
        // so one older than the replay belongs to a message the replay already completed.
        if (f.counted ? f.sequence <= last_sent_ : f.sequence < replay_through_) continue;
        if (f.counted) last_sent_ = f.sequence;
        queued_bytes_ += f.text.size();
        queued_sizes_.push_back(f.text.size());
        queue_.push_back(Frame{std::move(f.text), true, f.counted ? f.sequence : 0});
    }
    pending_.clear();
    pending_bytes_ = 0;
    live_ = true;
}

void EventStream::pump() {
    if (closed_ || writing_) return;
    if (queue_.empty()) {
        std::size_t bytes = 0;
        while (replay_pos_ < replay_.size() && bytes < kReplayBatch) {
            const Event& e = replay_[replay_pos_++];
            std::string text = frame_of(e);
            bytes += text.size();
            queue_.push_back(Frame{std::move(text), false, e.sequence});
        }
        if (replay_pos_ == replay_.size() && !switched_) {
            replay_.clear();
            replay_.shrink_to_fit();
            replay_pos_ = 0;
            switched_ = true;
            switch_live();
        }
        if (queue_.empty()) {
            if (close_when_drained_ && switched_) {
                closed_ = true;
                close_with("session_deleted", "the session was deleted");
            }
            return;
        }
    }
    writing_ = true;
    if (queue_.front().counted) {  // handed to the socket: no longer waiting
        std::lock_guard<std::mutex> lock(mu_);
        queued_bytes_ -= queue_.front().text.size();
        queued_sizes_.pop_front();
    }
    write_frame(queue_.front().text, [self = shared_from_this()](beast::error_code ec) {
        self->writing_ = false;
        Frame& done = self->queue_.front();
        if (done.sequence > 0) self->delivered_ = std::max(self->delivered_, done.sequence);
        self->queue_.pop_front();
        if (ec) {
            if (!self->closed_) {
                self->closed_ = true;
                self->stop_feed();
                self->close_with("write_failed", ec.message());
            }
            return;
        }
        self->pump();
    });
}

namespace {

/// SSE or NDJSON over a plain HTTP response that ends when either side closes.
class HttpEventStream final : public EventStream {
public:
    HttpEventStream(beast::tcp_stream stream, SessionManager& manager, const std::string& session_id,
                    std::uint64_t after, bool sse, std::size_t limit, std::shared_ptr<void> slot)
        : EventStream(manager, session_id, after, limit, stream.get_executor()),
          stream_(std::move(stream)),
          sse_(sse),
          slot_(std::move(slot)) {}

    void run(unsigned version) {
        try {
            start_feed();
        } catch (const ApiError& e) {
            auto res = std::make_shared<Response>(error_response(version, e.status(), e.code(), e.what()));
            res->keep_alive(false);
            http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
                static_cast<HttpEventStream&>(*self).shutdown();
            });
            return;
        }
        stream_.expires_never();
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: ";
        head += sse_ ? "text/event-stream" : "application/x-ndjson";
        head += "\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n";
        send_control(std::move(head));
        read_until_closed();
    }

private:
    void read_until_closed() {
        // The reader sends nothing; a read that ends means it left.
        stream_.async_read_some(asio::buffer(sink_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            auto& me = static_cast<HttpEventStream&>(*self);
            if (!ec) return me.read_until_closed();
            me.stop_feed();
            me.shutdown();
        });
    }

    std::string frame_of(const Event& e) override {
        if (!sse_) return to_json_line(e) + "\n";
        std::string out;
        if (is_stored_event(e.type)) out += "id: " + std::to_string(e.sequence) + "\n";
        out += "event: " + e.type + "\ndata: " + to_json_line(e) + "\n\n";
        return out;
    }

    void write_frame(const std::string& frame, std::function<void(beast::error_code)> done) override {
        asio::async_write(stream_, asio::buffer(frame),
                          [done = std::move(done)](beast::error_code ec, std::size_t) { done(ec); });
    }

    void close_with(const std::string& code, const std::string& reason) override {
        json::object err{{"type", "error"}, {"error", json::object{{"code", code}, {"message", reason}}}};
        auto text = std::make_shared<std::string>(sse_ ? "event: error\ndata: " + json::serialize(err) + "\n\n"
                                                       : json::serialize(err) + "\n");
        stream_.expires_after(std::chrono::seconds(5));
        asio::async_write(stream_, asio::buffer(*text), [self = shared_from_this(), text](beast::error_code, std::size_t) {
            static_cast<HttpEventStream&>(*self).shutdown();
        });
    }

    void shutdown() {
        beast::error_code ec;
        stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        stream_.close();
    }

    beast::tcp_stream stream_;
    bool sse_;
    std::shared_ptr<void> slot_;
    std::array<char, 512> sink_{};
};

}  // namespace

void start_http_stream(beast::tcp_stream stream, const Request& request, SessionManager& manager,
                       const std::string& session_id, std::uint64_t after, bool sse, std::size_t buffer_limit,
                       std::shared_ptr<void> connection_slot) {
    auto s = std::make_shared<HttpEventStream>(std::move(stream), manager, session_id, after, sse, buffer_limit,
                                               std::move(connection_slot));
    s->run(request.version());
}

}  // namespace agenthost::server
