// SPDX-License-Identifier: MIT
#include "frontend/monitor_server.h"

#include "frontend/monitor.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace frontend {
namespace {

/// A request longer than this (a line, or a JSON object) is refused and the buffer dropped.
constexpr usize kMaxRequest = 64 * 1024;
/// Output a client may leave unread before it is disconnected.
constexpr usize kMaxBacklog = 16 * 1024 * 1024;

constexpr const char* kPrompt = "(tx86) ";

bool set_nonblocking(int fd) {
    const int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

} // namespace

struct MonitorServer::Client {
    int fd = -1;
    std::string in;
    std::string out;
    bool closing = false; ///< peer gone or misbehaving: drop after this pump
    // QMP framing state: brace depth and string/escape tracking over `in`.
    usize scanned = 0;
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    std::unique_ptr<QmpSession> qmp;
};

MonitorServer::MonitorServer(devices::PcBoard& board, Monitor& monitor, Protocol protocol)
    : m_board(board), m_monitor(monitor), m_protocol(protocol) {}

MonitorServer::~MonitorServer() {
    for (auto& c : m_clients) {
        flush(*c);
        close(c->fd);
    }
    if (m_listen_fd >= 0) {
        close(m_listen_fd);
        unlink(m_path.c_str());
    }
}

std::string MonitorServer::listen(const std::string& path) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
        return "socket path '" + path + "' is empty or too long (at most " +
               std::to_string(sizeof(addr.sun_path) - 1) + " bytes)";
    }
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return "'" + path + "' exists and is not a socket";
        }
        unlink(path.c_str()); // a socket left behind by an earlier run
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return std::string("cannot create a socket: ") + std::strerror(errno);
    }
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd, 4) != 0 || !set_nonblocking(fd)) {
        const std::string err = std::strerror(errno);
        close(fd);
        return "cannot listen on '" + path + "': " + err;
    }
    m_listen_fd = fd;
    m_path = path;
    return {};
}

void MonitorServer::add_poll_fds(std::vector<pollfd>& fds) const {
    if (m_listen_fd >= 0) {
        fds.push_back(pollfd{m_listen_fd, POLLIN, 0});
    }
    for (const auto& c : m_clients) {
        fds.push_back(pollfd{c->fd, static_cast<short>(POLLIN | (c->out.empty() ? 0 : POLLOUT)), 0});
    }
}

void MonitorServer::send(Client& c, const std::string& text) {
    c.out += text;
    if (c.out.size() > kMaxBacklog) {
        c.closing = true; // it does not read what it asks for
        return;
    }
    flush(c);
}

void MonitorServer::flush(Client& c) {
    while (!c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c.out.erase(0, static_cast<usize>(n));
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return; // the rest goes when the socket has room (POLLOUT)
        } else {
            c.closing = true;
            c.out.clear();
            return;
        }
    }
}

void MonitorServer::pump() {
    if (m_listen_fd < 0) {
        return;
    }
    for (;;) {
        const int fd = accept4(m_listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            break;
        }
        auto c = std::make_unique<Client>();
        c->fd = fd;
        if (m_protocol == Protocol::Qmp) {
            c->qmp = std::make_unique<QmpSession>(m_board, m_monitor);
            send(*c, QmpSession::greeting() + "\n");
        } else {
            send(*c, std::string("tx86 monitor - type 'help' for more information\n") + kPrompt);
        }
        m_clients.push_back(std::move(c));
    }
    for (auto& c : m_clients) {
        flush(*c);
        for (;;) {
            char buf[4096];
            const ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (n > 0) {
                c->in.append(buf, static_cast<usize>(n));
                handle_input(*c);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                c->closing = true;
            }
            break;
        }
    }
    for (usize i = 0; i < m_clients.size();) {
        if (m_clients[i]->closing) {
            close(m_clients[i]->fd);
            m_clients.erase(m_clients.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            ++i;
        }
    }
}

void MonitorServer::handle_input(Client& c) {
    if (m_protocol == Protocol::Human) {
        usize nl;
        while ((nl = c.in.find('\n')) != std::string::npos) {
            std::string line = c.in.substr(0, nl);
            c.in.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            const std::string out = m_monitor.execute(line);
            send(c, m_monitor.quit_requested() ? out : out + kPrompt);
        }
        if (c.in.size() > kMaxRequest) {
            c.in.clear();
            send(c, "line too long: dropped\n" + std::string(kPrompt));
        }
        return;
    }
    // QMP: one request per top-level JSON object. Scan for where each ends, minding strings.
    while (c.scanned < c.in.size()) {
        const char ch = c.in[c.scanned++];
        if (c.in_string) {
            if (c.escaped) {
                c.escaped = false;
            } else if (ch == '\\') {
                c.escaped = true;
            } else if (ch == '"') {
                c.in_string = false;
            }
            continue;
        }
        if (ch == '"') {
            c.in_string = true;
        } else if (ch == '{' || ch == '[') {
            ++c.depth;
        } else if (ch == '}' || ch == ']') {
            --c.depth;
        }
        const bool stray_newline = c.depth == 0 && ch == '\n';
        if ((c.depth == 0 && (ch == '}' || ch == ']')) || c.depth < 0 || stray_newline) {
            // A complete value, or (at a newline outside any object) whatever text came
            // before it, which the parser then reports as malformed.
            std::string text = c.in.substr(0, c.scanned);
            c.in.erase(0, c.scanned);
            c.scanned = 0;
            c.depth = 0;
            const bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
            if (!blank) {
                send(c, c.qmp->handle(text) + "\n");
            }
        }
    }
    if (c.in.size() > kMaxRequest) {
        c.in.clear();
        c.scanned = 0;
        c.depth = 0;
        c.in_string = false;
        c.escaped = false;
        send(c, QmpSession::error_line("GenericError", "request too long (more than 64 KiB)") + "\n");
    }
}

} // namespace frontend
