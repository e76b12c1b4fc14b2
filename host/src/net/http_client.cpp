// The HTTP client. Each connection owns a small io_context that the thread using it drives with
// run_one_for in short steps, so deadlines and the cancel flag are honoured between any two
// socket events, and a kept-alive connection carries everything it needs to the next request.
#include "net/http_client.hpp"

#include "net/name_lookup.hpp"
#include "net/ssrf_guard.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

namespace agenthost {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Kind = HttpError::Kind;

constexpr auto kPollStep = std::chrono::milliseconds(20);  // how often a wait looks at the cancel flag
constexpr std::size_t kReadChunk = 32 * 1024;
constexpr std::size_t kMaxDrain = 1 << 20;  // a redirect body read this far keeps its connection
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

[[noreturn]] void fail(Kind kind, const std::string& message) {
    throw HttpError(kind, message);
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

/// A connection with its own io_context, driven by whichever thread holds it.
struct Connection {
    std::string key;  ///< scheme://host:port[ via proxy]
    std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>(1);
    std::optional<tcp::socket> socket{std::in_place, *ioc};
    std::unique_ptr<ssl::stream<tcp::socket&>> tls;  // destroyed before the socket, both before the io_context
    boost::beast::flat_buffer buffer;
    asio::ip::address remote;    ///< the address it is connected to
    bool absolute_form = false;  ///< through an http proxy: absolute-form targets
    std::string proxy_auth;      ///< Proxy-Authorization for absolute-form requests
    Clock::time_point idle_since;

    void close() {
        error_code ignored;
        socket->close(ignored);
    }
    /// An idle connection the server has not closed and sent nothing on.
    bool still_open() {
        char byte;
        const ssize_t n = ::recv(socket->native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
};

/// One request as it goes from hop to hop.
struct Call {
    const HttpRequest& request;
    Clock::time_point deadline;
    std::string method;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string_view body;  ///< the request's, until a redirect drops it
    bool guarded = false;
};

/// Run `c`'s io_context until `done`; past `until` or on a cancel, close `c` and throw.
void wait(Connection& c, const bool& done, Clock::time_point until, const Call& call, std::string_view what) {
    c.ioc->restart();
    while (!done) {
        if (call.request.cancelled && call.request.cancelled->load(std::memory_order_relaxed)) {
            c.close();
            fail(Kind::cancelled, "cancelled: the request was interrupted while " + std::string(what));
        }
        const auto now = Clock::now();
        if (now >= until) {
            c.close();
            const bool connect = until < call.deadline;
            fail(Kind::timeout,
                 "timeout: " + std::string(what) + " took longer than " +
                     std::to_string(connect ? call.request.connect_timeout.count() : call.request.timeout.count()) +
                     " ms");
        }
        c.ioc->run_one_for(std::min<Clock::duration>(until - now, kPollStep));
    }
}

/// Start an operation with a completion handler and wait for it; its error code.
template <class Start>
error_code await_op(Connection& c, Start&& start, Clock::time_point until, const Call& call, std::string_view what) {
    bool done = false;
    error_code ec;
    start([&done, &ec](error_code e, auto&&...) {
        ec = e;
        done = true;
    });
    wait(c, done, until, call, what);
    return ec;
}

/// The endpoints of host:port, looked up (an IP literal needs no lookup).
std::vector<tcp::endpoint> lookup(const std::string& host, unsigned short port, Clock::time_point until,
                                  const Call& call) {
    std::vector<tcp::endpoint> out;
    for (const auto& a : lookup_host(host, until, call.request.cancelled)) out.emplace_back(a, port);
    return out;
}

/// The system CA store. The hashed certificate folder is searched lazily, per issuer; loading
/// the whole bundle instead costs ~90 ms. SSL_CERT_FILE, or no hashed folder, loads the bundle.
void use_system_trust_store(ssl::context& c) {
    const char* file = std::getenv(X509_get_default_cert_file_env());
    const char* dir_env = std::getenv(X509_get_default_cert_dir_env());
    const std::string dir = dir_env && *dir_env ? dir_env : X509_get_default_cert_dir();
    bool hashed = false;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir.substr(0, dir.find(':')), ec), end; !ec && it != end && !hashed;
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        hashed = name.size() == 10 && name[8] == '.' &&
                 std::all_of(name.begin(), name.begin() + 8, [](unsigned char ch) { return std::isxdigit(ch); });
    }
    if ((file && *file) || !hashed)
        c.set_default_verify_paths();
    else
        c.add_verify_path(dir);
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/// What one exchange on a connection gave.
struct Outcome {
    HttpResponse response;
    std::string location;  ///< set: a redirect to follow
    bool reusable = false;
};

/// The connection failed before the server said anything: a kept-alive connection the server
/// had closed. The request is sent again on a new one.
struct Stale {};

}  // namespace

struct HttpClient::Impl {
    Options options;
    mutable std::mutex mu;
    std::map<std::string, std::vector<std::unique_ptr<Connection>>, std::less<>> idle;
    std::once_flag tls_once;
    std::optional<ssl::context> tls;  // made on the first https connection: loading the CA store takes a while
    std::string tls_error;

    explicit Impl(Options o) : options(std::move(o)) {}

    /// The one TLS context every https connection shares.
    ssl::context& tls_context() {
        std::call_once(tls_once, [this] {
            try {
                ssl::context c(ssl::context::tls_client);
                use_system_trust_store(c);
                if (!options.ca_file.empty()) c.load_verify_file(options.ca_file);
                c.set_verify_mode(ssl::verify_peer);
                c.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                              ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
                tls.emplace(std::move(c));
            } catch (const std::exception& e) {
                tls_error = e.what();
            }
        });
        if (!tls) fail(Kind::network_error, "network_error: TLS setup failed: " + tls_error);
        return *tls;
    }

    /// An idle connection for `key` (connected to one of `allowed`, when given), or null.
    std::unique_ptr<Connection> take(const std::string& key, const std::vector<tcp::endpoint>* allowed) {
        std::vector<std::unique_ptr<Connection>> dead;
        std::unique_ptr<Connection> found;
        {
            std::lock_guard lock(mu);
            auto it = idle.find(key);
            if (it == idle.end()) return nullptr;
            auto& list = it->second;
            const auto now = Clock::now();
            for (std::size_t i = list.size(); i-- > 0;) {
                Connection& c = *list[i];
                if (now - c.idle_since > options.idle_timeout || !c.still_open()) {
                    dead.push_back(std::move(list[i]));
                    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
                    continue;
                }
                if (allowed && std::none_of(allowed->begin(), allowed->end(),
                                            [&](const tcp::endpoint& e) { return e.address() == c.remote; }))
                    continue;
                found = std::move(list[i]);
                list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
                break;
            }
            if (list.empty()) idle.erase(it);
        }
        return found;
    }

    /// Keep `c` for the next request to its key; close expired ones and the oldest past the caps.
    void put(std::unique_ptr<Connection> c) {
        const auto now = Clock::now();
        c->idle_since = now;
        std::vector<std::unique_ptr<Connection>> dropped;  // closed outside the lock
        std::lock_guard lock(mu);
        auto& list = idle[c->key];
        if (list.size() >= options.max_idle_per_host) {
            dropped.push_back(std::move(list.front()));
            list.erase(list.begin());
        }
        list.push_back(std::move(c));
        std::size_t total = 0;
        for (auto it = idle.begin(); it != idle.end();) {
            auto& l = it->second;
            for (auto& conn : l) {
                if (now - conn->idle_since > options.idle_timeout) dropped.push_back(std::move(conn));
            }
            std::erase(l, nullptr);
            total += l.size();
            it = l.empty() ? idle.erase(it) : std::next(it);
        }
        while (total > options.max_idle) {
            auto oldest = idle.begin();
            for (auto it = idle.begin(); it != idle.end(); ++it) {
                if (it->second.front()->idle_since < oldest->second.front()->idle_since) oldest = it;
            }
            dropped.push_back(std::move(oldest->second.front()));
            oldest->second.erase(oldest->second.begin());
            if (oldest->second.empty()) idle.erase(oldest);
            --total;
        }
    }

    std::unique_ptr<Connection> open(const HttpTarget& t, const std::string& key, const std::string& proxy,
                                     const std::vector<tcp::endpoint>& checked, const Call& call);
    Outcome exchange(const HttpTarget& t, const std::vector<tcp::endpoint>& checked, const Call& call, bool follow);
    template <class Stream>
    Outcome transact(Connection& c, Stream& s, const HttpTarget& t, const Call& call, bool follow, bool reused);
};

std::unique_ptr<Connection> HttpClient::Impl::open(const HttpTarget& t, const std::string& key,
                                                   const std::string& proxy, const std::vector<tcp::endpoint>& checked,
                                                   const Call& call) {
    auto c = std::make_unique<Connection>();
    c->key = key;
    const Clock::time_point until = std::min(call.deadline, Clock::now() + call.request.connect_timeout);
    std::optional<HttpTarget> via;
    if (!proxy.empty()) {
        auto parsed = parse_http_url(proxy);
        if (auto* why = std::get_if<std::string>(&parsed))
            fail(Kind::network_error, "network_error: unusable proxy '" + proxy + "': " + *why);
        via = std::get<HttpTarget>(std::move(parsed));
        if (via->tls())
            fail(Kind::network_error, "network_error: proxy '" + proxy + "': only http:// proxies are supported");
    }
    const std::string where = via ? via->host_port() : t.host_port();
    const std::vector<tcp::endpoint> endpoints = via               ? lookup(via->host, via->port, until, call)
                                                 : checked.empty() ? lookup(t.host, t.port, until, call)
                                                                   : checked;

    const error_code ec = await_op(
        *c, [&](auto handler) { asio::async_connect(*c->socket, endpoints, std::move(handler)); }, until, call,
        "connecting to " + where);
    if (ec) fail(Kind::network_error, "network_error: cannot connect to " + where + ": " + ec.message());
    error_code ignored;
    c->remote = c->socket->remote_endpoint(ignored).address();
    c->socket->set_option(tcp::no_delay(true), ignored);

    if (via) {
        const std::string auth = via->userinfo.empty() ? "" : basic_credentials(via->userinfo);
        if (!t.tls()) {
            c->absolute_form = true;
            c->proxy_auth = auth;
        } else {
            const std::string connect = "CONNECT " + t.host_port() + " HTTP/1.1\r\nHost: " + t.host_port() + "\r\n" +
                                        (auth.empty() ? "" : "Proxy-Authorization: " + auth + "\r\n") + "\r\n";
            error_code wec = await_op(
                *c, [&](auto h) { asio::async_write(*c->socket, asio::buffer(connect), std::move(h)); }, until, call,
                "opening a tunnel through " + where);
            http::response_parser<http::empty_body> answer;
            answer.skip(true);
            if (!wec) {
                wec = await_op(
                    *c, [&](auto h) { http::async_read_header(*c->socket, c->buffer, answer, std::move(h)); }, until,
                    call, "opening a tunnel through " + where);
            }
            if (wec) fail(Kind::network_error, "network_error: proxy " + where + ": " + wec.message());
            const int status = answer.get().result_int();
            if (status / 100 != 2 || c->buffer.size() != 0)
                fail(Kind::network_error, "network_error: proxy " + where + " refused CONNECT " + t.host_port() + ": " +
                                              std::to_string(status) + " " + std::string(answer.get().reason()));
        }
    }
    if (t.tls()) {
        c->tls = std::make_unique<ssl::stream<tcp::socket&>>(*c->socket, tls_context());
        if (!t.host_is_ip) SSL_set_tlsext_host_name(c->tls->native_handle(), t.host.c_str());
        c->tls->set_verify_mode(ssl::verify_peer);
        c->tls->set_verify_callback(ssl::host_name_verification(t.host));
        const error_code hec = await_op(
            *c, [&](auto h) { c->tls->async_handshake(ssl::stream_base::client, std::move(h)); }, until, call,
            "the TLS handshake with " + t.host_port());
        if (hec)
            fail(Kind::network_error,
                 "network_error: TLS handshake with " + t.host_port() + " failed: " + hec.message());
    }
    return c;
}

namespace {

bool token_char(unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

/// Header names are tokens; values hold no CR, LF or NUL (no header injection).
void validate(const HttpRequest& r) {
    if (r.method.empty() ||
        !std::all_of(r.method.begin(), r.method.end(), [](unsigned char c) { return token_char(c); }))
        fail(Kind::invalid_request, "invalid_request: bad method '" + r.method + "'");
    for (const auto& [name, value] : r.headers) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char c) { return token_char(c); }))
            fail(Kind::invalid_request, "invalid_request: bad header name '" + name + "'");
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
            fail(Kind::invalid_request, "invalid_request: the value of header '" + name + "' holds a line break");
    }
}

