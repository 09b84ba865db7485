// SPDX-License-Identifier: MIT
// DecodeCache: the interpreter's cache of decoded instructions, keyed by physical address and
// code mode (16/32/64), so a loop body is decoded once instead of at every execution.
//
// It is a direct-mapped table. Every cached instruction is counted on its physical page in
// mmu::PhysMap (code_add/code_remove); CPUs send all writes to such pages through their slow
// path, which calls invalidate(pa, len), and that drops exactly the entries whose bytes overlap
// the write (the page's other entries stay valid). Instructions that cross a page boundary are
// never cached. A change of the physical map (PhysMap::generation) drops everything.
// Not here: fetching, fault delivery and CS-limit checks (cpu/interp/interpreter.cpp).
#pragma once

#include "base/types.h"
#include "cpu/decoder/insn.h"

#include <memory>

namespace mmu {
class PhysMap;
}

namespace cpu::interp {

class DecodeCache {
public:
    static constexpr unsigned kBits = 15;
    static constexpr usize kSize = usize{1} << kBits;

    explicit DecodeCache(mmu::PhysMap& phys);
    ~DecodeCache();
    DecodeCache(const DecodeCache&) = delete;
    DecodeCache& operator=(const DecodeCache&) = delete;

    /// The cached instruction at physical address `pa` decoded in `mode`, or nullptr.
    const DecodedInsn* lookup(u64 pa, CodeMode mode) const {
        const Entry& e = m_entries[slot(pa, mode)];
        return e.key == key(pa, mode) ? &e.insn : nullptr;
    }

    /// Stores `insn` (decoded from `pa`, not crossing its page) and returns the cached copy.
    /// Sets `new_code_page` when `pa`'s page just became a code page: the caller must then
    /// revoke fast write access to it in its TLB.
    const DecodedInsn* insert(u64 pa, CodeMode mode, const DecodedInsn& insn, bool& new_code_page);

    /// Drops every cached instruction with a byte in [pa, pa+len).
    void invalidate(u64 pa, u64 len);

    /// Drops everything (physical map changed).
    void clear();

    /// The PhysMap generation the contents belong to.
    u64 generation() const { return m_generation; }
    void set_generation(u64 g) { m_generation = g; }

private:
    static constexpr u64 kEmpty = ~u64{0};

    struct Entry {
        u64 key = kEmpty; ///< (pa << 2) | mode
        DecodedInsn insn;
    };

    static u64 key(u64 pa, CodeMode mode) { return (pa << 2) | static_cast<u64>(mode); }
    static usize slot(u64 pa, CodeMode mode) {
        // Consecutive instructions use consecutive slots; the page number and mode spread
        // different pages over the table.
        return static_cast<usize>((pa ^ (pa >> kBits) ^ (u64{static_cast<u8>(mode)} << (kBits - 2))) &
                                  (kSize - 1));
    }
    void drop(Entry& e);

    mmu::PhysMap& m_phys;
    std::unique_ptr<Entry[]> m_entries;
    u64 m_generation = 0;
    u64 m_live = 0; ///< valid entries (invalidate returns at once when there are none)
};

} // namespace cpu::interp
