// SPDX-License-Identifier: MIT
// 8259A pair. Facts from the Intel 8259A datasheet (order 231468): ICW1 resets the mask, the
// priority (IR7 lowest), special mask mode and the status-read selection, and clears ICW4's
// functions when IC4 is 0; OCW2's R/SL/EOI field selects the EOI and rotation commands;
// OCW3 selects special mask mode, poll and IRR/ISR reads; with no request at INTA time the
// chip answers with its IR7 vector and sets no ISR bit.
//
// Choices where the datasheet leaves room for an emulator:
//  - Edge mode latches IRR on the rising edge and keeps it until INTA even if the input
//    falls (so IrqLine::pulse works); real hardware would deliver a default IR7 instead.
//  - The cascade input (master IR2) follows the slave's INT output as a level, so a slave
//    request withdrawn before INTA does not leave a stale request on the master.
#include "devices/intc/i8259.h"

#include "base/log.h"

namespace devices {

namespace {
constexpr u8 kMasterElcrMask = 0xF8; // IRQ0-2 are always edge-triggered on the PC
constexpr u8 kSlaveElcrMask = 0xDE;  // IRQ8 and IRQ13 likewise
} // namespace

I8259::I8259(IntrListener* out) : m_out(out) { reset(ResetKind::PowerOn); }

void I8259::reset(ResetKind kind) {
    for (unsigned i = 0; i < 2; ++i) {
        const u8 lines = m_chip[i].lines;
        const u8 elcr = m_chip[i].elcr;
        m_chip[i] = Chip{};
        m_chip[i].lines = lines; // input wires keep their level across a reset
        if (kind == ResetKind::Warm) {
            m_chip[i].elcr = elcr;
        }
        Chip& c = m_chip[i];
        c.irr = c.lines & level_mask(c);
    }
    // The vectors a PC BIOS programs; any guest reprograms them before unmasking.
    m_chip[0].vector = 0x08;
    m_chip[1].vector = 0x70;
    update();
}

void I8259::input(Chip& c, unsigned ir, bool level) {
    const u8 mask = static_cast<u8>(1u << ir);
    if (level_mask(c) & mask) {
        c.irr = level ? (c.irr | mask) : (c.irr & ~mask);
    } else if (level && !(c.lines & mask)) {
        c.irr |= mask;
    }
    c.lines = level ? (c.lines | mask) : (c.lines & ~mask);
}

void I8259::set_irq(unsigned line, bool level) {
    if (line >= 16 || line == 2) {
        return;
    }
    input(m_chip[line >> 3], line & 7, level);
    update();
}

int I8259::pending(const Chip& c, bool is_master) const {
    u8 req = c.irr & ~c.imr;
    if (c.special_mask) {
        // Special mask mode: an in-service level only inhibits itself.
        req &= ~c.isr;
    }
    if (!req) {
        return -1;
    }
    for (unsigned i = 0; i < 8; ++i) {
        const unsigned ir = (c.lowest + 1 + i) & 7;
        const u8 mask = static_cast<u8>(1u << ir);
        if (!c.special_mask && (c.isr & mask)) {
            // Fully nested: an in-service level blocks itself and everything below. In
            // special fully nested mode the cascade level lets the slave through again, since
            // the slave has already checked that the new request outranks its own ISR.
            if (is_master && c.sfnm && !c.single && ir == 2 && (req & mask)) {
                return 2;
            }
            return -1;
        }
        if (req & mask) {
            return static_cast<int>(ir);
        }
    }
    return -1;
}

int I8259::highest_isr(const Chip& c) {
    for (unsigned i = 0; i < 8; ++i) {
        const unsigned ir = (c.lowest + 1 + i) & 7;
        if (c.isr & (1u << ir)) {
            return static_cast<int>(ir);
        }
    }
    return -1;
}

void I8259::ack_ir(Chip& c, unsigned ir) {
    const u8 mask = static_cast<u8>(1u << ir);
    // A level-triggered request stays in IRR while its input is high; the ISR bit blocks it
    // until EOI, after which it interrupts again if the device still asserts it.
    if (!(level_mask(c) & mask)) {
        c.irr &= ~mask;
    }
    if (c.auto_eoi) {
        if (c.rotate_aeoi) {
            c.lowest = static_cast<u8>(ir);
        }
    } else {
        c.isr |= mask;
    }
}

u8 I8259::acknowledge() {
    Chip& m = m_chip[0];
    Chip& s = m_chip[1];
    u8 vector;
    const int mir = pending(m, true);
    if (mir < 0) {
        vector = m.vector | 7; // spurious IRQ7
    } else {
        ack_ir(m, static_cast<unsigned>(mir));
        if (mir == 2 && !m.single) {
            const int sir = pending(s, false);
            if (sir < 0) {
                vector = s.vector | 7; // spurious IRQ15; the master's IR2 stays in service
            } else {
                ack_ir(s, static_cast<unsigned>(sir));
                vector = static_cast<u8>(s.vector | sir);
            }
        } else {
            vector = static_cast<u8>(m.vector | mir);
        }
    }
    update();
    return vector;
}

u8 I8259::read_poll(Chip& c, bool is_master) {
    c.poll = false;
    const int ir = pending(c, is_master);
    if (ir < 0) {
        return 0;
    }
    ack_ir(c, static_cast<unsigned>(ir));
    update();
    return static_cast<u8>(0x80 | ir);
}

void I8259::eoi(Chip& c, int ir, bool rotate) {
    if (ir < 0) {
        return;
    }
    c.isr &= static_cast<u8>(~(1u << ir));
    if (rotate) {
        c.lowest = static_cast<u8>(ir);
    }
}

void I8259::write_command(Chip& c, u8 v) {
    if (v & 0x10) {
        // ICW1: starts initialisation.
        c.ltim = (v & 0x08) != 0;
        c.single = (v & 0x02) != 0;
        c.icw4_needed = (v & 0x01) != 0;
        c.init_step = 2;
        c.imr = 0;
        c.isr = 0;
        // The edge-sense latches are reset: an input already high needs a new rising edge.
        c.irr = c.lines & level_mask(c);
        c.lowest = 7;
        c.special_mask = false;
        c.read_isr = false;
        c.poll = false;
        c.rotate_aeoi = false;
        if (!c.icw4_needed) {
            c.auto_eoi = false;
            c.sfnm = false;
        }
    } else if (v & 0x08) {
        // OCW3.
        if (v & 0x04) {
            c.poll = true;
        }
        if (v & 0x02) {
            c.read_isr = (v & 0x01) != 0;
        }
        if (v & 0x40) {
            c.special_mask = (v & 0x20) != 0;
        }
    } else {
        // OCW2: R, SL, EOI in bits 7-5, level in bits 2-0.
        const int level = v & 7;
        switch (v >> 5) {
        case 1: eoi(c, highest_isr(c), false); break; // non-specific EOI
        case 3: eoi(c, level, false); break;           // specific EOI
        case 5: eoi(c, highest_isr(c), true); break;  // rotate on non-specific EOI
        case 7: eoi(c, level, true); break;            // rotate on specific EOI
        case 4: c.rotate_aeoi = true; break;
        case 0: c.rotate_aeoi = false; break;
        case 6: c.lowest = static_cast<u8>(level); break; // set priority
        default: break;                                  // 2: no operation
        }
    }
    update();
}

void I8259::write_data(Chip& c, u8 v) {
    switch (c.init_step) {
    case 2:
        c.vector = v & 0xF8;
        c.init_step = c.single ? (c.icw4_needed ? 4 : 0) : 3;
        break;
    case 3:
        c.icw3 = v;
        c.init_step = c.icw4_needed ? 4 : 0;
        break;
    case 4:
        if (!(v & 0x01) && base::log_enabled(base::kLogUnimp)) {
            base::log_printf("pic: 8080/8085 mode requested (ICW4=0x%02x); using 8086 mode\n", v);
        }
        c.auto_eoi = (v & 0x02) != 0;
        c.sfnm = (v & 0x10) != 0;
        c.init_step = 0;
        break;
    default:
        c.imr = v; // OCW1
        break;
    }
    update();
}

u32 I8259::io_read(u16 port, unsigned) {
    switch (port) {
    case 0x20:
    case 0xA0: {
        Chip& c = m_chip[port == 0xA0];
        if (c.poll) {
            return read_poll(c, port == 0x20);
        }
        return c.read_isr ? c.isr : c.irr;
    }
    case 0x21: return m_chip[0].imr;
    case 0xA1: return m_chip[1].imr;
    case 0x4D0: return m_chip[0].elcr;
    case 0x4D1: return m_chip[1].elcr;
    default: return 0xFF;
    }
}

void I8259::io_write(u16 port, unsigned, u32 value) {
    const u8 v = static_cast<u8>(value);
    switch (port) {
    case 0x20: write_command(m_chip[0], v); break;
    case 0xA0: write_command(m_chip[1], v); break;
    case 0x21: write_data(m_chip[0], v); break;
    case 0xA1: write_data(m_chip[1], v); break;
    case 0x4D0:
    case 0x4D1: {
        Chip& c = m_chip[port == 0x4D1];
        c.elcr = v & (port == 0x4D0 ? kMasterElcrMask : kSlaveElcrMask);
        // Inputs that became level-triggered now request exactly while they are high.
        const u8 lv = level_mask(c);
        c.irr = static_cast<u8>((c.irr & ~lv) | (c.lines & lv));
        update();
        break;
    }
    default: break;
    }
}

void I8259::update() {
    Chip& m = m_chip[0];
    m_slave_out = pending(m_chip[1], false) >= 0;
    if (!m.single) {
        const u8 bit = 0x04;
        m.lines = m_slave_out ? (m.lines | bit) : (m.lines & ~bit);
        m.irr = m_slave_out ? (m.irr | bit) : (m.irr & ~bit);
    }
    const bool intr = pending(m, true) >= 0;
    if (intr != m_intr) {
        m_intr = intr;
        if (m_out) {
            m_out->intr_changed(intr);
        }
    }
}

} // namespace devices
