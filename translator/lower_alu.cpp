// SPDX-License-Identifier: MIT
// Lowerings of integer data instructions: MOV, LEA, MOVZX/MOVSX, XCHG, the two-operand ALU
// group (ADD OR ADC SBB AND SUB XOR CMP TEST), INC DEC NOT NEG, CMOVcc, SETcc, CBW/CWDE/CDQ
// and NOP. Guest registers are operated on in place in CpuState; flags come from the host
// instruction (the guest and host agree on every flag these define) and are captured only
// when live.
#include "translator/lower_common.h"

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;
using cpu::OperandKind;
using lower::mem_ok;
using lower::sized;

namespace {

enum class Alu { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test };

i32 imm_of(const DecodedInsn& in, unsigned size) {
    switch (size) {
    case 1: return static_cast<i8>(in.imm);
    case 2: return static_cast<i16>(in.imm);
    default: return static_cast<i32>(in.imm);
    }
}

bool is_reg(const DecodedInsn& in, unsigned n) { return in.op[n].kind == OperandKind::Reg; }
bool is_mem(const DecodedInsn& in, unsigned n) { return in.op[n].kind == OperandKind::Mem; }
bool is_imm(const DecodedInsn& in, unsigned n) { return in.op[n].kind == OperandKind::Imm; }

bool size_ok(unsigned s) { return s == 1 || s == 2 || s == 4; }

/// Operands 0 and 1 are GPR/memory/immediate of a lowered size, and memory is addressable
/// inline.
bool two_ops_ok(const DecodedInsn& in, u32 flags) {
    (void)flags;
    if (in.nops < 2 || !size_ok(in.op[0].size)) {
        return false;
    }
    for (unsigned n = 0; n < 2; ++n) {
        const OperandKind k = in.op[n].kind;
        if (k != OperandKind::Reg && k != OperandKind::Mem && k != OperandKind::Imm) {
            return false;
        }
    }
    return true;
}

template <Alu Op> bool can_alu(const DecodedInsn& in, u32 flags) {
    return two_ops_ok(in, flags) && mem_ok(in, flags) && in.op[1].size <= in.op[0].size + 0u + 4;
}

template <typename F> void emit_op(x86::Assembler& a, Alu op, const F& dst, const Operand_& src) {
    switch (op) {
    case Alu::Add: a.emit(x86::Inst::kIdAdd, dst, src); break;
    case Alu::Or: a.emit(x86::Inst::kIdOr, dst, src); break;
    case Alu::Adc: a.emit(x86::Inst::kIdAdc, dst, src); break;
    case Alu::Sbb: a.emit(x86::Inst::kIdSbb, dst, src); break;
    case Alu::And: a.emit(x86::Inst::kIdAnd, dst, src); break;
    case Alu::Sub: a.emit(x86::Inst::kIdSub, dst, src); break;
    case Alu::Xor: a.emit(x86::Inst::kIdXor, dst, src); break;
    case Alu::Cmp: a.emit(x86::Inst::kIdCmp, dst, src); break;
    case Alu::Test: a.emit(x86::Inst::kIdTest, dst, src); break;
    }
}

template <Alu Op> void emit_alu(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned size = in.op[0].size;
    const bool writes = Op != Alu::Cmp && Op != Alu::Test;
    const bool logic = Op == Alu::Or || Op == Alu::And || Op == Alu::Xor || Op == Alu::Test;
    // The memory operand's host address first (rdx); then the source value (esi or an imm).
    Operand dst;
    if (is_mem(in, 0)) {
        bc.mem_host(writes ? mmu::Access::Write : mmu::Access::Read, size);
        dst = x86::ptr(x86::rdx, 0, size);
    } else {
        dst = bc.gpr_op(0);
    }
    if (Op == Alu::Xor && is_reg(in, 0) && is_reg(in, 1) && in.op[0].reg == in.op[1].reg &&
        in.op[0].high_byte == in.op[1].high_byte) {
        // xor r, r: the classic zeroing idiom (nothing to read first).
        if (dst.isReg()) {
            a.emit(x86::Inst::kIdXor, dst, dst);
        } else {
            a.xor_(sized(x86::esi, size), sized(x86::esi, size));
            a.emit(x86::Inst::kIdMov, dst, sized(x86::esi, size));
        }
        bc.flags_written(cpu::kArithFlags, logic);
        return;
    }
    // The source as an operand of the host instruction itself where x86 allows it (at most
    // one of the two in memory); else through esi.
    Operand src;
    if (is_imm(in, 1)) {
        src = imm(imm_of(in, size));
    } else if (is_mem(in, 1)) {
        bc.mem_host(mmu::Access::Read, size);
        src = x86::ptr(x86::rdx, 0, size);
    } else {
        src = bc.gpr_op(1);
    }
    if (src.isMem() && dst.isMem()) {
        a.emit(x86::Inst::kIdMov, sized(x86::esi, size), src);
        src = sized(x86::esi, size);
    }
    if (Op == Alu::Adc || Op == Alu::Sbb) {
        bc.emit_cf_to_host();
    }
    emit_op(a, Op, dst, src);
    bc.flags_written(cpu::kArithFlags, logic);
}

// ---- MOV family ----

bool can_mov(const DecodedInsn& in, u32 flags) { return two_ops_ok(in, flags) && mem_ok(in, flags); }

void emit_mov(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned size = in.op[0].size;
    const x86::Gp v = sized(x86::esi, size);
    if (is_mem(in, 0)) {
        if (is_imm(in, 1)) {
            bc.mem_host(mmu::Access::Write, size);
            a.mov(x86::ptr(x86::rdx, 0, size), imm(imm_of(in, size)));
            return;
        }
        // A source in a host register (register cache) is stored from there; one in
        // CpuState goes through esi (no memory-to-memory move).
        const Operand src = bc.gpr_op(1);
        if (!src.isReg()) {
            a.emit(x86::Inst::kIdMov, v, src);
        }
        bc.mem_host(mmu::Access::Write, size);
        a.emit(x86::Inst::kIdMov, x86::ptr(x86::rdx, 0, size), src.isReg() ? src : Operand(v));
        return;
    }
    const Operand dst = bc.gpr_op(0);
    if (is_imm(in, 1)) {
        a.emit(x86::Inst::kIdMov, dst, imm(imm_of(in, size)));
        return;
    }
    if (is_mem(in, 1)) {
        bc.mem_host(mmu::Access::Read, size);
        if (dst.isReg()) {
            a.emit(x86::Inst::kIdMov, dst, x86::ptr(x86::rdx, 0, size));
            return;
        }
        a.mov(v, x86::ptr(x86::rdx, 0, size));
    } else {
        const Operand src = bc.gpr_op(1);
        if (dst.isReg() || src.isReg()) {
            a.emit(x86::Inst::kIdMov, dst, src); // at most one of them in CpuState
            return;
        }
        a.emit(x86::Inst::kIdMov, v, src);
    }
    a.emit(x86::Inst::kIdMov, dst, v);
}

bool can_lea(const DecodedInsn& in, u32) {
    return in.addrsize == 4 && !in.mem.rip_relative && (in.opsize == 4 || in.opsize == 2);
}

void emit_lea(BlockCompiler& bc) {
    const DecodedInsn& in = bc.insn();
    bc.emit_ea();
    bc.a().emit(x86::Inst::kIdMov, bc.gpr_op(0), sized(x86::ecx, in.opsize));
}

bool can_movx(const DecodedInsn& in, u32 flags) {
    return in.opsize == 4 && is_reg(in, 0) && (is_reg(in, 1) || is_mem(in, 1)) && mem_ok(in, flags);
}

template <bool Signed> void emit_movx(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned ssize = in.op[1].size;
    Operand src = is_mem(in, 1) ? Operand(x86::ptr(x86::rdx, 0, ssize)) : bc.gpr_op(1);
    if (is_mem(in, 1)) {
        bc.mem_host(mmu::Access::Read, ssize);
    }
    const Operand dst = bc.gpr_op(0);
    const x86::Gp to = dst.isReg() ? dst.as<x86::Gp>() : x86::esi;
    if (Signed) {
        a.emit(x86::Inst::kIdMovsx, to, src);
    } else {
        a.emit(x86::Inst::kIdMovzx, to, src);
    }
    if (!dst.isReg()) {
        a.emit(x86::Inst::kIdMov, dst, x86::esi);
    }
}

bool can_xchg(const DecodedInsn& in, u32 flags) {
    return two_ops_ok(in, flags) && mem_ok(in, flags) && !is_imm(in, 0) && !is_imm(in, 1);
}

void emit_xchg(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned size = in.op[0].size;
    // Operand 0 may be memory (E form); operand 1 is a register.
    Operand m0 = bc.gpr_op(0);
    if (is_mem(in, 0)) {
        bc.mem_host(mmu::Access::Write, size);
        m0 = x86::ptr(x86::rdx, 0, size);
    }
    a.emit(x86::Inst::kIdMov, sized(x86::esi, size), m0);
    a.emit(x86::Inst::kIdMov, sized(x86::edi, size), bc.gpr_op(1));
    a.emit(x86::Inst::kIdMov, m0, sized(x86::edi, size));
    a.emit(x86::Inst::kIdMov, bc.gpr_op(1), sized(x86::esi, size));
}

// XCHG eAX, Zv: operand 0 is the register, operand 1 is eAX.
bool can_xchg_z(const DecodedInsn& in, u32) { return size_ok(in.op[0].size) && is_reg(in, 0) && is_reg(in, 1); }

// ---- one-operand ALU ----

enum class Un { Inc, Dec, Not, Neg };

bool can_unary(const DecodedInsn& in, u32 flags) {
    return in.nops >= 1 && size_ok(in.op[0].size) && (is_reg(in, 0) || is_mem(in, 0)) && mem_ok(in, flags);
}

template <Un Op> void emit_unary(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned size = in.op[0].size;
    Operand dst = bc.gpr_op(0);
    if (is_mem(in, 0)) {
        bc.mem_host(mmu::Access::Write, size);
        dst = x86::ptr(x86::rdx, 0, size);
    }
    switch (Op) {
    case Un::Inc: {
        const u32 written = bc.flags_of_cf_keeper();
        a.emit(x86::Inst::kIdInc, dst);
        bc.flags_written(written);
        break;
    }
    case Un::Dec: {
        const u32 written = bc.flags_of_cf_keeper();
        a.emit(x86::Inst::kIdDec, dst);
        bc.flags_written(written);
        break;
    }
    case Un::Not: a.emit(x86::Inst::kIdNot, dst); break;
    case Un::Neg: a.emit(x86::Inst::kIdNeg, dst); bc.flags_written(cpu::kArithFlags); break;
    }
}

// ---- condition users ----

bool can_cmov(const DecodedInsn& in, u32 flags) {
    return in.opsize == 4 && is_reg(in, 0) && (is_reg(in, 1) || is_mem(in, 1)) && mem_ok(in, flags);
}

void emit_cmov(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    Operand src;
    if (is_mem(in, 1)) {
        bc.mem_host(mmu::Access::Read, 4); // the source is read whatever the condition
        src = x86::dword_ptr(x86::rdx);
    } else {
        src = bc.gpr_op(1);
    }
    const Operand dst = bc.gpr_op(0);
    // CMOV's destination must be a register: a cached one directly, else edi (which always
    // goes back, as a false condition leaves it unchanged).
    const x86::Gp to = dst.isReg() ? dst.as<x86::Gp>() : x86::edi;
    if (!dst.isReg()) {
        a.emit(x86::Inst::kIdMov, x86::edi, dst);
    }
    bc.load_flags_for_cond(in.opcode & 0xF); // clobbers eax and ecx only
    const auto cc = static_cast<x86::CondCode>(in.opcode & 0xF);
    if (src.isReg()) {
        a.cmov(cc, to, src.as<x86::Gp>());
    } else {
        a.cmov(cc, to, src.as<x86::Mem>());
    }
    if (!dst.isReg()) {
        a.emit(x86::Inst::kIdMov, dst, x86::edi);
    }
}

bool can_setcc(const DecodedInsn& in, u32 flags) { return (is_reg(in, 0) || is_mem(in, 0)) && mem_ok(in, flags); }

void emit_setcc(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    Operand dst = bc.gpr_op(0);
    if (is_mem(in, 0)) {
        bc.mem_host(mmu::Access::Write, 1);
        dst = x86::ptr(x86::rdx, 0, 1);
    }
    bc.load_flags_for_cond(in.opcode & 0xF);
    a.set(static_cast<x86::CondCode>(in.opcode & 0xF), x86::sil);
    if (dst.isMem() && !is_mem(in, 0) && !in.op[0].high_byte) {
        // A register kept in CpuState: its whole dword is written back. A byte store there,
        // then the dword load of the register's next use (SETB BL; ADC EBX, ESI in the kernel's
        // multiprecision loops), cannot be forwarded and waits for the store to retire: 31% of
        // the RSA self-test's hottest block went there.
        const x86::Mem slot = dst.as<x86::Mem>().cloneResized(4);
        a.movzx(x86::esi, x86::sil);
        a.mov(x86::edi, slot);
        a.and_(x86::edi, ~0xFF);
        a.or_(x86::edi, x86::esi);
        a.mov(slot, x86::edi);
        return;
    }
    a.emit(x86::Inst::kIdMov, dst, x86::sil);
}

// ---- sign extensions ----

bool can_cbw(const DecodedInsn& in, u32) { return in.opsize == 4 || in.opsize == 2; }

void emit_cbw(BlockCompiler& bc) { // CBW / CWDE
    x86::Assembler& a = bc.a();
    if (bc.insn().opsize == 4) {
        a.emit(x86::Inst::kIdMovsx, x86::esi, bc.gpr(cpu::kRax, 2));
        a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, 4), x86::esi);
    } else {
        a.emit(x86::Inst::kIdMovsx, x86::si, bc.gpr(cpu::kRax, 1));
        a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, 2), x86::si);
    }
}

