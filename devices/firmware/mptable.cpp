// SPDX-License-Identifier: MIT
// MP table builder. Layouts from the MultiProcessor Specification 1.4, chapter 4: the
// floating pointer ("_MP_", physical address of the configuration table, length in 16-byte
// units = 1, spec revision 4, checksum, feature bytes 1-5: byte 1 = 0 means a configuration
// table is present, byte 2 bit 7 = 0 means virtual wire mode rather than PIC mode/IMCR);
// the 44-byte configuration table header ("PCMP", base length, revision 4, checksum, 8-byte
// OEM ID, 12-byte product ID, OEM table pointer/size, entry count, local APIC address,
// extended table length/checksum); entries in ascending type order: processor (type 0,
// 20 bytes: APIC ID, APIC version, flags EN/BP, CPU signature, feature flags), bus (1,
// 8 bytes: ID, 6-character type), I/O APIC (2, 8 bytes: ID, version, flags EN, address),
// I/O interrupt assignment (3, 8 bytes) and local interrupt assignment (4, 8 bytes): type
// INT/NMI/SMI/ExtINT = 0-3, 16-bit flags (polarity bits 1-0, trigger bits 3-2, 0 = conforms
// to the bus), source bus ID and IRQ, destination APIC ID (0xFF = all local APICs) and pin.
// Every checksum makes its structure sum to 0 mod 256.
#include "devices/firmware/mptable.h"
#include "devices/firmware/table_bytes.h"

namespace devices::firmware {

namespace {

using table_bytes::put16;
using table_bytes::put32;
using table_bytes::put8;
using table_bytes::put_text;

using table_bytes::checksum;

constexpr u8 kIntInt = 0, kIntNmi = 1, kIntExt = 3;
constexpr u16 kFlagsConforms = 0x0;
constexpr u16 kFlagsLevelHigh = 0x1 | (0x3 << 2);

void interrupt_entry(std::vector<u8>& t, u8 entry_type, u8 int_type, u16 flags, u8 bus, u8 irq,
                     u8 dest_id, u8 dest_pin) {
    put8(t, entry_type);
    put8(t, int_type);
    put16(t, flags);
    put8(t, bus);
    put8(t, irq);
    put8(t, dest_id);
    put8(t, dest_pin);
}

} // namespace

std::vector<u8> build_mptable(const ApicLayout& layout, u32 addr, MpBuses buses) {
    std::vector<u8> t;
    // Floating pointer structure.
    put_text(t, "_MP_", 4);
    put32(t, addr + kMpFloatingSize);
    put8(t, 1); // length in paragraphs
    put8(t, 4); // MPS 1.4
    put8(t, 0); // checksum, below
    put8(t, 0); // feature 1: the configuration table is present (no default configuration)
    put8(t, 0); // feature 2: bit 7 (IMCRP) clear = virtual wire mode
    put8(t, 0);
    put8(t, 0);
    put8(t, 0);
    t[10] = checksum(t, 0, kMpFloatingSize);

    // Configuration table header.
    const usize hdr = t.size();
    put_text(t, "PCMP", 4);
    put16(t, 0); // base table length, below
    put8(t, 4);
    put8(t, 0); // checksum, below
    put_text(t, "TX86", 8);
    put_text(t, "TX86 PC", 12);
    put32(t, 0); // no OEM table
    put16(t, 0);
    put16(t, 0); // entry count, below
    put32(t, layout.lapic_addr);
    put16(t, 0); // no extended table
    put8(t, 0);
    put8(t, 0);
    u16 count = 0;

    for (usize i = 0; i < layout.cpu_apic_ids.size(); ++i) {
        put8(t, 0);
        put8(t, layout.cpu_apic_ids[i]);
        put8(t, layout.lapic_version);
        put8(t, i == 0 ? 0x3 : 0x1); // enabled; the first is the bootstrap processor
        put32(t, layout.cpu_signature);
        put32(t, layout.cpu_features);
        put32(t, 0);
        put32(t, 0);
        ++count;
    }

    u8 isa_bus = 0;
    if (buses == MpBuses::PciAndIsa) {
        put8(t, 1);
        put8(t, 0);
        put_text(t, "PCI", 6);
        ++count;
        isa_bus = 1;
    }
    put8(t, 1);
    put8(t, isa_bus);
    put_text(t, "ISA", 6);
    ++count;

    put8(t, 2);
    put8(t, layout.ioapic_id);
    put8(t, layout.ioapic_version);
    put8(t, 1); // enabled
    put32(t, layout.ioapic_addr);
    ++count;

    if (layout.pic_on_pin0 && layout.irq0_on_pin2) {
        interrupt_entry(t, 3, kIntExt, kFlagsConforms, isa_bus, 0, layout.ioapic_id, 0);
        ++count;
    }
    for (u8 irq = 0; irq < 16; ++irq) {
        if (irq == 2) {
            continue; // the cascade: its pin carries IRQ0 (or nothing)
        }
        const u8 pin = (irq == 0 && layout.irq0_on_pin2) ? 2 : irq;
        const u16 flags = irq == layout.sci_irq ? kFlagsLevelHigh : kFlagsConforms;
        interrupt_entry(t, 3, kIntInt, flags, isa_bus, irq, layout.ioapic_id, pin);
        ++count;
    }

    interrupt_entry(t, 4, kIntExt, kFlagsConforms, isa_bus, 0, 0xFF, 0);
    interrupt_entry(t, 4, kIntNmi, kFlagsConforms, isa_bus, 0, 0xFF, 1);
    count = static_cast<u16>(count + 2);

    const usize len = t.size() - hdr;
    t[hdr + 4] = static_cast<u8>(len);
    t[hdr + 5] = static_cast<u8>(len >> 8);
    t[hdr + 34] = static_cast<u8>(count);
    t[hdr + 35] = static_cast<u8>(count >> 8);
    t[hdr + 7] = checksum(t, hdr, len);
    return t;
}

} // namespace devices::firmware
