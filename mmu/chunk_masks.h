// SPDX-License-Identifier: MIT
// ChunkMasks: a 64-bit mask per 4 KiB page of the mapped physical space (one bit per 64-byte
// chunk), allocated on first use and never moved afterwards: translated code embeds the table's
// address. PhysMap keeps one for the chunks of code pages that hold cached code.
#pragma once

#include "base/types.h"

#include <cstdlib>
#include <cstring>
#include <memory>

namespace mmu {

class ChunkMasks {
public:
    explicit ChunkMasks(u64 pages) : m_pages(pages) {}

    u64 get(u64 ppn) const { return ppn < m_pages && m_mask ? m_mask.get()[ppn] : 0; }
    void mark(u64 ppn, u64 bits) {
        if (ppn < m_pages) {
            table()[ppn] |= bits;
        }
    }
    /// Clears one page's mask (no-op when nothing was ever marked).
    void reset(u64 ppn) {
        if (ppn < m_pages && m_mask) {
            m_mask.get()[ppn] = 0;
        }
    }
    void clear() {
        if (m_mask) {
            std::memset(m_mask.get(), 0, m_pages * sizeof(u64));
        }
    }
    /// The table (allocated now if needed; calloc leaves untouched pages uncommitted).
    u64* table() {
        if (!m_mask) {
            m_mask.reset(static_cast<u64*>(std::calloc(m_pages, sizeof(u64))));
        }
        return m_mask.get();
    }

private:
    struct Free {
        void operator()(u64* p) const { std::free(p); }
    };
    u64 m_pages;
    std::unique_ptr<u64, Free> m_mask;
};

} // namespace mmu
