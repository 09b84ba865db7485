// SPDX-License-Identifier: MIT
// A QMP-like JSON protocol for programs (-qmp unix:PATH,server,nowait): the greeting
// {"QMP": {...}}, capability negotiation, and the commands qmp_capabilities, stop, cont,
// query-status, query-registers (a structured register set), query-commands, quit and
// human-monitor-command (any monitor command line, its text as the return value). Replies carry
// the request's "id"; errors are {"error": {"class": ..., "desc": ...}}; malformed JSON gets an
// error reply. One QmpSession per connection; no sockets here (frontend/monitor_server.h).
#pragma once

#include "frontend/json.h"

#include <string>
#include <string_view>

namespace devices {
class PcBoard;
}

namespace frontend {

class Monitor;

/// The registers query-registers returns, as a JSON object (also handy for tests).
json::Value registers_json(devices::PcBoard& board);

class QmpSession {
public:
    QmpSession(devices::PcBoard& board, Monitor& monitor) : m_board(board), m_monitor(monitor) {}

    /// The greeting sent when a client connects (one line, no trailing newline).
    static std::string greeting();
    /// An error reply (one line) not tied to a request.
    static std::string error_line(const std::string& error_class, const std::string& desc);
    /// Handles one JSON text (one request); returns the reply (one line, no trailing newline).
    std::string handle(std::string_view text);

private:
    json::Value execute(const std::string& command, const json::Value* arguments);

    devices::PcBoard& m_board;
    Monitor& m_monitor;
    bool m_negotiated = false;
};

} // namespace frontend
