// SPDX-License-Identifier: MIT
// WriteTagIndex: for each physical page, the TLB slots that hold a fast write tag for it. When a
// page starts holding cached code or watched paging structures, every fast write access to it
// must go, in every retained address space; this finds those slots without scanning all of
// them. Slots are numbers the owner (mmu/shadow_spaces.h) chooses, below the size given here.
// Not here: what a slot holds.
#pragma once

#include "base/types.h"

#include <memory>
#include <vector>

namespace mmu {

class WriteTagIndex {
public:
    /// `slots`: how many slot numbers; `pages`: page numbers below it can be linked.
    WriteTagIndex(u32 slots, u64 pages);

    /// Records that `slot` holds a fast write tag for page `ppn` (false: ppn out of range, the
    /// slot must not get the tag).
    bool link(u32 slot, u64 ppn);
    /// Forgets `slot` (no-op when it is not linked).
    void unlink(u32 slot);
    /// Calls f(slot) for every slot linked to page `ppn` and unlinks them all.
    template <typename F> void take(u64 ppn, F&& f) {
        if (!m_head || ppn >= m_pages) {
            return;
        }
        u32 s = m_head[ppn];
        m_head[ppn] = 0;
        while (s != 0) {
            Link& l = m_links[s - 1];
            const u32 next = l.next;
            l = Link{};
            f(s - 1);
            s = next;
        }
    }
    usize memory_bytes() const;

private:
    static constexpr u32 kUnlinked = ~u32{0};
    /// Neighbours as slot + 1 (0: none) and the page the slot is linked to.
    struct Link {
        u32 prev = 0;
        u32 next = 0;
        u32 ppn = kUnlinked;
    };
    std::vector<Link> m_links;
    u64 m_pages;
    std::unique_ptr<u32[]> m_head; ///< per page: first slot + 1; allocated on first link
};

} // namespace mmu
