// SPDX-License-Identifier: MIT
// Guest memory as a debugger sees it (the gdb stub's m/M/X packets, the monitor's x/xp and
// info tlb): linear addresses are translated through the guest's page tables by
// cpu::peek_walk (cpu/guest_peek.h), which never faults, never sets accessed/dirty bits and
// never fills the CPU's TLB, so looking at a machine does not change it. Only RAM and ROM are
// read (an MMIO register read can have side effects); writes go to RAM only, through PhysMap
// (so page-table watchers see them) followed by ExecutionEngine::invalidate_code (so
// translated code of the bytes goes).
// Not here: the architectural page walk (mmu/paging.h), which does set A/D bits.
#pragma once

#include "base/types.h"

#include <functional>
#include <optional>

namespace cpu {
class Cpu;
}
namespace mmu {
class PhysMap;
}

namespace frontend {

/// One leaf of the guest's page tables, for `info tlb`.
struct PageMapping {
    u64 lin = 0;
    u64 phys = 0;
    u64 size = 0; ///< 4 KiB, 2 MiB, 4 MiB or 1 GiB
    bool writable = false;
    bool user = false;
    bool global = false;
    bool nx = false;
};

/// Physical address of linear `lin` under the CPU's current paging state, or nothing when no
/// present mapping exists. Without paging the linear address is the physical one.
std::optional<u64> debug_translate(cpu::Cpu& cpu, u64 lin);

/// Reads `n` bytes of physical memory (RAM or ROM only). False if any byte is elsewhere.
bool debug_read_phys(const mmu::PhysMap& phys, u64 pa, u8* out, usize n);
/// Reads `n` bytes at linear `lin`. False if any byte is unmapped or not RAM/ROM.
bool debug_read_linear(cpu::Cpu& cpu, u64 lin, u8* out, usize n);
/// Writes `n` bytes of RAM at physical `pa`. False (nothing written) if any byte is not RAM.
bool debug_write_phys(cpu::Cpu& cpu, u64 pa, const u8* data, usize n);
/// Writes `n` bytes at linear `lin`. False (nothing written) if any byte is unmapped or not RAM.
bool debug_write_linear(cpu::Cpu& cpu, u64 lin, const u8* data, usize n);

/// Calls `visit` for every present leaf mapping of the current page tables in ascending
/// linear order (nothing when paging is off).
void debug_walk_mappings(cpu::Cpu& cpu, const std::function<void(const PageMapping&)>& visit);

} // namespace frontend
