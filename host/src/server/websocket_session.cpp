// GET /v1/sessions/{id}/ws: the event stream of event_stream.hpp as WebSocket text messages,
// and the client's frames {type: message|steer|interrupt|approval|ping}.
#include "server/api_error.hpp"
#include "server/event_stream.hpp"

#include <boost/beast/websocket.hpp>

namespace agenthost::server {

namespace websocket = beast::websocket;

namespace {

/// Largest client frame.
constexpr std::size_t kMaxClientMessage = 256 << 10;

json::object control(std::string_view type) { return json::object{{"type", type}}; }

std::string error_frame(const std::string& code, const std::string& message) {
    json::object o = control("error");
    o["error"] = json::object{{"code", code}, {"message", message}};
    return json::serialize(o);
}

class WebSocketStream final : public EventStream {
public:
    WebSocketStream(beast::tcp_stream stream, SessionManager& manager, const std::string& session_id,
                    std::uint64_t after, std::string subprotocol, std::size_t limit, std::shared_ptr<void> slot)
        : EventStream(manager, session_id, after, limit, stream.get_executor()),
          ws_(std::move(stream)),
          subprotocol_(std::move(subprotocol)),
          slot_(std::move(slot)) {}

    void run(Request request) {
        beast::get_lowest_layer(ws_).expires_never();
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.read_message_max(kMaxClientMessage);
        ws_.set_option(websocket::stream_base::decorator([proto = subprotocol_](websocket::response_type& res) {
            res.set(http::field::server, "agenthost");
            if (!proto.empty()) res.set(http::field::sec_websocket_protocol, proto);
        }));
        auto req = std::make_shared<Request>(std::move(request));
        ws_.async_accept(*req, [self = shared_from_this(), req](beast::error_code ec) {
            if (ec) return;
            static_cast<WebSocketStream&>(*self).on_accept();
        });
    }

private:
    void on_accept() {
        try {
            start_feed();
        } catch (const ApiError& e) {
            closed_ = true;
            ws_.text(true);
            auto text = std::make_shared<std::string>(error_frame(e.code(), e.what()));
            ws_.async_write(boost::asio::buffer(*text), [self = shared_from_this(), text](beast::error_code, std::size_t) {
                auto& me = static_cast<WebSocketStream&>(*self);
                me.ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, "refused"),
                                   [self](beast::error_code) {});
            });
            return;
        }
        json::object ready = control("stream.ready");
        ready["session_id"] = session_id();
        ready["after_sequence"] = replay_through() == 0 ? 0 : replay_through();
        ready["replay_through"] = replay_through();
        send_control(json::serialize(ready));
        read();
    }

    void read() {
        ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            auto& me = static_cast<WebSocketStream&>(*self);
            if (ec) {
                me.closed_ = true;
                me.stop_feed();
                return;
            }
            std::string text = beast::buffers_to_string(me.in_.data());
            me.in_.consume(me.in_.size());
            me.on_client_frame(text);
            me.read();
        });
    }

    void on_client_frame(const std::string& text) {
        boost::system::error_code ec;
        json::value v = json::parse(text, ec);
        if (ec || !v.is_object()) return send_control(error_frame("invalid_json", "a client frame must be a JSON object"));
        const json::object& o = v.get_object();
        auto field = [&](std::string_view name) -> std::string {
            const json::value* f = o.if_contains(name);
            if (!f || !f->is_string()) {
                throw ApiError(400, "invalid_request", "field '" + std::string(name) + "' must be a string");
            }
            return std::string(f->get_string());
        };
        try {
            const std::string type = field("type");
            if (type == "ping") {
                json::object pong = control("pong");
                if (const json::value* id = o.if_contains("id")) pong["id"] = *id;
                return send_control(json::serialize(pong));
            }
            if (type == "message") {
                std::string text_field = field("text");
                if (text_field.empty()) throw ApiError(400, "invalid_request", "field 'text' must not be empty");
                manager().post_message(session_id(), text_field);
            } else if (type == "steer") {
                manager().steer(session_id(), field("text"));
            } else if (type == "interrupt") {
                manager().interrupt(session_id());
            } else if (type == "approval") {
                manager().decide(session_id(), field("approval_id"), field("decision"));
            } else {
                throw ApiError(400, "invalid_request",
                               "field 'type' must be message, steer, interrupt, approval or ping, not '" + type + "'");
            }
        } catch (const ApiError& e) {
            send_control(error_frame(e.code(), e.what()));
        } catch (const std::exception& e) {
            send_control(error_frame("internal_error", e.what()));
        }
    }

    std::string frame_of(const Event& e) override { return to_json_line(e); }

    void write_frame(const std::string& frame, std::function<void(beast::error_code)> done) override {
        ws_.text(true);
        ws_.async_write(boost::asio::buffer(frame), [done = std::move(done)](beast::error_code ec, std::size_t) { done(ec); });
    }

    void close_with(const std::string& code, const std::string& reason) override {
        std::string why = code + ": " + reason;
        if (why.size() > 120) why.resize(120);  // a close reason holds at most 123 bytes
        ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, why),
                        [self = shared_from_this()](beast::error_code) {});
        // A reader that stopped reading gets the close frame when it reads again; until then its
        // connection costs one socket (bounded by the WebSocket idle timeout) and the session no
        // longer feeds it.
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer in_;
    std::string subprotocol_;
    std::shared_ptr<void> slot_;
};

}  // namespace

void start_websocket(beast::tcp_stream stream, Request request, SessionManager& manager, const std::string& session_id,
                     std::uint64_t after, std::string subprotocol, std::size_t buffer_limit,
                     std::shared_ptr<void> connection_slot) {
    auto s = std::make_shared<WebSocketStream>(std::move(stream), manager, session_id, after, std::move(subprotocol),
                                               buffer_limit, std::move(connection_slot));
    s->run(std::move(request));
}

}  // namespace agenthost::server
