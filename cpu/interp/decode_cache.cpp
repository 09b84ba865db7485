// SPDX-License-Identifier: MIT
// DecodeCache: insertion, precise invalidation on writes, and flushing. See decode_cache.h.
#include "cpu/interp/decode_cache.h"

#include "mmu/phys_map.h"

#include <algorithm>

namespace cpu::interp {

DecodeCache::DecodeCache(mmu::PhysMap& phys)
    : m_phys(phys), m_entries(std::make_unique<Entry[]>(kSize)) {}

// The PhysMap may already be gone when the engine is destroyed, so the page counts are left
// as they are (a stale count only sends writes to the slow path).
DecodeCache::~DecodeCache() = default;

void DecodeCache::drop(Entry& e) {
    m_phys.code_remove(e.key >> 2);
    e.key = kEmpty;
    --m_live;
}

const DecodedInsn* DecodeCache::insert(u64 pa, CodeMode mode, const DecodedInsn& insn,
                                      bool& new_code_page) {
    Entry& e = m_entries[slot(pa, mode)];
    if (e.key != kEmpty) {
        drop(e); // direct-mapped: the previous occupant is evicted
    }
    e.key = key(pa, mode);
    e.insn = insn;
    ++m_live;
    new_code_page = m_phys.code_add(pa);
    m_phys.code_chunks_mark(pa, insn.length);
    return &e.insn;
}

void DecodeCache::invalidate(u64 pa, u64 len) {
    if (m_live == 0 || len == 0) {
        return;
    }
    pa &= m_phys.a20_mask(); // entries are keyed by the address after the A20 gate
    // Instructions are at most 15 bytes, so any overlapping one starts in [pa-14, pa+len).
    const u64 first = pa >= 14 ? pa - 14 : 0;
    const u64 end = pa + len;
    for (u64 page = first & ~u64{0xFFF}; page < end; page += 0x1000) {
        if (m_phys.code_count(page) == 0) {
            continue; // nothing cached from this page (the common case for data writes)
        }
        const u64 lo = std::max(first, page);
        const u64 hi = std::min(end, page + 0x1000);
        for (u64 start = lo; start < hi; ++start) {
            for (CodeMode mode : {CodeMode::Bits16, CodeMode::Bits32, CodeMode::Bits64}) {
                Entry& e = m_entries[slot(start, mode)];
                if (e.key == key(start, mode) && start + e.insn.length > pa) {
                    drop(e);
                }
            }
        }
    }
}

void DecodeCache::clear() {
    if (m_live != 0) {
        for (usize i = 0; i < kSize; ++i) {
            m_entries[i].key = kEmpty;
        }
        m_live = 0;
    }
    // Counting down entry by entry would be wrong after an A20 change (the counts were taken
    // under the old mask), so the counts are dropped wholesale: this engine is their only user.
    m_phys.code_clear();
}

} // namespace cpu::interp