void emit_cwd(BlockCompiler& bc) { // CWD / CDQ
    x86::Assembler& a = bc.a();
    const unsigned size = bc.insn().opsize;
    a.emit(x86::Inst::kIdMov, sized(x86::esi, size), bc.gpr(cpu::kRax, size));
    a.sar(sized(x86::esi, size), size * 8 - 1);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRdx, size), sized(x86::esi, size));
}

bool can_always(const DecodedInsn&, u32) { return true; }
void emit_nothing(BlockCompiler&) {}

} // namespace

void install_lower_alu(LoweringTable& t) {
    auto set = [&](InsnId id, auto can, auto emit) {
        t.fn[static_cast<usize>(id)] = Lowering{can, emit};
    };
#define TX86_ALU_ROWS(OP, E)                                                                    \
    set(InsnId::OP##_EbGb, can_alu<Alu::E>, emit_alu<Alu::E>);                                  \
    set(InsnId::OP##_EvGv, can_alu<Alu::E>, emit_alu<Alu::E>);                                  \
    set(InsnId::OP##_GbEb, can_alu<Alu::E>, emit_alu<Alu::E>);                                  \
    set(InsnId::OP##_GvEv, can_alu<Alu::E>, emit_alu<Alu::E>);                                  \
    set(InsnId::OP##_ALIb, can_alu<Alu::E>, emit_alu<Alu::E>);                                  \
    set(InsnId::OP##_eAXIz, can_alu<Alu::E>, emit_alu<Alu::E>);                                 \
    set(InsnId::OP##_EbIb, can_alu<Alu::E>, emit_alu<Alu::E>);                                  \
    set(InsnId::OP##_EvIz, can_alu<Alu::E>, emit_alu<Alu::E>);                                  \
    set(InsnId::OP##_EbIb_82, can_alu<Alu::E>, emit_alu<Alu::E>);                               \
    set(InsnId::OP##_EvIb, can_alu<Alu::E>, emit_alu<Alu::E>);
    TX86_ALU_ROWS(ADD, Add)
    TX86_ALU_ROWS(OR, Or)
    TX86_ALU_ROWS(ADC, Adc)
    TX86_ALU_ROWS(SBB, Sbb)
    TX86_ALU_ROWS(AND, And)
    TX86_ALU_ROWS(SUB, Sub)
    TX86_ALU_ROWS(XOR, Xor)
    TX86_ALU_ROWS(CMP, Cmp)
#undef TX86_ALU_ROWS
    for (InsnId id : {InsnId::TEST_EbGb, InsnId::TEST_EvGv, InsnId::TEST_ALIb, InsnId::TEST_eAXIz,
                      InsnId::TEST_EbIb_F6, InsnId::TEST_EvIz_F7, InsnId::TEST_EbIb_F6_alias,
                      InsnId::TEST_EvIz_F7_alias}) {
        set(id, can_alu<Alu::Test>, emit_alu<Alu::Test>);
    }
    for (InsnId id : {InsnId::MOV_EbGb, InsnId::MOV_EvGv, InsnId::MOV_GbEb, InsnId::MOV_GvEv,
                      InsnId::MOV_EbIb, InsnId::MOV_EvIz, InsnId::MOV_ZbIb, InsnId::MOV_ZvIv,
                      InsnId::MOV_ALOb, InsnId::MOV_eAXOv, InsnId::MOV_ObAL, InsnId::MOV_OveAX}) {
        set(id, can_mov, emit_mov);
    }
    set(InsnId::LEA_GvM, can_lea, emit_lea);
    set(InsnId::MOVZX_GvEb, can_movx, emit_movx<false>);
    set(InsnId::MOVZX_GvEw, can_movx, emit_movx<false>);
    set(InsnId::MOVSX_GvEb, can_movx, emit_movx<true>);
    set(InsnId::MOVSX_GvEw, can_movx, emit_movx<true>);
    set(InsnId::XCHG_EbGb, can_xchg, emit_xchg);
    set(InsnId::XCHG_EvGv, can_xchg, emit_xchg);
    set(InsnId::XCHG_ZveAX, can_xchg_z, emit_xchg);
    set(InsnId::INC_Zv, can_unary, emit_unary<Un::Inc>);
    set(InsnId::DEC_Zv, can_unary, emit_unary<Un::Dec>);
    set(InsnId::INC_Eb, can_unary, emit_unary<Un::Inc>);
    set(InsnId::INC_Ev, can_unary, emit_unary<Un::Inc>);
    set(InsnId::DEC_Eb, can_unary, emit_unary<Un::Dec>);
    set(InsnId::DEC_Ev, can_unary, emit_unary<Un::Dec>);
    set(InsnId::NOT_Eb, can_unary, emit_unary<Un::Not>);
    set(InsnId::NOT_Ev, can_unary, emit_unary<Un::Not>);
    set(InsnId::NEG_Eb, can_unary, emit_unary<Un::Neg>);
    set(InsnId::NEG_Ev, can_unary, emit_unary<Un::Neg>);
    set(InsnId::CMOVCC_GvEv, can_cmov, emit_cmov);
    set(InsnId::SETCC_Eb, can_setcc, emit_setcc);
    set(InsnId::CBW, can_cbw, emit_cbw);
    set(InsnId::CWD, can_cbw, emit_cwd);
    set(InsnId::NOP, can_always, emit_nothing);
    set(InsnId::PAUSE, can_always, emit_nothing);
}

} // namespace translator
