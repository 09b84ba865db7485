// SPDX-License-Identifier: MIT
// The PC's two 8259A programmable interrupt controllers: master at 0x20/0x21 (IRQ0-7), slave
// at 0xA0/0xA1 (IRQ8-15) cascaded into master IR2, plus the PIIX-style edge/level control
// registers (ELCR) at 0x4D0/0x4D1. Implements the 8259A datasheet's ICW1-4 and OCW1-3:
// edge and level triggering, priority rotation, specific/non-specific EOI, automatic EOI,
// special mask mode, special fully nested mode, poll mode, IRR/ISR reads and the spurious
// IR7 vector. Not modelled: 8080/8085 call-address mode and buffered mode (accepted and
// ignored), and MCS-80 timing.
#pragma once

#include "devices/device.h"
#include "devices/io_bus.h"
#include "devices/irq.h"

namespace devices {

inline constexpr DeviceInfo kI8259Info{"i8259", "8259A master/slave interrupt controllers"};

class I8259 final : public Device, public IoOps, public IrqSink {
public:
    /// `out` is told whenever the master's INTR output changes (may be set later).
    explicit I8259(IntrListener* out = nullptr);
    void set_output(IntrListener* out) { m_out = out; }

    // Device
    std::string_view name() const override { return kI8259Info.name; }
    void reset(ResetKind kind) override;

    // IoOps: 0x20-0x21, 0xA0-0xA1, 0x4D0-0x4D1, byte access.
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

    /// IrqSink: input `line` 0-15 (8-15 are slave inputs 0-7). IRQ2 is the cascade and is
    /// driven internally by the slave; a device wired to 2 is ignored.
    void set_irq(unsigned line, bool level) override;

    /// The master's INTR output.
    bool intr() const { return m_intr; }
    /// The CPU's interrupt acknowledge cycle: returns the vector and updates IRR/ISR.
    /// With nothing pending it returns the spurious IR7 vector of the chip concerned.
    u8 acknowledge();

    /// Debug/test views. chip 0 = master, 1 = slave.
    u8 irr(unsigned chip) const { return m_chip[chip].irr; }
    u8 isr(unsigned chip) const { return m_chip[chip].isr; }
    u8 imr(unsigned chip) const { return m_chip[chip].imr; }
    u8 elcr(unsigned chip) const { return m_chip[chip].elcr; }

private:
    struct Chip {
        u8 irr = 0;       ///< interrupt request register
        u8 isr = 0;       ///< in-service register
        u8 imr = 0xFF;    ///< interrupt mask register
        u8 elcr = 0;      ///< level-triggered inputs (ELCR)
        u8 lines = 0;     ///< current input levels (edge detection, level mode)
        u8 vector = 0;    ///< ICW2 (T7-T3 of the vector)
        u8 icw3 = 0;      ///< cascade configuration (kept for reads/state)
        u8 lowest = 7;    ///< lowest-priority IR (rotation); highest is lowest + 1
        u8 init_step = 0; ///< 0 = ready; 2, 3, 4 = waiting for ICW2/3/4
        bool icw4_needed = false;
        bool single = false;       ///< ICW1 SNGL: no cascade
        bool ltim = false;         ///< ICW1 LTIM: all inputs level-triggered
        bool auto_eoi = false;     ///< ICW4 AEOI
        bool rotate_aeoi = false;  ///< OCW2 "rotate in automatic EOI mode"
        bool sfnm = false;         ///< ICW4 special fully nested mode
        bool special_mask = false; ///< OCW3 SMM
        bool read_isr = false;     ///< OCW3 RR/RIS: even-port reads return ISR, else IRR
        bool poll = false;         ///< OCW3 P: next even-port read is a poll
    };

    u8 level_mask(const Chip& c) const { return c.ltim ? 0xFF : c.elcr; }
    void input(Chip& c, unsigned ir, bool level);
    /// Highest-priority request that may interrupt now, or -1.
    int pending(const Chip& c, bool is_master) const;
    /// Priority of `ir` (0 = highest).
    static unsigned priority(const Chip& c, unsigned ir) { return (ir - c.lowest - 1) & 7; }
    /// The in-service IR with the highest priority, or -1.
    static int highest_isr(const Chip& c);
    /// Acknowledges `ir` on `c` (IRR/ISR bookkeeping).
    void ack_ir(Chip& c, unsigned ir);
    void write_command(Chip& c, u8 v);
    void write_data(Chip& c, u8 v);
    u8 read_poll(Chip& c, bool is_master);
    void eoi(Chip& c, int ir, bool rotate);
    /// Re-evaluates the slave's output (cascade input) and the master's INTR.
    void update();

    Chip m_chip[2];
    IntrListener* m_out = nullptr;
    bool m_intr = false;
    bool m_slave_out = false;
};

} // namespace devices
