// SPDX-License-Identifier: MIT
// ShadowSpaces: retained address spaces, their fills and the invalidations that keep them
// coherent with the guest's page tables (shadow_spaces.h).
#include "mmu/shadow_spaces.h"

#include "base/check.h"

#include <algorithm>

namespace mmu {

namespace {

constexpr u64 kA = 0x20, kD = 0x40;

/// Bits of entry `index` (`esize` bytes) that the write of `size` bytes at page offset `off`
/// changed, and their new values, both positioned within the entry.
void entry_change(unsigned off, unsigned size, u64 old_value, u64 new_value, u32 index,
                  unsigned esize, u64& changed, u64& now) {
    const unsigned lo = std::max(off, index * esize);
    const unsigned hi = std::min(off + size, (index + 1) * esize);
    changed = 0;
    now = 0;
    for (unsigned b = lo; b < hi; ++b) {
        const unsigned wshift = 8 * (b - off);
        const unsigned eshift = 8 * (b - index * esize);
        changed |= (((old_value ^ new_value) >> wshift) & 0xFF) << eshift;
        now |= ((new_value >> wshift) & 0xFF) << eshift;
    }
}

} // namespace

ShadowSpaces::ShadowSpaces(PhysMap& phys, u32 slots_per_bank, u32 spaces)
    : m_phys(phys), m_slots(slots_per_bank), m_space_slots(slots_per_bank * kBanks),
      m_entries(usize{slots_per_bank} * kBanks * spaces),
      m_spaces(spaces), m_wtags(slots_per_bank * kBanks * spaces, PhysMap::kSpace >> PhysMap::kPageShift),
      m_users(phys) {
    TX86_CHECK(spaces > 0 && spaces <= 0x10000 && (slots_per_bank & (slots_per_bank - 1)) == 0,
               "TLB geometry");
    for (Space& sp : m_spaces) {
        sp.table = std::make_unique<u32[]>(kRegions);
        sp.count = std::make_unique<u16[]>(kRegions);
        std::fill_n(sp.table.get(), kRegions, kNone);
    }
    activate(0, SpaceKey{});
    m_phys.add_watcher(this);
}

ShadowSpaces::~ShadowSpaces() { m_phys.remove_watcher(this); }

u32 ShadowSpaces::live_spaces() const {
    return static_cast<u32>(std::count_if(m_spaces.begin(), m_spaces.end(), [](const Space& s) { return s.live; }));
}

usize ShadowSpaces::memory_bytes() const {
    return m_spaces.size() * (usize{m_space_slots} * sizeof(TlbEntry) + sizeof(Space) +
                              kRegions * (sizeof(u32) + sizeof(u16))) +
           m_wtags.memory_bytes() + m_users.memory_bytes();
}

// ---- spaces ----

bool ShadowSpaces::select(const SpaceKey& key) {
    ++m_epoch; // a CR3 load flushes even when the space stays
    Space& cur = m_spaces[m_cur];
    if (cur.live && cur.key == key) {
        return false;
    }
    ++m_stats.space_switches;
    u32 victim = 0;
    for (u32 i = 0; i < m_spaces.size(); ++i) {
        Space& sp = m_spaces[i];
        if (sp.live && sp.key == key) {
            ++m_stats.space_hits;
            sp.last_used = ++m_clock;
            sp.foreign_writes = 0;
            m_cur = i;
            return true;
        }
        // The victim: a free space, else the least recently used one.
        const Space& v = m_spaces[victim];
        if (v.live && (!sp.live || sp.last_used < v.last_used)) {
            victim = i;
        }
    }
    if (m_spaces[victim].live) {
        ++m_stats.space_evictions;
        kill(victim);
    }
    activate(victim, key);
    // A CR3 load keeps global entries (SDM Vol. 3A 4.10.4.1), so a new space starts with those
    // of the space it replaces as current: else every process's first steps would walk the
    // kernel's pages again (Linux's fork and exec each make a new space).
    const Space& prev = m_spaces[m_cur];
    if (m_cur != victim && prev.live && prev.key.mode == key.mode && (key.mode & SpaceKey::kPGE)) {
        inherit_globals(m_cur, victim);
    }
    m_cur = victim;
    return true;
}

void ShadowSpaces::inherit_globals(u32 from, u32 to) {
    Space& src = m_spaces[from];
    Space& dst = m_spaces[to];
    const u32 src_base = slot_of(from, 0, 0);
    const u32 dst_base = slot_of(to, 0, 0);
    const u16 id = static_cast<u16>(to);
    usize kept = 0;
    for (const u32 slot : src.globals) {
        const TlbEntry& e = m_entries[slot];
        const u32 d = slot - src_base + dst_base;
        TlbEntry& ne = m_entries[d];
        if (e.walked_vpn == TlbEntry::kNoTag || !e.global || ne.walked_vpn != TlbEntry::kNoTag) {
            continue; // gone, or listed twice (its first listing copied it)
        }
        src.globals[kept++] = slot;
        // The new space records the paging structures the entry came from, as a walk would:
        // writes to them (or a walk that finds others) drop the copy like any entry.
        const u64 vpn = e.walked_vpn;
        if (src.key.pae()) {
            const u32 q = static_cast<u32>(vpn >> 18) & 3;
            if (dst.dir[q] == kNone) {
                dst.dir[q] = src.dir[q];
                watch(dst.dir[q], TableUse{id, TableUse::Dir, static_cast<u16>(q)});
            } else if (dst.dir[q] != src.dir[q]) {
                continue;
            }
        }
        const u32 r = region_of(src, vpn);
        if (src.table[r] == kNone) {
            continue;
        }
        if (dst.table[r] == kNone) {
            dst.table[r] = src.table[r];
            if (dst.table[r] != kLarge) {
                watch(dst.table[r], TableUse{id, TableUse::Table, static_cast<u16>(r)});
            }
        } else if (dst.table[r] != src.table[r]) {
            continue;
        }
        ne = e;
        ne.write_tag = TlbEntry::kNoTag;
        ne.code_only = false;
        if (ne.can_write && ne.host && m_phys.lookup(ne.ppage).writable && m_wtags.link(d, ppn_of(ne.ppage))) {
            grant_or_code_only(ne, vpn << PhysMap::kPageShift);
        }
        ++dst.entries;
        ++dst.count[r];
        dst.globals.push_back(d);
        ++m_stats.globals_inherited;
    }
    src.globals.resize(kept);
}

void ShadowSpaces::activate(u32 space, const SpaceKey& key) {
    Space& sp = m_spaces[space];
    sp.key = key;
    sp.live = true;
    sp.last_used = ++m_clock;
    sp.foreign_writes = 0;
    if (key.paging()) {
        // The root is watched for the whole life of the space: its entries are the ones every
        // translation starts from.
        sp.root_ppn = ppn_of(key.root);
        watch(sp.root_ppn, TableUse{static_cast<u16>(space), TableUse::Root, 0});
    }
}

void ShadowSpaces::kill(u32 space) {
    Space& sp = m_spaces[space];
    clear(space);
    if (sp.key.paging()) {
        m_users.remove(sp.root_ppn, TableUse{static_cast<u16>(space), TableUse::Root, 0});
    }
    sp.live = false;
}

void ShadowSpaces::clear(u32 space) {
    Space& sp = m_spaces[space];
    const u32 first = slot_of(space, 0, 0);
    for (u32 slot = first; slot < first + m_space_slots && sp.entries > 0; ++slot) {
        drop(slot);
    }
    sp.globals.clear();
    if (!sp.key.paging()) {
        return;
    }
    const u16 id = static_cast<u16>(space);
    for (u32 r = 0; r < kRegions; ++r) {
        if (sp.table[r] != kNone && sp.table[r] != kLarge) {
            m_users.remove(sp.table[r], TableUse{id, TableUse::Table, static_cast<u16>(r)});
        }
        sp.table[r] = kNone;
    }
    for (u32 q = 0; q < 4; ++q) {
        if (sp.dir[q] != kNone) {
            m_users.remove(sp.dir[q], TableUse{id, TableUse::Dir, static_cast<u16>(q)});
            sp.dir[q] = kNone;
        }
    }
}

void ShadowSpaces::flush_all(const SpaceKey& key) {
    ++m_stats.flushes;
    ++m_epoch;
    for (u32 i = 0; i < m_spaces.size(); ++i) {
        if (m_spaces[i].live) {
            kill(i);
        }
    }
    activate(m_cur, key);
}

// ---- entries ----

void ShadowSpaces::drop(u32 slot) {
    TlbEntry& e = m_entries[slot];
    if (e.walked_vpn == TlbEntry::kNoTag) {
        return;
    }
    Space& sp = m_spaces[slot / m_space_slots];
    --sp.entries;
    if (sp.key.paging()) {
        --sp.count[region_of(sp, e.walked_vpn)];
    }
    m_wtags.unlink(slot); // (a no-op for entries that never had write access)
    e = TlbEntry{};
    ++m_drops;
    ++m_epoch;
}

TlbEntry& ShadowSpaces::install(unsigned u, u64 vpn, const TlbFill& f) {
    Space& sp = m_spaces[m_cur];
    if (sp.key.paging()) {
        // First, so that a page this walk starts to watch has lost its fast write tags before
        // the entry below decides on its own.
        note_walk(m_cur, vpn, f);
    }
    const u32 slot = slot_of(m_cur, u, vpn);
    drop(slot);
    TlbEntry& e = m_entries[slot];
    const u64 page = vpn << PhysMap::kPageShift;
    const PageLookup l = m_phys.lookup(f.ppage);
    e.walked_vpn = vpn;
    e.ppage = f.ppage;
    e.host = l.host;
    e.global = f.global;
    e.can_write = f.writable;
    e.can_exec = f.executable;
    if (l.host) {
        e.addend = reinterpret_cast<uptr>(l.host) - page;
        e.read_tag = page;
        if (f.executable) {
            e.exec_tag = page;
        }
        // ROM and watched pages are not `writable` here; a page holding cached code takes the
        // slow path too, so that the engine hears of every write to it (self-modifying code),
        // but for the chunks translated code may write directly (code_only).
        if (f.writable && l.writable && m_wtags.link(slot, ppn_of(f.ppage))) {
            grant_or_code_only(e, page);
        }
    }
    ++sp.entries;
    if (sp.key.paging()) {
        ++sp.count[region_of(sp, vpn)];
    }
    if (f.global) {
        sp.globals.push_back(slot);
    }
    ++m_stats.fills;
    return e;
}

void ShadowSpaces::grant_write(unsigned u, u64 vpn) {
    const u32 slot = slot_of(m_cur, u, vpn);
    TlbEntry& e = m_entries[slot];
    if (e.walked_vpn != vpn || !e.can_write || !e.host || e.write_tag != TlbEntry::kNoTag) {
        return;
    }
    if (e.code_only) {
        // Still linked: only the code has to be gone.
        if (m_phys.code_count(e.ppage) == 0) {
            e.code_only = false;
            e.write_tag = vpn << PhysMap::kPageShift;
        }
        return;
    }
    if (m_phys.lookup(e.ppage).writable && m_wtags.link(slot, ppn_of(e.ppage))) {
        grant_or_code_only(e, vpn << PhysMap::kPageShift);
    }
}

void ShadowSpaces::grant_or_code_only(TlbEntry& e, u64 page) {
    if (m_phys.code_count(e.ppage) == 0) {
        e.write_tag = page;
    } else if (m_phys.a20()) {
        // (With the A20 gate masking, code is registered at the masked address, which the
        // chunk table lookup of translated code does not apply.)
        e.code_only = true;
    }
    // Otherwise linked without either: revocations still find it, nothing else changes.
}

void ShadowSpaces::flush_page(u64 vpn) {
    ++m_stats.page_flushes;
    ++m_epoch; // INVLPG of a page no entry holds still ends what was predicted through it
    for (u32 i = 0; i < m_spaces.size(); ++i) {
        if (m_spaces[i].live) {
            invalidate_vpn(i, vpn);
        }
    }
}

void ShadowSpaces::revoke_write(u64 ppage) {
    ++m_stats.write_revokes;
    m_wtags.take(ppn_of(ppage), [&](u32 slot) {
        m_entries[slot].write_tag = TlbEntry::kNoTag;
        m_entries[slot].code_only = false;
    });
}

void ShadowSpaces::revoke_write_for_code(u64 ppage) {
    ++m_stats.write_revokes;
    const u64 ppn = ppn_of(ppage);
    std::vector<u32>& slots = m_relink;
    slots.clear();
    m_wtags.take(ppn, [&](u32 slot) { slots.push_back(slot); });
    for (u32 slot : slots) {
        TlbEntry& e = m_entries[slot];
        if (e.write_tag != TlbEntry::kNoTag || e.code_only) {
            e.write_tag = TlbEntry::kNoTag;
            e.code_only = m_phys.a20();
        }
        m_wtags.link(slot, ppn); // stays findable by a later watch of the page
    }
}

// ---- coherence with the guest's paging structures ----

void ShadowSpaces::watch(u64 ppn, TableUse use) {
    if (m_users.add(ppn, use)) {
        revoke_write(ppn << PhysMap::kPageShift);
    }
    m_stats.watched_pages_peak = std::max<u64>(m_stats.watched_pages_peak, m_users.pages());
}

void ShadowSpaces::note_walk(u32 space, u64 vpn, const TlbFill& f) {
    Space& sp = m_spaces[space];
    const u16 id = static_cast<u16>(space);
    u32 table;
    if (sp.key.pae()) {
        // entry_pa: PDPTE, PDE[, PTE].
        const u32 q = static_cast<u32>(vpn >> 18) & 3;
        const u32 dir = static_cast<u32>(f.entry_pa[1] >> PhysMap::kPageShift);
        if (sp.dir[q] != dir) {
            if (sp.dir[q] != kNone) {
                invalidate_quarter(space, q); // changed behind our back (not through PhysMap)
            }
            sp.dir[q] = dir;
            watch(dir, TableUse{id, TableUse::Dir, static_cast<u16>(q)});
        }
        table = f.levels == 3 ? static_cast<u32>(f.entry_pa[2] >> PhysMap::kPageShift) : kLarge;
    } else {
        // entry_pa: PDE[, PTE].
        table = f.levels == 2 ? static_cast<u32>(f.entry_pa[1] >> PhysMap::kPageShift) : kLarge;
    }
    const u32 r = region_of(sp, vpn);
    if (sp.table[r] != table) {
        if (sp.table[r] != kNone) {
            invalidate_region(space, r); // changed behind our back (not through PhysMap)
        }
        sp.table[r] = table;
        if (table != kLarge) {
            watch(table, TableUse{id, TableUse::Table, static_cast<u16>(r)});
        }
    }
}

void ShadowSpaces::invalidate_vpn(u32 space, u64 vpn) {
    for (unsigned u = 0; u < kBanks; ++u) {
        const u32 slot = slot_of(space, u, vpn);
        if (m_entries[slot].walked_vpn == vpn) {
            drop(slot);
        }
    }
}

void ShadowSpaces::invalidate_region(u32 space, u32 r) {
    Space& sp = m_spaces[space];
    const unsigned bits = region_bits(sp);
    if (sp.count[r] > 0) {
        const u64 first = u64{r} << bits;
        const u64 pages = u64{1} << bits;
        if (pages <= m_slots) {
            // Each page of the region has its own slot per bank: visit those, until none is left.
            for (u64 vpn = first; vpn < first + pages && sp.count[r] > 0; ++vpn) {
                invalidate_vpn(space, vpn);
            }
        } else {
            const u32 base = slot_of(space, 0, 0);
            for (u32 slot = base; slot < base + m_space_slots && sp.count[r] > 0; ++slot) {
                const u64 v = m_entries[slot].walked_vpn;
                if (v != TlbEntry::kNoTag && (v >> bits) == r) {
                    drop(slot);
                }
            }
        }
    }
    if (sp.table[r] != kNone && sp.table[r] != kLarge) {
        m_users.remove(sp.table[r], TableUse{static_cast<u16>(space), TableUse::Table, static_cast<u16>(r)});
    }
    sp.table[r] = kNone;
}

void ShadowSpaces::invalidate_quarter(u32 space, u32 q) {
    Space& sp = m_spaces[space];
    for (u32 r = q * 512; r < (q + 1) * 512; ++r) {
        if (sp.count[r] > 0 || sp.table[r] != kNone) {
            invalidate_region(space, r);
        }
    }
    if (sp.dir[q] != kNone) {
        m_users.remove(sp.dir[q], TableUse{static_cast<u16>(space), TableUse::Dir, static_cast<u16>(q)});
        sp.dir[q] = kNone;
    }
}

void ShadowSpaces::watched_write(u64 pa, unsigned size, u64 old_value, u64 new_value) {
    const std::vector<TableUse>* uses = m_users.find(pa >> PhysMap::kPageShift);
    if (!uses) {
        return; // watched by another CPU
    }
    ++m_stats.watched_writes;
    // A copy: invalidating may remove uses of this very page (a directory mapping itself).
    m_scratch.assign(uses->begin(), uses->end());
    const u64 drops0 = m_drops;
    const unsigned off = static_cast<unsigned>(pa & (PhysMap::kPageSize - 1));
    for (const TableUse& use : m_scratch) {
        Space& sp = m_spaces[use.space];
        if (!sp.live) {
            continue;
        }
        // The root of a space that is not running sees few writes. Many mean that the space is
        // gone and the page reused (Linux frees a process's page directory without clearing it,
        // then zeroes it as a new page): drop the space rather than trap every write. (Page
        // tables are left alone: a freed one had its PDE cleared, and kernel ones are shared.)
        if (use.space != m_cur && use.role == TableUse::Root && in_root(sp, off) &&
            ++sp.foreign_writes > kForeignWriteLimit) {
            ++m_stats.spaces_dropped;
            kill(use.space);
            continue;
        }
        if (old_value == new_value) {
            continue;
        }
        const unsigned esize = sp.key.pae() ? 8 : 4;
        for (u32 i = off / esize; i <= (off + size - 1) / esize; ++i) {
            u64 changed, now;
            entry_change(off, size, old_value, new_value, i, esize, changed, now);
            if (changed != 0) {
                entry_written(use, i, changed, now);
            }
        }
    }
    m_stats.entries_invalidated += m_drops - drops0;
}

void ShadowSpaces::entry_written(const TableUse& use, u32 index, u64 changed, u64 now) {
    Space& sp = m_spaces[use.space];
    if (!sp.live) {
        return;
    }
    // Accessed/dirty bits going from 0 to 1 (the walker's own updates, or the guest's) change
    // no translation: an entry made while D was clear has no write permission cached anyway.
    // PDPTEs have no such bits (5 and 6 are reserved there), so the Root of PAE is exempt.
    const bool ad_set_only = (changed & ~(kA | kD)) == 0 && (now & changed) == changed;
    switch (use.role) {
    case TableUse::Table:
        if (!ad_set_only) {
            ++m_stats.entries_changed;
            invalidate_vpn(use.space, (u64{use.index} << region_bits(sp)) + index);
        }
        break;
    case TableUse::Dir:
        if (!ad_set_only) {
            ++m_stats.entries_changed;
            invalidate_region(use.space, use.index * 512u + index);
        }
        break;
    case TableUse::Root:
        if (!sp.key.pae()) {
            if (!ad_set_only) {
                ++m_stats.entries_changed;
                invalidate_region(use.space, index);
            }
        } else if (in_root(sp, index * 8)) {
            ++m_stats.entries_changed;
            invalidate_quarter(use.space, index - static_cast<u32>(sp.key.root & 0xFE0) / 8);
        }
        break;
    }
}

} // namespace mmu