/// The request head: request line, the caller's headers (minus those the client owns), Host,
/// User-Agent, Authorization from the URL, Proxy-Authorization, Content-Length.
std::string request_head(const Connection& c, const HttpTarget& t, const Call& call, const std::string& user_agent) {
    std::string out;
    out.reserve(512);
    out.append(call.method).append(" ").append(c.absolute_form ? t.url : t.target).append(" HTTP/1.1\r\n");
    std::string host_line = "Host: " + t.authority() + "\r\n";
    bool has_agent = false;
    bool has_auth = false;
    std::string rest;
    for (const auto& [name, value] : call.headers) {
        const std::string key = lower(name);
        if (key == "content-length" || key == "transfer-encoding" || key == "connection" || key == "keep-alive" ||
            key == "proxy-connection" || key == "proxy-authorization" || key == "te" || key == "upgrade")
            continue;
        if (key == "host") {
            if (!call.guarded) host_line = "Host: " + value + "\r\n";  // a driver may name a virtual host
            continue;
        }
        has_agent = has_agent || key == "user-agent";
        has_auth = has_auth || key == "authorization";
        rest.append(name).append(": ").append(value).append("\r\n");
    }
    out += host_line;
    if (!has_agent) out.append("User-Agent: ").append(user_agent).append("\r\n");
    if (!has_auth && !t.userinfo.empty())
        out.append("Authorization: ").append(basic_credentials(t.userinfo)).append("\r\n");
    if (c.absolute_form && !c.proxy_auth.empty())
        out.append("Proxy-Authorization: ").append(c.proxy_auth).append("\r\n");
    out += rest;
    if (!call.body.empty() || call.method == "POST" || call.method == "PUT" || call.method == "PATCH")
        out.append("Content-Length: ").append(std::to_string(call.body.size())).append("\r\n");
    out += "\r\n";
    return out;
}

