// SPDX-License-Identifier: MIT
// Lowerings of the x87 instructions compiled code runs most (the C library's double loads and
// stores, its control word save and FCOM;FNSTSW AX;SAHF compares) that integer code can do:
// FLD/FST/FSTP m64, FLD1, FLDZ, FLDCW m16, FNSTCW m16, FNSTSW AX, FXCH ST(i), FST/FSTP ST(i).
// (Arithmetic, compares, integer conversions and rounded stores run on the host's x87:
// lower_x87_host.cpp.) Only the cases that need no rounding and raise no exception are
// inline: a normal or zero double loaded or stored exactly, a non-empty source and a free
// destination. Anything else (CR0.EM/TS, a pending exception of a waiting instruction,
// NaN/infinity/denormal operands, out-of-range stores, stack overflow or underflow, a
// page-crossing operand, a TLB miss) takes the out-of-line interpreter call before the
// instruction changed anything, so the interpreter's results (cpu/interp/fpu.cpp,
// fpu_env.cpp) are produced exactly, FIP/FOP/FDP and C1 included.
#include "translator/lower_x87_common.h"

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;
using cpu::OperandKind;

namespace {

using namespace x87lower;

bool mem_ok64(const DecodedInsn& in, u32 flags) { return in.has_mem() && lower::mem_ok(in, flags); }

// ---- FLD m64 ----

/// Pushes the double at the operand: normal and zero doubles convert exactly and raise
/// nothing (from_f64); NaN, infinity and denormals are the interpreter's.
void emit_fld_m64(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    Label slow = bc.slow_label();
    emit_enter(bc, true);
    emit_operand(bc, mmu::Access::Read, 8);
    a.mov(x86::rdx, x86::qword_ptr(x86::rdx));
    emit_load_top(bc);
    a.dec(x86::esi); // the new TOP: ST(7) now, which must be empty (else stack overflow)
    a.and_(x86::esi, 7);
    emit_tag_check(bc, 0, true);
    // r9 = significand, r8d = sign and exponent, eax = the tag (0 valid, 1 zero).
    Label zero = a.newLabel(), sign = a.newLabel();
    a.mov(x86::r8, x86::rdx);
    a.shr(x86::r8, 52);
    a.and_(x86::r8d, 0x7FF);
    a.jz(zero);
    a.cmp(x86::r8d, 0x7FF);
    a.je(slow);
    a.add(x86::r8d, static_cast<i32>(kExpDelta));
    a.mov(x86::r9, x86::rdx);
    a.shl(x86::r9, 11);
    a.bts(x86::r9, 63);
    a.xor_(x86::eax, x86::eax);
    a.jmp(sign);
    a.bind(zero);
    a.mov(x86::r9, x86::rdx);
    a.shl(x86::r9, 1);
    a.jnz(slow); // a denormal (DE)
    a.mov(x86::eax, 1);
    a.bind(sign);
    a.shr(x86::rdx, 48);
    a.and_(x86::edx, 0x8000);
    a.or_(x86::r8d, x86::edx);
    // Commit: nothing below can fail.
    a.mov(x86::edx, x86::eax);
    emit_note(bc);
    emit_set_tag(bc, x86::edx);
    a.mov(x86::eax, x86::esi);
    a.shl(x86::eax, 4);
    a.mov(st_mem(x86::rax, kOffMant, 8), x86::r9);
    a.mov(st_mem(x86::rax, kOffSignExp, 2), x86::r8w);
    emit_set_top(bc, x86::esi, true);
}

// ---- FLD1, FLDZ ----

/// Pushes +1.0 or +0.0 (exact whatever the rounding control) into an empty ST(7).
template <bool One> void emit_fld_const(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    emit_enter(bc, true);
    emit_load_top(bc);
    a.dec(x86::esi);
    a.and_(x86::esi, 7);
    emit_tag_check(bc, 0, true);
    emit_note(bc);
    a.mov(x86::edx, One ? 0 : 1); // the tag: valid or zero
    emit_set_tag(bc, x86::edx);
    a.mov(x86::eax, x86::esi);
    a.shl(x86::eax, 4);
    a.mov(x86::r9, imm(One ? u64{1} << 63 : 0));
    a.mov(st_mem(x86::rax, kOffMant, 8), x86::r9);
    a.mov(st_mem(x86::rax, kOffSignExp, 2), imm(One ? 0x3FFF : 0));
    emit_set_top(bc, x86::esi, true);
}

// ---- FST/FSTP m64 ----

/// Stores ST(0) as a double when that is exact: zero, or a normal whose significand fits 53
/// bits and whose exponent is a double's normal one (to_f64 then raises nothing, C1 = 0).
template <bool Pop> void emit_fst_m64(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    Label slow = bc.slow_label();
    emit_enter(bc, true);
    emit_operand(bc, mmu::Access::Write, 8);
    emit_load_top(bc);
    emit_tag_check(bc, 0, false);
    a.mov(x86::eax, x86::esi);
    a.shl(x86::eax, 4);
    a.mov(x86::r9, st_mem(x86::rax, kOffMant, 8));
    a.movzx(x86::r8d, st_mem(x86::rax, kOffSignExp, 2));
    // rax = the double.
    Label zero = a.newLabel(), sign = a.newLabel(), rounded = a.newLabel(), done = a.newLabel();
    a.mov(x86::eax, x86::r8d);
    a.and_(x86::eax, 0x7FFF);
    a.jz(zero);
    a.sub(x86::eax, static_cast<i32>(kExpDelta + 1));
    a.cmp(x86::eax, 2045); // the double exponent minus one, unsigned: 0..2045
    a.ja(rounded);
    a.test(x86::r9d, 0x7FF); // bits below a double's significand: inexact
    a.jnz(rounded);
    a.bt(x86::r9, 63); // an unnormal: invalid
    a.jnc(slow);
    a.inc(x86::eax);
    a.shl(x86::rax, 52);
    a.shl(x86::r9, 1);
    a.shr(x86::r9, 12);
    a.or_(x86::rax, x86::r9);
    a.jmp(sign);
    a.bind(zero);
    a.test(x86::r9, x86::r9);
    a.jnz(slow); // a denormal or pseudo-denormal
    a.bind(sign);
    a.and_(x86::r8d, 0x8000);
    a.shl(x86::r8, 48);
    a.or_(x86::rax, x86::r8);
    // Commit.
    a.mov(x86::qword_ptr(x86::rdx), x86::rax);
    emit_note(bc);
    if (Pop) {
        a.mov(x86::edx, kTagEmpty);
        emit_set_tag(bc, x86::edx);
        a.inc(x86::esi);
        a.and_(x86::esi, 7);
    }
    emit_set_top(bc, x86::esi, true);
    a.jmp(done);
    a.bind(rounded);
    emit_fst_m64_rounded(bc, Pop);
    a.bind(done);
}

// ---- FNSTCW m16, FNSTSW AX ----

void emit_fnstcw(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    emit_enter(bc, false);
    bc.mem_host(mmu::Access::Write, 2, false);
    a.mov(x86::ax, bc.state(kOffFcw, 2));
    a.mov(x86::word_ptr(x86::rdx), x86::ax);
}

/// FLDCW m16, as the interpreter's fldcw: a waiting instruction (a pending exception takes the
/// slow path, so FERR# needs no update here); the new control word with bit 6 set and bits
/// 7 and 13..15 clear; FSW.ES and B set exactly when the new masks expose a pending exception.
void emit_fldcw(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    emit_enter(bc, true);
    bc.mem_host(mmu::Access::Read, 2, false);
    a.movzx(x86::eax, x86::word_ptr(x86::rdx));
    a.and_(x86::eax, 0x1F3F);
    a.or_(x86::eax, 0x0040);
    a.mov(bc.state(kOffFcw, 2), x86::ax);
    a.mov(x86::ecx, x86::eax);
    a.not_(x86::ecx);
    a.and_(x86::ecx, 0x3F); // exceptions left unmasked
    a.movzx(x86::edx, bc.state(kOffFsw, 2));
    a.xor_(x86::esi, x86::esi);
    a.mov(x86::edi, static_cast<i32>(kFswES | kFswBusy));
    a.test(x86::edx, x86::ecx);
    a.cmovnz(x86::esi, x86::edi);
    a.and_(x86::edx, static_cast<i32>(~(kFswES | kFswBusy) & 0xFFFF));
    a.or_(x86::edx, x86::esi);
    a.mov(bc.state(kOffFsw, 2), x86::dx);
}

bool can_always(const DecodedInsn&, u32) { return true; }

void emit_fnstsw_ax(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    emit_enter(bc, false);
    a.mov(x86::ax, bc.state(kOffFsw, 2));
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, 2), x86::ax);
}

