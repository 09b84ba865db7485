// SPDX-License-Identifier: MIT
#include "mmu/table_users.h"

#include <algorithm>

namespace mmu {

bool TableUsers::add(u64 ppn, TableUse use) {
    std::vector<TableUse>& v = m_uses[ppn];
    v.push_back(use);
    return v.size() == 1 && m_phys.watch_add(ppn << PhysMap::kPageShift);
}

void TableUsers::remove(u64 ppn, TableUse use) {
    const auto it = m_uses.find(ppn);
    if (it == m_uses.end()) {
        return;
    }
    std::vector<TableUse>& v = it->second;
    const auto u = std::find(v.begin(), v.end(), use);
    if (u == v.end()) {
        return;
    }
    *u = v.back();
    v.pop_back();
    if (v.empty()) {
        m_uses.erase(it);
        m_phys.watch_remove(ppn << PhysMap::kPageShift);
    }
}

void TableUsers::clear() {
    for (const auto& [ppn, uses] : m_uses) {
        m_phys.watch_remove(ppn << PhysMap::kPageShift);
    }
    m_uses.clear();
}

usize TableUsers::memory_bytes() const {
    usize n = m_uses.bucket_count() * sizeof(void*);
    for (const auto& [ppn, uses] : m_uses) {
        n += sizeof(ppn) + sizeof(uses) + 2 * sizeof(void*) + uses.capacity() * sizeof(TableUse);
    }
    return n;
}

} // namespace mmu
