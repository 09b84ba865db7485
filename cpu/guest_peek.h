// SPDX-License-Identifier: MIT
// Looking at guest memory without disturbing the guest: reads by linear address as a
// supervisor access would see them, through a read-only page walk that never raises a fault,
// never sets accessed/dirty bits, never fills the TLB and never touches MMIO (a device read
// can have side effects). For explanations and debugger views (cpu/fault_explain.h); the
// walk reports each paging-structure entry it read, so a view can say why an address is not
// mapped. Not here: the architectural walk with its A/D updates and #PF codes (mmu/paging.h).
#pragma once

#include "base/types.h"

#include <string>

namespace cpu {

class Cpu;

/// Paging-structure entry bits and address fields (SDM Vol. 3A, 4.3-4.5), shared by the walks
/// that decode entries without the architectural walker (this file, frontend/debug_memory.cpp).
namespace pte {
constexpr u64 kP = 1, kRW = 2, kUS = 4, kPS = 0x80, kG = 0x100;
constexpr u64 kNX = u64{1} << 63;
/// Bits 12..35 of a PAE entry: the address width mmu/paging.cpp walks with.
constexpr u64 kAddrPae = 0x0000000FFFFFF000ull;
/// Bits 12..51 of a long-mode entry.
constexpr u64 kAddrLong = 0x000FFFFFFFFFF000ull;
/// Physical base of a 4 MiB page of 32-bit paging: PSE-36 puts address bits 32..35 in PDE
/// bits 13..16 (as mmu/paging.cpp decodes them).
constexpr u64 pse36_base(u64 pde) { return (pde & 0xFFC00000u) | (((pde >> 13) & 0xF) << 32); }
} // namespace pte

/// Where a linear address maps, and the paging-structure entries the walk read.
struct PeekWalk {
    struct Entry {
        const char* level = ""; ///< "PML4E", "PDPTE", "PDE" or "PTE"
        u64 pa = 0;             ///< physical address of the entry
        u64 value = 0;
        bool readable = false;  ///< the entry lies in RAM/ROM (otherwise the walk stopped)
    };
    bool paging = false;   ///< CR0.PG was set (otherwise linear = physical)
    bool mapped = false;   ///< every level present; `phys` is valid
    u64 phys = 0;
    bool rw = false;       ///< R/W set at every level
    bool user = false;     ///< U/S set at every level
    Entry entries[4];
    u8 levels = 0;

    /// Whether a write by a supervisor (`user` false) or CPL-3 access would be allowed.
    bool write_allowed(bool user_access, bool cr0_wp) const {
        return mapped && (user_access ? user && rw : rw || !cr0_wp);
    }
    /// "PDE 0x00002004 = 0x00003027 (P RW US), PTE 0x00003400 = 0x00000000 (not present)",
    /// or "paging off".
    std::string describe() const;
};

/// Walks the current page tables for linear address `lin` (32-bit paging with PSE, PAE, or
/// 4-level long-mode paging; outside long mode `lin` is taken modulo 4 GiB).
PeekWalk peek_walk(Cpu& cpu, u64 lin);

/// Copies `n` bytes at linear `lin` into `out`. False (with `out` unspecified) when some byte
/// is not mapped or not in RAM/ROM.
bool peek_linear(Cpu& cpu, u64 lin, void* out, usize n);

} // namespace cpu
