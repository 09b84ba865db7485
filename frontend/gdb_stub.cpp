// SPDX-License-Identifier: MIT
#include "frontend/gdb_stub.h"

#include "cpu/cpu.h"
#include "devices/board/pc.h"
#include "frontend/debug_memory.h"
#include "frontend/gdb_regs.h"
#include "frontend/monitor.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace frontend {
namespace {

/// Our PacketSize (hex, as qSupported says it): the largest packet gdb may send us.
constexpr const char* kPacketSizeHex = "4000";
/// Largest m reply in bytes of memory (two hex digits each, with room for the framing).
constexpr u64 kMaxMemoryRead = 0x1000;
/// How long a reply may wait for room in the socket before the connection is given up.
constexpr int kSendTimeoutMs = 10000;

std::string hex_byte(unsigned v) {
    char buf[4];
    std::snprintf(buf, sizeof(buf), "%02x", v & 0xFF);
    return buf;
}

std::string hex_number(u64 v) {
    char buf[24];
    std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
    return buf;
}

/// Splits "a,b" (or "a,b:rest" / "a,b;rest") into two hex numbers and whatever follows the
/// separator after b.
bool parse_pair(const std::string& s, u64& a, u64& b, std::string* rest = nullptr, char sep = ':') {
    const auto comma = s.find(',');
    if (comma == std::string::npos) {
        return false;
    }
    auto end = s.find(sep, comma + 1);
    if (rest) {
        if (end == std::string::npos) {
            return false;
        }
        *rest = s.substr(end + 1);
    } else {
        end = s.find_first_of(";:", comma + 1);
    }
    const std::string second = s.substr(comma + 1, end == std::string::npos ? std::string::npos : end - comma - 1);
    return gdb::parse_hex_number(s.substr(0, comma), a) && gdb::parse_hex_number(second, b);
}

} // namespace

GdbStub::GdbStub(devices::PcBoard& board, Monitor& monitor) : m_board(board), m_monitor(monitor) {}

GdbStub::~GdbStub() {
    if (m_fd >= 0) {
        close(m_fd);
    }
    if (m_listen_fd >= 0) {
        close(m_listen_fd);
    }
}

std::string GdbStub::listen(const std::string& host, u16 port) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0 || !res) {
        return "gdb stub: cannot resolve '" + host + "': " + gai_strerror(rc);
    }
    const int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return std::string("gdb stub: cannot create a socket: ") + std::strerror(errno);
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 1) != 0) {
        const std::string err = std::strerror(errno);
        freeaddrinfo(res);
        close(fd);
        return "gdb stub: cannot listen on " + (host.empty() ? std::string("port ") : host + ":") +
               service + ": " + err;
    }
    freeaddrinfo(res);
    sockaddr_in bound{};
    socklen_t len = sizeof(bound);
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    m_port = ntohs(bound.sin_port);
    m_listen_fd = fd;
    return {};
}

void GdbStub::add_poll_fds(std::vector<pollfd>& fds) const {
    if (m_listen_fd >= 0) {
        fds.push_back(pollfd{m_listen_fd, POLLIN, 0});
    }
    if (m_fd >= 0) {
        fds.push_back(pollfd{m_fd, POLLIN, 0});
    }
}

