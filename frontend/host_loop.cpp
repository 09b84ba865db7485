// SPDX-License-Identifier: MIT
#include "frontend/host_loop.h"

#include "frontend/console.h"
#include "frontend/gdb_stub.h"
#include "frontend/monitor_server.h"

#include <algorithm>
#include <chrono>
#include <poll.h>

namespace frontend {
namespace {

/// Longest single sleep: signals and quit requests are noticed at least this often.
constexpr u64 kMaxSleepMs = 100;

/// While the guest runs, the inputs are polled at most this often. The board pumps between
/// every two CPU runs, which end at each timer deadline: a Linux boot made about 25,000
/// poll() calls a second, 3% of its host time, for input that a person types far slower.
constexpr u64 kPollIntervalNs = 1'000'000;

u64 steady_ns() {
    return static_cast<u64>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

} // namespace

bool HostLoop::pump(devices::PcBoard& board) {
    if (g_quit_signal) {
        return false;
    }
    const u64 now = steady_ns();
    if (now - m_last_poll_ns < kPollIntervalNs) {
        return true;
    }
    m_last_poll_ns = now;
    if (!m_console.pump(board)) {
        return false;
    }
    if (m_gdb) {
        m_gdb->pump();
    }
    for (MonitorServer* m : m_monitors) {
        m->pump();
    }
    return !g_quit_signal;
}

u64 HostLoop::wait(u64 max_ns) {
    if (!m_sleep && max_ns != kUntilInput) {
        return max_ns; // the virtual clock jumps to the next event at once
    }
    const u64 start = steady_ns();
    const int ms = static_cast<int>(std::min<u64>(max_ns / 1'000'000, kMaxSleepMs));
    std::vector<pollfd> fds;
    if (const int fd = m_console.input_fd(); fd >= 0) {
        fds.push_back(pollfd{fd, POLLIN, 0});
    }
    if (m_gdb) {
        m_gdb->add_poll_fds(fds);
    }
    for (const MonitorServer* m : m_monitors) {
        m->add_poll_fds(fds);
    }
    if (ms > 0 || !fds.empty()) {
        poll(fds.data(), fds.size(), ms);
    }
    m_last_poll_ns = 0; // whatever woke the poll is read by the next pump at once
    return std::max<u64>(steady_ns() - start, max_ns < 1'000'000 ? max_ns : 0);
}
} // namespace frontend
