// SPDX-License-Identifier: MIT
// Lazy arithmetic flags: an instruction records (op, size, operands, result) and CF/PF/AF/ZF/
// SF/OF are computed only when something reads them. Shared by the interpreter and the
// translator's helpers.
#pragma once

#include "base/bits.h"
#include "cpu/state.h"

namespace cpu {

enum FlagOp : u8 {
    kFlagsNone = 0, ///< eflags holds the arithmetic bits
    kFlagsAdd,      ///< result = src1 + src2
    kFlagsAdc,      ///< result = src1 + src2 + carry-in (carry-in kept in bit 63 of... see flags.cpp)
    kFlagsSub,      ///< result = src1 - src2 (also CMP, NEG with src1 = 0)
    kFlagsSbb,
    kFlagsLogic,    ///< AND/OR/XOR/TEST: CF = OF = 0, AF = 0
    kFlagsInc,      ///< CF preserved in eflags; src1 = operand before
    kFlagsDec,
};

/// Computes all six arithmetic flags of a lazy record (CF PF AF ZF SF OF bits).
u32 compute_lazy_flags(const LazyFlags& lf, u32 old_eflags);

/// Materialises lazy flags into state.eflags.
inline void flush_flags(CpuState& s) {
    if (s.lazy.op != kFlagsNone) {
        s.eflags = (s.eflags & ~kArithFlags) | compute_lazy_flags(s.lazy, s.eflags);
        s.lazy.op = kFlagsNone;
    }
}

/// Full EFLAGS value (materialises lazy flags).
inline u32 read_eflags(CpuState& s) {
    flush_flags(s);
    return s.eflags;
}

/// CF alone of a pending lazy record (what INC/DEC must keep; cheaper than all six flags).
inline bool lazy_cf(const LazyFlags& lf, u32 old_eflags) {
    const u64 mask = base::size_mask(lf.size);
    const u64 a = lf.src1 & mask;
    const u64 b = lf.src2 & mask;
    const u64 r = lf.result & mask;
    switch (lf.op) {
    case kFlagsAdd: return r < a;
    case kFlagsAdc: return ((a + b) & mask) != r ? r <= a : r < a;
    case kFlagsSub: return a < b;
    case kFlagsSbb: return ((a - b) & mask) != r ? a <= b : a < b;
    case kFlagsLogic: return false;
    case kFlagsNone:
    case kFlagsInc:
    case kFlagsDec: return (old_eflags & kCF) != 0; // INC/DEC keep CF in eflags
    default: return (compute_lazy_flags(lf, old_eflags) & kCF) != 0; // ops added later
    }
}

/// Records a lazy flag computation.
inline void set_lazy(CpuState& s, FlagOp op, unsigned size, u64 src1, u64 src2, u64 result) {
    if (op == kFlagsInc || op == kFlagsDec) {
        // INC/DEC keep only CF of the previous flags; the other five come from this record
        // (compute_lazy_flags), so only CF needs materialising.
        if (s.lazy.op != kFlagsNone) {
            s.eflags = (s.eflags & ~u32{kCF}) | (lazy_cf(s.lazy, s.eflags) ? u32{kCF} : 0u);
        }
    } else if (op == kFlagsAdc || op == kFlagsSbb) {
        flush_flags(s); // these need the old CF
    }
    s.lazy.op = op;
    s.lazy.size = static_cast<u8>(size);
    s.lazy.src1 = src1;
    s.lazy.src2 = src2;
    s.lazy.result = result;
}

/// Sets the arithmetic flags directly (mask selects which bits change).
inline void set_flags(CpuState& s, u32 mask, u32 values) {
    flush_flags(s);
    s.eflags = (s.eflags & ~mask) | (values & mask);
}

/// Result flags for a value of `size` bytes: ZF, SF, PF.
inline u32 szp_flags(u64 result, unsigned size) {
    const u64 r = result & base::size_mask(size);
    u32 f = 0;
    if (r == 0) {
        f |= kZF;
    }
    if (r & base::sign_bit(size)) {
        f |= kSF;
    }
    if (base::parity_even(r)) {
        f |= kPF;
    }
    return f;
}

/// CF alone, fast path for ADC/SBB/RCL/Jcc.
inline bool get_cf(CpuState& s) {
    flush_flags(s);
    return (s.eflags & kCF) != 0;
}

/// Evaluates condition code `cc` (0..15, the Jcc/SETcc/CMOVcc low nibble).
bool eval_cond(CpuState& s, unsigned cc);

} // namespace cpu
