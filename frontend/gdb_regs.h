// SPDX-License-Identifier: MIT
// The register file gdb sees: one table of rows (number, name, size, XML type, feature) from
// which both the target description (qXfer:features:read target.xml) and the g/G/p/P byte
// layout come, so the two cannot disagree. Numbers 0-31 are gdb's org.gnu.gdb.i386.core (general
// registers, eip, eflags, the six selectors, the x87 stack and its control registers), 32-40
// org.gnu.gdb.i386.sse (xmm0-7, mxcsr); after them, in a feature of our own
// (org.tx86.i386.system, shown by `info registers`), the segment bases, cr0 cr2 cr3 cr4, efer,
// the descriptor-table registers and the ldtr/tr selectors.
#pragma once

#include "base/types.h"

#include <string>
#include <string_view>
#include <vector>

namespace cpu {
class Cpu;
}

namespace frontend::gdb {

struct RegInfo {
    const char* name;
    u8 bytes;
    /// An integer register: general, eip, eflags, selectors and the system registers (not
    /// the x87 or SSE state).
    bool integer;
};

/// Number of registers in the description.
unsigned register_count();
/// Name and size of register `regno` (< register_count()).
RegInfo register_info(unsigned regno);
/// Register number of `name`, or -1.
int register_number(std::string_view name);

/// The target description (a complete XML document with all features inline).
const std::string& target_xml();

/// Register `regno` as gdb expects it: `bytes` bytes, little-endian. Empty if regno is unknown.
std::vector<u8> read_register(cpu::Cpu& cpu, unsigned regno);
/// Sets register `regno` from `value` (exactly its size). Segment selectors reload their
/// descriptor cache (from the GDT/LDT in protected mode); control registers flush the TLB.
/// False if regno is unknown, the size is wrong, or the register cannot be changed to that
/// value (ldtr and tr are read-only).
bool write_register(cpu::Cpu& cpu, unsigned regno, const std::vector<u8>& value);

/// Every register in order, concatenated (the 'g' packet, before hex encoding).
std::vector<u8> read_all_registers(cpu::Cpu& cpu);
/// The 'G' packet: `data` holds registers in order; it may stop early (gdb sends only what it
/// knows). False on a partial register or a refused value (earlier ones stay written).
bool write_all_registers(cpu::Cpu& cpu, const std::vector<u8>& data);

} // namespace frontend::gdb
