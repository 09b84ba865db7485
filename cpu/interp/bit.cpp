// SPDX-License-Identifier: MIT
// Interpreter handlers: bit test and modify (BT BTS BTR BTC with a register or immediate bit
// offset), bit scans (BSF BSR) and BSWAP. Not here: shifts (shift.cpp), SETcc (data.cpp).
//
// With a memory operand and a register bit offset, the offset is a signed number that may
// reach outside the addressed word: the access moves to the operand-size unit that holds the
// bit (SDM Vol. 2A, "BT", and Vol. 1, 3.5.1 "bit field addressing").
#include "cpu/interp/handlers.h"

#include <bit>

namespace cpu::interp {
namespace {

enum class BtOp { Test, Set, Reset, Complement };

template <BtOp Op> Status bt(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    const unsigned w = size * 8;
    const bool imm = insn.op[1].kind == OperandKind::Imm;
    const u64 raw = imm ? (insn.imm & 0xFF) : cpu.reg(insn.op[1].reg, size);
    const unsigned bit = static_cast<unsigned>(raw & (w - 1));
    u64 v;
    u64 off = 0;
    const bool mem = insn.op[0].kind == OperandKind::Mem;
    if (mem) {
        off = ea_offset(cpu, insn);
        if (!imm) {
            // Signed unit index times the unit size, added to the address (wraps to the
            // address size like any effective address).
            const i64 unit = static_cast<i64>(sx(raw, size)) >> std::countr_zero(w);
            off = trunc(off + static_cast<u64>(unit) * size, insn.addrsize);
        }
        TRY(read_mem(cpu, insn.mem.seg, off, size, v));
    } else {
        v = cpu.reg(insn.op[0].reg, size);
    }
    const bool old = ((v >> bit) & 1) != 0;
    if constexpr (Op != BtOp::Test) {
        u64 nv = v;
        switch (Op) {
        case BtOp::Set: nv |= u64{1} << bit; break;
        case BtOp::Reset: nv &= ~(u64{1} << bit); break;
        default: nv ^= u64{1} << bit; break;
        }
        if (mem) {
            TRY(write_mem(cpu, insn.mem.seg, off, size, nv));
        } else {
            cpu.set_reg(insn.op[0].reg, size, nv);
        }
    }
    // Only CF is defined; OF SF AF PF are undefined and ZF is unaffected: we leave them.
    set_flags(cpu.s, kCF, old ? u32{kCF} : 0u);
    return Status::Ok;
}

/// BSF/BSR. A zero source sets ZF and leaves the destination unchanged (the SDM says
/// "undefined"; every Intel and AMD core keeps it, and software relies on it). CF OF SF AF PF
/// are undefined: we leave them.
template <bool Forward> Status bit_scan(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    u64 src;
    TRY(read_op(cpu, insn, 1, src));
    if (src == 0) {
        set_flags(cpu.s, kZF, kZF);
        return Status::Ok;
    }
    const unsigned idx = Forward ? static_cast<unsigned>(std::countr_zero(src))
                                 : 63u - static_cast<unsigned>(std::countl_zero(src));
    cpu.set_reg(insn.op[0].reg, size, idx);
    set_flags(cpu.s, kZF, 0);
    return Status::Ok;
}

/// BSWAP. With a 16-bit operand size the result is undefined (SDM Vol. 2A); we clear the low
/// word, which is what Intel hardware does.
Status bswap(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned r = insn.op[0].reg;
    if (insn.opsize == 2) {
        cpu.set_reg(r, 2, 0);
    } else if (insn.opsize == 8) {
        cpu.set_reg(r, 8, __builtin_bswap64(cpu.reg(r, 8)));
    } else {
        cpu.set_reg(r, 4, __builtin_bswap32(static_cast<u32>(cpu.reg(r, 4))));
    }
    return Status::Ok;
}

} // namespace

void install_bit(HandlerTable& t) {
    t.h[static_cast<usize>(InsnId::BT_EvGv)] = bt<BtOp::Test>;
    t.h[static_cast<usize>(InsnId::BT_EvIb)] = bt<BtOp::Test>;
    t.h[static_cast<usize>(InsnId::BTS_EvGv)] = bt<BtOp::Set>;
    t.h[static_cast<usize>(InsnId::BTS_EvIb)] = bt<BtOp::Set>;
    t.h[static_cast<usize>(InsnId::BTR_EvGv)] = bt<BtOp::Reset>;
    t.h[static_cast<usize>(InsnId::BTR_EvIb)] = bt<BtOp::Reset>;
    t.h[static_cast<usize>(InsnId::BTC_EvGv)] = bt<BtOp::Complement>;
    t.h[static_cast<usize>(InsnId::BTC_EvIb)] = bt<BtOp::Complement>;
    t.h[static_cast<usize>(InsnId::BSF_GvEv)] = bit_scan<true>;
    t.h[static_cast<usize>(InsnId::BSR_GvEv)] = bit_scan<false>;
    t.h[static_cast<usize>(InsnId::BSWAP_Zy)] = bswap;
}

} // namespace cpu::interp