// ---- register forms ----

bool can_sti(const DecodedInsn& in, u32) { return !in.has_mem(); }

/// FXCH ST(i), both registers non-empty and holding normals or zeros: swaps them; C1 = 0.
void emit_fxch(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned i = bc.insn().modrm & 7;
    emit_enter(bc, true);
    emit_load_top(bc);
    a.mov(x86::edi, x86::esi);
    emit_tag_check(bc, 0, false);
    emit_tag_check(bc, i, false); // esi = ST(i)'s register
    // From here edi and esi are the registers times 16; their tag shifts are those over 8.
    a.shl(x86::edi, 4);
    a.shl(x86::esi, 4);
    a.mov(x86::r8, st_mem(x86::rdi, kOffMant, 8));
    a.movzx(x86::eax, st_mem(x86::rdi, kOffSignExp, 2));
    emit_value_tag(bc, x86::r8, x86::edx);
    a.mov(x86::r9, st_mem(x86::rsi, kOffMant, 8));
    a.movzx(x86::eax, st_mem(x86::rsi, kOffSignExp, 2));
    emit_value_tag(bc, x86::r9, x86::ecx); // (r10, r11 belong to the block: deferred flags, cache)
    emit_note(bc);
    a.mov(st_mem(x86::rdi, kOffMant, 8), x86::r9);
    a.mov(st_mem(x86::rsi, kOffMant, 8), x86::r8);
    a.movzx(x86::r8d, st_mem(x86::rdi, kOffSignExp, 2));
    a.movzx(x86::r9d, st_mem(x86::rsi, kOffSignExp, 2));
    a.mov(st_mem(x86::rdi, kOffSignExp, 2), x86::r9w);
    a.mov(st_mem(x86::rsi, kOffSignExp, 2), x86::r8w);
    // ST(0) takes ST(i)'s tag, then ST(i) ST(0)'s (one register when i = 0: the same tag).
    a.mov(x86::r9d, x86::ecx);
    a.mov(x86::ecx, x86::edi);
    a.shr(x86::ecx, 3);
    emit_set_tag(bc, x86::r9d);
    a.mov(x86::ecx, x86::esi);
    a.shr(x86::ecx, 3);
    emit_set_tag(bc, x86::edx);
    a.and_(bc.state(kOffFsw, 2), static_cast<i32>(~kFswC1 & 0xFFFF));
}

