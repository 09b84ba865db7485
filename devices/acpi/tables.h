// SPDX-License-Identifier: MIT
// Builds the machine's ACPI tables (ACPI spec 6.x, chapter 5): RSDP (1.0 form, or 2.0 form
// with an XSDT), RSDT, FADT (revision 1, or 3 with the 64-bit X_ fields and the 0xCF9 reset
// register), FACS, a DSDT encoded with aml.h, and any extra tables the board hands in (the
// MADT from devices/acpi/madt.*). The DSDT describes \_SB.PCI0 (PNP0A03) with a _PRT that
// routes every slot's INTA-D through the PIIX swizzle to link devices \_SB.LNKA-LNKD
// (PNP0C0F, one fixed level/active-high/shared ISA IRQ each, matching what the PIIX3 PIRQ
// registers hold), the legacy ISA devices Linux enumerates through ACPI (PS/2 keyboard and
// mouse, RTC, COM1) under \_SB.PCI0.ISA, and \_S5 = Package {0, 0, 0, 0} for the PIIX4 PM's
// S5 sleep type. Two outputs: the tables laid out for a fixed guest-physical address (direct
// kernel boot) and the fw_cfg files plus "etc/table-loader" script SeaBIOS uses to place and
// patch them itself. Not here: the devices themselves, SSDTs, hotplug, HPET/MCFG tables.
#pragma once

#include "base/types.h"

#include <array>
#include <string>
#include <vector>

namespace devices::acpi {

struct AcpiConfig {
    u16 pm_base = 0x600;     ///< PIIX4 PMBASE (PM1a_EVT; PM1a_CNT at +4, PM_TMR at +8, GPE0 at +0xC)
    u16 sci_irq = 9;         ///< ISA IRQ of the SCI
    u16 smi_cmd = 0xB2;      ///< APM control port
    u8 acpi_enable = 0xF1;   ///< value written to smi_cmd to set SCI_EN
    u8 acpi_disable = 0xF0;  ///< value written to smi_cmd to clear SCI_EN
    /// ISA IRQ of PIRQA-D; the board (direct boot) or SeaBIOS programs the PIIX3 alike.
    std::array<u8, 4> pirq_irqs{10, 10, 11, 11};
    /// Start of the PCI memory hole (above RAM); the root bridge's window ends at 0xFEBFFFFF.
    u32 pci_hole_start = 0xE0000000;
    /// RSDP revision 2 with an XSDT, FADT revision 3 with the reset register (0xCF9 = 0x06).
    bool acpi2 = true;
    /// Describe the PS/2 keyboard/mouse, RTC and COM1 in the DSDT.
    bool isa_devices = true;
    /// Complete tables (header + body, checksummed) linked into the RSDT/XSDT after the FADT.
    std::vector<std::vector<u8>> extra_tables;
    std::string oem_id = "TX86";       ///< padded with spaces to 6
    std::string oem_table_id = "TX86PC"; ///< padded with spaces to 8
};

/// Tables laid out for a fixed address.
struct AcpiImage {
    std::vector<u8> tables; ///< copy to `tables_addr` (FACS first, 64-byte aligned)
    std::vector<u8> rsdp;   ///< 20 or 36 bytes; copy to a 16-byte boundary in 0xE0000-0xFFFFF
};

/// The same tables for SeaBIOS through fw_cfg.
struct AcpiFwCfgFiles {
    std::vector<u8> tables; ///< "etc/acpi/tables"
    std::vector<u8> rsdp;   ///< "etc/acpi/rsdp"
    std::vector<u8> loader; ///< "etc/table-loader": 128-byte commands
};

inline constexpr const char* kFwCfgTablesFile = "etc/acpi/tables";
inline constexpr const char* kFwCfgRsdpFile = "etc/acpi/rsdp";
inline constexpr const char* kFwCfgLoaderFile = "etc/table-loader";

/// Table-loader command numbers and allocation zones (QEMU docs, fw_cfg table loader).
inline constexpr u32 kLoaderAllocate = 1;
inline constexpr u32 kLoaderAddPointer = 2;
inline constexpr u32 kLoaderAddChecksum = 3;
inline constexpr u8 kLoaderZoneHigh = 1;
inline constexpr u8 kLoaderZoneFseg = 2;
inline constexpr usize kLoaderEntrySize = 128;
inline constexpr usize kLoaderFileNameSize = 56;

/// Tables for `tables_addr` (must be 64-byte aligned, below 4 GiB).
AcpiImage build_acpi_at(const AcpiConfig& config, u32 tables_addr);
/// Tables with file-relative pointers and the loader script that relocates them.
AcpiFwCfgFiles build_acpi_fw_cfg(const AcpiConfig& config);
/// The DSDT alone (checksummed), for tests and tools.
std::vector<u8> build_dsdt(const AcpiConfig& config);

/// (0 - sum of `n` bytes at `p`) mod 256: store it in a zeroed checksum field to make the
/// range sum to zero.
u8 acpi_checksum(const u8* p, usize n);

} // namespace devices::acpi
