// SPDX-License-Identifier: MIT
// Interpreter handlers: shifts and rotates (ROL ROR RCL RCR SHL/SAL SHR SAR by 1, by CL and by
// an immediate) and the double shifts SHLD/SHRD. Flags are computed eagerly: a shift has too
// many count-dependent cases for the lazy record to pay off. Not here: BT* (bit.cpp).
//
// Semantics follow SDM Vol. 2B "RCL/RCR/ROL/ROR" and "SAL/SAR/SHL/SHR". The count is masked to
// 5 bits (6 with a 64-bit operand); a masked count of 0 changes nothing, not even the flags.
// Where the SDM leaves OF undefined (counts other than 1) we apply the count-1 rule to the last
// single-bit step, which is what the 80286 vectors record (SHR then gives OF = 0).
#include "cpu/interp/handlers.h"

namespace cpu::interp {
namespace {

using u128 = unsigned __int128;

enum class ShOp { Rol, Ror, Rcl, Rcr, Shl, Shr, Sar };

/// The raw count operand (1, CL or imm8) before masking.
u64 shift_count(const Cpu& cpu, const DecodedInsn& insn, unsigned n) {
    const Operand& o = insn.op[n];
    switch (o.kind) {
    case OperandKind::Const: return o.reg;
    case OperandKind::Reg: return cpu.reg(kRcx, 1);
    default: return insn.imm & 0xFF;
    }
}

template <ShOp Op> Status shift(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    const unsigned w = size * 8;
    const u64 mask = base::size_mask(size);
    const u64 msb = base::sign_bit(size);
    const unsigned count = static_cast<unsigned>(shift_count(cpu, insn, 1) & (size == 8 ? 0x3F : 0x1F));
    u64 d;
    TRY(read_op(cpu, insn, 0, d));
    if (count == 0) {
        return Status::Ok;
    }
    const u32 old = read_eflags(cpu.s);
    const bool cf_in = (old & kCF) != 0;
    u64 r = d;
    bool cf = cf_in;
    bool of = false;
    u32 defined = kCF | kOF; // rotates touch only CF and OF
    switch (Op) {
    case ShOp::Rol: {
        const unsigned c = count % w;
        r = c ? trunc((d << c) | (d >> (w - c)), size) : d;
        cf = (r & 1) != 0;
        of = ((r & msb) != 0) != cf;
        break;
    }
    case ShOp::Ror: {
        const unsigned c = count % w;
        r = c ? trunc((d >> c) | (d << (w - c)), size) : d;
        cf = (r & msb) != 0;
        of = ((r & msb) != 0) != ((r & (msb >> 1)) != 0);
        break;
    }
    case ShOp::Rcl:
    case ShOp::Rcr: {
        // Rotate through a (w+1)-bit value CF:dest. Byte and word counts are reduced modulo
        // 9 and 17; dword and qword counts are already below w+1.
        const unsigned c = count % (w + 1);
        const u128 m = (u128{1} << (w + 1)) - 1;
        const u128 v = (u128{cf_in} << w) | d;
        u128 rv = v;
        if (c != 0) {
            rv = Op == ShOp::Rcl ? ((v << c) | (v >> (w + 1 - c))) & m
                                 : ((v >> c) | (v << (w + 1 - c))) & m;
        }
        r = static_cast<u64>(rv) & mask;
        cf = ((rv >> w) & 1) != 0;
        if (Op == ShOp::Rcl) {
            of = ((r & msb) != 0) != cf;
        } else {
            // RCR: OF = MSB XOR next bit of the result (= old MSB XOR old CF for a count of 1).
            of = ((r & msb) != 0) != ((r & (msb >> 1)) != 0);
        }
        break;
    }
    case ShOp::Shl:
        r = count >= w ? 0 : trunc(d << count, size);
        cf = count <= w && ((d >> (w - count)) & 1) != 0;
        of = ((r & msb) != 0) != cf;
        defined = kArithFlags;
        break;
    case ShOp::Shr:
        r = count >= w ? 0 : d >> count;
        cf = count <= w && ((d >> (count - 1)) & 1) != 0;
        // Count 1: OF = MSB of the original operand (SDM). Larger counts: the last single-bit
        // step's rule, MSB(d >> (count-1)), which is 0 — what the 80286 vectors show.
        of = count == 1 && (d & msb) != 0;
        defined = kArithFlags;
        break;
    case ShOp::Sar: {
        const i64 sd = static_cast<i64>(sx(d, size));
        const unsigned c = count > 63 ? 63 : count;
        r = trunc(static_cast<u64>(sd >> c), size);
        cf = ((static_cast<u64>(sd >> (c - 1))) & 1) != 0;
        of = false;
        defined = kArithFlags;
        break;
    }
    }
    TRY(write_op(cpu, insn, 0, r));
    u32 f = (cf ? u32{kCF} : 0u) | (of ? u32{kOF} : 0u);
    if (defined == kArithFlags) {
        f |= szp_flags(r, size); // AF is undefined for shifts; we clear it
    }
    set_flags(cpu.s, defined, f);
    return Status::Ok;
}

/// SHLD/SHRD. A 16-bit operation with a count above 16 is undefined (SDM Vol. 2B, SHLD); we
/// shift through the 48-bit pattern dest:src:dest, as Intel cores do.
template <bool Left> Status double_shift(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    const unsigned w = size * 8;
    const u64 msb = base::sign_bit(size);
    const unsigned count = static_cast<unsigned>(shift_count(cpu, insn, 2) & (size == 8 ? 0x3F : 0x1F));
    u64 d;
    TRY(read_op(cpu, insn, 0, d));
    const u64 s = cpu.reg(insn.op[1].reg, size);
    if (count == 0) {
        return Status::Ok;
    }
    u64 r;
    bool cf;
    if (Left) {
        // Window (high to low): dest, src, [dest]; the result is its top w bits after the shift.
        u128 v = (u128{d} << w) | s;
        unsigned vbits = 2 * w;
        if (w == 16) {
            v = (v << 16) | d;
            vbits = 48;
        }
        const u128 sh = v << count;
        r = trunc(static_cast<u64>(sh >> (vbits - w)), size);
        cf = ((v >> (vbits - count)) & 1) != 0;
    } else {
        // Window (low to high): dest, src, [dest]; the result is its low w bits after the shift.
        u128 v = (u128{s} << w) | d;
        if (w == 16) {
            v |= u128{d} << 32;
        }
        r = trunc(static_cast<u64>(v >> count), size);
        cf = ((v >> (count - 1)) & 1) != 0;
    }
    TRY(write_op(cpu, insn, 0, r));
    const bool of = ((r ^ d) & msb) != 0; // sign change (defined for a count of 1)
    set_flags(cpu.s, kArithFlags, szp_flags(r, size) | (cf ? u32{kCF} : 0u) | (of ? u32{kOF} : 0u));
    return Status::Ok;
}

} // namespace

void install_shift(HandlerTable& t) {
#define SHIFT_ROWS(NAME, OP)                                                                       \
    t.h[static_cast<usize>(InsnId::NAME##_EbIb)] = shift<ShOp::OP>;                                \
    t.h[static_cast<usize>(InsnId::NAME##_EvIb)] = shift<ShOp::OP>;                                \
    t.h[static_cast<usize>(InsnId::NAME##_Eb1)] = shift<ShOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_Ev1)] = shift<ShOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_EbCL)] = shift<ShOp::OP>;                                \
    t.h[static_cast<usize>(InsnId::NAME##_EvCL)] = shift<ShOp::OP>;
    SHIFT_ROWS(ROL, Rol)
    SHIFT_ROWS(ROR, Ror)
    SHIFT_ROWS(RCL, Rcl)
    SHIFT_ROWS(RCR, Rcr)
    SHIFT_ROWS(SHL, Shl)
    SHIFT_ROWS(SHR, Shr)
    SHIFT_ROWS(SAL, Shl) // undocumented /6 behaves as SHL /4
    SHIFT_ROWS(SAR, Sar)
#undef SHIFT_ROWS
    t.h[static_cast<usize>(InsnId::SHLD_EvGvIb)] = double_shift<true>;
    t.h[static_cast<usize>(InsnId::SHLD_EvGvCL)] = double_shift<true>;
    t.h[static_cast<usize>(InsnId::SHRD_EvGvIb)] = double_shift<false>;
    t.h[static_cast<usize>(InsnId::SHRD_EvGvCL)] = double_shift<false>;
}

} // namespace cpu::interp
