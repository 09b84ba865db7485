// SPDX-License-Identifier: MIT
// PhysMap: the guest physical address space. RAM and ROM are host memory; MMIO ranges call
// device callbacks. Page-granular (4 KiB) lookup below 4 GiB; above that everything is
// unmapped (reads all-ones, writes ignored). Not here: paging (mmu/paging.h), devices.
#pragma once

#include "base/huge_pages.h"
#include "base/types.h"
#include "mmu/page_counts.h"
#include "mmu/chunk_masks.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace mmu {

/// Callbacks of one MMIO region. Offsets are relative to the region's base.
class MmioOps {
public:
    virtual ~MmioOps() = default;
    virtual u64 mmio_read(u64 offset, unsigned size) = 0;
    virtual void mmio_write(u64 offset, unsigned size, u64 value) = 0;
};

/// Told of every write through PhysMap::write/write_bytes to a watched page (watch_add): the
/// CPUs' TLBs, which retain translations derived from paging structures on such pages.
class WriteWatcher {
public:
    virtual ~WriteWatcher() = default;
    /// `size` (1..8) bytes at `pa` (within one page, A20 applied) changed from `old_value` to
    /// `new_value` (both masked to `size` bytes; they may be equal).
    virtual void watched_write(u64 pa, unsigned size, u64 old_value, u64 new_value) = 0;
};

/// Result of looking up one physical page.
struct PageLookup {
    u8* host = nullptr;        ///< RAM/ROM page start (nullptr for MMIO/unmapped)
    /// Writes may go straight to `host`: false for ROM, and for a watched page, whose writes
    /// must go through write()/write_bytes() so that the watchers see them.
    bool writable = false;
    MmioOps* mmio = nullptr;   ///< MMIO handler (nullptr for RAM/ROM/unmapped)
    u64 mmio_base = 0;         ///< physical base of the MMIO region
};

class PhysMap {
public:
    static constexpr unsigned kPageShift = 12;
    static constexpr u64 kPageSize = u64{1} << kPageShift;
    static constexpr u64 kSpace = u64{1} << 32; // mapped part of the physical space

    PhysMap();
    ~PhysMap();
    PhysMap(const PhysMap&) = delete;
    PhysMap& operator=(const PhysMap&) = delete;

    /// Allocates guest RAM (zeroed). Returns a pointer to its first byte.
    u8* add_ram(u64 base, u64 size, const std::string& name);
    /// Maps `size` bytes of existing host memory (e.g. a ROM image) read-only or read-write.
    void map_host(u64 base, u64 size, u8* host, bool writable, const std::string& name);
    void add_mmio(u64 base, u64 size, MmioOps* ops, const std::string& name);
    /// Removes whatever is mapped in [base, base+size) (page granular).
    void unmap(u64 base, u64 size);

    /// A20 gate: when disabled, address bit 20 is forced to zero.
    void set_a20(bool enabled) { m_a20_mask = enabled ? ~u64{0} : ~(u64{1} << 20); ++m_generation; }
    bool a20() const { return m_a20_mask == ~u64{0}; }
    u64 a20_mask() const { return m_a20_mask; }

    PageLookup lookup(u64 pa) const;

    /// Slow-path accessors: handle MMIO, ROM, unmapped and page-crossing accesses.
    u64 read(u64 pa, unsigned size);
    void write(u64 pa, unsigned size, u64 value);
    void read_bytes(u64 pa, void* dst, usize n);
    void write_bytes(u64 pa, const void* src, usize n);

    /// Bumped whenever the map changes; TLBs compare it to know when to flush.
    u64 generation() const { return m_generation; }

    /// Host pointer to guest RAM at pa (nullptr if not RAM). For loaders, before the CPU runs:
    /// writes through it bypass the watchers (a device writing guest memory while the CPU runs
    /// must use write_bytes).
    u8* ram_ptr(u64 pa) const;

