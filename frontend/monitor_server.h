// SPDX-License-Identifier: MIT
// The monitor on a Unix socket (QEMU's `-monitor unix:PATH,server,nowait` and
// `-qmp unix:PATH,server,nowait`): listens, accepts any number of clients, reads without
// blocking and answers each request. The human protocol is lines in, text and a "(tx86) "
// prompt out; the QMP protocol is JSON objects in (split by brace matching, so newlines are
// optional), one JSON line out (frontend/qmp.h). Output a client does not read yet waits in a
// per-client buffer, so a slow client never stalls the guest. Not here: the commands
// (frontend/monitor.h).
#pragma once

#include "frontend/qmp.h"

#include <memory>
#include <string>
#include <vector>

struct pollfd;

namespace devices {
class PcBoard;
}

namespace frontend {

class Monitor;

class MonitorServer {
public:
    enum class Protocol { Human, Qmp };

    MonitorServer(devices::PcBoard& board, Monitor& monitor, Protocol protocol);
    ~MonitorServer();
    MonitorServer(const MonitorServer&) = delete;
    MonitorServer& operator=(const MonitorServer&) = delete;

    /// Creates the socket at `path` (a stale socket file there is replaced). Returns an error
    /// message, empty on success.
    std::string listen(const std::string& path);
    /// Appends the descriptors to wait on (the listening socket, each client).
    void add_poll_fds(std::vector<pollfd>& fds) const;
    /// Accepts, reads and answers without blocking.
    void pump();

private:
    struct Client;
    void handle_input(Client& c);
    void flush(Client& c);
    void send(Client& c, const std::string& text);

    devices::PcBoard& m_board;
    Monitor& m_monitor;
    Protocol m_protocol;
    int m_listen_fd = -1;
    std::string m_path;
    std::vector<std::unique_ptr<Client>> m_clients;
};

} // namespace frontend
