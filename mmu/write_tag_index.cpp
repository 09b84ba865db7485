// SPDX-License-Identifier: MIT
#include "mmu/write_tag_index.h"

namespace mmu {

WriteTagIndex::WriteTagIndex(u32 slots, u64 pages) : m_links(slots), m_pages(pages) {}

bool WriteTagIndex::link(u32 slot, u64 ppn) {
    if (ppn >= m_pages) {
        return false;
    }
    if (!m_head) {
        m_head = std::make_unique<u32[]>(m_pages);
    }
    unlink(slot);
    Link& l = m_links[slot];
    l.ppn = static_cast<u32>(ppn);
    l.prev = 0;
    l.next = m_head[ppn];
    if (l.next != 0) {
        m_links[l.next - 1].prev = slot + 1;
    }
    m_head[ppn] = slot + 1;
    return true;
}

void WriteTagIndex::unlink(u32 slot) {
    Link& l = m_links[slot];
    if (l.ppn == kUnlinked) {
        return;
    }
    if (l.prev != 0) {
        m_links[l.prev - 1].next = l.next;
    } else {
        m_head[l.ppn] = l.next;
    }
    if (l.next != 0) {
        m_links[l.next - 1].prev = l.prev;
    }
    l = Link{};
}

usize WriteTagIndex::memory_bytes() const {
    return m_links.size() * sizeof(Link) + (m_head ? m_pages * sizeof(u32) : 0);
}

} // namespace mmu
