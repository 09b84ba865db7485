// SPDX-License-Identifier: MIT
// HostLoop: the frontend's devices::HostEvents. Between CPU runs it pumps every host input: the
// serial console, the gdb stub and the monitor sockets; while the guest is idle (HLT) or paused
// it sleeps in one poll() on all their descriptors, so a keystroke, a gdb packet or a monitor
// command wakes it at once. Not here: what the inputs mean (console.h, gdb_stub.h,
// monitor_server.h).
#pragma once

#include "devices/board/host_events.h"

#include <vector>

namespace frontend {

class Console;
class GdbStub;
class MonitorServer;

class HostLoop final : public devices::HostEvents {
public:
    /// `sleep_when_idle`: false skips idle time instead of waiting (QEMU's -icount sleep=off).
    HostLoop(Console& console, bool sleep_when_idle) : m_console(console), m_sleep(sleep_when_idle) {}

    void set_gdb(GdbStub* gdb) { m_gdb = gdb; }
    void add_monitor(MonitorServer* server) { m_monitors.push_back(server); }

    bool pump(devices::PcBoard& board) override;
    u64 wait(u64 max_ns) override;

private:
    Console& m_console;
    bool m_sleep;
    GdbStub* m_gdb = nullptr;
    std::vector<MonitorServer*> m_monitors;
    /// steady_clock nanoseconds of the last pump that polled the inputs (see pump()).
    u64 m_last_poll_ns = 0;
};

} // namespace frontend
