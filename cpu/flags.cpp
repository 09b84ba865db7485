// SPDX-License-Identifier: MIT
#include "cpu/flags.h"

namespace cpu {

u32 compute_lazy_flags(const LazyFlags& lf, u32 old) {
    const unsigned sz = lf.size;
    const u64 mask = base::size_mask(sz);
    const u64 sign = base::sign_bit(sz);
    const u64 a = lf.src1 & mask;
    const u64 b = lf.src2 & mask;
    const u64 r = lf.result & mask;
    u32 f = szp_flags(r, sz);
    switch (lf.op) {
    case kFlagsAdd:
    case kFlagsAdc: {
        // Carry out of the top bit: for ADC the carry-in is implied by r != (a + b).
        const bool cin = lf.op == kFlagsAdc && ((a + b) & mask) != r;
        if (cin ? r <= a : r < a) {
            f |= kCF;
        }
        if (((a ^ r) & (b ^ r)) & sign) {
            f |= kOF;
        }
        if ((a ^ b ^ r) & 0x10) {
            f |= kAF;
        }
        break;
    }
    case kFlagsSub:
    case kFlagsSbb: {
        const bool bin = lf.op == kFlagsSbb && ((a - b) & mask) != r;
        if (bin ? a <= b : a < b) {
            f |= kCF;
        }
        if (((a ^ b) & (a ^ r)) & sign) {
            f |= kOF;
        }
        if ((a ^ b ^ r) & 0x10) {
            f |= kAF;
        }
        break;
    }
    case kFlagsLogic:
        break;
    case kFlagsInc:
        f |= old & kCF;
        if (r == sign) {
            f |= kOF;
        }
        if ((r & 0xF) == 0) {
            f |= kAF;
        }
        break;
    case kFlagsDec:
        f |= old & kCF;
        if (r == sign - 1) {
            f |= kOF;
        }
        if ((r & 0xF) == 0xF) {
            f |= kAF;
        }
        break;
    default:
        return old & kArithFlags;
    }
    return f;
}

bool eval_cond(CpuState& s, unsigned cc) {
    // Fast path (interpreter hot loop: DEC/JNZ, CMP/JE): ZF and SF come straight from the
    // lazy result for every lazy op, so E/NE/S/NS need no full flag computation.
    if (s.lazy.op != kFlagsNone && ((cc >> 1) == 2 || (cc >> 1) == 4)) {
        const u64 r = s.lazy.result & base::size_mask(s.lazy.size);
        const bool v = (cc >> 1) == 2 ? r == 0 : (r & base::sign_bit(s.lazy.size)) != 0;
        return (cc & 1) ? !v : v;
    }
    const u32 f = read_eflags(s);
    bool r = false;
    switch (cc >> 1) {
    case 0: r = f & kOF; break;
    case 1: r = f & kCF; break;
    case 2: r = f & kZF; break;
    case 3: r = f & (kCF | kZF); break;
    case 4: r = f & kSF; break;
    case 5: r = f & kPF; break;
    case 6: r = ((f & kSF) != 0) != ((f & kOF) != 0); break;
    case 7: r = (f & kZF) || (((f & kSF) != 0) != ((f & kOF) != 0)); break;
    }
    return (cc & 1) ? !r : r;
}

} // namespace cpu
