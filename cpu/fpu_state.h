// SPDX-License-Identifier: MIT
// x87 FPU architectural state. Owned by the x87 implementation (cpu/interp/fpu*.cpp, cpu/softfloat/).
#pragma once

#include "base/types.h"

namespace cpu {

/// An 80-bit extended-precision value exactly as stored in a register or memory:
/// 64-bit significand with explicit integer bit, 15-bit biased exponent and sign.
struct Float80 {
    u64 mant = 0;
    u16 sign_exp = 0; ///< bit 15 = sign, bits 14..0 = biased exponent
    bool operator==(const Float80&) const = default;
};

struct FpuState {
    Float80 st[8]; ///< physical registers R0..R7 (ST(i) = st[(top + i) & 7])
    u16 fcw = 0x037F;
    u16 fsw = 0;       ///< TOP lives in bits 13..11
    u16 ftw = 0xFFFF;  ///< full 2-bit tag word (11 = empty)
    u16 fop = 0;       ///< last non-control opcode (11 bits)
    u32 fip = 0;       ///< last instruction pointer offset
    u16 fcs = 0;
    u32 fdp = 0;       ///< last data pointer offset
    u16 fds = 0;
};

} // namespace cpu
