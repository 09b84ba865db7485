// SPDX-License-Identifier: MIT
// PageCounts: a counter per 4 KiB page of the mapped physical space, allocated on first use.
// PhysMap keeps two: instructions cached from a page (code_*) and TLBs watching a page that
// holds paging structures (watch_*). Not here: what the counts mean (mmu/phys_map.h).
#pragma once

#include "base/types.h"

#include <memory>

namespace mmu {

class PageCounts {
public:
    /// `pages`: how many pages the counts cover (page numbers below it).
    explicit PageCounts(u64 pages) : m_pages(pages) {}

    u32 get(u64 ppn) const { return ppn < m_pages && m_count ? m_count[ppn] : 0; }
    /// Returns true when the page's count just went from 0 to 1.
    bool add(u64 ppn) {
        if (ppn >= m_pages) {
            return false;
        }
        if (!m_count) {
            m_count = std::make_unique<u32[]>(m_pages);
        }
        return m_count[ppn]++ == 0;
    }
    /// Returns true when the page's count just went from 1 to 0.
    bool remove(u64 ppn) {
        if (m_count && ppn < m_pages && m_count[ppn] > 0) {
            return --m_count[ppn] == 0;
        }
        return false;
    }
    void clear() { m_count.reset(); }

private:
    u64 m_pages;
    std::unique_ptr<u32[]> m_count;
};

} // namespace mmu
