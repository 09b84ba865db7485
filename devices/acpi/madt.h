// SPDX-License-Identifier: MIT
// The ACPI Multiple APIC Description Table (MADT, signature "APIC"; ACPI spec 6.x section
// 5.2.12) for an ApicLayout: the local APIC address with PCAT_COMPAT (the PC's 8259A pair is
// present), one Processor Local APIC entry per CPU, the I/O APIC, Interrupt Source Overrides
// for ISA IRQ0 -> GSI 2 and for the SCI (level, active high), and a Local APIC NMI entry for
// LINT1 on all processors. Returns a complete table (header and checksum) for the ACPI
// builder's extra_tables (devices/acpi/tables.h). Not here: the other ACPI tables.
#pragma once

#include "base/types.h"
#include "devices/intc/apic_layout.h"

#include <vector>

namespace devices::acpi {

/// MADT revision written in the header (the ACPI 1.0/2.0 layout every entry here uses).
inline constexpr u8 kMadtRevision = 1;

/// The complete MADT for `layout`.
std::vector<u8> build_madt(const ApicLayout& layout);

} // namespace devices::acpi
