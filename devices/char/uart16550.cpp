// SPDX-License-Identifier: MIT
// 16550A UART. Facts from the National/TI PC16550D datasheet: IIR identification values and
// priorities (0x6 receiver line status, 0x4 received data available, 0xC character timeout,
// 0x2 THR empty, 0x0 modem status; bit 0 set = none pending; bits 7-6 set when FIFOs are
// enabled), what clears each source (reading LSR; the FIFO dropping below the trigger level;
// reading RBR; reading IIR while THRE is the source, or writing THR; reading MSR), the FCR
// trigger levels 1/4/8/14, the character timeout after four character times without FIFO
// activity, and loopback: MCR bits DTR, RTS, OUT1, OUT2 appear as DSR, CTS, RI, DCD, and
// the transmitter feeds the receiver. On the PC the IRQ line is enabled by OUT2, which
// loopback forces inactive.
#include "devices/char/uart16550.h"

#include "devices/scheduler.h"

namespace devices {

namespace {
enum : u8 {
    kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40,
    kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10,
    kIerRx = 0x01, kIerThre = 0x02, kIerLsr = 0x04, kIerMsr = 0x08,
    kIirNone = 0x01, kIirLsr = 0x06, kIirRx = 0x04, kIirTimeout = 0x0C, kIirThre = 0x02,
    kIirMsr = 0x00,
};
} // namespace

Uart16550::Uart16550(CharSink& sink, u16 base, IrqLine irq, Scheduler* sched)
    : m_sink(sink), m_base(base), m_irq(irq), m_sched(sched) {
    if (m_sched) {
        m_timer = m_sched->create_timer("uart-timeout", [this](u64 d) { on_timeout(d); });
    }
    reset(ResetKind::PowerOn);
}

void Uart16550::reset(ResetKind) {
    m_rx.clear();
    m_divisor = 12;
    m_ier = 0;
    m_fcr = 0;
    m_lcr = 0;
    m_mcr = 0;
    m_lsr_err = 0;
    m_msr_delta = 0;
    m_scr = 0;
    m_thri = false;
    m_timeout = false;
    if (m_sched) {
        m_sched->cancel(m_timer);
    }
    fill_rx();
    update_irq();
}

size_t Uart16550::trigger_level() const {
    static constexpr u8 kLevels[4] = {1, 4, 8, 14};
    return kLevels[m_fcr >> 6];
}

u8 Uart16550::modem_inputs() const {
    if (!(m_mcr & kMcrLoop)) {
        return 0xB0; // a connected line: CTS, DSR and DCD asserted, no ring
    }
    return static_cast<u8>(((m_mcr & kMcrRts) ? 0x10 : 0) | ((m_mcr & kMcrDtr) ? 0x20 : 0) |
                           ((m_mcr & kMcrOut1) ? 0x40 : 0) | ((m_mcr & kMcrOut2) ? 0x80 : 0));
}

u64 Uart16550::char_time_ns() const {
    const u64 bits = 1 + 5 + (m_lcr & 3) + ((m_lcr & 0x08) ? 1 : 0) + ((m_lcr & 0x04) ? 2 : 1);
    const u64 div = m_divisor ? m_divisor : 65536;
    return div * 16 * bits * 1000000000ull / 1843200;
}

void Uart16550::restart_timeout() {
    if (!fifo_enabled() || m_rx.empty()) {
        m_timeout = false;
        if (m_sched) {
            m_sched->cancel(m_timer);
        }
        return;
    }
    if (m_sched) {
        m_timeout = false;
        m_sched->arm_in(m_timer, 4 * char_time_ns());
    } else {
        m_timeout = true;
    }
}

void Uart16550::on_timeout(u64) {
    if (fifo_enabled() && !m_rx.empty()) {
        m_timeout = true;
        update_irq();
    }
}

void Uart16550::receive(u8 byte) {
    if (m_rx.size() >= rx_capacity()) {
        m_lsr_err |= kLsrOe; // the new character is lost
        return;
    }
    m_rx.push_back(byte);
}

void Uart16550::fill_rx() {
    if (m_mcr & kMcrLoop) {
        return; // loopback disconnects the receiver from the line
    }
    bool moved = false;
    while (!m_input.empty() && m_rx.size() < rx_capacity()) {
        m_rx.push_back(m_input.front());
        m_input.pop_front();
        moved = true;
    }
    if (moved) {
        restart_timeout();
    }
}

void Uart16550::push_input(u8 byte) {
    if (m_input.size() < kInputMax) {
        m_input.push_back(byte);
    }
    fill_rx();
    update_irq();
}

void Uart16550::transmit(u8 byte) {
    if (m_mcr & kMcrLoop) {
        receive(byte);
        restart_timeout();
    } else {
        m_sink.write(byte);
    }
    // The shift register takes the byte at once, so THR is empty again: a new THRE event.
    m_thri = true;
}

u8 Uart16550::current_iir() const {
    if ((m_ier & kIerLsr) && m_lsr_err) {
        return kIirLsr;
    }
    if ((m_ier & kIerRx) && !m_rx.empty()) {
        if (!fifo_enabled() || m_rx.size() >= trigger_level()) {
            return kIirRx;
        }
        if (m_timeout) {
            return kIirTimeout;
        }
    }
    if ((m_ier & kIerThre) && m_thri) {
        return kIirThre;
    }
    if ((m_ier & kIerMsr) && m_msr_delta) {
        return kIirMsr;
    }
    return kIirNone;
}

void Uart16550::update_irq() {
    const bool pending = current_iir() != kIirNone;
    m_irq.set_level(pending && (m_mcr & kMcrOut2) && !(m_mcr & kMcrLoop));
}

u32 Uart16550::io_read(u16 port, unsigned) {
    const bool dlab = (m_lcr & 0x80) != 0;
    u8 v = 0xFF;
    switch (port - m_base) {
    case 0:
        if (dlab) {
            v = static_cast<u8>(m_divisor);
            break;
        }
        v = 0;
        if (!m_rx.empty()) {
            v = m_rx.front();
            m_rx.pop_front();
        }
        m_timeout = false;
        restart_timeout();
        fill_rx();
        break;
    case 1: v = dlab ? static_cast<u8>(m_divisor >> 8) : m_ier; break;
    case 2: {
        const u8 id = current_iir();
        if (id == kIirThre) {
            m_thri = false; // reading IIR clears THRE when it is the reported source
        }
        v = static_cast<u8>(id | (fifo_enabled() ? 0xC0 : 0));
        break;
    }
    case 3: v = m_lcr; break;
    case 4: v = m_mcr; break;
    case 5:
        v = static_cast<u8>(kLsrThre | kLsrTemt | m_lsr_err | (m_rx.empty() ? 0 : kLsrDr));
        m_lsr_err = 0;
        break;
    case 6:
        v = static_cast<u8>(modem_inputs() | m_msr_delta);
        m_msr_delta = 0;
        break;
    case 7: v = m_scr; break;
    default: break;
    }
    update_irq();
    return v;
}

void Uart16550::io_write(u16 port, unsigned, u32 value) {
    const u8 v = static_cast<u8>(value);
    const bool dlab = (m_lcr & 0x80) != 0;
    switch (port - m_base) {
    case 0:
        if (dlab) {
            m_divisor = static_cast<u16>((m_divisor & 0xFF00) | v);
        } else {
            m_thri = false; // writing THR clears a pending THRE interrupt...
            transmit(v);    // ...and the instant transmission empties THR again
        }
        break;
    case 1:
        if (dlab) {
            m_divisor = static_cast<u16>((m_divisor & 0x00FF) | (v << 8));
        } else {
            // Enabling the THRE interrupt while THR is empty raises it at once (Linux's
            // startup checks for exactly this).
            if (!(m_ier & kIerThre) && (v & kIerThre)) {
                m_thri = true;
            }
            m_ier = v & 0x0F;
        }
        break;
    case 2: {
        const bool was_enabled = fifo_enabled();
        if (was_enabled != ((v & 0x01) != 0) || (v & 0x02)) {
            m_rx.clear(); // changing the FIFO mode or FCR bit 1 resets the receive FIFO
        }
        m_fcr = v & 0xC9;
        restart_timeout();
        fill_rx();
        break;
    }
    case 3: m_lcr = v; break;
    case 4: {
        const u8 before = modem_inputs();
        m_mcr = v & 0x1F;
        const u8 after = modem_inputs();
        const u8 changed = before ^ after;
        if (changed & 0x10) {
            m_msr_delta |= 0x01; // DCTS
        }
        if (changed & 0x20) {
            m_msr_delta |= 0x02; // DDSR
        }
        if ((before & 0x40) && !(after & 0x40)) {
            m_msr_delta |= 0x04; // TERI: trailing edge of RI
        }
        if (changed & 0x80) {
            m_msr_delta |= 0x08; // DDCD
        }
        fill_rx(); // leaving loopback reconnects the line
        break;
    }
    case 7: m_scr = v; break;
    default: break; // LSR and MSR writes are factory-test only
    }
    update_irq();
}

} // namespace devices
