// SPDX-License-Identifier: MIT
// BlockTable: the recorder's block definitions. The engines define a block when they translate
// it (and the interpreter once per instruction it runs outside blocks); identical definitions
// (same addresses, CS, mode, CPL and bytes) share one id, so retranslations and repeated
// interpreted instructions cost no memory: the table grows with the guest's distinct code, not
// with run time. Entries never move once written, so consumer threads read them without locks
// (a record naming an id reaches a consumer only after the definition was complete, through
// the recorder's queue). LiveCatalog adds the per-consumer instruction boundaries.
#pragma once

#include "base/types.h"
#include "cpu/trace_record.h"
#include "tools/trace/block_catalog.h"

#include <array>
#include <atomic>
#include <memory>
#include <vector>

namespace tools {

class BlockTable {
  public:
    struct Entry {
        cpu::BlockDef def;
        const u8* bytes = nullptr;
    };

    BlockTable();
    ~BlockTable();
    BlockTable(const BlockTable&) = delete;
    BlockTable& operator=(const BlockTable&) = delete;

    /// Producer thread only. Returns the id of an identical earlier definition, or a new one.
    u32 define(const cpu::BlockDef& def, const u8* bytes);
    /// Any thread, for an id define() returned before (see the header comment).
    const Entry& get(u32 id) const {
        return m_segments[id >> kSegmentBits].load(std::memory_order_acquire)[id & kSegmentMask];
    }
    /// Number of ids handed out.
    u32 size() const { return m_size.load(std::memory_order_acquire); }
    /// Memory the definitions and their bytes take (reported at exit).
    usize memory_bytes() const { return m_memory.load(std::memory_order_relaxed); }

  private:
    static constexpr unsigned kSegmentBits = 14;
    static constexpr u32 kSegmentSize = 1u << kSegmentBits;
    static constexpr u32 kSegmentMask = kSegmentSize - 1;
    static constexpr u32 kMaxSegments = 1u << 14; ///< 256 Mi ids
    static constexpr usize kArenaChunk = usize{1} << 20;
    static constexpr u32 kRecentSlots = 4096; ///< direct-mapped cache of recent definitions

    static u64 hash(const cpu::BlockDef& def, const u8* bytes);
    bool same(u32 id, const cpu::BlockDef& def, const u8* bytes) const;
    const u8* store_bytes(const u8* bytes, u32 n);

    std::array<std::atomic<Entry*>, kMaxSegments> m_segments{};
    std::vector<std::unique_ptr<Entry[]>> m_segment_storage;
    std::vector<std::unique_ptr<u8[]>> m_arena;
    u8* m_arena_next = nullptr;
    usize m_arena_left = 0;
    /// The hash index: open addressing, linear probing, at most half full. One slot is a
    /// definition's hash and id; a lookup costs about one cache miss (a node-based multimap cost
    /// several, and 2-5% of a boot's host time once the interpreter defined every instruction).
    struct HashSlot {
        u64 hash = 0;
        u32 id = kEmpty;
        static constexpr u32 kEmpty = ~u32{0};
    };
    std::vector<HashSlot> m_index;
    usize m_index_used = 0;
    HashSlot& free_slot(u64 h); ///< the first empty slot of h's probe sequence
    void index_insert(u64 h, u32 id);
    /// Indexed by the low bits of the physical address: repeated interpreted instructions hit
    /// here without hashing.
    std::array<u32, kRecentSlots> m_recent;
    std::atomic<u32> m_size{0};
    std::atomic<usize> m_memory{0};
};

/// The table seen by one consumer thread: views with instruction boundaries, built the first
/// time an id is looked up.
class LiveCatalog final : public BlockCatalog {
  public:
    explicit LiveCatalog(const BlockTable& table) : m_table(table) {}
    const BlockView* find(u32 id) override {
        if (id < m_views.size() && m_views[id]) [[likely]] {
            return m_views[id].get();
        }
        return build(id);
    }

  private:
    const BlockView* build(u32 id);
    const BlockTable& m_table;
    std::vector<std::unique_ptr<BlockView>> m_views;
};

} // namespace tools
