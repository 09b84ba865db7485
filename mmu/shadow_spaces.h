// SPDX-License-Identifier: MIT
// ShadowSpaces: the TLB of one CPU, kept per address space. It retains the entries of the N most
// recently used address spaces (SpaceKey: CR3 plus the paging-mode bits), like a PCID-tagged
// TLB, so that a CR3 switch back to a recent process finds its translations still there.
//
// Retaining entries is only correct while they match the guest's page tables, so every entry
// remembers which paging-structure entries it came from: the pages holding them are watched
// (PhysMap::watch_add: no fast write access anywhere), each write to one arrives here
// (WriteWatcher) and invalidates exactly the entries derived from the paging-structure entry it
// changed, in every space and both banks. The bookkeeping follows the x86 structure rather than
// keeping a list per entry: per space and per region (the 4 MiB a page-directory entry maps;
// 2 MiB with PAE) the page table it uses and how many entries it holds. A PTE write names one
// linear page; a PDE write one region.
//
// Not here: the page walk (mmu/paging.h), the CPU's fast paths and policy (cpu/cpu.h).
#pragma once

#include "base/huge_pages.h"
#include "base/types.h"
#include "mmu/phys_map.h"
#include "mmu/space_key.h"
#include "mmu/table_users.h"
#include "mmu/tlb_entry.h"
#include "mmu/tlb_stats.h"
#include "mmu/write_tag_index.h"

#include <memory>
#include <vector>

namespace mmu {

/// What a page walk produced, for ShadowSpaces::install.
struct TlbFill {
    u64 ppage = 0;          ///< physical page address
    bool writable = false;  ///< the walk allows writes (and D is set)
    bool executable = true;
    bool global = false;
    u64 entry_pa[3] = {};   ///< Translation::entry_pa
    u8 levels = 0;          ///< 0: no paging
};

class ShadowSpaces final : public WriteWatcher {
public:
    static constexpr unsigned kBanks = 2; ///< [0] supervisor accesses, [1] CPL-3 accesses

    /// `slots_per_bank` (a power of two) entries per bank, `spaces` address spaces retained.
    ShadowSpaces(PhysMap& phys, u32 slots_per_bank, u32 spaces);
    ~ShadowSpaces() override;
    ShadowSpaces(const ShadowSpaces&) = delete;
    ShadowSpaces& operator=(const ShadowSpaces&) = delete;

    /// Bank `u` of the current space (slots_per_bank entries, indexed by linear page number).
    TlbEntry* bank(unsigned u) { return &m_entries[slot_of(m_cur, u, 0)]; }
    const SpaceKey& key() const { return m_spaces[m_cur].key; }
    /// Makes the space of `key` current: the retained one, else a new empty one in place of the
    /// least recently used. Returns true when the current space changed.
    bool select(const SpaceKey& key);
    /// Installs the translation of linear page `vpn` in bank `u` of the current space.
    TlbEntry& install(unsigned u, u64 vpn, const TlbFill& fill);
    /// Gives the entry of `vpn` in bank `u` (which allows writes) its fast write tag if its page
    /// no longer needs the slow path (it stopped holding code or paging structures).
    void grant_write(unsigned u, u64 vpn);
    /// Empties every space, global entries included, and makes `key` current.
    void flush_all(const SpaceKey& key);
    /// INVLPG: drops linear page `vpn` from every space.
    void flush_page(u64 vpn);
    /// Withdraws every fast write access to physical page `ppage` (it now holds paging
    /// structures the TLB watches).
    void revoke_write(u64 ppage);
    /// The page just started holding cached code: fast write tags to it go, and those entries
    /// become code_only (translated code may still write the page's code-free chunks).
    void revoke_write_for_code(u64 ppage);

    void watched_write(u64 pa, unsigned size, u64 old_value, u64 new_value) override;

