// SPDX-License-Identifier: MIT
// Guest page-table walkers: 2-level 32-bit (4 KiB and PSE 4 MiB pages), PAE (3-level, NX) and,
// later, 4-level long mode. They set accessed/dirty bits exactly when hardware does and report
// page faults as values. Not here: caching translations (the CPU's TLB), segmentation.
#pragma once

#include "base/types.h"
#include "mmu/phys_map.h"

namespace mmu {

enum class Access : u8 { Read = 0, Write = 1, Execute = 2 };

/// Control-register bits the walkers read (the values of cpu/state.h, which mmu/ does not
/// include).
namespace ctl {
inline constexpr u64 kCr0PG = u64{1} << 31, kCr0WP = u64{1} << 16;
inline constexpr u64 kCr4PSE = u64{1} << 4, kCr4PAE = u64{1} << 5, kCr4PGE = u64{1} << 7;
inline constexpr u64 kEferNXE = u64{1} << 11;
} // namespace ctl

/// The paging-relevant control state (so mmu/ need not include cpu/).
struct PagingContext {
    u64 cr0 = 0;
    u64 cr3 = 0;
    u64 cr4 = 0;
    u64 efer = 0;
};

/// Page-fault error code bits.
enum : u32 { kPfPresent = 1, kPfWrite = 2, kPfUser = 4, kPfReserved = 8, kPfFetch = 16 };

struct Translation {
    bool ok = false;
    u64 phys = 0;          ///< physical address of `lin`
    u32 error_code = 0;    ///< #PF error code when !ok
    bool writable = false; ///< a write by the same privilege would succeed (and D is set)
    bool user = false;     ///< user-accessible
    bool global = false;
    bool nx = false;
    u64 page_mask = 0xFFF; ///< offset mask of the page that maps `lin`
    /// Physical addresses (A20 applied) of the paging-structure entries the walk used, root
    /// first: PDE then PTE (32-bit paging), PDPTE, PDE then PTE (PAE); the PTE is absent for a
    /// large page. A TLB that retains the translation watches these for writes.
    u64 entry_pa[3] = {};
    u8 levels = 0; ///< how many of entry_pa are valid (0 when !ok)
};

/// Translates a linear address. `user` is true for CPL-3 accesses (and implicit supervisor
/// accesses pass false). Sets A (and D on writes) in the guest's tables.
Translation translate(PhysMap& mem, const PagingContext& ctx, u64 lin, Access access, bool user);

} // namespace mmu
