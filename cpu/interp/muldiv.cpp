// SPDX-License-Identifier: MIT
// Interpreter handlers: multiply and divide (MUL, IMUL in its one-, two- and three-operand
// forms, DIV, IDIV with #DE). Products and dividends are formed in 128-bit integers so every
// operand size shares one template. Not here: AAM/AAD (bcd.cpp), shifts (shift.cpp).
#include "cpu/interp/handlers.h"

namespace cpu::interp {
namespace {

using u128 = unsigned __int128;
using i128 = __int128;

/// Flags after a multiply: CF = OF = `overflow`. SF/ZF/PF are undefined (SDM Vol. 2B, MUL and
/// IMUL); we set them from the low half of the result as later Intel cores do, and clear AF.
void mul_flags(Cpu& cpu, bool overflow, u64 low, unsigned size) {
    u32 f = szp_flags(low, size);
    if (overflow) {
        f |= kCF | kOF;
    }
    set_flags(cpu.s, kArithFlags, f);
}

/// The accumulator pair of a widening multiply or a divide: AX for bytes, else rDX:rAX.
u128 read_acc_pair(const Cpu& cpu, unsigned size) {
    if (size == 1) {
        return cpu.reg(kRax, 2);
    }
    return (u128{cpu.reg(kRdx, size)} << (8 * size)) | cpu.reg(kRax, size);
}

void write_acc_pair(Cpu& cpu, unsigned size, u64 lo, u64 hi) {
    if (size == 1) {
        cpu.set_reg(kRax, 2, (lo & 0xFF) | ((hi & 0xFF) << 8));
        return;
    }
    cpu.set_reg(kRax, size, lo);
    cpu.set_reg(kRdx, size, hi);
}

/// MUL / IMUL with one operand: rDX:rAX (or AX) = rAX * r/m.
template <bool Signed> Status mul1(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    const unsigned bits = size * 8;
    u64 src;
    TRY(read_op(cpu, insn, 0, src));
    const u64 acc = cpu.reg(kRax, size);
    u128 prod;
    bool overflow;
    if constexpr (Signed) {
        const i128 p = i128{static_cast<i64>(sx(acc, size))} * static_cast<i64>(sx(src, size));
        prod = static_cast<u128>(p);
        // Overflow when the upper half is more than the sign extension of the lower half.
        overflow = p != i128{static_cast<i64>(sx(static_cast<u64>(prod), size))};
    } else {
        prod = u128{acc} * src;
        overflow = (prod >> bits) != 0;
    }
    const u64 lo = trunc(static_cast<u64>(prod), size);
    const u64 hi = trunc(static_cast<u64>(prod >> bits), size);
    write_acc_pair(cpu, size, lo, hi);
    mul_flags(cpu, overflow, lo, size);
    return Status::Ok;
}

/// IMUL Gv, Ev[, imm]: the truncated signed product goes to the register.
Status imul_n(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    u64 a, b;
    if (insn.nops == 3) {
        TRY(read_op(cpu, insn, 1, a));
        b = insn.imm; // already sign-extended by the decoder (Ib(s) and Iz)
    } else {
        TRY(read_op(cpu, insn, 0, a));
        TRY(read_op(cpu, insn, 1, b));
    }
    const i128 p = i128{static_cast<i64>(sx(a, size))} * static_cast<i64>(sx(b, size));
    const u64 lo = trunc(static_cast<u64>(static_cast<u128>(p)), size);
    const bool overflow = p != i128{static_cast<i64>(sx(lo, size))};
    cpu.set_reg(insn.op[0].reg, size, lo, insn.op[0].high_byte);
    mul_flags(cpu, overflow, lo, size);
    return Status::Ok;
}

/// DIV / IDIV: rDX:rAX (or AX) / r/m. #DE on a zero divisor or a quotient that does not fit.
/// The flags are undefined (SDM Vol. 2A, DIV); we leave them unchanged, as Intel cores do.
template <bool Signed> Status div(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    const unsigned bits = size * 8;
    u64 divisor;
    TRY(read_op(cpu, insn, 0, divisor));
    if (divisor == 0) {
        return cpu.raise(kVecDE);
    }
    const u128 dividend = read_acc_pair(cpu, size);
    u64 q, r;
    if constexpr (Signed) {
        // Work on magnitudes so that no C++ signed division can overflow.
        const unsigned dbits = 2 * bits;
        const bool nd = ((dividend >> (dbits - 1)) & 1) != 0;
        const u128 dmask = dbits == 128 ? ~u128{0} : (u128{1} << dbits) - 1;
        const u128 ud = nd ? (~dividend + 1) & dmask : dividend;
        const bool nv = (divisor & base::sign_bit(size)) != 0;
        const u64 uv = nv ? trunc(~divisor + 1, size) : divisor;
        const u128 uq = ud / uv;
        const u64 ur = static_cast<u64>(ud % uv);
        const bool neg_q = nd != nv;
        // The quotient must lie in [-2^(bits-1), 2^(bits-1) - 1].
        const u128 limit = u128{1} << (bits - 1);
        if (neg_q ? uq > limit : uq >= limit) {
            return cpu.raise(kVecDE);
        }
        q = trunc(neg_q ? ~static_cast<u64>(uq) + 1 : static_cast<u64>(uq), size);
        r = trunc(nd ? ~ur + 1 : ur, size); // the remainder takes the dividend's sign
    } else {
        const u128 uq = dividend / divisor;
        if ((uq >> bits) != 0) {
            return cpu.raise(kVecDE);
        }
        q = static_cast<u64>(uq);
        r = static_cast<u64>(dividend % divisor);
    }
    write_acc_pair(cpu, size, q, r);
    return Status::Ok;
}

} // namespace

void install_muldiv(HandlerTable& t) {
    t.h[static_cast<usize>(InsnId::MUL_Eb)] = mul1<false>;
    t.h[static_cast<usize>(InsnId::MUL_Ev)] = mul1<false>;
    t.h[static_cast<usize>(InsnId::IMUL_Eb)] = mul1<true>;
    t.h[static_cast<usize>(InsnId::IMUL_Ev)] = mul1<true>;
    t.h[static_cast<usize>(InsnId::IMUL_GvEv)] = imul_n;
    t.h[static_cast<usize>(InsnId::IMUL_GvEvIz)] = imul_n;
    t.h[static_cast<usize>(InsnId::IMUL_GvEvIb)] = imul_n;
    t.h[static_cast<usize>(InsnId::DIV_Eb)] = div<false>;
    t.h[static_cast<usize>(InsnId::DIV_Ev)] = div<false>;
    t.h[static_cast<usize>(InsnId::IDIV_Eb)] = div<true>;
    t.h[static_cast<usize>(InsnId::IDIV_Ev)] = div<true>;
}

} // namespace cpu::interp
