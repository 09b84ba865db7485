// SPDX-License-Identifier: MIT
// SpaceKey: what names one address space for the TLB, like an ASID/PCID: the paging structure
// CR3 points at plus the control bits that change how a walk reads it. Two contexts with equal
// keys translate every linear address the same way (given the same memory).
#pragma once

#include "base/types.h"
#include "mmu/paging.h"

namespace mmu {

struct SpaceKey {
    /// Paging-mode bits of `mode`.
    static constexpr u32 kPG = 1, kWP = 2, kPSE = 4, kPAE = 8, kPGE = 16, kNXE = 32;
    u64 root = 0; ///< physical address of the top paging structure (0 without paging)
    u32 mode = 0; ///< kPG... (0 without paging: nothing else matters then)
    bool operator==(const SpaceKey&) const = default;
    bool paging() const { return (mode & kPG) != 0; }
    bool pae() const { return (mode & kPAE) != 0; }
};

inline SpaceKey space_key(const PagingContext& ctx) {
    if (!(ctx.cr0 & ctl::kCr0PG)) {
        return SpaceKey{};
    }
    SpaceKey k;
    k.mode = SpaceKey::kPG | ((ctx.cr0 & ctl::kCr0WP) ? SpaceKey::kWP : 0u) |
             ((ctx.cr4 & ctl::kCr4PSE) ? SpaceKey::kPSE : 0u) |
             ((ctx.cr4 & ctl::kCr4PAE) ? SpaceKey::kPAE : 0u) |
             ((ctx.cr4 & ctl::kCr4PGE) ? SpaceKey::kPGE : 0u) |
             ((ctx.efer & ctl::kEferNXE) ? SpaceKey::kNXE : 0u);
    // CR3's low bits (PWT/PCD) do not change translations; PAE's PDPT is 32-byte aligned.
    k.root = ctx.cr3 & (k.pae() ? 0xFFFFFFE0u : 0xFFFFF000u);
    return k;
}

} // namespace mmu
