// SPDX-License-Identifier: MIT
// x87 lowerings that compute on the host's own x87: arithmetic (FADD FSUB FSUBR FMUL FDIV
// FDIVR, m32/m64 and register forms), compares (FCOM FUCOM FCOMPP FUCOMPP FTST FCOMI FUCOMI
// and their popping forms), FILD, FIST/FISTP, FLD ST(i), and the rounding case of FST/FSTP
// m64. Compiled code runs these millions of times (awk's arithmetic, sort -n's compares),
// and the host x87 is the exact reference for them. The guest's operands are loaded as 80-bit
// values, the operation runs under the guest's precision and rounding control with every
// exception masked, and its result is committed only when the host raised nothing but
// precision (PE) and the result is a normal or a zero: anything else (an invalid, denormal,
// zero-divide, overflow or underflow case, a NaN or infinity, an unmasked exception in the
// guest's control word, an empty or full register) takes the interpreter call before the
// instruction changed anything, so the interpreter's softfloat decides those exactly.
// The host x87 stack is empty again and the host control word restored before any branch.
#include "translator/lower_x87_common.h"

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;

namespace {

using namespace x87lower;

constexpr i32 kCtxGuestFcw = offsetof(JitContext, x87_guest_fcw);
constexpr i32 kCtxHostFcw = offsetof(JitContext, x87_host_fcw);
constexpr i32 kCtxTmp = offsetof(JitContext, x87_tmp);
/// Host status bits that send the instruction to the interpreter: IE DE ZE OE UE.
constexpr i32 kHostRefused = 0x1F;
constexpr u32 kFswPE = 0x0020;
constexpr u32 kFswC0 = 0x0100;
constexpr u32 kFswC2 = 0x0400;
constexpr u32 kFswC3 = 0x4000;

enum class Op : u8 { Add, Mul, Sub, SubR, Div, DivR };

x86::Mem tmp(BlockCompiler& bc, i32 off, unsigned size) { return bc.context(kCtxTmp + off, size); }

/// Slow path unless the guest masks every exception (then nothing the host may raise sets
/// ES or B, and the masked responses are the host's). Clobbers eax.
void emit_all_masked(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    a.movzx(x86::eax, bc.state(kOffFcw, 2));
    a.not_(x86::eax);
    a.test(x86::al, 0x3F);
    a.jnz(bc.slow_label());
}

/// The host x87 under the guest's precision and rounding control, exceptions masked and
/// their flags clear. Clobbers eax.
void emit_host_guest_mode(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    a.movzx(x86::eax, bc.state(kOffFcw, 2));
    a.or_(x86::eax, 0x3F);
    a.mov(bc.context(kCtxGuestFcw, 2), x86::ax);
    a.fldcw(bc.context(kCtxGuestFcw, 2));
    a.fnclex();
}

void emit_host_restore(BlockCompiler& bc) { bc.a().fldcw(bc.context(kCtxHostFcw, 2)); }

/// reg = 16 * the physical register of ST(i), given esi = TOP.
void emit_phys16(BlockCompiler& bc, const x86::Gp& reg, unsigned i) {
    x86::Assembler& a = bc.a();
    a.lea(reg.r32(), x86::ptr(x86::rsi, static_cast<i32>(i)));
    a.and_(reg.r32(), 7);
    a.shl(reg.r32(), 4);
}

/// Slow path unless the tag of the register at `p16` (16 * its number) is empty
/// (`want_empty`) or is not. Clobbers eax, ecx.
void emit_tag_check16(BlockCompiler& bc, const x86::Gp& p16, bool want_empty) {
    bc.a().mov(x86::ecx, p16.r32());
    bc.a().shr(x86::ecx, 3);
    emit_tag_test(bc, want_empty);
}

/// Sets the tag of the register at `p16` to `tag` (a register, clobbered). Clobbers eax, ecx.
void emit_set_tag16(BlockCompiler& bc, const x86::Gp& p16, const x86::Gp& tag) {
    bc.a().mov(x86::ecx, p16.r32());
    bc.a().shr(x86::ecx, 3);
    emit_set_tag(bc, tag);
}

/// Empties ST(0) .. ST(n-1) and moves TOP up by n, given esi = TOP (clobbered). Clobbers
/// eax, ecx, r9.
void emit_pops(BlockCompiler& bc, unsigned n) {
    x86::Assembler& a = bc.a();
    for (unsigned k = 0; k < n; ++k) {
        a.lea(x86::ecx, x86::ptr(x86::rsi, x86::rsi));
        a.mov(x86::r9d, kTagEmpty);
        emit_set_tag(bc, x86::r9d);
        a.inc(x86::esi);
        a.and_(x86::esi, 7);
    }
    emit_set_top(bc, x86::esi, false); // popping leaves C1
}

/// FSW: C1 and PE from the host's status word in `status` (clobbered): C1 says whether an
/// inexact result was rounded up, PE is sticky.
void emit_c1_pe(BlockCompiler& bc, const x86::Gp& status) {
    x86::Assembler& a = bc.a();
    a.and_(status.r32(), static_cast<i32>(kFswC1 | kFswPE));
    a.and_(bc.state(kOffFsw, 2), static_cast<i32>(~kFswC1 & 0xFFFF));
    a.or_(bc.state(kOffFsw, 2), status.r16());
}

/// Slow path on a refused host status (in `status`).
void emit_refused(BlockCompiler& bc, const x86::Gp& status) {
    bc.a().test(status.r8(), kHostRefused);
    bc.a().jnz(bc.slow_label());
}

/// r9d = the tag of the 80-bit result in the scratch (0 normal, 1 zero); anything else takes
/// the slow path. Clobbers ecx.
void emit_result_tag(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    Label zero = a.newLabel(), done = a.newLabel();
    a.movzx(x86::ecx, tmp(bc, 8, 2));
    a.and_(x86::ecx, 0x7FFF);
    a.jz(zero);
    a.cmp(x86::ecx, 0x7FFF);
    a.je(bc.slow_label());
    a.xor_(x86::r9d, x86::r9d);
    a.jmp(done);
    a.bind(zero);
    a.cmp(tmp(bc, 0, 8), 0);
    a.jne(bc.slow_label());
    a.mov(x86::r9d, 1);
    a.bind(done);
}

/// Copies the 80-bit scratch into the register at `p16`. Clobbers eax.
void emit_commit_value(BlockCompiler& bc, const x86::Gp& p16) {
    x86::Assembler& a = bc.a();
    a.mov(x86::rax, tmp(bc, 0, 8));
    a.mov(st_mem(p16.r64(), kOffMant, 8), x86::rax);
    a.mov(x86::ax, tmp(bc, 8, 2));
    a.mov(st_mem(p16.r64(), kOffSignExp, 2), x86::ax);
}

/// st0 = st0 op st1 on the host.
void emit_host_op_reg(x86::Assembler& a, Op op) {
    switch (op) {
    case Op::Add: a.fadd(x86::st0, x86::st1); break;
    case Op::Mul: a.fmul(x86::st0, x86::st1); break;
    case Op::Sub: a.fsub(x86::st0, x86::st1); break;
    case Op::SubR: a.fsubr(x86::st0, x86::st1); break;
    case Op::Div: a.fdiv(x86::st0, x86::st1); break;
    case Op::DivR: a.fdivr(x86::st0, x86::st1); break;
    }
}

/// st0 = st0 op m on the host.
void emit_host_op_mem(x86::Assembler& a, Op op, const x86::Mem& m) {
    switch (op) {
    case Op::Add: a.fadd(m); break;
    case Op::Mul: a.fmul(m); break;
    case Op::Sub: a.fsub(m); break;
    case Op::SubR: a.fsubr(m); break;
    case Op::Div: a.fdiv(m); break;
    case Op::DivR: a.fdivr(m); break;
    }
}

bool can_mem(const DecodedInsn& in, u32 flags) { return in.has_mem() && lower::mem_ok(in, flags); }
bool can_reg(const DecodedInsn& in, u32) { return !in.has_mem(); }

/// The common start of the forms with a memory operand and ST(0): the entry check, the
/// operand's offset into edi (FDP) and host address into rdx, every exception masked, esi =
/// TOP, r8 = 16 * ST(0)'s register (not empty), the host x87 in the guest's mode with ST(0)
/// loaded.
void emit_st0_with_operand(BlockCompiler& bc, mmu::Access acc, unsigned size) {
    emit_enter(bc, true);
    emit_operand(bc, acc, size);
    emit_all_masked(bc);
    emit_load_top(bc);
    emit_phys16(bc, x86::r8, 0);
    emit_tag_check16(bc, x86::r8, false);
    emit_host_guest_mode(bc);
    bc.a().fld(st_mem(x86::r8, 0, 10));
}

// ---- arithmetic ----

/// After the host operation (result in st0; `second`: the other operand under it): checks
/// the host status and the result, then commits the result into the register at `p16`
/// (16 * its number) with its tag, C1 and PE. The host stack is empty and the host control
/// word back before any branch. Clobbers eax, ecx, edx, r9.
void emit_finish_arith(BlockCompiler& bc, const x86::Gp& p16, bool second) {
    x86::Assembler& a = bc.a();
    a.fnstsw(x86::ax);
    a.fstp(tmp(bc, 0, 10));
    if (second) {
        a.fstp(x86::st0);
    }
    emit_host_restore(bc);
    a.mov(x86::edx, x86::eax);
    emit_refused(bc, x86::edx);
    emit_result_tag(bc);
    // Commit.
    emit_note(bc);
    emit_commit_value(bc, p16);
    emit_set_tag16(bc, p16, x86::r9d);
    emit_c1_pe(bc, x86::edx);
}

/// F<op> m32/m64: ST(0) = ST(0) op the real operand.
template <Op O> void emit_arith_mem(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned size = bc.insn().op[0].size;
    emit_st0_with_operand(bc, mmu::Access::Read, size);
    emit_host_op_mem(a, O, x86::ptr(x86::rdx, 0, size));
    emit_finish_arith(bc, x86::r8, false);
}

/// Register forms: ST(di) = ST(di) op ST(si), one of them ST(0); the P forms pop.
template <Op O, bool ToSti, bool Pop> void emit_arith_reg(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned i = bc.insn().modrm & 7;
    const unsigned di = ToSti ? i : 0, si = ToSti ? 0 : i;
    emit_enter(bc, true);
    emit_load_top(bc);
    emit_phys16(bc, x86::rdi, di);
    emit_phys16(bc, x86::r8, si);
    emit_tag_check16(bc, x86::rdi, false);
    emit_tag_check16(bc, x86::r8, false);
    emit_all_masked(bc);
    emit_host_guest_mode(bc);
    a.fld(st_mem(x86::r8, 0, 10));
    a.fld(st_mem(x86::rdi, 0, 10));
    emit_host_op_reg(a, O);
    emit_finish_arith(bc, x86::rdi, true);
    if (Pop) {
        emit_pops(bc, 1);
    }
}

// ---- compares ----

enum class Against : u8 { StI, St1, Zero };

/// Compares ST(0) with ST(i), ST(1) or +0.0 on the host: afterwards cl = ZF (equal) and dl =
/// CF (less); unordered operands and refused status take the slow path. Leaves esi = TOP.
void emit_host_compare(BlockCompiler& bc, Against with, bool signaling) {
    x86::Assembler& a = bc.a();
    emit_enter(bc, true);
    emit_load_top(bc);
    emit_phys16(bc, x86::r8, 0);
    emit_tag_check16(bc, x86::r8, false);
    if (with != Against::Zero) {
        emit_phys16(bc, x86::rdi, with == Against::St1 ? 1 : bc.insn().modrm & 7);
        emit_tag_check16(bc, x86::rdi, false);
    }
    // No rounding is involved: the host control word stays; its masks are all set.
    a.fnclex();
    if (with == Against::Zero) {
        a.fldz();
    } else {
        a.fld(st_mem(x86::rdi, 0, 10));
    }
    a.fld(st_mem(x86::r8, 0, 10));
    if (signaling) {
        a.fcomip(x86::st1);
    } else {
        a.fucomip(x86::st1);
    }
    a.fstp(x86::st0);
    a.setz(x86::cl);
    a.setc(x86::dl);
    a.setp(x86::r9b);
    a.fnstsw(x86::ax);
    emit_refused(bc, x86::eax);
    a.test(x86::r9b, x86::r9b);
    a.jnz(bc.slow_label());
}

/// FCOM/FUCOM and their popping forms, FTST: C3 = equal, C0 = less, C2 = C1 = 0.
template <Against With, bool Signaling, unsigned Pops> void emit_fcom(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    emit_host_compare(bc, With, Signaling);
    a.movzx(x86::ecx, x86::cl);
    a.shl(x86::ecx, 14);
    a.movzx(x86::edx, x86::dl);
    a.shl(x86::edx, 8);
    a.or_(x86::edx, x86::ecx);
    emit_note(bc);
    a.and_(bc.state(kOffFsw, 2), static_cast<i32>(~(kFswC0 | kFswC1 | kFswC2 | kFswC3) & 0xFFFF));
    a.or_(bc.state(kOffFsw, 2), x86::dx);
    if (Pops != 0) {
        emit_pops(bc, Pops);
    }
}

/// FCOMI/FUCOMI and their popping forms: ZF and CF from the compare, PF OF SF AF cleared;
/// C1 is left as it was (as the interpreter, after the host x87).
template <bool Signaling, bool Pop> void emit_fcomi(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    emit_host_compare(bc, Against::StI, Signaling);
    a.movzx(x86::ecx, x86::cl);
    a.shl(x86::ecx, 6); // ZF
    a.movzx(x86::edx, x86::dl);
    a.or_(x86::edx, x86::ecx); // CF
    emit_note(bc);
    bc.flags_store(x86::edx, cpu::kZF | cpu::kPF | cpu::kCF | cpu::kOF | cpu::kSF | cpu::kAF);
    if (Pop) {
        emit_pops(bc, 1);
    }
}

// ---- loads and stores ----

/// FILD m16/m32/m64: every integer converts exactly; pushed into an empty ST(7), C1 = 0.
void emit_fild(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned size = bc.insn().op[0].size;
    emit_enter(bc, true);
    emit_operand(bc, mmu::Access::Read, size);
    emit_load_top(bc);
    a.dec(x86::esi);
    a.and_(x86::esi, 7);
    a.mov(x86::r8d, x86::esi);
    a.shl(x86::r8d, 4);
    emit_tag_check16(bc, x86::r8, true);
    a.fild(x86::ptr(x86::rdx, 0, size));
    a.fstp(tmp(bc, 0, 10));
    // Commit.
    emit_note(bc);
    emit_commit_value(bc, x86::r8);
    a.xor_(x86::r9d, x86::r9d);
    a.cmp(tmp(bc, 8, 2), 0); // only an integer 0 has a zero exponent
    a.sete(x86::r9b);
    emit_set_tag16(bc, x86::r8, x86::r9d);
    emit_set_top(bc, x86::esi, true);
}

/// FIST/FISTP m16/m32/m64, rounded by the guest's rounding control; out of range (IE) and
/// the rest take the slow path.
template <bool Pop> void emit_fist(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned size = bc.insn().op[0].size;
    emit_st0_with_operand(bc, mmu::Access::Write, size); // rdx: kept until the store
    a.fistp(tmp(bc, 0, size));
    a.fnstsw(x86::ax);
    emit_host_restore(bc);
    a.mov(x86::r9d, x86::eax);
    emit_refused(bc, x86::r9d);
    // Commit.
    const x86::Gp value = size == 8 ? x86::Gp(x86::rax) : lower::sized(x86::rax, size);
    a.mov(value, tmp(bc, 0, size));
    a.mov(x86::ptr(x86::rdx, 0, size), value);
    emit_note(bc);
    emit_c1_pe(bc, x86::r9d);
    if (Pop) {
        emit_pops(bc, 1);
    }
}

/// FLD ST(i): a copy of a normal or zero ST(i) pushed into an empty ST(7), C1 = 0.
void emit_fld_sti(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned i = bc.insn().modrm & 7;
    emit_enter(bc, true);
    emit_load_top(bc);
    emit_phys16(bc, x86::rdi, i);
    emit_phys16(bc, x86::r8, 7); // the new ST(0)
    emit_tag_check16(bc, x86::rdi, false);
    emit_tag_check16(bc, x86::r8, true);
    a.mov(x86::r9, st_mem(x86::rdi, kOffMant, 8));
    a.movzx(x86::eax, st_mem(x86::rdi, kOffSignExp, 2));
    emit_value_tag(bc, x86::r9, x86::edx);
    // Commit.
    emit_note(bc);
    a.mov(st_mem(x86::r8, kOffMant, 8), x86::r9);
    a.movzx(x86::eax, st_mem(x86::rdi, kOffSignExp, 2));
    a.mov(st_mem(x86::r8, kOffSignExp, 2), x86::ax);
    emit_set_tag16(bc, x86::r8, x86::edx);
    a.mov(x86::esi, x86::r8d);
    a.shr(x86::esi, 4);
    emit_set_top(bc, x86::esi, true);
}

} // namespace

