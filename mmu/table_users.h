// SPDX-License-Identifier: MIT
// TableUsers: which retained address spaces read paging structures from which physical page,
// and in what role: the reverse map a write to a watched page is resolved with. It also keeps
// PhysMap's watch count: a page is watched exactly while it has a use here. Not here: the TLB
// entries themselves (mmu/shadow_spaces.h).
#pragma once

#include "base/types.h"
#include "mmu/phys_map.h"

#include <unordered_map>
#include <vector>

namespace mmu {

/// One use of a page by one address space.
struct TableUse {
    enum Role : u8 {
        Root,  ///< the structure CR3 points at (page directory; PAE: the page holding the PDPT)
        Dir,   ///< PAE page directory of the 1 GiB quarter `index`
        Table, ///< page table of the region `index` (4 MiB; PAE: 2 MiB)
    };
    u16 space = 0;
    Role role = Root;
    u16 index = 0;
    bool operator==(const TableUse&) const = default;
};

class TableUsers {
public:
    explicit TableUsers(PhysMap& phys) : m_phys(phys) {}
    ~TableUsers() { clear(); }
    TableUsers(const TableUsers&) = delete;
    TableUsers& operator=(const TableUsers&) = delete;

    /// Adds a use of page `ppn`. Returns true when the page just became watched in the PhysMap
    /// (the caller must then revoke fast write access to it).
    bool add(u64 ppn, TableUse use);
    /// Removes one use; the page is unwatched when it has none left.
    void remove(u64 ppn, TableUse use);
    /// The uses of page `ppn`, or nullptr when this map does not watch it.
    const std::vector<TableUse>* find(u64 ppn) const {
        const auto it = m_uses.find(ppn);
        return it == m_uses.end() ? nullptr : &it->second;
    }
    /// Removes every use (and watch).
    void clear();
    /// Pages watched now.
    usize pages() const { return m_uses.size(); }
    usize memory_bytes() const;

private:
    PhysMap& m_phys;
    std::unordered_map<u64, std::vector<TableUse>> m_uses;
};

} // namespace mmu
