// SPDX-License-Identifier: MIT
// Lowerings of IMUL (two- and three-operand forms), of the one-operand MUL/IMUL and DIV/IDIV
// (32-bit), of the shifts and rotates by an immediate, by 1 and by CL, and of SHLD/SHRD
// (32-bit). Flags follow the interpreter's choices where the SDM leaves them
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
    Operand src;
    if (in.op[1].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Read, 4);
        src = x86::dword_ptr(x86::rdx);
    } else {
        src = bc.gpr_op(1);
    }
    // The product in a cached destination directly, else in edi (then stored).
    const Operand dst = bc.gpr_op(0);
    const x86::Gp res = dst.isReg() ? dst.as<x86::Gp>() : x86::edi;
    if (in.nops == 3) {
        a.emit(x86::Inst::kIdImul, res, src, imm(static_cast<i32>(in.imm)));
    } else {
        if (!dst.isReg()) {
            a.mov(x86::edi, dst.as<x86::Mem>());
        }
        a.emit(x86::Inst::kIdImul, res, src);
    }
    if (!dst.isReg()) {
        a.mov(dst.as<x86::Mem>(), x86::edi);
    }
    if (!bc.flags_live(cpu::kArithFlags)) {
        return;
    }
    a.setc(x86::al);
    a.movzx(x86::eax, x86::al);
    a.imul(x86::eax, x86::eax, static_cast<i32>(cpu::kCF | cpu::kOF));
    a.test(res, res);
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

void emit_sh(x86::Assembler& a, Sh op, const Operand& dst, const Operand_& count) {
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
    Operand dst = bc.gpr_op(0);
    if (in.op[0].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Write, size);
        dst = x86::ptr(x86::rdx, 0, size);
    }
    const bool rotate = Op == Sh::Rol || Op == Sh::Ror;
    const u32 written = rotate ? u32{cpu::kCF | cpu::kOF} : u32{cpu::kArithFlags};
    if (count_is_cl(in)) {
        // A masked count of 0 changes nothing, not even the flags.
        Label done = a.newLabel();
        // Flags change on one side of the branch only: none may be deferred across it.
        bc.materialize_flags();
        a.emit(x86::Inst::kIdMovzx, x86::ecx, bc.gpr(cpu::kRcx, 1));
        a.and_(x86::ecx, 31);
        a.jz(done);
        if (bc.flags_live(written)) {
            // The last step by 1 leaves the flags the interpreter computes.
            a.dec(x86::ecx);
            emit_sh(a, Op, dst, x86::cl);
            emit_sh(a, Op, dst, imm(1));
        } else {
            emit_sh(a, Op, dst, x86::cl);
        }
        bc.flags_written(written, !rotate);
        bc.materialize_flags();
        a.bind(done);
        return;
    }
    const unsigned c = const_count(in) & 31;
    if (!bc.flags_live(written)) {
        emit_sh(a, Op, dst, imm(c));
    } else {
        if (c > 1) {
            emit_sh(a, Op, dst, imm(c - 1));
        }
        emit_sh(a, Op, dst, imm(1));
    }
    bc.flags_written(written, !rotate);
}

// ---- one-operand MUL/IMUL, DIV/IDIV (32-bit) ----

bool can_muldiv(const DecodedInsn& in, u32 flags) {
    return in.op[0].size == 4 && (in.op[0].kind == OperandKind::Reg || in.op[0].kind == OperandKind::Mem) &&
           mem_ok(in, flags);
}

/// The r/m operand into esi.
void load_rm32(BlockCompiler& bc) {
    const DecodedInsn& in = bc.insn();
    if (in.op[0].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Read, 4);
        bc.a().mov(x86::esi, x86::dword_ptr(x86::rdx));
    } else {
        bc.a().emit(x86::Inst::kIdMov, x86::esi, bc.gpr_op(0));
    }
}

/// EDX:EAX = EAX * r/m. Flags as the interpreter's mul_flags: CF = OF = the high half is
/// significant (the host's), SF ZF PF from EAX, AF = 0.
template <bool Signed> void emit_mul1(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    load_rm32(bc);
    a.emit(x86::Inst::kIdMov, x86::eax, bc.gpr(cpu::kRax, 4));
    if (Signed) {
        a.imul(x86::esi);
    } else {
        a.mul(x86::esi);
    }
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, 4), x86::eax);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRdx, 4), x86::edx);
    if (!bc.flags_live(cpu::kArithFlags)) {
        return;
    }
    a.setc(x86::cl);
    a.movzx(x86::ecx, x86::cl);
    a.imul(x86::ecx, x86::ecx, static_cast<i32>(cpu::kCF | cpu::kOF));
    a.test(x86::eax, x86::eax);
    a.pushfq();
    a.pop(x86::rdi);
    a.and_(x86::edi, static_cast<i32>(cpu::kSF | cpu::kZF | cpu::kPF));
    a.or_(x86::edi, x86::ecx);
    bc.flags_store(x86::edi, cpu::kArithFlags);
}

