// SPDX-License-Identifier: MIT
// 82093AA I/O APIC. Facts from the Intel 82093AA datasheet (order 290566): IOREGSEL at
// base+0x00 and IOWIN at base+0x10; register 0x00 is the ID (bits 27-24), 0x01 the version
// (bits 7-0 = 0x11, bits 23-16 = maximum redirection entry), 0x02 the arbitration ID (loaded
// from the ID when the ID is written), 0x10-0x3F the 64-bit redirection entries (low dword
// first). Entry bits: 7-0 vector, 10-8 delivery mode, 11 destination mode, 12 delivery status
// (RO), 13 polarity (1 = active low), 14 remote IRR (RO), 15 trigger mode (1 = level),
// 16 mask, 63-56 destination. Entries reset masked. Edges on masked pins are ignored;
// level-triggered pins set remote IRR when the local APIC accepts the message and are re-sent
// after the EOI if still asserted.
//
// Choices where the datasheet leaves room:
//  - Setting an entry's trigger mode to edge clears its remote IRR. Operating systems rely on
//    this to recover a stuck level interrupt on I/O APICs without an EOI register (version
//    0x11), by switching the entry to edge and back.
//  - An ExtINT entry forwards its pin as a level to the local APIC, which asks the 8259A for
//    the vector at INTA (virtual wire mode through the I/O APIC, MPS 1.4 section 3.6.2.2).
//  - A message no local APIC accepts is dropped (a level-triggered pin then tries again on
//    its next edge or entry write), instead of staying pending on the bus.
//  - The 4-bit physical destination of the 82093AA is widened to 8 bits, matching the xAPIC
//    IDs of tx86's local APIC (0xFF is the physical broadcast).
#include "devices/intc/ioapic.h"

#include "base/log.h"