namespace x87lower {

void emit_fst_m64_rounded(BlockCompiler& bc, bool pop) {
    x86::Assembler& a = bc.a();
    // Only a normal source: infinities, NaNs and unnormals are the interpreter's.
    a.bt(x86::r9, 63);
    a.jnc(bc.slow_label());
    a.mov(x86::ecx, x86::r8d);
    a.and_(x86::ecx, 0x7FFF);
    a.cmp(x86::ecx, 0x7FFF);
    a.je(bc.slow_label());
    emit_all_masked(bc);
    emit_host_guest_mode(bc);
    a.mov(x86::r8d, x86::esi);
    a.shl(x86::r8d, 4);
    a.fld(st_mem(x86::r8, 0, 10));
    a.fstp(tmp(bc, 0, 8));
    a.fnstsw(x86::ax);
    emit_host_restore(bc);
    a.mov(x86::r9d, x86::eax);
    emit_refused(bc, x86::r9d);
    // A denormal double without UE (exact, but tiny): the interpreter's.
    Label ok = a.newLabel();
    a.mov(x86::rax, tmp(bc, 0, 8));
    a.mov(x86::rcx, x86::rax);
    a.shl(x86::rcx, 1);
    a.jz(ok);
    a.shr(x86::rcx, 53);
    a.jz(bc.slow_label());
    a.bind(ok);
    // Commit.
    a.mov(x86::qword_ptr(x86::rdx), x86::rax);
    emit_note(bc);
    emit_c1_pe(bc, x86::r9d);
    if (pop) {
        emit_pops(bc, 1);
    }
}

} // namespace x87lower

