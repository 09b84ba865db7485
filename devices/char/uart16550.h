// SPDX-License-Identifier: MIT
// A 16550A UART (COM1 at 0x3F8/IRQ4, COM2 at 0x2F8/IRQ3 on the PC): receive and transmit
// FIFOs (16 bytes, trigger levels 1/4/8/14), IER/IIR/FCR/LCR/MCR/LSR/MSR/SCR and the divisor
// latch, the five interrupt sources in their priority order, character timeout, loopback
// with the modem outputs reflected in MSR, and the PC's OUT2 gating of the IRQ. Output goes
// to a CharSink at once (the transmitter is always empty again immediately, but the THRE
// interrupt follows the chip's rules); input comes from push_input(), fed by the frontend,
// and enters the receive FIFO as space allows. Not modelled: line timing of transmission,
// parity/framing errors on input (only overrun in loopback), break generation, DMA mode.
#pragma once

#include "devices/char/char_sink.h"
#include "devices/device.h"
#include "devices/io_bus.h"
#include "devices/irq.h"

#include <deque>

namespace devices {

class Scheduler;

inline constexpr DeviceInfo kUart16550Info{"uart16550", "16550A UART"};

class Uart16550 final : public Device, public IoOps {
public:
    /// `base` is the first of the 8 ports. Without `irq` the UART works polled; without
    /// `sched` the character-timeout interrupt is reported as soon as data is waiting below
    /// the FIFO trigger level (no timer to wait four character times).
    Uart16550(CharSink& sink, u16 base, IrqLine irq = {}, Scheduler* sched = nullptr);

    // Device
    std::string_view name() const override { return kUart16550Info.name; }
    void reset(ResetKind kind) override;

    // IoOps: base..base+7, byte access.
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

    /// A byte arrives on the serial line (from the frontend). Bytes wait in an input queue
    /// while the receive FIFO is full, so none are lost.
    void push_input(u8 byte);
    /// Bytes queued by push_input() that have not reached the FIFO yet.
    size_t input_backlog() const { return m_input.size(); }

    bool irq_level() const { return m_irq.level(); }

private:
    static constexpr size_t kFifoSize = 16;
    static constexpr size_t kInputMax = 4096;

    bool fifo_enabled() const { return (m_fcr & 0x01) != 0; }
    size_t rx_capacity() const { return fifo_enabled() ? kFifoSize : 1; }
    size_t trigger_level() const;
    /// Modem input lines (CTS, DSR, RI, DCD in MSR bits 4-7).
    u8 modem_inputs() const;
    /// Moves waiting input into the receive FIFO.
    void fill_rx();
    /// A byte arrives at the receiver (from the line or from loopback).
    void receive(u8 byte);
    void transmit(u8 byte);
    /// The pending interrupt with the highest priority, as an IIR identification value
    /// (bits 3-0; 0x01 = none).
    u8 current_iir() const;
    void update_irq();
    /// Restarts the character-timeout wait (after a received or read byte).
    void restart_timeout();
    void on_timeout(u64 deadline);
    u64 char_time_ns() const;

    CharSink& m_sink;
    u16 m_base;
    IrqLine m_irq;
    Scheduler* m_sched;
    u32 m_timer = 0;

    std::deque<u8> m_rx;    ///< receive FIFO (or holding register when FIFOs are off)
    std::deque<u8> m_input; ///< bytes from the frontend waiting for FIFO space
    u16 m_divisor = 12;     ///< 9600 baud, what a PC BIOS leaves
    u8 m_ier = 0;
    u8 m_fcr = 0;    ///< FIFO enable and trigger bits as written
    u8 m_lcr = 0;
    u8 m_mcr = 0;
    u8 m_lsr_err = 0;   ///< OE/PE/FE/BI bits waiting to be read from LSR
    u8 m_msr_delta = 0; ///< MSR bits 3-0
    u8 m_scr = 0;
    bool m_thri = false;    ///< THR-empty interrupt pending
    bool m_timeout = false; ///< character-timeout interrupt pending
};

} // namespace devices
