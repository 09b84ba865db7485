// SPDX-License-Identifier: MIT
#include "devices/char/uart16550.h"

namespace devices {

u32 Uart16550::io_read(u16 port, unsigned) {
    const bool dlab = (m_lcr & 0x80) != 0;
    switch (port - m_base) {
    case 0: return dlab ? (m_divisor & 0xFF) : 0;
    case 1: return dlab ? (m_divisor >> 8) : m_ier;
    case 2: return (m_fcr & 1) ? 0xC1 : 0x01; // no interrupt pending; FIFO bits if enabled
    case 3: return m_lcr;
    case 4: return m_mcr;
    case 5: return 0x60; // THR empty, transmitter empty
    case 6: return (m_mcr & 0x10) ? ((m_mcr & 0x0F) << 4) : 0xB0; // loopback or CTS/DSR/DCD
    default: return m_scr;
    }
}

void Uart16550::io_write(u16 port, unsigned, u32 value) {
    const u8 v = static_cast<u8>(value);
    const bool dlab = (m_lcr & 0x80) != 0;
    switch (port - m_base) {
    case 0:
        if (dlab) {
            m_divisor = static_cast<u16>((m_divisor & 0xFF00) | v);
        } else if (!(m_mcr & 0x10)) {
            m_sink.write(v);
        }
        break;
    case 1:
        if (dlab) {
            m_divisor = static_cast<u16>((m_divisor & 0x00FF) | (v << 8));
        } else {
            m_ier = v & 0x0F;
        }
        break;
    case 2: m_fcr = v; break;
    case 3: m_lcr = v; break;
    case 4: m_mcr = v & 0x1F; break;
    case 7: m_scr = v; break;
    default: break;
    }
}

} // namespace devices