    // ---- pages holding cached code (self-modifying-code tracking) ----
    // An execution engine counts, per physical page, the instructions it caches from that page.
    // CPUs route every write to a page with a non-zero count through their slow path, which
    // tells the engine what was written (ExecutionEngine::invalidate_code).
    /// Number of cached instructions from the page of `pa` (0 when none).
    u32 code_count(u64 pa) const { return m_code_count.get((pa & m_a20_mask) >> kPageShift); }
    /// Adds one cached instruction to the page of `pa` (below kSpace). Returns true when the
    /// page just became a code page (the caller must revoke fast write access to it).
    bool code_add(u64 pa) { return m_code_count.add((pa & m_a20_mask) >> kPageShift); }
    /// Removes one cached instruction from the page of `pa`.
    void code_remove(u64 pa) {
        const u64 ppn = (pa & m_a20_mask) >> kPageShift;
        if (m_code_count.remove(ppn)) {
            m_code_chunks.reset(ppn);
        }
    }
    /// Forgets every code page (the engine dropped its whole cache).
    void code_clear() {
        m_code_count.clear();
        m_code_chunks.clear();
    }
    /// Sub-page detail of code pages: bit i of a page's mask is set when cached code may lie in
    /// its bytes [64 i, 64 i + 64). Writes to other chunks of a code page need not reach the
    /// engine, so translated code lets them take its fast path (translator/block_compiler.cpp).
    /// A mask is only cleared when its page stops holding code (set bits are conservative).
    void code_chunks_mark(u64 pa, u64 len) {
        const u64 ppn = (pa & m_a20_mask) >> kPageShift;
        if (len == 0 || ppn >= kPages) {
            return;
        }
        const u64 first = (pa & (kPageSize - 1)) >> 6;
        const u64 last = std::min<u64>((pa & (kPageSize - 1)) + len - 1, kPageSize - 1) >> 6;
        const u64 bits = (last - first == 63 ? ~u64{0} : ((u64{1} << (last - first + 1)) - 1)) << first;
        m_code_chunks.mark(ppn, bits);
    }
    u64 code_chunks(u64 pa) const { return m_code_chunks.get((pa & m_a20_mask) >> kPageShift); }
    /// The masks, indexed by physical page number below 4 GiB (translated code reads them).
    const u64* code_chunk_table() { return m_code_chunks.table(); }

    // ---- pages holding watched paging structures (TLB coherence) ----
    // A TLB that keeps translations across CPU events (mmu/shadow_spaces.h) watches the pages
    // holding the paging-structure entries they came from. A watched page gets no fast write
    // access (lookup() reports it not writable), so every write to it reaches write() or
    // write_bytes(), which report it to the watchers.
    /// Number of watches on the page of `pa` (0 when none).
    u32 watch_count(u64 pa) const { return m_watch_count.get((pa & m_a20_mask) >> kPageShift); }
    /// Adds one watch (`pa` below kSpace). Returns true when the page just became watched (the
    /// caller must revoke fast write access to it).
    bool watch_add(u64 pa) { return m_watch_count.add((pa & m_a20_mask) >> kPageShift); }
    /// Removes one watch.
    void watch_remove(u64 pa) { m_watch_count.remove((pa & m_a20_mask) >> kPageShift); }
    void add_watcher(WriteWatcher* w);
    void remove_watcher(WriteWatcher* w);

private:
    struct Entry {
        u8* host = nullptr;
        MmioOps* mmio = nullptr;
        u64 mmio_base = 0;
        bool writable = false;
    };
    std::vector<Entry> m_pages; // one per 4 KiB page below kSpace
    /// Splits [pa, pa + n) at page ends: fn(pa of the run, its page's entry or nullptr, the
    /// run's offset from the start, its length). Defined in phys_map.cpp (its only user).
    template <typename Fn> void page_runs(u64 pa, usize n, Fn fn) const;
    std::vector<base::HugeRegion> m_ram_blocks;
    u64 m_a20_mask = ~u64{0};
    static constexpr u64 kPages = kSpace >> kPageShift;
    ChunkMasks m_code_chunks{kPages};
    u64 m_generation = 1;
    PageCounts m_code_count{kSpace >> kPageShift};
    PageCounts m_watch_count{kSpace >> kPageShift};
    std::vector<WriteWatcher*> m_watchers;
};

} // namespace mmu
