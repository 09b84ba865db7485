// SPDX-License-Identifier: MIT
// The gdb remote stub (QEMU's -s, -S, -gdb tcp::PORT): one gdb at a time over TCP. It serves
// qSupported, the target description (qXfer:features:read), registers (g/G/p/P), memory by
// linear address (m/M/X, translated without side effects, frontend/debug_memory.h),
// breakpoints (Z0/Z1, both kept in the CPU's breakpoint set, never written into guest memory),
// watchpoints (Z2/Z3/Z4), single step (s, vCont;s: interrupts held off for the step, as QEMU
// does), continue (c, vCont;c), Ctrl-C, thread queries for the one CPU, detach (D: the guest
// goes on) and kill (k: tx86 quits), and gdb's `monitor` command (qRcmd, frontend/monitor.h).
// Stop replies say why: T05 with swbreak/hwbreak/watch/rwatch/awatch, T02 after Ctrl-C or a
// monitor `stop`, W00 when the guest ends.
//
// Nothing blocks: the board's run loop pumps the stub between CPU runs, and while the guest is
// paused the host loop sleeps in poll() on the stub's sockets (frontend/host_loop.h).
// Not here: packet framing (gdb_packet.h), the register layout (gdb_regs.h).
#pragma once

#include "base/types.h"
#include "frontend/gdb_packet.h"

#include <map>
#include <string>
#include <vector>

struct pollfd;

namespace devices {
class PcBoard;
}

namespace frontend {

class Monitor;

class GdbStub {
public:
    GdbStub(devices::PcBoard& board, Monitor& monitor);
    ~GdbStub();
    GdbStub(const GdbStub&) = delete;
    GdbStub& operator=(const GdbStub&) = delete;

    /// Listens on TCP `host`:`port` (host empty = every interface, as QEMU's tcp::PORT).
    /// Returns an error message, empty on success.
    std::string listen(const std::string& host, u16 port);
    /// The port actually bound (useful when `port` was 0).
    u16 port() const { return m_port; }
    bool connected() const { return m_fd >= 0; }

    void add_poll_fds(std::vector<pollfd>& fds) const;
    /// Accepts a connection, reads and answers packets, notices a stop gdb must hear of.
    void pump();
    /// The board stopped for a debugger (PcBoard::on_debug_stop): true if gdb takes it.
    bool debug_stop();
    /// The run ended with exit status `status`: tells gdb (W packet) and hangs up.
    void guest_exited(int status);

private:
    void accept_client();
    void disconnect();
    void handle_packet(const std::string& p);
    void send_packet(const std::string& payload);
    void send_raw(const std::string& bytes);
    /// The reply to a command that resumes the guest comes later, as a stop reply.
    void resume(bool step);
    std::string stop_reply() const;
    std::string query(const std::string& p);
    std::string read_memory(const std::string& args);
    std::string write_memory(const std::string& args, bool binary);
    std::string breakpoint(const std::string& p, bool insert);
    std::string remote_command(const std::string& hex);
    void apply_breakpoints();
    void apply_watchpoints();
    void clear_debug_state();

    devices::PcBoard& m_board;
    Monitor& m_monitor;
    int m_listen_fd = -1;
    int m_fd = -1;
    u16 m_port = 0;
    gdb::PacketDecoder m_decoder;
    std::string m_last_packet; ///< resent on '-'
    bool m_no_ack = false;
    /// gdb resumed the guest and waits for a stop reply.
    bool m_waiting = false;
    /// Why the guest last stopped (the '?' reply).
    std::string m_last_stop = "T05thread:01;";
    /// Breakpoints by address: bit 0 set by Z0 (software), bit 1 by Z1 (hardware).
    std::map<u64, u8> m_breakpoints;
    /// Watchpoints as gdb set them: Z type ('2' write, '3' read, '4' access), address, length.
    struct WatchRequest {
        char type;
        u64 addr;
        u64 len;
    };
    std::vector<WatchRequest> m_watches;
};

} // namespace frontend
