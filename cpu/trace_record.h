// SPDX-License-Identifier: MIT
// The execution record both engines write while a TraceRecorder is attached (Cpu::recorder):
// one 16-byte TraceRecord per block entry (translated code writes it from its prologue; the
// interpreter writes one per instruction it runs outside translated blocks) and one per event
// (interrupt delivery, CR3 load, port write). A record names a BlockDef, defined once when the
// block is translated; the recorder's consumers (tools/trace) turn the records back into the
// exact instruction stream, disassembling only what they print. Recording is cheap because it
// is a few stores; everything expensive happens when, and only if, the records are consumed.
#pragma once

#include "base/check.h"
#include "base/types.h"

namespace cpu {

/// One record. `id` below kTraceTagFirst is a block id: the block was entered with the
/// instruction counter at `icount` (before its first instruction). How many of its
/// instructions retired follows from the next record's icount (a block may be left early by
/// a fault or an interrupt call); the stream never skips an executed instruction.
struct TraceRecord {
    u32 id;
    u32 aux;
    u64 icount;
};
static_assert(sizeof(TraceRecord) == 16);

inline constexpr u32 kTraceTagFirst = 0xFFFFFF00u;
/// Interrupt or exception delivered: aux = vector | source << 8 | old CPL << 12 | new CPL << 14
/// | has_error << 16. With an error code, a kTraceErrorCode record follows at once.
inline constexpr u32 kTraceInterrupt = 0xFFFFFF01u;
inline constexpr u32 kTraceErrorCode = 0xFFFFFF02u; ///< aux = error code of the one before
inline constexpr u32 kTraceCr3 = 0xFFFFFF03u;       ///< CR3 loaded: aux = new CR3 (low 32 bits)
inline constexpr u32 kTracePortWrite = 0xFFFFFF04u; ///< OUT: aux = port | (value & 0xFFFF) << 16
/// The stream has a hole before this record (recording paused); icount is where it resumes.
inline constexpr u32 kTraceGap = 0xFFFFFF05u;
/// -trace-regs: a register the instruction at icount changed. aux = its new value; the
/// record's icount field holds the instruction count in bits 0..55 and the TraceReg in 56..63.
inline constexpr u32 kTraceRegWrite = 0xFFFFFF06u;
/// A slot of a wrapping ring not written yet (never in a stream).
inline constexpr u32 kTraceUnwritten = 0xFFFFFFFFu;
inline constexpr unsigned kTraceRegShift = 56;
inline constexpr u64 kTraceIcountMask = (u64{1} << kTraceRegShift) - 1;

/// The instruction count a record carries (without kTraceRegWrite's register bits).
inline u64 record_icount(const TraceRecord& r) { return r.icount & kTraceIcountMask; }

/// The registers -trace-regs reports, in the order they are printed.
enum TraceReg : u8 {
    kTrEax, kTrEcx, kTrEdx, kTrEbx, kTrEsp, kTrEbp, kTrEsi, kTrEdi, // = GPR numbers
    kTrEflags,
    kTrEs, kTrCs, kTrSs, kTrDs, kTrFs, kTrGs, // selectors, in segment-register order
    kTrCr0, kTrCr2, kTrCr3, kTrCr4,
    kTraceRegCount
};

/// A translated block (or one interpreted instruction) as the records refer to it. The bytes
/// are those translated, so a later self-modification does not change what the trace shows.
struct BlockDef {
    u64 lin_pc = 0;   ///< linear address of the first instruction
    u64 phys_pc = 0;  ///< physical address of the first instruction (a block is in one page)
    u64 cs_base = 0;
    u16 cs_selector = 0;
    u8 code_bits = 32; ///< 16, 32 or 64
    u8 cpl = 0;
    u32 ninsns = 0;
    u32 nbytes = 0;    ///< bytes of code, at most 4096
};

/// The producer interface the engines write through. tools/trace implements it.
class TraceRecorder {
public:
    virtual ~TraceRecorder() = default;
    TraceRecorder() {
        TX86_CHECK(reinterpret_cast<const u8*>(&needed) - reinterpret_cast<const u8*>(&cursor) == kNeededOffset,
                   "trace: TraceRecorder::needed is not where translated code stores to it");
    }

    /// put() writes at `cursor` and advances it; when it reaches `limit` it calls ring_full(),
    /// which leaves cursor < limit again. Translated code writes without comparing: its engine
    /// lets it write fewer than `unchecked` records between two visits of the dispatcher (one
    /// record per block entered, and each block takes at least one instruction of the budget)
    /// and calls ring_full() there once cursor >= limit. Every buffer has room for `unchecked`
    /// records past `limit`, which ring_full() carries over into the next buffer (`unchecked`
    /// is at most a buffer's size, so they fit). Translated code reaches these fields at fixed
    /// offsets from `cursor` (kept first in the object for that reason).
    TraceRecord* cursor = nullptr;
    TraceRecord* limit = nullptr;
    /// Set when the buffer being written holds a record a trace consumer may keep; a buffer
    /// without one is never handed to the consumer. Translated code of a block_needed() block
    /// stores 1 here (at cursor + kNeededOffset); the recorder clears it per buffer.
    u8 needed = 0;
    static constexpr int kNeededOffset = 2 * sizeof(TraceRecord*);
    usize unchecked = 1; ///< see `cursor`
    /// Nonzero for a ring that wraps in place (the flight recorder alone, tools/trace/
    /// flight_ring.h): its records take `wrap_bytes` (a power of two) from an address aligned
    /// to twice that, so translated code wraps its cursor by clearing that one bit after each
    /// advance, and put() wraps through ring_full(). Such a ring is never full: `unchecked` is
    /// unbounded.
    u32 wrap_bytes = 0;

    /// Defines a block; returns its id (< kTraceTagFirst). Called when a block is translated,
    /// or by the interpreter path for single instructions (the recorder may return a cached
    /// id for identical ones).
    virtual u32 define_block(const BlockDef& def, const u8* bytes) = 0;
    /// Whether records of this block may be kept by a consumer (see `needed`).
    virtual bool block_needed(u32 id) = 0;
    virtual void ring_full() = 0;

    /// An interpreted instruction, or any block, entered at `icount`.
    void put_block(u32 id, u64 icount) {
        if (!needed && block_needed(id)) {
            needed = 1;
        }
        put(id, 0, icount);
    }
    /// An event record (kTraceInterrupt and the rest); `cpl` is the CPL of the code that was
    /// running. An error code is needed exactly when the interrupt before it was.
    void put_event(u32 tag, u32 aux, u64 icount, u8 cpl) {
        const bool need = tag == kTraceErrorCode ? m_last_event_needed : event_needed(tag, aux, cpl);
        m_last_event_needed = need;
        if (need) {
            needed = 1;
        }
        put(tag, aux, icount);
    }

    /// -trace-regs: register `reg` now holds `value`, changed by the instruction at `icount`.
    void put_reg(TraceReg reg, u32 value, u64 icount, u8 cpl) {
        put_event(kTraceRegWrite, value, (icount & kTraceIcountMask) | u64{reg} << kTraceRegShift, cpl);
    }

protected:
    virtual bool event_needed(u32 tag, u32 aux, u8 cpl) = 0;

private:
    void put(u32 id, u32 aux, u64 icount) {
        TraceRecord* r = cursor;
        r->id = id;
        r->aux = aux;
        r->icount = icount;
        cursor = r + 1;
        if (cursor >= limit) [[unlikely]] {
            ring_full();
        }
    }

    bool m_last_event_needed = false;
};

} // namespace cpu