/// EAX = EDX:EAX / r/m, EDX = the remainder; the flags are left alone (the interpreter's
/// choice). A zero divisor or a quotient that does not fit raises #DE: the interpreter's,
/// out of line, before anything changed.
void emit_div(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    load_rm32(bc);
    a.test(x86::esi, x86::esi);
    a.jz(bc.slow_label());
    a.emit(x86::Inst::kIdMov, x86::edx, bc.gpr(cpu::kRdx, 4));
    a.cmp(x86::edx, x86::esi);
    a.jae(bc.slow_label());
    a.emit(x86::Inst::kIdMov, x86::eax, bc.gpr(cpu::kRax, 4));
    a.div(x86::esi);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, 4), x86::eax);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRdx, 4), x86::edx);
}

/// IDIV: the 64-bit dividend divided on the host in 64 bits (no host fault but INT64_MIN / -1,
/// kept away by sending a divisor of -1 to the interpreter), then #DE unless the quotient fits.
void emit_idiv(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    load_rm32(bc);
    a.test(x86::esi, x86::esi);
    a.jz(bc.slow_label());
    a.cmp(x86::esi, -1);
    a.je(bc.slow_label());
    a.movsxd(x86::rsi, x86::esi);
    a.emit(x86::Inst::kIdMov, x86::eax, bc.gpr(cpu::kRax, 4));
    a.emit(x86::Inst::kIdMov, x86::edx, bc.gpr(cpu::kRdx, 4));
    a.shl(x86::rdx, 32);
    a.or_(x86::rax, x86::rdx);
    a.cqo();
    a.idiv(x86::rsi);
    a.movsxd(x86::rcx, x86::eax);
    a.cmp(x86::rcx, x86::rax);
    a.jne(bc.slow_label());
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, 4), x86::eax);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRdx, 4), x86::edx);
}

// ---- SHLD/SHRD (32-bit) ----

/// Count 0 (immediate) stays with the interpreter (it changes nothing but reads the operand).
bool can_dshift(const DecodedInsn& in, u32 flags) {
    if (in.op[0].size != 4 || in.op[1].kind != OperandKind::Reg || !mem_ok(in, flags) ||
        (in.op[0].kind != OperandKind::Reg && in.op[0].kind != OperandKind::Mem)) {
        return false;
    }
    return in.op[2].kind == OperandKind::Reg || (in.imm & 31) != 0;
}

/// The host's SHLD/SHRD give the result, CF SF ZF PF; OF is the interpreter's for every
/// count (the sign changed), AF = 0. A CL count of 0 changes nothing.
template <bool Left> void emit_dshift(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    Operand dst = bc.gpr_op(0);
    if (in.op[0].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Write, 4);
        dst = x86::dword_ptr(x86::rdx);
    }
    Label done = a.newLabel();
    const bool by_cl = in.op[2].kind == OperandKind::Reg;
    if (by_cl) {
        bc.materialize_flags(); // flags change on one side of the branch only
        a.emit(x86::Inst::kIdMovzx, x86::ecx, bc.gpr(cpu::kRcx, 1));
        a.and_(x86::ecx, 31);
        a.jz(done);
    }
    a.emit(x86::Inst::kIdMov, x86::edi, dst);
    a.emit(x86::Inst::kIdMov, x86::esi, bc.gpr_op(1));
    a.mov(x86::eax, x86::edi);
    const Operand count = by_cl ? Operand(x86::cl) : Operand(imm(static_cast<u32>(in.imm & 31)));
    a.emit(Left ? x86::Inst::kIdShld : x86::Inst::kIdShrd, x86::eax, x86::esi, count);
    a.emit(x86::Inst::kIdMov, dst, x86::eax);
    if (bc.flags_live(cpu::kArithFlags)) {
        a.pushfq();
        a.pop(x86::rcx);
        a.and_(x86::ecx, static_cast<i32>(cpu::kCF | cpu::kSF | cpu::kZF | cpu::kPF));
        a.xor_(x86::edi, x86::eax);
        a.shr(x86::edi, 31);
        a.shl(x86::edi, 11); // OF
        a.or_(x86::ecx, x86::edi);
        bc.flags_store(x86::ecx, cpu::kArithFlags);
    }
    a.bind(done);
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
    set(InsnId::MUL_Ev, can_muldiv, emit_mul1<false>);
    set(InsnId::IMUL_Ev, can_muldiv, emit_mul1<true>);
    set(InsnId::DIV_Ev, can_muldiv, emit_div);
    set(InsnId::IDIV_Ev, can_muldiv, emit_idiv);
    set(InsnId::SHLD_EvGvIb, can_dshift, emit_dshift<true>);
    set(InsnId::SHLD_EvGvCL, can_dshift, emit_dshift<true>);
    set(InsnId::SHRD_EvGvIb, can_dshift, emit_dshift<false>);
    set(InsnId::SHRD_EvGvCL, can_dshift, emit_dshift<false>);
}

} // namespace translator
