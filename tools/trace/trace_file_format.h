// SPDX-License-Identifier: MIT
// The binary trace file (-trace-file FILE, read by tx86-trace), version 1. All integers are
// little-endian.
//
//   file   = header chunk* end-chunk
//   header = "TX86TRCE" u32 version u32 header_bytes u32 description_bytes u32 0
//            description (UTF-8: how the trace was made, for people)
//   chunk  = u32 "CHNK" u32 kind u32 compressed_bytes u32 raw_bytes u64 first_icount
//            u64 instructions, then compressed_bytes of one zlib stream of raw_bytes
//   kind   = 1 data, 2 end (its payload holds totals; a file without one was cut short)
//
// Each chunk is compressed on its own, so a file cut short (tx86 killed) reads up to its last
// whole chunk. A data chunk's payload is a list of items, each starting with an unsigned
// LEB128 number v:
//   v even          the whole of block v/2 ran, from the current instruction count
//   v % 4 == 1      v/4 whole blocks ran, each its predecessor's first successor (below): a
//                   loop or a repeated path costs a byte or two in all
//   v % 4 == 3, v/4 = 0 Partial  id first count        part of a block ran
//                     1 Icount   icount                the next instructions start here
//                     2 Define   id lin phys cs_base cs_selector code_bits cpl ninsns nbytes,
//                                then nbytes raw bytes (before the first item naming id)
//                     3 Interrupt icount aux [error if aux bit 16] handler+1 (0: unknown)
//                     4 Cr3Load  icount cpl cr3        a guest CR3 load (also sets the CR3)
//                     5 Cr3      cr3                   the CR3 of what follows
//                     6 PortWrite icount cpl aux
//                     7 Gap      icount
//                     8 Second                         one whole block ran: its predecessor's
//                                                      second successor
//                     9 RegWrite icount cpl reg value  -trace-regs: the instruction at icount
//                                                      set register reg (cpu::TraceReg)
// Successors: writer and reader keep, per block, the two blocks that most recently followed it
// when both ran whole (first = the latest), and which whole block ran last. When block X runs
// whole after whole block P: if X is P's first successor nothing changes; if it is the second,
// the two swap; otherwise the first becomes the second and X the first. A Partial or Icount
// item means no predecessor; each chunk starts with no successors known. A conditional branch
// taken either way thus costs one byte, a loop nothing. Every data chunk also starts with
// Icount and Cr3 items, so it can be read on its own given the definitions before it. The end
// chunk's payload: spans events end_icount.
#pragma once

#include "base/types.h"

#include <algorithm>
#include <string>
#include <vector>

namespace tools::tracefile {

inline constexpr char kMagic[8] = {'T', 'X', '8', '6', 'T', 'R', 'C', 'E'};
inline constexpr u32 kVersion = 1;
inline constexpr u32 kHeaderFixedBytes = 24;
inline constexpr u32 kChunkMagic = 0x4B4E4843; // "CHNK"
inline constexpr u32 kChunkHeaderBytes = 32;
inline constexpr u32 kChunkData = 1;
inline constexpr u32 kChunkEnd = 2;
/// A chunk's raw payload is cut at about this size (zlib works in its cache at that size).
inline constexpr usize kChunkTarget = usize{1} << 20;
/// Readers refuse chunks claiming more than this (a corrupt size would ask for gigabytes).
inline constexpr u32 kChunkLimit = u32{64} << 20;
inline constexpr u32 kMaxDescription = 1u << 16;

enum class Item : u8 {
    Partial,
    Icount,
    Define,
    Interrupt,
    Cr3Load,
    Cr3,
    PortWrite,
    Gap,
    Second,
    RegWrite,
    Count
};

inline constexpr u32 kNone = ~u32{0};

/// The successor tables both sides keep (see the file comment), with each block's length.
class Successors {
  public:
    enum class Guess : u8 { First, Second, None };

    /// How block `id` relates to the previous whole block's successors.
    Guess guess(u32 id) const {
        if (m_prev == kNone) {
            return Guess::None;
        }
        const Entry& e = m_blocks[m_prev];
        return e.first == id ? Guess::First : e.second == id ? Guess::Second : Guess::None;
    }
    /// The hot path: `id` is the previous whole block's first successor; if so, it is now the
    /// previous block (nothing else changes) and true is returned.
    bool take_first(u32 id) {
        if (m_prev != kNone && m_blocks[m_prev].first == id) {
            m_prev = id;
            return true;
        }
        return false;
    }
    /// The predicted block (kNone if there is none).
    u32 predict(Guess g) const {
        if (m_prev == kNone) {
            return kNone;
        }
        return g == Guess::First ? m_blocks[m_prev].first : m_blocks[m_prev].second;
    }
    /// Block `id` ran whole.
    void whole(u32 id) {
        if (id >= m_blocks.size()) {
            set_length(id, 0);
        }
        if (m_prev != kNone) {
            // A second successor becomes the first and the first the second; a new one
            // pushes the first down: either way, the old first becomes the second.
            Entry& e = m_blocks[m_prev];
            if (e.first != id) {
                e.second = e.first;
                e.first = id;
            }
        }
        m_prev = id;
    }
    /// A partial block or a jump in the instruction count: no predecessor.
    void forget() { m_prev = kNone; }
    /// A new chunk: no successors known (lengths stay).
    void clear() {
        for (Entry& e : m_blocks) {
            e.first = e.second = kNone;
        }
        m_prev = kNone;
    }
    /// The length of block `id`, 0 if not set yet.
    u32 length(u32 id) const { return id < m_blocks.size() ? m_blocks[id].ninsns : 0; }
    void set_length(u32 id, u32 ninsns) {
        if (id >= m_blocks.size()) {
            m_blocks.resize(std::max<usize>(usize{id} + 1, m_blocks.size() * 2));
        }
        m_blocks[id].ninsns = ninsns;
    }

  private:
    struct Entry {
        u32 ninsns = 0;
        u32 first = kNone;
        u32 second = kNone;
    };
    std::vector<Entry> m_blocks; ///< by id, as far as set_length() went
    u32 m_prev = kNone;
};

inline void put_varint(std::vector<u8>& out, u64 v) {
    while (v >= 0x80) {
        out.push_back(static_cast<u8>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<u8>(v));
}

/// Reads one LEB128 number; false if it runs past `end` or over 64 bits.
inline bool get_varint(const u8*& p, const u8* end, u64& v) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p == end) {
            return false;
        }
        const u8 b = *p++;
        if (shift == 63 && b > 1) {
            return false;
        }
        v |= u64{b & 0x7Fu} << shift;
        if (!(b & 0x80)) {
            return true;
        }
    }
    return false;
}

inline void put_u32(u8* p, u32 v) {
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<u8>(v >> (8 * i));
    }
}
inline void put_u64(u8* p, u64 v) {
    for (int i = 0; i < 8; ++i) {
        p[i] = static_cast<u8>(v >> (8 * i));
    }
}
inline u32 get_u32(const u8* p) {
    return u32{p[0]} | u32{p[1]} << 8 | u32{p[2]} << 16 | u32{p[3]} << 24;
}
inline u64 get_u64(const u8* p) {
    return u64{get_u32(p)} | u64{get_u32(p + 4)} << 32;
}

} // namespace tools::tracefile
