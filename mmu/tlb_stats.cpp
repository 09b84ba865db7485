// SPDX-License-Identifier: MIT
#include "mmu/tlb_stats.h"

namespace mmu {

void TlbStats::print(std::FILE* out, u64 watched_pages_now) const {
    auto u = [](u64 v) { return static_cast<unsigned long long>(v); };
    std::fprintf(out,
                 "mmu: fills %llu, page faults %llu; CR3 loads %llu, space switches %llu (retained "
                 "space found %llu, evictions %llu, dropped as reused %llu); flushes %llu, "
                 "INVLPG %llu\n"
                 "mmu: writes to watched page tables %llu (entries changed %llu, TLB entries "
                 "invalidated %llu); write revocations %llu; watched pages %llu (peak %llu); global "
                 "entries inherited by new spaces %llu\n",
                 u(fills), u(page_faults), u(cr3_loads), u(space_switches), u(space_hits),
                 u(space_evictions), u(spaces_dropped), u(flushes), u(page_flushes), u(watched_writes),
                 u(entries_changed), u(entries_invalidated), u(write_revokes),
                 u(watched_pages_now), u(watched_pages_peak), u(globals_inherited));
}

} // namespace mmu
