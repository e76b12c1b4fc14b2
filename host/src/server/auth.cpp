#include "server/auth.hpp"

#include <agenthost/errors.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace agenthost::server {

namespace {

constexpr std::string_view kSubprotocolPrefix = "agenthost.bearer.";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

std::string new_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw ConfigError("cannot make a token: the random generator failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
    }
    return out;
}

}  // namespace

std::string load_or_create_token(const std::filesystem::path& file) {
    const std::string name = file.string();
    int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        std::string token = new_token();
        fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) throw ConfigError("cannot make the token file " + name + ": " + std::strerror(errno));
        ::fchmod(fd, 0600);
        std::string line = token + "\n";
        bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
        ::close(fd);
        if (!ok) throw ConfigError("cannot write the token file " + name);
        return token;
    }
    if (fd < 0) throw ConfigError("cannot read the token file " + name + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw ConfigError("the token file " + name + " is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        throw ConfigError("the token file " + name + " is readable by others (mode 0" +
                          std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                          std::to_string(st.st_mode & 7) + "); make it 0600");
    }
    std::vector<char> buf(4096);
    ssize_t n = ::read(fd, buf.data(), buf.size());
    ::close(fd);
    if (n < 0) throw ConfigError("cannot read the token file " + name);
    std::string token(trim(std::string_view(buf.data(), static_cast<std::size_t>(n))));
    if (token.size() < 16) throw ConfigError("the token file " + name + " holds no token of at least 16 characters");
    for (char c : token) {
        if (c <= ' ' || c > '~') throw ConfigError("the token file " + name + " holds a token with spaces or control characters");
    }
    return token;
}

bool token_matches(std::string_view expected, std::string_view presented) {
    if (expected.empty()) return false;
    if (presented.size() != expected.size()) {
        CRYPTO_memcmp(expected.data(), expected.data(), expected.size());  // the same work either way
        return false;
    }
    return CRYPTO_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    authorization = trim(authorization);
    if (authorization.size() < 7) return std::nullopt;
    std::string scheme(authorization.substr(0, 7));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "bearer ") return std::nullopt;
    return trim(authorization.substr(7));
}

std::optional<std::string> subprotocol_token(std::string_view protocols) {
    while (!protocols.empty()) {
        std::size_t comma = protocols.find(',');
        std::string_view item = trim(protocols.substr(0, comma));
        if (item.substr(0, kSubprotocolPrefix.size()) == kSubprotocolPrefix) {
            return std::string(item.substr(kSubprotocolPrefix.size()));
        }
        if (comma == std::string_view::npos) break;
        protocols.remove_prefix(comma + 1);
    }
    return std::nullopt;
}

}  // namespace agenthost::server
