// SPDX-License-Identifier: MIT
// Lowerings of IMUL (two- and three-operand forms) and of the shifts and rotates by an
// immediate, by 1 and by CL. Flags follow the interpreter's choices where the SDM leaves them
// undefined, so that both engines agree bit for bit (cpu/interp/muldiv.cpp, shift.cpp):
//  - IMUL: CF = OF = overflow; SF ZF PF from the low half of the result; AF = 0.
//  - shifts and rotates by more than one: the flags of the last single-bit step. The host gives
//    exactly that when a shift by c is emitted as a shift by c-1 followed by a shift by 1.
//  - shifts: AF = 0.
#include "translator/lower_common.h"

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;
using cpu::OperandKind;
using lower::mem_ok;

namespace {

bool can_imul(const DecodedInsn& in, u32 flags) {
    return in.opsize == 4 && in.op[0].kind == OperandKind::Reg &&
           (in.op[1].kind == OperandKind::Reg || in.op[1].kind == OperandKind::Mem) && mem_ok(in, flags);
}

void emit_imul(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    if (in.op[1].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Read, 4);
        a.mov(x86::esi, x86::dword_ptr(x86::rdx));
    } else {
        a.mov(x86::esi, bc.gpr_op(1));
    }
    if (in.nops == 3) {
        a.imul(x86::edi, x86::esi, static_cast<i32>(in.imm));
    } else {
        a.mov(x86::edi, bc.gpr_op(0));
        a.imul(x86::edi, x86::esi);
    }
    a.mov(bc.gpr_op(0), x86::edi);
    if (!bc.flags_live(cpu::kArithFlags)) {
        return;
    }
    a.setc(x86::al);
    a.movzx(x86::eax, x86::al);
    a.imul(x86::eax, x86::eax, static_cast<i32>(cpu::kCF | cpu::kOF));
    a.test(x86::edi, x86::edi);
    a.pushfq();
    a.pop(x86::rcx);
    a.and_(x86::ecx, static_cast<i32>(cpu::kSF | cpu::kZF | cpu::kPF));
    a.or_(x86::ecx, x86::eax);
    bc.flags_store(x86::ecx, cpu::kArithFlags);
}

enum class Sh { Rol, Ror, Shl, Shr, Sar };

/// The count operand: 1, an immediate, or CL.
bool count_is_cl(const DecodedInsn& in) { return in.op[1].kind == OperandKind::Reg; }
unsigned const_count(const DecodedInsn& in) {
    return in.op[1].kind == OperandKind::Const ? in.op[1].reg : static_cast<unsigned>(in.imm & 0xFF);
}

template <Sh Op> bool can_shift(const DecodedInsn& in, u32 flags) {
    const unsigned size = in.op[0].size;
    if ((size != 1 && size != 2 && size != 4) || !mem_ok(in, flags) ||
        (in.op[0].kind != OperandKind::Reg && in.op[0].kind != OperandKind::Mem)) {
        return false;
    }
    if (count_is_cl(in)) {
        return size == 4;
    }
    return (const_count(in) & 31) != 0;
}

void emit_sh(x86::Assembler& a, Sh op, const x86::Mem& dst, const Operand_& count) {
    switch (op) {
    case Sh::Rol: a.emit(x86::Inst::kIdRol, dst, count); break;
    case Sh::Ror: a.emit(x86::Inst::kIdRor, dst, count); break;
    case Sh::Shl: a.emit(x86::Inst::kIdShl, dst, count); break;
    case Sh::Shr: a.emit(x86::Inst::kIdShr, dst, count); break;
    case Sh::Sar: a.emit(x86::Inst::kIdSar, dst, count); break;
    }
}

template <Sh Op> void emit_shift(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned size = in.op[0].size;
    x86::Mem dst = bc.gpr_op(0);
    if (in.op[0].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Write, size);
        dst = x86::ptr(x86::rdx, 0, size);
    }
    const bool rotate = Op == Sh::Rol || Op == Sh::Ror;
    const u32 written = rotate ? u32{cpu::kCF | cpu::kOF} : u32{cpu::kArithFlags};
    if (count_is_cl(in)) {
        // A masked count of 0 changes nothing, not even the flags.
        Label done = a.newLabel();
        a.movzx(x86::ecx, bc.gpr(cpu::kRcx, 1));
        a.and_(x86::ecx, 31);
        a.jz(done);
        a.dec(x86::ecx);
        emit_sh(a, Op, dst, x86::cl);
        emit_sh(a, Op, dst, imm(1));
        bc.flags_written(written, !rotate);
        a.bind(done);
        return;
    }
    const unsigned c = const_count(in) & 31;
    if (c > 1) {
        emit_sh(a, Op, dst, imm(c - 1));
    }
    emit_sh(a, Op, dst, imm(1));
    bc.flags_written(written, !rotate);
}

} // namespace

void install_lower_mul_shift(LoweringTable& t) {
    auto set = [&](InsnId id, auto can, auto emit) {
        t.fn[static_cast<usize>(id)] = Lowering{can, emit};
    };
    set(InsnId::IMUL_GvEv, can_imul, emit_imul);
    set(InsnId::IMUL_GvEvIz, can_imul, emit_imul);
    set(InsnId::IMUL_GvEvIb, can_imul, emit_imul);
#define TX86_SHIFT_ROWS(OP, E)                                                                  \
    set(InsnId::OP##_EbIb, can_shift<Sh::E>, emit_shift<Sh::E>);                                \
    set(InsnId::OP##_EvIb, can_shift<Sh::E>, emit_shift<Sh::E>);                                \
    set(InsnId::OP##_Eb1, can_shift<Sh::E>, emit_shift<Sh::E>);                                 \
    set(InsnId::OP##_Ev1, can_shift<Sh::E>, emit_shift<Sh::E>);                                 \
    set(InsnId::OP##_EvCL, can_shift<Sh::E>, emit_shift<Sh::E>);
    TX86_SHIFT_ROWS(ROL, Rol)
    TX86_SHIFT_ROWS(ROR, Ror)
    TX86_SHIFT_ROWS(SHL, Shl)
    TX86_SHIFT_ROWS(SAL, Shl)
    TX86_SHIFT_ROWS(SHR, Shr)
    TX86_SHIFT_ROWS(SAR, Sar)
#undef TX86_SHIFT_ROWS
}

} // namespace translator
