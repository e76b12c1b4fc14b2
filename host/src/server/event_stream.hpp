// One reader of a session's events (DESIGN §8): stored events after a sequence, then live ones,
// with no gap and no duplicate across the switch. It subscribes first, then reads the store,
// then drops live events the replay already gave (stored ones with sequence <= the last
// replayed; deltas, which carry the last stored sequence, below it). Replay is read as the
// socket drains; live frames queue, and a reader that falls behind by more than its buffer is
// closed with a reason, so the session and other readers never wait for it.
#pragma once

#include "server/http_types.hpp"
#include "server/session_manager.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <deque>
#include <memory>
#include <mutex>

namespace agenthost::server {

/// The transport-independent part of a stream; WebSocket, SSE and NDJSON derive from it.
class EventStream : public std::enable_shared_from_this<EventStream> {
public:
    /// A stream of `session_id` after `after`, writing on `executor` (the connection's strand).
    EventStream(SessionManager& manager, std::string session_id, std::uint64_t after, std::size_t buffer_limit,
                boost::asio::any_io_executor executor);
    virtual ~EventStream() = default;

protected:
    /// Subscribe and read the stored events; call on the strand. Throws ApiError.
    void start_feed();
    /// Queue a frame that is no event (stream.ready, pong, error), on the strand.
    void send_control(std::string frame);
    /// Stop receiving events (the transport is closing).
    void stop_feed();
    /// The last stored sequence replayed when the feed started.
    std::uint64_t replay_through() const { return replay_through_; }
    /// The session.
    const std::string& session_id() const { return session_id_; }
    /// The manager.
    SessionManager& manager() { return manager_; }

    /// An event as this transport's frame.
    virtual std::string frame_of(const Event& event) = 0;
    /// Write one frame; call `done` on the strand when it is written.
    virtual void write_frame(const std::string& frame, std::function<void(beast::error_code)> done) = 0;
    /// Close the transport, telling the reader why when it can (on the strand).
    virtual void close_with(const std::string& code, const std::string& reason) = 0;

    bool closed_ = false;  ///< strand: the transport is closing; nothing more is written

private:
    /// A queued frame: `counted` against the buffer (live ones), `sequence` of a stored event.
    struct Frame {
        std::string text;
        bool counted = false;
        std::uint64_t sequence = 0;
    };

    void on_live(const Event& event);
    void pump();
    void switch_live();
    void overflow_locked();

    SessionManager& manager_;
    const std::string session_id_;
    const std::uint64_t after_;
    const std::size_t limit_;
    boost::asio::any_io_executor executor_;
    std::shared_ptr<void> subscription_;

    std::vector<Event> replay_;   // strand
    std::size_t replay_pos_ = 0;  // strand
    std::uint64_t replay_through_ = 0;
    std::deque<Frame> queue_;     // strand
    bool writing_ = false;        // strand
    bool switched_ = false;       // strand: replay done, live events flow
    bool close_when_drained_ = false;  // strand: the session is gone; close after the queue
    std::uint64_t delivered_ = 0;  // strand: the last stored sequence written

    std::mutex mu_;  // below: touched by the session's emitting thread
    bool live_ = false;
    bool overflowed_ = false;
    std::vector<Frame> pending_;  // live events that came during replay (counted: stored)
    std::size_t pending_bytes_ = 0;
    std::uint64_t last_sent_ = 0;  // the last stored sequence queued
    std::size_t queued_bytes_ = 0;  // live bytes queued, not yet handed to the socket
    std::deque<std::size_t> queued_sizes_;  // their frames' sizes, oldest first
};

/// Start an SSE (`sse`) or NDJSON follow stream over a connection whose request was read:
/// writes the response header, then events until the reader leaves or falls behind.
void start_http_stream(beast::tcp_stream stream, const Request& request, SessionManager& manager,
                       const std::string& session_id, std::uint64_t after, bool sse, std::size_t buffer_limit,
                       std::shared_ptr<void> connection_slot);

/// Accept a WebSocket upgrade and run its stream (`subprotocol`: the one to echo, if any).
void start_websocket(beast::tcp_stream stream, Request request, SessionManager& manager, const std::string& session_id,
                     std::uint64_t after, std::string subprotocol, std::size_t buffer_limit,
                     std::shared_ptr<void> connection_slot);

}  // namespace agenthost::server
