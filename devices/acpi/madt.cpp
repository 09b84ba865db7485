// SPDX-License-Identifier: MIT
// MADT builder. Layouts from the ACPI spec 6.x section 5.2.12: the 36-byte system description
// header (5.2.6), then Local Interrupt Controller Address (4) and Flags (4, bit 0
// PCAT_COMPAT), then entries of (type, length, body): 0 Processor Local APIC (8 bytes:
// processor UID, APIC ID, flags bit 0 Enabled), 1 I/O APIC (12: ID, reserved, address, GSI
// base), 2 Interrupt Source Override (10: bus 0 = ISA, source IRQ, GSI, MPS INTI flags),
// 4 Local APIC NMI (6: processor UID 0xFF = all, MPS INTI flags, LINT#). MPS INTI flags:
// bits 1-0 polarity (0 conforms, 1 active high, 3 active low), bits 3-2 trigger mode
// (0 conforms, 1 edge, 3 level). Multi-byte fields are little-endian.
#include "devices/acpi/madt.h"
#include "devices/firmware/table_bytes.h"

namespace devices::acpi {

namespace {

using table_bytes::put16;
using table_bytes::put32;
using table_bytes::put8;
using table_bytes::put_text;

constexpr u16 kFlagsConforms = 0x0;
constexpr u16 kFlagsLevelHigh = 0x1 | (0x3 << 2);

void source_override(std::vector<u8>& t, u8 irq, u32 gsi, u16 flags) {
    put8(t, 2);
    put8(t, 10);
    put8(t, 0); // ISA
    put8(t, irq);
    put32(t, gsi);
    put16(t, flags);
}

} // namespace

std::vector<u8> build_madt(const ApicLayout& layout) {
    std::vector<u8> t;
    put_text(t, "APIC", 4);
    put32(t, 0); // length, patched below
    put8(t, kMadtRevision);
    put8(t, 0); // checksum, patched below
    put_text(t, "TX86", 6);
    put_text(t, "TX86PC", 8);
    put32(t, 1); // OEM revision
    put_text(t, "TX86", 4);
    put32(t, 1); // creator revision

    put32(t, layout.lapic_addr);
    put32(t, 1); // PCAT_COMPAT: an 8259A pair is present (the OS must mask it to use APICs)

    for (usize i = 0; i < layout.cpu_apic_ids.size(); ++i) {
        put8(t, 0);
        put8(t, 8);
        put8(t, static_cast<u32>(i)); // ACPI processor UID
        put8(t, layout.cpu_apic_ids[i]);
        put32(t, 1); // enabled
    }

    put8(t, 1);
    put8(t, 12);
    put8(t, layout.ioapic_id);
    put8(t, 0);
    put32(t, layout.ioapic_addr);
    put32(t, layout.ioapic_gsi_base);

    if (layout.irq0_on_pin2) {
        source_override(t, 0, layout.ioapic_gsi_base + 2, kFlagsConforms);
    }
    if (layout.sci_irq >= 0 && layout.sci_irq < 16) {
        // Without this override ACPI makes the SCI level, active low; tx86's line is active
        // high like every other, and the I/O APIC honours the polarity bit.
        const u8 irq = static_cast<u8>(layout.sci_irq);
        source_override(t, irq, layout.ioapic_gsi_base + irq, kFlagsLevelHigh);
    }

    put8(t, 4);
    put8(t, 6);
    put8(t, 0xFF); // all processors
    put16(t, kFlagsConforms);
    put8(t, 1); // LINT1

    const u32 len = static_cast<u32>(t.size());
    for (unsigned i = 0; i < 4; ++i) {
        t[4 + i] = static_cast<u8>(len >> (8 * i));
    }
    t[9] = table_bytes::checksum(t, 0, t.size());
    return t;
}

} // namespace devices::acpi
