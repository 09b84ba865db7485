// SPDX-License-Identifier: MIT
// Lowerings of the x87 instructions compiled code runs most (the C library's double loads and
// stores, its control word save and FCOM;FNSTSW AX;SAHF compares): FLD/FST/FSTP m64, FLD1,
// FLDZ, FLDCW m16, FNSTCW m16, FNSTSW AX, FXCH ST(i), FST/FSTP ST(i). Only the cases that need no rounding and raise no
// exception are inline: a normal or zero double loaded or stored exactly, a non-empty source
// and a free destination. Anything else (CR0.EM/TS, a pending exception of a waiting
// instruction, NaN/infinity/denormal operands, inexact or out-of-range stores, stack overflow
// or underflow, a page-crossing operand, a TLB miss) takes the out-of-line interpreter call
// before the instruction changed anything, so the interpreter's results (cpu/interp/fpu.cpp,
// fpu_env.cpp) are produced exactly, FIP/FOP/FDP and C1 included.
#include "translator/lower_common.h"

#include <cstddef>

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;
using cpu::OperandKind;

namespace {

constexpr i32 kOffFpu = offsetof(cpu::CpuState, fpu);
constexpr i32 kOffSt = kOffFpu + offsetof(cpu::FpuState, st);
constexpr i32 kOffFcw = kOffFpu + offsetof(cpu::FpuState, fcw);
constexpr i32 kOffFsw = kOffFpu + offsetof(cpu::FpuState, fsw);
constexpr i32 kOffFtw = kOffFpu + offsetof(cpu::FpuState, ftw);
constexpr i32 kOffFop = kOffFpu + offsetof(cpu::FpuState, fop);
constexpr i32 kOffFip = kOffFpu + offsetof(cpu::FpuState, fip);
constexpr i32 kOffFcs = kOffFpu + offsetof(cpu::FpuState, fcs);
constexpr i32 kOffFdp = kOffFpu + offsetof(cpu::FpuState, fdp);
constexpr i32 kOffFds = kOffFpu + offsetof(cpu::FpuState, fds);
constexpr i32 kOffMant = offsetof(cpu::Float80, mant);
constexpr i32 kOffSignExp = offsetof(cpu::Float80, sign_exp);
constexpr i32 kOffCr0 = offsetof(cpu::CpuState, cr0);
static_assert(sizeof(cpu::Float80) == 16, "ST(i) is addressed with a shift by 4");

// FSW bits (cpu/interp/fpu_common.h).
constexpr u32 kFswES = 0x0080;
constexpr u32 kFswBusy = 0x8000;
constexpr u32 kFswC1 = 0x0200;
constexpr u32 kFswTop = 0x3800;
constexpr unsigned kTagEmpty = 3;
/// The f80 biased exponent of a double's biased exponent (16383 - 1023).
constexpr u32 kExpDelta = 15360;

i32 selector_off(unsigned seg) {
    return static_cast<i32>(offsetof(cpu::CpuState, seg) + seg * sizeof(cpu::Segment) +
                            offsetof(cpu::Segment, selector));
}

/// The interpreter's x87 entry check (x87::enter): CR0.EM/TS raise #NM and, for a waiting
/// instruction, a pending unmasked exception (FSW.ES) raises #MF or signals FERR#.
void emit_enter(BlockCompiler& bc, bool waiting) {
    x86::Assembler& a = bc.a();
    a.test(bc.state(kOffCr0, 4), static_cast<i32>(cpu::kCr0EM | cpu::kCr0TS));
    a.jnz(bc.slow_label());
    if (waiting) {
        a.test(bc.state(kOffFsw, 2), static_cast<i32>(kFswES));
        a.jnz(bc.slow_label());
    }
}

/// x87::note: FIP, FCS and FOP; for a memory operand FDP (its offset, in edi) and FDS.
/// Clobbers eax.
void emit_note(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    a.mov(bc.state(kOffFip, 4), static_cast<u32>(bc.eip()));
    a.mov(x86::ax, bc.state(selector_off(cpu::kCs), 2));
    a.mov(bc.state(kOffFcs, 2), x86::ax);
    a.mov(bc.state(kOffFop, 2), static_cast<u32>(((in.opcode & 7u) << 8) | in.modrm));
    if (in.has_mem()) {
        a.mov(bc.state(kOffFdp, 4), x86::edi);
        a.mov(x86::ax, bc.state(selector_off(in.mem.seg), 2));
        a.mov(bc.state(kOffFds, 2), x86::ax);
    }
}

/// The memory operand's offset into edi (for FDP), its host address into rdx.
void emit_operand(BlockCompiler& bc, mmu::Access acc, unsigned size) {
    bc.emit_ea();
    bc.a().mov(x86::edi, x86::ecx);
    bc.seg_host(bc.insn().mem.seg, acc, size, false);
}

/// esi = the physical register of ST(i), given TOP in esi. Leaves ecx = 2 * it (the tag's
/// shift) and jumps to the slow path unless its tag is (`want_empty`) or is not empty.
void emit_tag_check(BlockCompiler& bc, unsigned i, bool want_empty) {
    x86::Assembler& a = bc.a();
    if (i != 0) {
        a.add(x86::esi, static_cast<i32>(i));
        a.and_(x86::esi, 7);
    }
    a.lea(x86::ecx, x86::ptr(x86::rsi, x86::rsi));
    a.movzx(x86::eax, bc.state(kOffFtw, 2));
    a.shr(x86::eax, x86::cl);
    a.and_(x86::eax, 3);
    a.cmp(x86::eax, static_cast<i32>(kTagEmpty));
    if (want_empty) {
        a.jne(bc.slow_label());
    } else {
        a.je(bc.slow_label());
    }
}

/// esi = TOP.
void emit_load_top(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    a.movzx(x86::esi, bc.state(kOffFsw, 2));
    a.shr(x86::esi, 11);
    a.and_(x86::esi, 7);
}

/// Sets the tag of the physical register whose tag shift is in cl to `tag` (a register
/// holding 0..3, clobbered). Clobbers eax.
void emit_set_tag(BlockCompiler& bc, const x86::Gp& tag) {
    x86::Assembler& a = bc.a();
    a.mov(x86::eax, 3);
    a.shl(x86::eax, x86::cl);
    a.not_(x86::eax);
    a.and_(bc.state(kOffFtw, 2), x86::ax);
    a.shl(tag.r32(), x86::cl);
    a.or_(bc.state(kOffFtw, 2), tag.r16());
}

/// FSW: C1 = 0 and TOP = `top` (a register, clobbered).
void emit_set_top_clear_c1(BlockCompiler& bc, const x86::Gp& top) {
    x86::Assembler& a = bc.a();
    a.and_(bc.state(kOffFsw, 2), static_cast<i32>(~(kFswC1 | kFswTop) & 0xFFFF));
    a.shl(top.r32(), 11);
    a.or_(bc.state(kOffFsw, 2), top.r16());
}

/// The address of physical register `phys` (a register holding 0..7; clobbered: times 16).
x86::Mem st_mem(const x86::Gp& phys, i32 field, unsigned size) {
    return x86::ptr(x86::rbx, phys.r64(), 0, kOffSt + field, size);
}

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
    emit_set_top_clear_c1(bc, x86::esi);
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
    emit_set_top_clear_c1(bc, x86::esi);
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
    Label zero = a.newLabel(), sign = a.newLabel();
    a.mov(x86::eax, x86::r8d);
    a.and_(x86::eax, 0x7FFF);
    a.jz(zero);
    a.sub(x86::eax, static_cast<i32>(kExpDelta + 1));
    a.cmp(x86::eax, 2045); // the double exponent minus one, unsigned: 0..2045
    a.ja(slow);
    a.test(x86::r9d, 0x7FF); // bits below a double's significand: inexact
    a.jnz(slow);
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
    emit_set_top_clear_c1(bc, x86::esi);
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

/// out = the tag of the value (eax = its sign and exponent, `mant` its significand) when it is
/// a normal (0) or a zero (1); anything else goes to the slow path. The tag word is not copied
/// from the source: the interpreter recomputes it from the value (set_st), and MMX leaves tags
/// that do not match their registers' contents. Clobbers eax.
void emit_value_tag(BlockCompiler& bc, const x86::Gp& mant, const x86::Gp& out) {
    x86::Assembler& a = bc.a();
    Label zero = a.newLabel(), done = a.newLabel();
    a.and_(x86::eax, 0x7FFF);
    a.jz(zero);
    a.cmp(x86::eax, 0x7FFF);
    a.je(bc.slow_label());
    a.bt(mant, 63);
    a.jnc(bc.slow_label()); // an unnormal
    a.xor_(out, out);
    a.jmp(done);
    a.bind(zero);
    a.test(mant, mant);
    a.jnz(bc.slow_label()); // a denormal
    a.mov(out, 1);
    a.bind(done);
}

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
        emit_set_top_clear_c1(bc, x86::edi);
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