bool closed_early(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

}  // namespace

template <class Stream>
Outcome HttpClient::Impl::transact(Connection& c, Stream& s, const HttpTarget& t, const Call& call, bool follow,
                                   bool reused) {
    const HttpRequest& req = call.request;
    const std::string head = request_head(c, t, call, options.user_agent);
    const std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(call.body.data(), call.body.size())};
    const std::string sending = "sending the request to " + t.url;
    error_code ec = await_op(
        c, [&](auto h) { asio::async_write(s, out, std::move(h)); }, call.deadline, call, sending);
    if (ec && reused) throw Stale{};
    if (ec) fail(Kind::network_error, "network_error: " + t.url + ": sending the request failed: " + ec.message());

    const std::string waiting = "waiting for an answer from " + t.url;
    std::optional<http::response_parser<http::buffer_body>> p;
    for (;;) {  // skip interim 1xx answers
        p.emplace();
        p->header_limit(kHeaderLimit);
        p->body_limit(boost::none);
        if (call.method == "HEAD") p->skip(true);
        ec = await_op(
            c, [&](auto h) { http::async_read_header(s, c.buffer, *p, std::move(h)); }, call.deadline, call, waiting);
        if (ec && reused && !p->got_some() && closed_early(ec)) throw Stale{};
        if (ec) {
            fail(Kind::network_error, "network_error: " + t.url + ": " +
                                          (closed_early(ec) ? std::string("the connection closed before an answer")
                                                            : "no valid answer: " + ec.message()));
        }
        const int status = p->get().result_int();
        if (status < 100 || status >= 200 || status == 101) break;
    }

    Outcome o;
    HttpResponse& r = o.response;
    r.status = p->get().result_int();
    for (const auto& field : p->get()) r.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    if (follow && is_redirect(r.status)) o.location = std::string(p->get()[http::field::location]);

    enum class Sink { keep, stream, discard };
    const Sink sink = !o.location.empty()                  ? Sink::discard
                      : req.on_body && r.status / 100 == 2 ? Sink::stream
                                                           : Sink::keep;
    r.streamed = sink == Sink::stream;
    std::size_t total = 0;
    bool stop = false;
    const std::size_t cap = sink == Sink::stream ? req.max_streamed_bytes : req.max_body_bytes;
    auto deliver = [&](std::string_view bytes) {
        if (sink == Sink::discard) {
            total += bytes.size();
            stop = total > kMaxDrain;
            return;
        }
        if (bytes.size() > cap - total) {
            bytes = bytes.substr(0, cap - total);
            r.truncated = true;
            stop = true;
        }
        total += bytes.size();
        if (bytes.empty()) return;
        if (sink == Sink::keep)
            r.body.append(bytes);
        else if (!req.on_body(bytes))
            stop = true;
    };

    const std::string reading = "reading the answer from " + t.url;
    std::array<char, kReadChunk> buf;
    while (!p->is_done() && !stop) {
        p->get().body().data = buf.data();
        p->get().body().size = buf.size();
        ec = await_op(
            c, [&](auto h) { http::async_read_some(s, c.buffer, *p, std::move(h)); }, call.deadline, call, reading);
        if (ec == http::error::need_buffer) ec = {};
        if (ec == ssl::error::stream_truncated) p->put_eof(ec);  // a TLS peer that closed without close_notify
        deliver(std::string_view(buf.data(), buf.size() - p->get().body().size));
        if (ec) {
            fail(Kind::network_error, "network_error: " + t.url + ": the connection broke after " +
                                          std::to_string(total) + " body bytes: " + ec.message());
        }
    }
    o.reusable = !stop && p->is_done() && p->get().keep_alive() && !p->need_eof() && c.buffer.size() == 0;
    return o;
}

