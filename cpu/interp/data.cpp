// SPDX-License-Identifier: MIT
// Interpreter handlers: data transfer and the small general-purpose rest — MOV (incl. moffs and
// the segment-register store), XCHG, LEA, MOVZX/MOVSX, CMOVcc, SETcc, CBW/CWD families,
// PUSH/POP of GPRs, immediates and r/m, PUSHA/POPA, ENTER/LEAVE, LAHF/SAHF, XLAT, XADD,
// CMPXCHG/CMPXCHG8B, the flag-bit instructions (CLC STC CMC CLD STD), NOPs and BOUND.
// Not here: segment-register loads, PUSH/POP of segment registers, PUSHF/POPF, CLI/STI
// (system.cpp); string instructions (string.cpp).
#include "cpu/interp/handlers.h"

namespace cpu::interp {
namespace {

/// AH in the byte-register numbering (4..7 with high_byte = AH..BH).
constexpr unsigned kAh = 4;

/// Mask of the stack-pointer width (SS.B in legacy modes).
u64 stack_mask(const Cpu& cpu) {
    const unsigned ss = cpu.stack_size();
    return ss == 2 ? 0xFFFF : (ss == 4 ? 0xFFFFFFFFu : ~u64{0});
}

/// rSP with its low stack-size bits replaced by `sp`.
void set_sp(Cpu& cpu, u64 sp) {
    const u64 m = stack_mask(cpu);
    cpu.s.gpr[kRsp] = (cpu.s.gpr[kRsp] & ~m) | (sp & m);
}

/// Source value of a MOV-like instruction, cut to the destination size. Immediates come from
/// insn.imm, which the decoder already sign-extended (Iz with a 64-bit operand size).
Status source_value(Cpu& cpu, const DecodedInsn& insn, u64& v) {
    if (insn.op[1].kind == OperandKind::Imm) {
        v = insn.imm;
    } else {
        TRY(read_op(cpu, insn, 1, v));
    }
    v = trunc(v, insn.op[0].size);
    return Status::Ok;
}

Status mov(Cpu& cpu, const DecodedInsn& insn) {
    u64 v;
    TRY(source_value(cpu, insn, v));
    return write_op(cpu, insn, 0, v);
}

/// MOV r/m, Sreg: a memory destination is always 16 bits; a register destination with a
/// 32/64-bit operand size receives the zero-extended selector (P6 and later).
Status mov_ev_sw(Cpu& cpu, const DecodedInsn& insn) {
    const u16 sel = cpu.s.seg[insn.op[1].reg].selector;
    if (insn.op[0].kind == OperandKind::Mem) {
        return cpu.write<u16>(insn.mem.seg, ea_offset(cpu, insn), sel);
    }
    cpu.set_reg(insn.op[0].reg, insn.op[0].size, sel);
    return Status::Ok;
}

/// XCHG: the memory operand (op 0) is written before the register.
Status xchg(Cpu& cpu, const DecodedInsn& insn) {
    u64 a, b;
    TRY(read_op(cpu, insn, 0, a));
    TRY(read_op(cpu, insn, 1, b));
    TRY(write_op(cpu, insn, 0, b));
    return write_op(cpu, insn, 1, a);
}

Status nop(Cpu&, const DecodedInsn&) { return Status::Ok; }

/// LEA: the effective address (already wrapped to the address size) cut to the operand size.
Status lea(Cpu& cpu, const DecodedInsn& insn) {
    cpu.set_reg(insn.op[0].reg, insn.op[0].size, trunc(ea_offset(cpu, insn), insn.op[0].size));
    return Status::Ok;
}

template <bool Signed> Status movx(Cpu& cpu, const DecodedInsn& insn) {
    u64 v;
    TRY(read_op(cpu, insn, 1, v));
    if (Signed) {
        v = sx(v, insn.op[1].size);
    }
    cpu.set_reg(insn.op[0].reg, insn.op[0].size, trunc(v, insn.op[0].size));
    return Status::Ok;
}

/// CMOVcc: the source is read (and may fault) whatever the condition. A 32-bit destination in
/// 64-bit mode is zero-extended even when the move does not happen.
Status cmov(Cpu& cpu, const DecodedInsn& insn) {
    u64 v;
    TRY(read_op(cpu, insn, 1, v));
    const unsigned size = insn.op[0].size;
    const unsigned r = insn.op[0].reg;
    if (eval_cond(cpu.s, insn.opcode & 0xF)) {
        cpu.set_reg(r, size, v);
    } else if (size == 4) {
        cpu.set_reg(r, 4, cpu.reg(r, 4));
    }
    return Status::Ok;
}

Status setcc(Cpu& cpu, const DecodedInsn& insn) {
    return write_op(cpu, insn, 0, eval_cond(cpu.s, insn.opcode & 0xF) ? 1 : 0);
}

/// CBW / CWDE / CDQE: sign-extend the lower half of rAX into all of it.
Status cbw(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.opsize;
    cpu.set_reg(kRax, size, trunc(sx(cpu.reg(kRax, size / 2), size / 2), size));
    return Status::Ok;
}

/// CWD / CDQ / CQO: rDX = the sign of rAX, replicated.
Status cwd(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.opsize;
    const bool neg = (cpu.reg(kRax, size) & base::sign_bit(size)) != 0;
    cpu.set_reg(kRdx, size, neg ? ~u64{0} : 0);
    return Status::Ok;
}

/// PUSH r / imm / r/m. PUSH rSP pushes the value from before the push (286 and later).
Status push_op(Cpu& cpu, const DecodedInsn& insn) {
    u64 v;
    if (insn.op[0].kind == OperandKind::Imm) {
        v = insn.imm;
    } else {
        TRY(read_op(cpu, insn, 0, v));
    }
    return cpu.push(trunc(v, insn.opsize), insn.opsize);
}

/// POP r. POP rSP leaves the popped value in rSP (the increment is overwritten).
Status pop_reg(Cpu& cpu, const DecodedInsn& insn) {
    u64 v;
    TRY(cpu.pop(v, insn.opsize));
    cpu.set_reg(insn.op[0].reg, insn.opsize, v);
    return Status::Ok;
}

/// POP r/m. A memory destination based on rSP uses rSP after the increment (SDM Vol. 2B,
/// POP); if the store faults, rSP is put back so the instruction can restart.
Status pop_ev(Cpu& cpu, const DecodedInsn& insn) {
    if (insn.op[0].kind == OperandKind::Reg) {
        return pop_reg(cpu, insn);
    }
    u64 v;
    TRY(cpu.stack_read(0, v, insn.opsize));
    const u64 old_sp = cpu.s.gpr[kRsp];
    set_sp(cpu, old_sp + insn.opsize);
    const Status st = write_op(cpu, insn, 0, v);
    if (st != Status::Ok) {
        cpu.s.gpr[kRsp] = old_sp;
    }
    return st;
}

/// PUSHA/PUSHAD. rSP is restored if any of the eight pushes faults.
Status pusha(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.opsize;
    const u64 old_sp = cpu.s.gpr[kRsp];
    const u64 temp = cpu.reg(kRsp, size);
    for (unsigned r = kRax; r <= kRdi; ++r) {
        const Status st = cpu.push(r == kRsp ? temp : cpu.reg(r, size), size);
        if (st != Status::Ok) {
            cpu.s.gpr[kRsp] = old_sp;
            return st;
        }
    }
    return Status::Ok;
}

/// POPA/POPAD: all eight slots are read before any register changes; the rSP slot is skipped.
Status popa(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.opsize;
    u64 v[8];
    for (unsigned i = 0; i < 8; ++i) {
        if (i == 3) {
            continue; // the saved rSP (popped in slot order DI SI BP SP BX DX CX AX)
        }
        TRY(cpu.stack_read(u64{i} * size, v[i], size));
    }
    static constexpr u8 kOrder[8] = {kRdi, kRsi, kRbp, kRsp, kRbx, kRdx, kRcx, kRax};
    for (unsigned i = 0; i < 8; ++i) {
        if (i != 3) {
            cpu.set_reg(kOrder[i], size, v[i]);
        }
    }
    set_sp(cpu, cpu.s.gpr[kRsp] + 8 * size);
    return Status::Ok;
}

/// ENTER imm16, imm8 (SDM Vol. 2A, ENTER): push rBP, copy level-1 frame pointers from the
/// enclosing frame, push the new frame pointer, set rBP and allocate. rSP and rBP are
/// restored if a stack access faults.
Status enter(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.opsize;
    const u64 alloc = insn.imm & 0xFFFF;
    const unsigned level = static_cast<unsigned>(insn.imm2 & 0x1F);
    const u64 m = stack_mask(cpu);
    const u64 old_sp = cpu.s.gpr[kRsp];
    const u64 old_bp = cpu.s.gpr[kRbp];
    auto fail = [&](Status st) {
        cpu.s.gpr[kRsp] = old_sp;
        cpu.s.gpr[kRbp] = old_bp;
        return st;
    };
    Status st = cpu.push(cpu.reg(kRbp, size), size);
    if (st != Status::Ok) {
        return fail(st);
    }
    const u64 frame = cpu.s.gpr[kRsp] & m;
    if (level > 0) {
        u64 bp = old_bp & m;
        for (unsigned i = 1; i < level; ++i) {
            bp = (bp - size) & m;
            u64 v;
            st = read_mem(cpu, kSs, bp, size, v);
            if (st == Status::Ok) {
                st = cpu.push(v, size);
            }
            if (st != Status::Ok) {
                return fail(st);
            }
        }
        st = cpu.push(frame, size);
        if (st != Status::Ok) {
            return fail(st);
        }
    }
    // The new frame pointer is written with the operand size; the allocation uses the stack
    // width (SDM: "ESP <- ESP - Size" for a 32-bit stack, "SP <- SP - Size" for 16).
    cpu.set_reg(kRbp, size, frame);
    set_sp(cpu, cpu.s.gpr[kRsp] - alloc);
    return Status::Ok;
}

/// LEAVE: rSP = rBP (stack width), then POP rBP; the pop is read before anything changes.
Status leave(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.opsize;
    const u64 m = stack_mask(cpu);
    const u64 bp = cpu.s.gpr[kRbp] & m;
    u64 v;
    TRY(read_mem(cpu, kSs, bp, size, v));
    set_sp(cpu, bp + size);
    cpu.set_reg(kRbp, size, v);
    return Status::Ok;
}

Status lahf(Cpu& cpu, const DecodedInsn&) {
    cpu.set_reg(kAh, 1, read_eflags(cpu.s) & 0xFF, true);
    return Status::Ok;
}

Status sahf(Cpu& cpu, const DecodedInsn&) {
    const u32 m = kSF | kZF | kAF | kPF | kCF;
    set_flags(cpu.s, m, static_cast<u32>(cpu.reg(kAh, 1, true)));
    return Status::Ok;
}

/// XLAT: AL = [seg:rBX + AL], the sum wrapped to the address size.
Status xlat(Cpu& cpu, const DecodedInsn& insn) {
    const u64 off = trunc(cpu.s.gpr[kRbx] + cpu.reg(kRax, 1), insn.addrsize);
    u8 v;
    TRY(cpu.read<u8>(insn.mem.seg, off, v));
    cpu.set_reg(kRax, 1, v);
    return Status::Ok;
}

/// XADD: dest = dest + src, src = old dest. With two registers that are the same, the sum wins
/// (the SDM writes SRC first, then DEST).
Status xadd(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    u64 d, s;
    TRY(read_op(cpu, insn, 0, d));
    TRY(read_op(cpu, insn, 1, s));
    const u64 r = trunc(d + s, size);
    if (insn.op[0].kind == OperandKind::Mem) {
        TRY(write_op(cpu, insn, 0, r));
        TRY(write_op(cpu, insn, 1, d));
    } else {
        TRY(write_op(cpu, insn, 1, d));
        TRY(write_op(cpu, insn, 0, r));
    }
    set_lazy(cpu.s, kFlagsAdd, size, d, s, r);
    return Status::Ok;
}

/// CMPXCHG: compare the accumulator with dest. Equal: dest = src. Not equal: the accumulator
/// gets dest, and a memory dest is written back with its own value (the processor always
/// writes, SDM Vol. 2A). Flags as CMP accumulator, dest.
Status cmpxchg(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    u64 d, s;
    TRY(read_op(cpu, insn, 0, d));
    TRY(read_op(cpu, insn, 1, s));
    const u64 acc = cpu.reg(kRax, size);
    const bool eq = acc == d;
    TRY(write_op(cpu, insn, 0, eq ? s : d));
    if (!eq) {
        cpu.set_reg(kRax, size, d);
    }
    set_lazy(cpu.s, kFlagsSub, size, acc, d, trunc(acc - d, size));
    return Status::Ok;
}

/// CMPXCHG8B m64 (CMPXCHG16B, REX.W, is not offered: CPUID does not report it).
Status cmpxchg8b(Cpu& cpu, const DecodedInsn& insn) {
    if (insn.opsize == 8) {
        return cpu.raise_ud();
    }
    const u64 off = ea_offset(cpu, insn);
    u64 m;
    TRY(cpu.read<u64>(insn.mem.seg, off, m));
    const u64 edx_eax = (cpu.reg(kRdx, 4) << 32) | cpu.reg(kRax, 4);
    const bool eq = m == edx_eax;
    TRY(cpu.write<u64>(insn.mem.seg, off, eq ? (cpu.reg(kRcx, 4) << 32) | cpu.reg(kRbx, 4) : m));
    if (!eq) {
        cpu.set_reg(kRax, 4, m & 0xFFFFFFFF);
        cpu.set_reg(kRdx, 4, m >> 32);
    }
    set_flags(cpu.s, kZF, eq ? u32{kZF} : 0u);
    return Status::Ok;
}

enum class FlagBit { Clc, Stc, Cmc, Cld, Std };

template <FlagBit Op> Status flag_bit(Cpu& cpu, const DecodedInsn&) {
    switch (Op) {
    case FlagBit::Clc: set_flags(cpu.s, kCF, 0); break;
    case FlagBit::Stc: set_flags(cpu.s, kCF, kCF); break;
    case FlagBit::Cmc: set_flags(cpu.s, kCF, get_cf(cpu.s) ? 0u : u32{kCF}); break;
    case FlagBit::Cld: cpu.s.eflags &= ~kDF; break;
    case FlagBit::Std: cpu.s.eflags |= kDF; break;
    }
    return Status::Ok;
}

/// BOUND r, m: #BR unless lower <= index <= upper (signed, operand size).
Status bound(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.opsize;
    const u64 off = ea_offset(cpu, insn);
    u64 lo, hi;
    TRY(read_mem(cpu, insn.mem.seg, off, size, lo));
    TRY(read_mem(cpu, insn.mem.seg, trunc(off + size, insn.addrsize), size, hi));
    const i64 idx = static_cast<i64>(sx(cpu.reg(insn.op[0].reg, size), size));
    if (idx < static_cast<i64>(sx(lo, size)) || idx > static_cast<i64>(sx(hi, size))) {
        return cpu.raise(kVecBR);
    }
    return Status::Ok;
}

} // namespace

void install_data(HandlerTable& t) {
    auto set = [&](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
    for (InsnId id : {InsnId::MOV_EbGb, InsnId::MOV_EvGv, InsnId::MOV_GbEb, InsnId::MOV_GvEv,
                      InsnId::MOV_ALOb, InsnId::MOV_eAXOv, InsnId::MOV_ObAL, InsnId::MOV_OveAX,
                      InsnId::MOV_ZbIb, InsnId::MOV_ZvIv, InsnId::MOV_EbIb, InsnId::MOV_EvIz}) {
        set(id, mov);
    }
    set(InsnId::MOV_EvSw, mov_ev_sw);
    set(InsnId::XCHG_EbGb, xchg);
    set(InsnId::XCHG_EvGv, xchg);
    set(InsnId::XCHG_ZveAX, xchg);
    set(InsnId::NOP, nop);
    set(InsnId::PAUSE, nop);
    set(InsnId::NOP_Ev, nop);
    for (InsnId id : {InsnId::NOP_Ev_0F18_4, InsnId::NOP_Ev_0F18_5, InsnId::NOP_Ev_0F18_6,
                      InsnId::NOP_Ev_0F18_7, InsnId::NOP_Ev_0F19, InsnId::NOP_Ev_0F1A,
                      InsnId::NOP_Ev_0F1B, InsnId::NOP_Ev_0F1C, InsnId::NOP_Ev_0F1D,
                      InsnId::NOP_Ev_0F1E}) {
        set(id, nop); // hint NOPs (rows added by the decoder owner)
    }
    set(InsnId::LEA_GvM, lea);
    set(InsnId::MOVZX_GvEb, movx<false>);
    set(InsnId::MOVZX_GvEw, movx<false>);
    set(InsnId::MOVSX_GvEb, movx<true>);
    set(InsnId::MOVSX_GvEw, movx<true>);
    set(InsnId::CMOVCC_GvEv, cmov);
    set(InsnId::SETCC_Eb, setcc);
    set(InsnId::CBW, cbw);
    set(InsnId::CWD, cwd);
    set(InsnId::PUSH_Zv, push_op);
    set(InsnId::PUSH_Iz, push_op);
    set(InsnId::PUSH_Ib, push_op);
    set(InsnId::PUSH_Ev, push_op);
    set(InsnId::POP_Zv, pop_reg);
    set(InsnId::POP_Ev, pop_ev);
    set(InsnId::PUSHA, pusha);
    set(InsnId::POPA, popa);
    set(InsnId::ENTER_IwIb, enter);
    set(InsnId::LEAVE, leave);
    set(InsnId::LAHF, lahf);
    set(InsnId::SAHF, sahf);
    set(InsnId::XLAT, xlat);
    set(InsnId::XADD_EbGb, xadd);
    set(InsnId::XADD_EvGv, xadd);
    set(InsnId::CMPXCHG_EbGb, cmpxchg);
    set(InsnId::CMPXCHG_EvGv, cmpxchg);
    set(InsnId::CMPXCHG8B_Mq, cmpxchg8b);
    set(InsnId::CLC, flag_bit<FlagBit::Clc>);
    set(InsnId::STC, flag_bit<FlagBit::Stc>);
    set(InsnId::CMC, flag_bit<FlagBit::Cmc>);
    set(InsnId::CLD, flag_bit<FlagBit::Cld>);
    set(InsnId::STD, flag_bit<FlagBit::Std>);
    set(InsnId::BOUND_GvMa, bound);
}

} // namespace cpu::interp
