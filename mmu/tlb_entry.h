// SPDX-License-Identifier: MIT
// TlbEntry: one cached linear->physical translation, the unit the shadow spaces
// (mmu/shadow_spaces.h) store and the CPU's fast paths read. Its layout is an interface:
// translated code (translator/) compares the tags and adds the addend inline.
#pragma once

#include "base/types.h"

namespace mmu {

/// One TLB entry: a linear page and what the last walk allowed. The first four fields are the
/// fast path, read inline by the interpreter and by translated code (translator/): a tag equals
/// the page's linear address (low 12 bits clear) only when that kind of access may go straight
/// to host memory at `addend + linear address`. The rest is the slow path's record of the walk.
struct alignas(64) TlbEntry {
    static constexpr u64 kNoTag = ~u64{0};
    u64 read_tag = kNoTag;  ///< page address if reads may use `addend`
    u64 write_tag = kNoTag; ///< page address if writes may use `addend` (RAM, D set, not watched)
    u64 exec_tag = kNoTag;  ///< page address if fetches may use `addend`
    uptr addend = 0;        ///< host address of the page minus its linear address
    u64 walked_vpn = kNoTag; ///< linear page number the walk below belongs to (kNoTag: empty)
    u64 ppage = 0;          ///< physical page address
    u8* host = nullptr;     ///< host pointer to the page (nullptr: MMIO/unmapped)
    bool can_write = false; ///< the walk allows writes by this privilege (and D is set)
    bool can_exec = false;
    bool global = false;
    /// Writes would have a fast tag but for cached code on the page: translated code may still
    /// write chunks of it that hold no code (PhysMap::code_chunks) without the slow path.
    bool code_only = false;
};
static_assert(sizeof(TlbEntry) == 64, "the translator indexes the TLB with a shift by 6");

} // namespace mmu
