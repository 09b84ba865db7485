// SPDX-License-Identifier: MIT
// A 16550A UART, enough for polled output: the register file with DLAB, THR -> CharSink,
// LSR always reporting an empty transmitter. FIFOs, interrupts, input and modem lines come
// with the PC-platform work (devices/README.md).
#pragma once

#include "devices/char/char_sink.h"
#include "devices/io_bus.h"

namespace devices {

class Uart16550 final : public IoOps {
public:
    explicit Uart16550(CharSink& sink, u16 base) : m_sink(sink), m_base(base) {}
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

private:
    CharSink& m_sink;
    u16 m_base;
    u8 m_ier = 0, m_lcr = 0, m_mcr = 0, m_scr = 0, m_fcr = 0;
    u16 m_divisor = 12;
};

} // namespace devices