namespace devices {

namespace {
constexpr u64 kLowWritable = 0x1AFFF; // vector, mode, dest mode, polarity, trigger, mask
ApicDelivery entry_mode(u64 e) { return static_cast<ApicDelivery>((e >> 8) & 7); }
} // namespace

IoApic::IoApic(u8 id) : m_reset_id(static_cast<u8>(id & 0xF)) { reset(ResetKind::PowerOn); }

void IoApic::reset(ResetKind kind) {
    (void)kind;
    m_id = m_reset_id;
    m_arb_id = m_reset_id;
    m_regsel = 0;
    m_redir.fill(kMasked);
    // m_pin_level holds input wires: they keep their level.
    update_extint();
}

u32 IoApic::read_register(u8 index) const {
    switch (index) {
    case 0x00: return u32{m_id} << 24;
    case 0x01: return kVersion;
    case 0x02: return u32{m_arb_id} << 24;
    default: break;
    }
    if (index >= 0x10 && index < 0x10 + 2 * kPins) {
        const u64 e = m_redir[(index - 0x10u) / 2];
        return static_cast<u32>((index & 1) ? (e >> 32) : e);
    }
    return 0;
}

void IoApic::write_register(u8 index, u32 value) {
    if (index == 0x00) {
        m_id = static_cast<u8>((value >> 24) & 0xF);
        m_arb_id = m_id;
        return;
    }
    if (index < 0x10 || index >= 0x10 + 2 * kPins) {
        if (index != 0x01 && index != 0x02 && base::log_enabled(base::kLogGuestErr)) {
            base::log_printf("ioapic: write to undefined register 0x%02x ignored\n", index);
        }
        return;
    }
    const unsigned pin = (index - 0x10u) / 2;
    const bool was = asserted(pin);
    u64& e = m_redir[pin];
    if (index & 1) {
        e = (e & 0x00000000FFFFFFFFull) | (u64{value & 0xFF000000u} << 32);
    } else {
        // Keep the high dword and the read-only delivery status / remote IRR bits.
        e = (e & ~u64{0xFFFFFFFF}) | (e & (kRemoteIrr | (u64{1} << 12))) | (value & kLowWritable);
        if (!(e & kLevel)) {
            e &= ~kRemoteIrr;
        }
    }
    service(pin, was);
}

u64 IoApic::mmio_read(u64 offset, unsigned size) {
    u64 v = 0;
    if (offset < 4) {
        v = u64{m_regsel} >> (8 * offset);
    } else if (offset >= 0x10 && offset < 0x14) {
        v = u64{read_register(m_regsel)} >> (8 * (offset - 0x10));
    }
    if (size < 8) {
        v &= (u64{1} << (8 * size)) - 1;
    }
    return v;
}

void IoApic::mmio_write(u64 offset, unsigned size, u64 value) {
    if (offset == 0) {
        m_regsel = static_cast<u8>(value);
        return;
    }
    if (offset >= 0x10 && offset < 0x14) {
        const unsigned shift = static_cast<unsigned>(8 * (offset - 0x10));
        const u64 width = size >= 8 ? ~u64{0} : (u64{1} << (8 * size)) - 1;
        const u64 mask = (width << shift) & 0xFFFFFFFFull;
        const u64 merged = (read_register(m_regsel) & ~mask) | ((value << shift) & mask);
        write_register(m_regsel, static_cast<u32>(merged));
        return;
    }
    if (base::log_enabled(base::kLogGuestErr)) {
        base::log_printf("ioapic: write to offset 0x%llx ignored\n",
                         static_cast<unsigned long long>(offset));
    }
}

void IoApic::set_irq(unsigned line, bool level) {
    if (line >= kPins) {
        return;
    }
    const bool was = asserted(line);
    m_pin_level[line] = level;
    service(line, was);
}

bool IoApic::deliver(unsigned pin) {
    const u64 e = m_redir[pin];
    const ApicMessage msg{static_cast<u8>(e & 0xFF), entry_mode(e), (e & kLevel) != 0,
                          (e & (u64{1} << 11)) != 0, static_cast<u8>(e >> 56)};
    bool accepted = false;
    for (Lapic* l : m_lapics) {
        if (!l->matches(msg.dest, msg.logical)) {
            continue;
        }
        accepted = l->receive(msg) || accepted;
        if (accepted && msg.mode == ApicDelivery::LowestPriority) {
            break; // one receiver (arbitration by APR is moot with one CPU)
        }
    }
    return accepted;
}

void IoApic::service(unsigned pin, bool was_asserted) {
    u64& e = m_redir[pin];
    if (entry_mode(e) != ApicDelivery::ExtInt && !(e & kMasked)) {
        const bool now = asserted(pin);
        if (e & kLevel) {
            if (now && !(e & kRemoteIrr) && deliver(pin)) {
                // NMI/SMI/INIT are not EOIed, so remote IRR is only set for vectored modes.
                const ApicDelivery m = entry_mode(e);
                if (m == ApicDelivery::Fixed || m == ApicDelivery::LowestPriority) {
                    e |= kRemoteIrr;
                }
            }
        } else if (now && !was_asserted) {
            deliver(pin);
        }
    }
    update_extint();
}

void IoApic::eoi_broadcast(u8 vector) {
    for (unsigned pin = 0; pin < kPins; ++pin) {
        u64& e = m_redir[pin];
        if ((e & kRemoteIrr) && (e & 0xFF) == vector) {
            e &= ~kRemoteIrr;
            service(pin, asserted(pin));
        }
    }
}

void IoApic::update_extint() {
    bool any = false;
    for (unsigned pin = 0; pin < kPins; ++pin) {
        const u64 e = m_redir[pin];
        if (entry_mode(e) == ApicDelivery::ExtInt && !(e & kMasked) && asserted(pin)) {
            any = true;
        }
    }
    if (!any && !m_extint) {
        return;
    }
    m_extint = any;
    for (Lapic* l : m_lapics) {
        bool mine = false;
        for (unsigned pin = 0; any && pin < kPins; ++pin) {
            const u64 e = m_redir[pin];
            if (entry_mode(e) == ApicDelivery::ExtInt && !(e & kMasked) && asserted(pin) &&
                l->matches(static_cast<u8>(e >> 56), (e & (u64{1} << 11)) != 0)) {
                mine = true;
            }
        }
        l->set_ioapic_extint(mine);
    }
}

} // namespace devices