void install_lower_x87_host(LoweringTable& t) {
    auto set = [&](InsnId id, auto can, auto emit) {
        t.fn[static_cast<usize>(id)] = Lowering{can, emit};
    };
#define TX86_ARITH_ROWS(NAME, OP)                                                                  \
    set(InsnId::F##NAME##_Md, can_mem, emit_arith_mem<Op::OP>);                                    \
    set(InsnId::F##NAME##_Mq, can_mem, emit_arith_mem<Op::OP>);                                    \
    set(InsnId::F##NAME##_ST0STi, can_reg, emit_arith_reg<Op::OP, false, false>);                  \
    set(InsnId::F##NAME##_STiST0, can_reg, emit_arith_reg<Op::OP, true, false>);                   \
    set(InsnId::F##NAME##P_STiST0, can_reg, emit_arith_reg<Op::OP, true, true>);
    // As in the interpreter's table: the row's name says which way SUB and DIV go.
    TX86_ARITH_ROWS(ADD, Add)
    TX86_ARITH_ROWS(MUL, Mul)
    TX86_ARITH_ROWS(SUB, Sub)
    TX86_ARITH_ROWS(SUBR, SubR)
    TX86_ARITH_ROWS(DIV, Div)
    TX86_ARITH_ROWS(DIVR, DivR)
#undef TX86_ARITH_ROWS
    set(InsnId::FCOM_STi, can_reg, emit_fcom<Against::StI, true, 0>);
    set(InsnId::FCOMP_STi, can_reg, emit_fcom<Against::StI, true, 1>);
    set(InsnId::FCOMPP, can_reg, emit_fcom<Against::St1, true, 2>);
    set(InsnId::FUCOM_STi, can_reg, emit_fcom<Against::StI, false, 0>);
    set(InsnId::FUCOMP_STi, can_reg, emit_fcom<Against::StI, false, 1>);
    set(InsnId::FUCOMPP, can_reg, emit_fcom<Against::St1, false, 2>);
    set(InsnId::FTST, can_reg, emit_fcom<Against::Zero, true, 0>);
    set(InsnId::FCOMI_ST0STi, can_reg, emit_fcomi<true, false>);
    set(InsnId::FCOMIP_ST0STi, can_reg, emit_fcomi<true, true>);
    set(InsnId::FUCOMI_ST0STi, can_reg, emit_fcomi<false, false>);
    set(InsnId::FUCOMIP_ST0STi, can_reg, emit_fcomi<false, true>);
    set(InsnId::FILD_Mw, can_mem, emit_fild);
    set(InsnId::FILD_Md, can_mem, emit_fild);
    set(InsnId::FILD_Mq, can_mem, emit_fild);
    set(InsnId::FIST_Mw, can_mem, emit_fist<false>);
    set(InsnId::FIST_Md, can_mem, emit_fist<false>);
    set(InsnId::FISTP_Mw, can_mem, emit_fist<true>);
    set(InsnId::FISTP_Md, can_mem, emit_fist<true>);
    set(InsnId::FISTP_Mq, can_mem, emit_fist<true>);
    set(InsnId::FLD_STi, can_reg, emit_fld_sti);
}

} // namespace translator
