// SPDX-License-Identifier: MIT
// BlockTable storage: segments of entries that never move, bytes in an append-only arena, and
// a hash index (plus a small direct-mapped cache) to give identical definitions one id.
#include "tools/trace/block_table.h"

#include "base/check.h"

#include <algorithm>
#include <cstring>

namespace tools {

BlockTable::BlockTable() : m_index(usize{1} << 14) {
    m_recent.fill(cpu::kTraceTagFirst);
    m_memory.fetch_add(m_index.size() * sizeof(HashSlot), std::memory_order_relaxed);
}

BlockTable::HashSlot& BlockTable::free_slot(u64 h) {
    usize i = h & (m_index.size() - 1);
    while (m_index[i].id != HashSlot::kEmpty) {
        i = (i + 1) & (m_index.size() - 1);
    }
    return m_index[i];
}

void BlockTable::index_insert(u64 h, u32 id) {
    if (2 * (m_index_used + 1) > m_index.size()) {
        std::vector<HashSlot> old(m_index.size() * 2);
        old.swap(m_index);
        m_memory.fetch_add(old.size() * sizeof(HashSlot), std::memory_order_relaxed);
        for (const HashSlot& s : old) {
            if (s.id != HashSlot::kEmpty) {
                free_slot(s.hash) = s;
            }
        }
    }
    free_slot(h) = HashSlot{h, id};
    ++m_index_used;
}

BlockTable::~BlockTable() = default;

u64 BlockTable::hash(const cpu::BlockDef& def, const u8* bytes) {
    // FNV-1a over the fields and bytes: definitions are hashed once each, at translation.
    u64 h = 0xcbf29ce484222325ull;
    auto mix = [&h](u64 v) {
        for (int i = 0; i < 8; ++i) {
            h = (h ^ (v & 0xFF)) * 0x100000001b3ull;
            v >>= 8;
        }
    };
    mix(def.lin_pc);
    mix(def.phys_pc);
    mix(def.cs_base);
    mix(u64{def.cs_selector} | u64{def.code_bits} << 16 | u64{def.cpl} << 24 |
        u64{def.ninsns} << 32);
    mix(def.nbytes);
    for (u32 i = 0; i < def.nbytes; ++i) {
        h = (h ^ bytes[i]) * 0x100000001b3ull;
    }
    return h;
}

bool BlockTable::same(u32 id, const cpu::BlockDef& def, const u8* bytes) const {
    const Entry& e = get(id);
    const cpu::BlockDef& d = e.def;
    return d.lin_pc == def.lin_pc && d.phys_pc == def.phys_pc && d.cs_base == def.cs_base &&
           d.cs_selector == def.cs_selector && d.code_bits == def.code_bits && d.cpl == def.cpl &&
           d.ninsns == def.ninsns && d.nbytes == def.nbytes &&
           std::memcmp(e.bytes, bytes, def.nbytes) == 0;
}

const u8* BlockTable::store_bytes(const u8* bytes, u32 n) {
    if (n > m_arena_left) {
        const usize chunk = n > kArenaChunk ? n : kArenaChunk;
        m_arena.push_back(std::make_unique<u8[]>(chunk));
        m_arena_next = m_arena.back().get();
        m_arena_left = chunk;
        m_memory.fetch_add(chunk, std::memory_order_relaxed);
    }
    u8* out = m_arena_next;
    if (n != 0) {
        std::memcpy(out, bytes, n);
    }
    m_arena_next += n;
    m_arena_left -= n;
    return out;
}

u32 BlockTable::define(const cpu::BlockDef& def, const u8* bytes) {
    TX86_CHECK(def.nbytes <= 4096, "trace: a block definition longer than a page");
    const u32 slot = static_cast<u32>((def.phys_pc ^ (def.phys_pc >> 12)) & (kRecentSlots - 1));
    if (const u32 id = m_recent[slot]; id < cpu::kTraceTagFirst && same(id, def, bytes)) {
        return id;
    }
    const u64 h = hash(def, bytes);
    for (usize i = h & (m_index.size() - 1); m_index[i].id != HashSlot::kEmpty; i = (i + 1) & (m_index.size() - 1)) {
        if (m_index[i].hash == h && same(m_index[i].id, def, bytes)) {
            m_recent[slot] = m_index[i].id;
            return m_index[i].id;
        }
    }
    const u32 id = m_size.load(std::memory_order_relaxed);
    TX86_CHECK(id < kMaxSegments * kSegmentSize, "trace: too many distinct blocks");
    const u32 seg = id >> kSegmentBits;
    if (m_segment_storage.size() <= seg) {
        m_segment_storage.push_back(std::make_unique<Entry[]>(kSegmentSize));
        m_memory.fetch_add(kSegmentSize * sizeof(Entry), std::memory_order_relaxed);
        m_segments[seg].store(m_segment_storage.back().get(), std::memory_order_release);
    }
    Entry& e = m_segment_storage[seg][id & kSegmentMask];
    e.def = def;
    e.bytes = store_bytes(bytes, def.nbytes);
    index_insert(h, id);
    m_recent[slot] = id;
    m_size.store(id + 1, std::memory_order_release);
    return id;
}

const BlockView* LiveCatalog::build(u32 id) {
    if (id >= m_table.size()) {
        return nullptr;
    }
    if (id >= m_views.size()) {
        m_views.resize(std::max<usize>(usize{id} + 1, m_views.size() * 2));
    }
    const BlockTable::Entry& e = m_table.get(id);
    m_views[id] = std::make_unique<BlockView>();
    layout_block(e.def, e.bytes, *m_views[id]);
    return m_views[id].get();
}

} // namespace tools