Outcome HttpClient::Impl::exchange(const HttpTarget& t, const std::vector<tcp::endpoint>& checked, const Call& call,
                                   bool follow) {
    const std::string proxy = options.proxy.proxy_for(t);
    const std::string key = t.scheme + "://" + t.host_port() + (proxy.empty() ? "" : " via " + proxy);
    for (int attempt = 0;; ++attempt) {
        std::unique_ptr<Connection> c =
            attempt == 0 ? take(key, call.guarded && proxy.empty() ? &checked : nullptr) : nullptr;
        const bool reused = c != nullptr;
        if (!c) c = open(t, key, proxy, checked, call);
        try {
            Outcome o = c->tls ? transact(*c, *c->tls, t, call, follow, reused)
                               : transact(*c, *c->socket, t, call, follow, reused);
            if (o.reusable) put(std::move(c));
            return o;
        } catch (const Stale&) {
            continue;  // a reused connection only: the next attempt opens a new one
        }
    }
}

HttpResponse HttpClient::send(const HttpRequest& request) {
    validate(request);
    Call call{request,      Clock::now() + request.timeout, request.method, request.headers,
              request.body, request.access != nullptr};
    std::string url = request.url;
    for (int redirects = 0;; ++redirects) {
        auto parsed = parse_http_url(url);
        if (auto* why = std::get_if<std::string>(&parsed)) {
            if (redirects == 0) fail(Kind::invalid_request, "invalid_request: " + url + ": " + *why);
            fail(Kind::network_error, "network_error: redirected to " + url + ": " + *why);
        }
        const HttpTarget& t = std::get<HttpTarget>(parsed);
        std::vector<tcp::endpoint> checked;
        if (request.access) {
            const auto decision = request.access->check(t.url);
            if (!decision.allowed) fail(Kind::denied, "network access: " + t.url + " refused by " + decision.rule);
            checked = lookup(t.host, t.port, std::min(call.deadline, Clock::now() + request.connect_timeout), call);
            std::vector<asio::ip::address> addresses;
            for (const auto& e : checked) addresses.push_back(e.address());
            if (auto why = ssrf_refusal(t.host, addresses, request.access->names_explicitly(t.url)))
                fail(Kind::denied, *why);
        }
        Outcome o = impl_->exchange(t, checked, call, request.follow_redirects);
        if (o.location.empty()) {
            o.response.final_url = t.url;
            return std::move(o.response);
        }
        if (redirects >= request.max_redirects) {
            fail(Kind::too_many_redirects, "too_many_redirects: " + request.url + " redirected more than " +
                                               std::to_string(request.max_redirects) + " times (last to " + o.location +
                                               ")");
        }
        auto next = resolve_redirect(t.url, o.location);
        if (!next)
            fail(Kind::network_error,
                 "network_error: " + t.url + " redirected to an unusable location '" + o.location + "'");
        const int status = o.response.status;
        if ((status == 303 && call.method != "HEAD") || ((status == 301 || status == 302) && call.method == "POST")) {
            call.method = "GET";
            call.body = {};
            std::erase_if(call.headers, [](const auto& h) { return lower(h.first) == "content-type"; });
        }
        auto origin = parse_http_url(*next);
        if (const auto* n = std::get_if<HttpTarget>(&origin);
            !n || n->scheme != t.scheme || n->host != t.host || n->port != t.port) {
            std::erase_if(call.headers, [](const auto& h) {
                const std::string k = lower(h.first);
                return k == "authorization" || k == "cookie" || k == "x-api-key" || k == "api-key";
            });
        }
        url = std::move(*next);
    }
}

HttpClient::HttpClient(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

std::size_t HttpClient::idle_connections() const {
    std::lock_guard lock(impl_->mu);
    std::size_t n = 0;
    for (const auto& [key, list] : impl_->idle) n += list.size();
    return n;
}

HttpClient& HttpClient::shared() {
    static HttpClient client([] {
        Options o;
        o.proxy = ProxyConfig::from_environment();
        return o;
    }());
    return client;
}

std::string HttpResponse::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) return v;
    }
    return {};
}

}  // namespace agenthost
