// SPDX-License-Identifier: MIT
// TlbStats: what the TLB and its retained address spaces did, for the `-d mmu` summary at exit.
#pragma once

#include "base/types.h"

#include <cstdio>

namespace mmu {

struct TlbStats {
    u64 fills = 0;            ///< page walks that installed an entry
    u64 page_faults = 0;      ///< walks that ended in #PF
    u64 cr3_loads = 0;        ///< MOV CR3 and task switches
    u64 space_switches = 0;   ///< times the current address space changed
    u64 space_hits = 0;       ///< ... to a space that was still retained
    u64 space_evictions = 0;  ///< retained spaces dropped to make room (least recently used)
    u64 spaces_dropped = 0;   ///< retained spaces dropped because their tables kept being written
    u64 flushes = 0;          ///< whole-TLB flushes (paging-mode changes, CR4.PGE, memory map)
    u64 page_flushes = 0;     ///< INVLPG
    u64 watched_writes = 0;   ///< guest writes to watched paging-structure pages
    u64 entries_changed = 0;  ///< paging-structure entries those writes changed (beyond A/D)
    u64 entries_invalidated = 0; ///< TLB entries they invalidated
    u64 write_revokes = 0;    ///< pages whose fast write access was withdrawn (code, tables)
    u64 watched_pages_peak = 0;
    u64 globals_inherited = 0; ///< global entries a new space took over from the previous one

    void print(std::FILE* out, u64 watched_pages_now) const;
};

} // namespace mmu