/// FST/FSTP ST(i) from a non-empty ST(0) holding a normal or a zero: C1 = 0; FSTP pops.
template <bool Pop> void emit_fst_sti(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned i = bc.insn().modrm & 7;
    emit_enter(bc, true);
    emit_load_top(bc);
    a.mov(x86::edi, x86::esi);
    emit_tag_check(bc, 0, false);
    a.shl(x86::edi, 4);
    a.mov(x86::r8, st_mem(x86::rdi, kOffMant, 8));
    a.movzx(x86::eax, st_mem(x86::rdi, kOffSignExp, 2));
    emit_value_tag(bc, x86::r8, x86::edx);
    if (i != 0) {
        a.add(x86::esi, static_cast<i32>(i));
        a.and_(x86::esi, 7);
    }
    a.shl(x86::esi, 4);
    emit_note(bc);
    // ST(i) = ST(0), then (FSTP) ST(0) is emptied: for i = 0 that leaves the register empty,
    // as the interpreter's set_st then pop do.
    a.movzx(x86::eax, st_mem(x86::rdi, kOffSignExp, 2));
    a.mov(st_mem(x86::rsi, kOffMant, 8), x86::r8);
    a.mov(st_mem(x86::rsi, kOffSignExp, 2), x86::ax);
    a.mov(x86::ecx, x86::esi);
    a.shr(x86::ecx, 3);
    emit_set_tag(bc, x86::edx);
    if (Pop) {
        a.mov(x86::ecx, x86::edi);
        a.shr(x86::ecx, 3);
        a.mov(x86::edx, kTagEmpty);
        emit_set_tag(bc, x86::edx);
        a.shr(x86::edi, 4);
        a.inc(x86::edi);
        a.and_(x86::edi, 7);
        emit_set_top(bc, x86::edi, true);
    } else {
        a.and_(bc.state(kOffFsw, 2), static_cast<i32>(~kFswC1 & 0xFFFF));
    }
}

} // namespace

void install_lower_x87(LoweringTable& t) {
    auto set = [&](InsnId id, auto can, auto emit) {
        t.fn[static_cast<usize>(id)] = Lowering{can, emit};
    };
    set(InsnId::FLD_Mq, mem_ok64, emit_fld_m64);
    set(InsnId::FST_Mq, mem_ok64, emit_fst_m64<false>);
    set(InsnId::FSTP_Mq, mem_ok64, emit_fst_m64<true>);
    set(InsnId::FNSTCW_Mw, mem_ok64, emit_fnstcw);
    set(InsnId::FLDCW_Mw, mem_ok64, emit_fldcw);
    set(InsnId::FNSTSW_AX, can_always, emit_fnstsw_ax);
    set(InsnId::FLD1, can_always, emit_fld_const<true>);
    set(InsnId::FLDZ, can_always, emit_fld_const<false>);
    set(InsnId::FXCH_STi, can_sti, emit_fxch);
    set(InsnId::FST_STi, can_sti, emit_fst_sti<false>);
    set(InsnId::FSTP_STi, can_sti, emit_fst_sti<true>);
}

} // namespace translator
