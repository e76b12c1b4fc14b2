#include "net/name_lookup.hpp"

#include "net/http_client.hpp"
#include "net/ssrf_guard.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace agenthost {

std::vector<boost::asio::ip::address> lookup_host(const std::string& host, std::chrono::steady_clock::time_point until,
                                                  const std::atomic<bool>* cancelled) {
    namespace ip = boost::asio::ip;
    using Kind = HttpError::Kind;
    if (auto literal = parse_ip_host(host.find(':') != std::string::npos ? "[" + host + "]" : host)) return {*literal};
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
        int rc = 0;
        std::vector<ip::address> addresses;
    };
    auto state = std::make_shared<State>();
    std::thread([state, host] {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* list = nullptr;
        const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
        std::vector<ip::address> out;
        for (const addrinfo* ai = list; rc == 0 && ai; ai = ai->ai_next) {
            ip::address a;
            if (ai->ai_family == AF_INET) {
                const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
                a = ip::address_v4(ntohl(sin->sin_addr.s_addr));
            } else if (ai->ai_family == AF_INET6) {
                const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
                ip::address_v6::bytes_type bytes;
                std::copy_n(sin6->sin6_addr.s6_addr, 16, bytes.begin());
                a = ip::address_v6(bytes, sin6->sin6_scope_id);
            } else {
                continue;
            }
            if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
        }
        if (list) ::freeaddrinfo(list);
        std::lock_guard lock(state->mu);
        state->rc = rc;
        state->addresses = std::move(out);
        state->done = true;
        state->cv.notify_all();
    }).detach();

    std::unique_lock lock(state->mu);
    while (!state->done) {
        if (cancelled && cancelled->load(std::memory_order_relaxed))
            throw HttpError(Kind::cancelled, "cancelled: the request was interrupted while looking up " + host);
        const auto now = std::chrono::steady_clock::now();
        if (now >= until) throw HttpError(Kind::timeout, "timeout: looking up " + host + " took too long");
        state->cv.wait_until(lock, std::min(until, now + std::chrono::milliseconds(20)));
    }
    if (state->rc != 0)
        throw HttpError(Kind::network_error,
                        "network_error: cannot resolve " + host + ": " + ::gai_strerror(state->rc));
    if (state->addresses.empty()) throw HttpError(Kind::network_error, "network_error: " + host + " has no address");
    return std::move(state->addresses);
}

}  // namespace agenthost
