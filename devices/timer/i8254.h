// SPDX-License-Identifier: MIT
// The 8254 programmable interval timer at 0x40-0x43, clocked at 1.193182 MHz derived from the
// scheduler's virtual clock, plus the PC's system control port B at 0x61 (channel 2 gate and
// speaker enable, channel 2 OUT, and the DRAM refresh toggle that firmware and kernels poll
// in delay loops). Counters are not ticked: their value and OUT level are computed from the
// virtual time at which they were loaded, and channel 0's OUT rising edges are delivered to
// IRQ0 by scheduler timers. Not modelled: the speaker sound itself, and the deferred reload
// of a new count written to a running mode 2/3 counter (it restarts at once).
#pragma once

#include "devices/device.h"
#include "devices/io_bus.h"
#include "devices/irq.h"
#include "devices/scheduler.h"

namespace devices {

inline constexpr DeviceInfo kI8254Info{"i8254", "8254 interval timer and port 0x61"};

class I8254 final : public Device, public IoOps {
public:
    static constexpr u64 kClockHz = 1193182;
    /// Period of the refresh toggle (port 0x61 bit 4): 18 PIT clocks, as the BIOS programs
    /// channel 1 for DRAM refresh.
    static constexpr u64 kRefreshNs = 15085;

    /// `irq0` is channel 0's OUT (IRQ0 on the PC).
    I8254(Scheduler& sched, IrqLine irq0);

    // Device
    std::string_view name() const override { return kI8254Info.name; }
    void reset(ResetKind kind) override;

    // IoOps: 0x40-0x43 and 0x61, byte access.
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

    /// OUT pin of channel `ch` now.
    bool out(unsigned ch) const;
    /// Counting element of channel `ch` now (binary, 0 meaning 65536/10000 wrap point).
    u32 value(unsigned ch) const;
    /// Gate input of channel `ch` (channels 0 and 1 are tied high on the PC; 2 is port 0x61
    /// bit 0).
    void set_gate(unsigned ch, bool level);
    /// Port 0x61 bit 1: speaker data enable (for a future audio output).
    bool speaker_enabled() const { return (m_port61 & 0x02) != 0; }

    /// PIT clock ticks elapsed at virtual time `ns`, and the first ns at which tick `t` has
    /// elapsed (exact inverse: ticks_at(ns_of_tick(t)) == t).
    static u64 ticks_at(u64 ns);
    static u64 ns_of_tick(u64 tick);

private:
    static constexpr u64 kPassed = ~u64{0};

    struct Channel {
        u8 mode = 0;          ///< 0-5 (6 and 7 are stored as 2 and 3)
        u8 rw = 3;            ///< 1 = LSB, 2 = MSB, 3 = LSB then MSB
        bool bcd = false;
        u16 cr = 0;           ///< count register as written
        u8 cr_lsb = 0;        ///< first byte of an LSB-then-MSB write
        bool write_msb = false; ///< write flip-flop: next byte is the MSB
        bool read_msb = false;  ///< read flip-flop: next byte is the MSB
        bool count_latched = false;
        bool latch_msb = false; ///< next byte of the latched count is the MSB
        u16 latched = 0;
        bool status_latched = false;
        u8 status = 0;
        bool gate = true;
        bool has_count = false; ///< a count has been written since the control word
        bool counting = false;  ///< the counting element is decrementing
        bool out_held = true;   ///< OUT while not counting
        u64 start_tick = 0;     ///< tick at which the counter held start_value
        u32 start_value = 0;    ///< counter value at start_tick (1..65536); held value if stopped
        u32 period = 0;         ///< modes 2/3: effective count N
        u64 terminal_tick = 0;  ///< modes 0/1/4/5: tick at which the count reaches zero
        u64 paused_left = 0;    ///< modes 0/4: ticks to terminal when the gate fell (kPassed)
        u64 load_tick = 0;      ///< null count until this tick
    };

    u32 modulus(const Channel& c) const { return c.bcd ? 10000 : 65536; }
    u32 effective(const Channel& c, u16 raw) const;
    u32 value_at(const Channel& c, u64 t) const;
    bool out_at(const Channel& c, u64 t) const;
    u64 now_tick() const { return ticks_at(m_sched.now()); }
    void write_control(u8 v);
    void read_back(u8 v);
    void latch_count(Channel& c);
    void write_counter(unsigned ch, u8 v);
    u8 read_counter(unsigned ch);
    void load_count(unsigned ch);
    /// Channel 0 changed: drive IRQ0 to OUT's level and schedule the next rising edge.
    void channel_changed(unsigned ch);
    /// First tick after `t` at which OUT rises, or kPassed.
    u64 next_rise(const Channel& c, u64 t) const;
    void on_irq_timer(u64 deadline);

    Scheduler& m_sched;
    IrqLine m_irq0;
    TimerId m_timer;
    Channel m_ch[3];
    u64 m_irq_edge_tick = 0; ///< the rising edge the IRQ0 timer is armed for
    u8 m_port61 = 0;         ///< bits 0-3 as written
};

} // namespace devices
