// SPDX-License-Identifier: MIT
// The Intel MultiProcessor Specification 1.4 tables for an ApicLayout: the 16-byte MP
// floating pointer structure followed by the MP configuration table (base table only) with
// processor, bus (ISA, and PCI when asked), I/O APIC, I/O interrupt assignment (ISA IRQs
// 0-15, IRQ0 on pin 2 as on PCs, the 8259A as ExtINT on pin 0) and local interrupt
// assignment (ExtINT on LINT0, NMI on LINT1) entries. The blob is laid out for one
// guest-physical address, which the board must pick where the OS scans (MPS 1.4 section
// 4: the first KiB of the EBDA, the last KiB of base memory, or 0xF0000-0xFFFFF) and keep
// out of the e820 RAM the OS may reuse. Not here: extended table entries.
#pragma once

#include "base/types.h"
#include "devices/intc/apic_layout.h"

#include <vector>

namespace devices::firmware {

/// Which buses the configuration table lists. With PCI, the PCI bus is bus 0 and ISA bus 1.
enum class MpBuses : u8 { IsaOnly, PciAndIsa };

/// Size of the floating pointer structure; the configuration table follows it.
inline constexpr usize kMpFloatingSize = 16;

/// The floating pointer (at offset 0, pointing to `addr + 16`) and the configuration table,
/// to be copied to guest-physical `addr` (16-byte aligned).
std::vector<u8> build_mptable(const ApicLayout& layout, u32 addr, MpBuses buses = MpBuses::IsaOnly);

} // namespace devices::firmware
