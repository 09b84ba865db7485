// SPDX-License-Identifier: MIT
// Guest page-table walks: SDM Vol. 3A, 4.3 (32-bit paging, PSE and PSE-36) and 4.4 (PAE paging
// with execute-disable), with the accessed/dirty updates and #PF error codes of 4.7. The
// physical-address width is 36 bits (MAXPHYADDR, matching CPUID's PAE/PSE-36 family 6 part),
// which decides the reserved bits. Not here: caching (the CPU's TLB), segmentation.
#include "mmu/paging.h"

namespace mmu {
namespace {

constexpr u64 kP = 1, kRW = 2, kUS = 4, kA = 0x20, kD = 0x40, kPS = 0x80, kG = 0x100;
constexpr u64 kNX = u64{1} << 63;
using ctl::kCr0WP, ctl::kCr4PSE, ctl::kCr4PAE, ctl::kCr4PGE, ctl::kEferNXE;
/// Bits MAXPHYADDR (36) .. 62 of a PAE entry, reserved (SDM Vol. 3A, Tables 4-8 to 4-11).
constexpr u64 kPaeRsvdHigh = 0x7FFFFFF000000000ull;

struct Rights {
    bool write = true;
    bool user = true;
    bool nx = false;
};

/// The entries read so far, root first (Translation::entry_pa).
struct Path {
    u64 pa[3] = {};
    u8 levels = 0;
    void add(const PhysMap& mem, u64 entry_addr) { pa[levels++] = entry_addr & mem.a20_mask(); }
};

Translation fault(u32 code) {
    Translation t;
    t.error_code = code;
    return t;
}

/// Checks rights accumulated over all levels; returns 0 if allowed, or the #PF error code.
u32 check_rights(const PagingContext& ctx, const Rights& r, Access access, bool user) {
    const u32 base = u32{kPfPresent} | (access == Access::Write ? u32{kPfWrite} : 0u) |
                     (user ? u32{kPfUser} : 0u) |
                     (access == Access::Execute && (ctx.efer & kEferNXE) && (ctx.cr4 & kCr4PAE)
                          ? u32{kPfFetch}
                          : 0u);
    if (user && !r.user) {
        return base;
    }
    if (access == Access::Write && !r.write && (user || (ctx.cr0 & kCr0WP))) {
        return base;
    }
    if (access == Access::Execute && r.nx) {
        return base;
    }
    return 0;
}

/// The last step of every walk: checks the accumulated rights, sets A (and D on writes) in the
/// entry that maps the page, and builds the translation. `frame` is the page's physical base
/// and `offset_mask` its size - 1.
Translation map_leaf(PhysMap& mem, const PagingContext& ctx, const Path& path, unsigned entry_size,
                     u64 entry, u64 frame, u64 offset_mask, const Rights& r, Access access,
                     bool user, u64 lin) {
    const u64 entry_addr = path.pa[path.levels - 1];
    if (u32 e = check_rights(ctx, r, access, user)) {
        return fault(e);
    }
    const u64 want = kA | (access == Access::Write ? kD : 0);
    if ((entry & want) != want) {
        entry |= want;
        mem.write(entry_addr, entry_size, entry);
    }
    Translation t;
    t.ok = true;
    t.phys = frame | (lin & offset_mask);
    t.user = r.user;
    t.writable = (entry & kD) && (r.write || (!user && !(ctx.cr0 & kCr0WP)));
    t.global = (entry & kG) && (ctx.cr4 & kCr4PGE);
    t.nx = r.nx;
    t.page_mask = offset_mask;
    for (u8 i = 0; i < path.levels; ++i) {
        t.entry_pa[i] = path.pa[i];
    }
    t.levels = path.levels;
    return t;
}

} // namespace

Translation translate(PhysMap& mem, const PagingContext& ctx, u64 lin, Access access, bool user) {
    const bool nxe = (ctx.efer & kEferNXE) != 0;
    // I/D is reported only where execute-disable exists: PAE paging with EFER.NXE (4.7).
    const bool fetch_bit = access == Access::Execute && nxe && (ctx.cr4 & kCr4PAE);
    const u32 fault_base = (access == Access::Write ? u32{kPfWrite} : 0u) |
                           (user ? u32{kPfUser} : 0u) | (fetch_bit ? u32{kPfFetch} : 0u);
    Rights r;
    Path path;

    if (!(ctx.cr4 & kCr4PAE)) {
        lin &= 0xFFFFFFFFu;
        const u64 pde_addr = (ctx.cr3 & 0xFFFFF000u) + ((lin >> 22) << 2);
        path.add(mem, pde_addr);
        u64 pde = mem.read(pde_addr, 4);
        if (!(pde & kP)) {
            return fault(fault_base);
        }
        r.write = pde & kRW;
        r.user = pde & kUS;
        if ((pde & kPS) && (ctx.cr4 & kCr4PSE)) {
            // 4 MiB page; bits 13..16 give physical address bits 32..35 (PSE-36 with a 36-bit
            // physical width); bits 17..21 are reserved.
            if (pde & 0x3E0000u) {
                return fault(fault_base | kPfPresent | kPfReserved);
            }
            const u64 base = (pde & 0xFFC00000u) | (((pde >> 13) & 0xF) << 32);
            return map_leaf(mem, ctx, path, 4, pde, base, 0x3FFFFF, r, access, user, lin);
        }
        if (!(pde & kA)) {
            pde |= kA;
            mem.write(pde_addr, 4, pde);
        }
        const u64 pte_addr = (pde & 0xFFFFF000u) + (((lin >> 12) & 0x3FF) << 2);
        path.add(mem, pte_addr);
        u64 pte = mem.read(pte_addr, 4);
        if (!(pte & kP)) {
            return fault(fault_base);
        }
        r.write = r.write && (pte & kRW);
        r.user = r.user && (pte & kUS);
        return map_leaf(mem, ctx, path, 4, pte, pte & 0xFFFFF000u, 0xFFF, r, access, user, lin);
    }

    // PAE: PDPTE -> PDE -> PTE, 64-bit entries. (The PDPTEs are architecturally loaded at CR3
    // write; reading them here is equivalent as long as the guest follows the rules for
    // changing them, which Linux does.)
    lin &= 0xFFFFFFFFu;
    const u64 addr_mask = 0x0000000FFFFFF000ull;
    const u64 rsvd_nx = kPaeRsvdHigh | (nxe ? 0 : kNX);
    const u64 pdpte_addr = (ctx.cr3 & 0xFFFFFFE0u) + ((lin >> 30) << 3);
    path.add(mem, pdpte_addr);
    const u64 pdpte = mem.read(pdpte_addr, 8);
    if (!(pdpte & kP)) {
        return fault(fault_base);
    }
    if (pdpte & (0x1E6 | kPaeRsvdHigh | kNX)) {
        return fault(fault_base | kPfPresent | kPfReserved);
    }
    const u64 pde_addr = (pdpte & addr_mask) + (((lin >> 21) & 0x1FF) << 3);
    path.add(mem, pde_addr);
    u64 pde = mem.read(pde_addr, 8);
    if (!(pde & kP)) {
        return fault(fault_base);
    }
    if (pde & rsvd_nx) {
        return fault(fault_base | kPfPresent | kPfReserved);
    }
    r.write = pde & kRW;
    r.user = pde & kUS;
    r.nx = nxe && (pde & kNX);
    if (pde & kPS) {
        if (pde & 0x1FE000) {
            return fault(fault_base | kPfPresent | kPfReserved);
        }
        return map_leaf(mem, ctx, path, 8, pde, pde & 0x0000000FFFE00000ull, 0x1FFFFF, r,
                        access, user, lin);
    }
    if (!(pde & kA)) {
        pde |= kA;
        mem.write(pde_addr, 8, pde);
    }
    const u64 pte_addr = (pde & addr_mask) + (((lin >> 12) & 0x1FF) << 3);
    path.add(mem, pte_addr);
    u64 pte = mem.read(pte_addr, 8);
    if (!(pte & kP)) {
        return fault(fault_base);
    }
    if (pte & rsvd_nx) {
        return fault(fault_base | kPfPresent | kPfReserved);
    }
    r.write = r.write && (pte & kRW);
    r.user = r.user && (pte & kUS);
    r.nx = r.nx || (nxe && (pte & kNX));
    return map_leaf(mem, ctx, path, 8, pte, pte & addr_mask, 0xFFF, r, access, user, lin);
}

} // namespace mmu