void GdbStub::accept_client() {
    const int fd = accept4(m_listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    if (m_fd >= 0) {
        close(fd); // one debugger at a time
        return;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    m_fd = fd;
    m_decoder = gdb::PacketDecoder{};
    m_no_ack = false;
    m_waiting = false;
    m_last_packet.clear();
    m_last_stop = "T05thread:01;";
    // gdb expects a stopped target when it attaches (QEMU stops the VM too).
    m_board.pause();
}

void GdbStub::clear_debug_state() {
    m_breakpoints.clear();
    m_watches.clear();
    apply_breakpoints();
    apply_watchpoints();
}

void GdbStub::disconnect() {
    if (m_fd < 0) {
        return;
    }
    close(m_fd);
    m_fd = -1;
    m_waiting = false;
    // Nobody is left to resume a paused guest or to hear of its breakpoints.
    clear_debug_state();
    if (m_board.paused()) {
        m_board.resume();
    }
}

void GdbStub::send_raw(const std::string& bytes) {
    usize done = 0;
    while (m_fd >= 0 && done < bytes.size()) {
        const ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<usize>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            pollfd p{m_fd, POLLOUT, 0};
            if (poll(&p, 1, kSendTimeoutMs) > 0) {
                continue;
            }
        }
        disconnect(); // gone, or not reading at all
    }
}

void GdbStub::send_packet(const std::string& payload) {
    m_last_packet = gdb::frame(payload);
    send_raw(m_last_packet);
}

void GdbStub::pump() {
    if (m_listen_fd >= 0) {
        accept_client();
    }
    std::vector<gdb::PacketDecoder::Event> events;
    while (m_fd >= 0) {
        u8 buf[4096];
        const ssize_t n = recv(m_fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            disconnect();
            return;
        }
        if (n < 0) {
            break;
        }
        events.clear();
        m_decoder.feed(buf, static_cast<usize>(n), events);
        for (const auto& e : events) {
            if (m_fd < 0) {
                return;
            }
            switch (e.kind) {
            case gdb::PacketDecoder::Event::Packet:
                if (!m_no_ack) {
                    send_raw("+");
                }
                handle_packet(e.payload);
                break;
            case gdb::PacketDecoder::Event::BadChecksum:
                if (!m_no_ack) {
                    send_raw("-");
                }
                break;
            case gdb::PacketDecoder::Event::Interrupt:
                if (m_waiting) {
                    m_board.pause(); // between two CPU runs: the state is consistent
                }
                break;
            case gdb::PacketDecoder::Event::Nack:
                if (!m_no_ack && !m_last_packet.empty()) {
                    send_raw(m_last_packet);
                }
                break;
            case gdb::PacketDecoder::Event::Ack: break;
            }
        }
    }
    // Paused by Ctrl-C or by the monitor while gdb waits: it hears of it as an interrupt.
    if (m_fd >= 0 && m_waiting && m_board.paused()) {
        m_waiting = false;
        m_last_stop = "T02thread:01;";
        send_packet(m_last_stop);
    }
}

bool GdbStub::debug_stop() {
    if (m_fd < 0) {
        return false;
    }
    m_last_stop = stop_reply();
    if (m_waiting) {
        m_waiting = false;
        send_packet(m_last_stop);
    }
    return true;
}

void GdbStub::guest_exited(int status) {
    if (m_fd < 0) {
        return;
    }
    std::string reply = "W"; // appended, not "W" + ...: GCC 12 warns falsely (-Wrestrict) on that
    reply += hex_byte(static_cast<unsigned>(status));
    send_packet(reply);
    close(m_fd);
    m_fd = -1;
}

std::string GdbStub::stop_reply() const {
    const cpu::DebugHit& hit = m_board.cpu().debug_hit;
    std::string r = "T05thread:01;";
    if (hit.kind == cpu::DebugHit::Breakpoint) {
        const auto it = m_breakpoints.find(hit.addr);
        const bool software = it != m_breakpoints.end() && (it->second & 1);
        r += software ? "swbreak:;" : "hwbreak:;";
    } else if (hit.kind == cpu::DebugHit::Watch) {
        const cpu::Watchpoint& w = hit.watch;
        const char* what = w.kind == cpu::Watchpoint::Write  ? "watch"
                           : w.kind == cpu::Watchpoint::Read ? "rwatch"
                                                             : "awatch";
        // gdb matches the address against its watched ranges: report one inside the range.
        const u64 addr = hit.addr >= w.lin && hit.addr < w.lin + w.len ? hit.addr : w.lin;
        r += std::string(what) + ":" + hex_number(addr) + ";";
    }
    return r;
}

void GdbStub::resume(bool step) {
    m_waiting = true;
    if (step) {
        if (!m_board.paused()) {
            m_board.pause();
        }
        m_board.request_step();
    } else {
        m_board.resume();
    }
}

void GdbStub::handle_packet(const std::string& p) {
    if (p.empty()) {
        send_packet("");
        return;
    }
    cpu::Cpu& c = m_board.cpu();
    const std::string args = p.substr(1);
    switch (p[0]) {
    case '?': send_packet(m_last_stop); return;
    case 'g': {
        const std::vector<u8> regs = gdb::read_all_registers(c);
        send_packet(gdb::to_hex(regs.data(), regs.size()));
        return;
    }
    case 'G': {
        std::vector<u8> bytes;
        send_packet(gdb::from_hex(args, bytes) && gdb::write_all_registers(c, bytes) ? "OK" : "E01");
        return;
    }
    case 'p': {
        u64 n = 0;
        if (!gdb::parse_hex_number(args, n) || n >= gdb::register_count()) {
            send_packet("E01");
            return;
        }
        const std::vector<u8> v = gdb::read_register(c, static_cast<unsigned>(n));
        send_packet(gdb::to_hex(v.data(), v.size()));
        return;
    }
    case 'P': {
        const auto eq = args.find('=');
        u64 n = 0;
        std::vector<u8> bytes;
        const bool ok = eq != std::string::npos && gdb::parse_hex_number(args.substr(0, eq), n) &&
                        n < gdb::register_count() && gdb::from_hex(args.substr(eq + 1), bytes) &&
                        gdb::write_register(c, static_cast<unsigned>(n), bytes);
        send_packet(ok ? "OK" : "E01");
        return;
    }
    case 'm': send_packet(read_memory(args)); return;
    case 'M': send_packet(write_memory(args, false)); return;
    case 'X': send_packet(write_memory(args, true)); return;
    case 'c':
    case 's': {
        u64 addr = 0;
        if (!args.empty()) {
            if (!gdb::parse_hex_number(args, addr)) {
                send_packet("E01");
                return;
            }
            c.s.rip = addr;
        }
        resume(p[0] == 's');
        return;
    }
    case 'C':
    case 'S':
        // The signal number means nothing to a machine; "C sig;addr" resumes at addr.
        if (const auto semi = args.find(';'); semi != std::string::npos) {
            u64 addr = 0;
            if (gdb::parse_hex_number(args.substr(semi + 1), addr)) {
                c.s.rip = addr;
            }
        }
        resume(p[0] == 'S');
        return;
    case 'v':
        if (p == "vCont?") {
            send_packet("vCont;c;C;s;S");
        } else if (p.rfind("vCont;", 0) == 0) {
            // One CPU: the first action decides (a thread suffix ":1" or none applies to it).
            const char action = p.size() > 6 ? p[6] : 0;
            if (action == 's' || action == 'S') {
                resume(true);
            } else if (action == 'c' || action == 'C') {
                resume(false);
            } else {
                send_packet("E01");
            }
        } else if (p.rfind("vKill", 0) == 0) {
            send_packet("OK");
            m_board.request_quit();
        } else {
            send_packet(""); // vMustReplyEmpty and everything we do not support
        }
        return;
    case 'q':
    case 'Q': {
        const std::string r = query(p);
        send_packet(r);
        if (p == "QStartNoAckMode") {
            m_no_ack = true; // from the next packet on (this one was acknowledged)
        }
        return;
    }
    case 'H':
    case 'T': send_packet("OK"); return;
    case 'Z':
    case 'z': send_packet(breakpoint(p, p[0] == 'Z')); return;
    case 'D':
        send_packet("OK");
        clear_debug_state();
        m_waiting = false;
        m_board.resume();
        return;
    case 'k':
        // gdb's kill: as QEMU does, end the emulator.
        clear_debug_state();
        m_board.request_quit();
        return;
    default: send_packet(""); return;
    }
}

std::string GdbStub::query(const std::string& p) {
    if (p.rfind("qSupported", 0) == 0) {
        return std::string("PacketSize=") + kPacketSizeHex +
               ";qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+";
    }
    if (p == "QStartNoAckMode") {
        return "OK";
    }
    if (p.rfind("qAttached", 0) == 0) {
        return "1"; // attached to an existing process: gdb detaches rather than kills on quit
    }
    if (p == "qC") {
        return "QC1";
    }
    if (p == "qfThreadInfo") {
        return "m1";
    }
    if (p == "qsThreadInfo") {
        return "l";
    }
    if (p.rfind("qThreadExtraInfo,", 0) == 0) {
        return gdb::to_hex(std::string("CPU#0 [") + (m_board.paused() ? "paused" : "running") + "]");
    }
    if (p.rfind("qSymbol", 0) == 0) {
        return "OK";
    }
    if (p.rfind("qRcmd,", 0) == 0) {
        return remote_command(p.substr(6));
    }
    static const std::string kXfer = "qXfer:features:read:";
    if (p.rfind(kXfer, 0) == 0) {
        const std::string rest = p.substr(kXfer.size());
        const auto colon = rest.find(':');
        if (colon == std::string::npos || rest.substr(0, colon) != "target.xml") {
            return "E00";
        }
        u64 offset = 0, length = 0;
        if (!parse_pair(rest.substr(colon + 1), offset, length)) {
            return "E00";
        }
        const std::string& xml = gdb::target_xml();
        if (offset >= xml.size()) {
            return "l";
        }
        const std::string part = xml.substr(offset, length);
        return (offset + part.size() >= xml.size() ? "l" : "m") + part;
    }
    return "";
}

std::string GdbStub::remote_command(const std::string& hex) {
    std::vector<u8> bytes;
    if (!gdb::from_hex(hex, bytes)) {
        return "E01";
    }
    const std::string out = m_monitor.execute(std::string(bytes.begin(), bytes.end()));
    // Console output goes as O packets before the final OK.
    for (usize i = 0; i < out.size() && m_fd >= 0; i += 512) {
        std::string packet = "O";
        packet += gdb::to_hex(out.substr(i, 512));
        send_packet(packet);
    }
    return "OK";
}

std::string GdbStub::read_memory(const std::string& args) {
    u64 addr = 0, len = 0;
    if (!parse_pair(args, addr, len)) {
        return "E01";
    }
    len = std::min(len, kMaxMemoryRead);
    std::vector<u8> buf(len);
    // Whole pages as long as they are readable: gdb accepts a shorter reply.
    u64 got = 0;
    while (got < len) {
        const u64 a = addr + got;
        const u64 chunk = std::min<u64>(len - got, 0x1000 - (a & 0xFFF));
        if (!debug_read_linear(m_board.cpu(), a, buf.data() + got, chunk)) {
            break;
        }
        got += chunk;
    }
    if (got == 0 && len > 0) {
        return "E14";
    }
    return gdb::to_hex(buf.data(), got);
}

std::string GdbStub::write_memory(const std::string& args, bool binary) {
    u64 addr = 0, len = 0;
    std::string data;
    if (!parse_pair(args, addr, len, &data)) {
        return "E01";
    }
    std::vector<u8> bytes;
    if (binary) {
        bytes.assign(data.begin(), data.end());
    } else if (!gdb::from_hex(data, bytes)) {
        return "E01";
    }
    if (bytes.size() != len) {
        return "E01";
    }
    if (len == 0) {
        return "OK"; // gdb probes X support this way
    }
    return debug_write_linear(m_board.cpu(), addr, bytes.data(), bytes.size()) ? "OK" : "E14";
}

std::string GdbStub::breakpoint(const std::string& p, bool insert) {
    // Ztype,addr,kind  (a ";cond..." list after kind is ignored: conditions stay in gdb)
    if (p.size() < 3 || p[2] != ',') {
        return "E01";
    }
    const char type = p[1];
    u64 addr = 0, kind = 0;
    if (!parse_pair(p.substr(3), addr, kind)) {
        return "E01";
    }
    if (type == '0' || type == '1') {
        const u8 bit = type == '0' ? 1 : 2;
        if (insert) {
            m_breakpoints[addr] |= bit;
        } else if (auto it = m_breakpoints.find(addr); it != m_breakpoints.end()) {
            it->second = static_cast<u8>(it->second & ~bit);
            if (it->second == 0) {
                m_breakpoints.erase(it);
            }
        }
        apply_breakpoints();
        return "OK";
    }
    if (type == '2' || type == '3' || type == '4') {
        if (kind == 0 || kind > 0x1000) {
            return "E22";
        }
        if (insert) {
            m_watches.push_back(WatchRequest{type, addr, kind});
        } else {
            const auto it = std::find_if(m_watches.begin(), m_watches.end(), [&](const WatchRequest& w) {
                return w.type == type && w.addr == addr && w.len == kind;
            });
            if (it != m_watches.end()) {
                m_watches.erase(it);
            }
        }
        apply_watchpoints();
        return "OK";
    }
    return ""; // unsupported breakpoint type
}

void GdbStub::apply_breakpoints() {
    std::vector<u64> addrs;
    for (const auto& [a, kinds] : m_breakpoints) {
        addrs.push_back(a);
    }
    if (addrs != m_board.cpu().breakpoints()) {
        m_board.cpu().set_breakpoints(std::move(addrs));
    }
}

void GdbStub::apply_watchpoints() {
    std::vector<cpu::Watchpoint> ws;
    for (const WatchRequest& w : m_watches) {
        cpu::Watchpoint cw;
        cw.lin = w.addr;
        cw.len = static_cast<u32>(w.len);
        cw.kind = w.type == '2' ? cpu::Watchpoint::Write
                  : w.type == '3' ? cpu::Watchpoint::Read
                                  : cpu::Watchpoint::Access;
        ws.push_back(cw);
    }
    if (ws != m_board.cpu().watchpoints()) {
        m_board.cpu().set_watchpoints(std::move(ws));
    }
}

} // namespace frontend
