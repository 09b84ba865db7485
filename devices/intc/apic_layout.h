// SPDX-License-Identifier: MIT
// ApicLayout: how the machine's APICs are arranged, as firmware tables describe it to the
// guest (the ACPI MADT in devices/acpi/madt.h, the MP table in devices/firmware/mptable.h).
// A plain description with the PC's defaults; the board fills one in to match how it built
// and wired devices/intc/lapic.h and ioapic.h. Not here: the devices themselves.
#pragma once

#include "base/types.h"

#include <vector>

namespace devices {

struct ApicLayout {
    /// Physical address of the local APIC register page.
    u32 lapic_addr = 0xFEE00000;
    /// Local APIC IDs of the CPUs, the first being the bootstrap processor.
    std::vector<u8> cpu_apic_ids{0};
    /// Local APIC version register bits 7-0.
    u8 lapic_version = 0x14;
    /// I/O APIC ID (unique among APIC IDs: 1 next to one CPU with ID 0).
    u8 ioapic_id = 1;
    u8 ioapic_version = 0x11;
    u32 ioapic_addr = 0xFEC00000;
    /// First global system interrupt of the I/O APIC's pin 0 (ACPI numbering).
    u32 ioapic_gsi_base = 0;
    /// ISA IRQ0 (the PIT) is wired to I/O APIC pin 2, as on PCs; pin 0 then carries the
    /// 8259A's INTR (see pic_on_pin0).
    bool irq0_on_pin2 = true;
    /// The 8259A's INTR output is also wired to I/O APIC pin 0 (virtual wire mode through
    /// the I/O APIC). Reported in the MP table as an ExtINT assignment.
    bool pic_on_pin0 = true;
    /// ISA IRQ of the ACPI SCI (a level-triggered, active-high line on tx86), or -1 for none.
    int sci_irq = 9;
    /// Values for the MP table's processor entries: CPUID.1 EAX (family/model/stepping) and
    /// EDX (feature flags). Defaults match tx86's CPU (family 6, model 13, stepping 6; FPU to
    /// APIC, SEP to PSE-36, CLFSH, MMX, FXSR, SSE, SSE2: cpu/cpuid.cpp with the APIC bit on).
    u32 cpu_signature = 0x6D6;
    u32 cpu_features = 0x078BFBFF;
};

} // namespace devices