    /// Moves whenever a translation may have changed or gone: a TLB flush (whole or a page),
    /// a space selected (a CR3 load, even of the same space) and any entry dropped (a watched
    /// paging-structure write, an eviction). Translated code keeps return predictions only
    /// while it stands (translator/jit_context.h, ReturnPrediction).
    const u64* epoch() const { return &m_epoch; }
    TlbStats& stats() { return m_stats; }
    usize watched_pages() const { return m_users.pages(); }
    u32 live_spaces() const;
    /// Host memory this TLB uses now (see mmu/README.md for the bound).
    usize memory_bytes() const;

private:
    /// A writable RAM entry: the fast write tag, or code_only when the page holds code.
    void grant_or_code_only(TlbEntry& e, u64 page);
    static constexpr u32 kNone = ~u32{0};     ///< no page table recorded for a region
    static constexpr u32 kLarge = ~u32{0} - 1; ///< the region is one large page (no page table)
    static constexpr u32 kRegions = 2048;     ///< regions per space, enough for PAE's 2 MiB ones
    /// Writes to a non-current space's root after which it is dropped (watched_write).
    static constexpr u32 kForeignWriteLimit = 64;

    struct Space {
        SpaceKey key;
        bool live = false;
        u64 last_used = 0;
        u32 entries = 0;
        u32 foreign_writes = 0; ///< writes to its root since it was last current
        u64 root_ppn = 0;       ///< the root's page as watched (A20 applied then)
        u32 dir[4] = {kNone, kNone, kNone, kNone}; ///< PAE: page directory of each quarter
        std::unique_ptr<u32[]> table; ///< per region: page-table page number, kLarge or kNone
        std::unique_ptr<u16[]> count; ///< per region: entries held (both banks)
        /// Slots where global entries were installed (some may have gone since): what a new
        /// space inherits from this one (inherit_globals).
        std::vector<u32> globals;
    };

    u32 slot_of(u32 space, unsigned u, u64 vpn) const {
        return (space * kBanks + u) * m_slots + static_cast<u32>(vpn & (m_slots - 1));
    }
    static unsigned region_bits(const Space& sp) { return sp.key.pae() ? 9 : 10; }
    static u32 region_of(const Space& sp, u64 vpn) {
        return static_cast<u32>(vpn >> region_bits(sp)) & (kRegions - 1);
    }
    /// Whether page offset `off` of the root's page holds the space's top structure: the whole
    /// page directory, or PAE's 32-byte PDPT (other spaces' PDPTs may share the page).
    static bool in_root(const Space& sp, unsigned off) {
        const unsigned first = static_cast<unsigned>(sp.key.root & 0xFE0);
        return !sp.key.pae() || (off >= first && off < first + 32);
    }
    u64 ppn_of(u64 pa) const { return (pa & m_phys.a20_mask()) >> PhysMap::kPageShift; }

    void activate(u32 space, const SpaceKey& key);
    void kill(u32 space);
    void clear(u32 space);
    /// Records the paging structures of a walk for `vpn` (watching their pages).
    void note_walk(u32 space, u64 vpn, const TlbFill& fill);
    /// Copies the global entries of space `from` into the new, empty space `to`.
    void inherit_globals(u32 from, u32 to);
    void watch(u64 ppn, TableUse use);
    /// Empties one slot, keeping the counts and the write-tag index right.
    void drop(u32 slot);
    void invalidate_vpn(u32 space, u64 vpn);
    /// Drops a region's entries and forgets its page table.
    void invalidate_region(u32 space, u32 region);
    /// PAE: drops a quarter's regions and forgets its page directory.
    void invalidate_quarter(u32 space, u32 quarter);
    /// A write changed bits `changed` of entry `index` of a page used as `use`; `now` is the
    /// entry's new value (only the changed bits are meaningful).
    void entry_written(const TableUse& use, u32 index, u64 changed, u64 now);

    PhysMap& m_phys;
    u32 m_slots;
    u32 m_space_slots; ///< slots per space (both banks)
    base::HugeArray<TlbEntry> m_entries; ///< every slot of every space: translated code indexes it
    std::vector<Space> m_spaces;
    u32 m_cur = 0;
    u64 m_clock = 0;
    WriteTagIndex m_wtags;
    std::vector<u32> m_relink; ///< scratch of revoke_write_for_code
    TableUsers m_users;
    std::vector<TableUse> m_scratch;
    u64 m_drops = 0; ///< entries dropped so far (for the stats of write traps)
    u64 m_epoch = 0; ///< see epoch()
    TlbStats m_stats;
};

} // namespace mmu
