// SPDX-License-Identifier: MIT
// Pieces the x87 lowerings share (lower_x87.cpp: moves, loads and stores done with integer
// code; lower_x87_host.cpp: arithmetic, compares and conversions done on the host's x87):
// CpuState offsets of the FPU state, the interpreter's entry check and FIP/FDP note, the
// register stack (TOP, tags, ST(i) addresses) and the tag of a value.
#pragma once

#include "translator/lower_common.h"

#include <cstddef>

namespace translator::x87lower {

using namespace asmjit;
using cpu::DecodedInsn;

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

inline i32 selector_off(unsigned seg) {
    return static_cast<i32>(offsetof(cpu::CpuState, seg) + seg * sizeof(cpu::Segment) +
                            offsetof(cpu::Segment, selector));
}

/// The interpreter's x87 entry check (x87::enter): CR0.EM/TS raise #NM and, for a waiting
/// instruction, a pending unmasked exception (FSW.ES) raises #MF or signals FERR#.
inline void emit_enter(BlockCompiler& bc, bool waiting) {
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
inline void emit_note(BlockCompiler& bc) {
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
inline void emit_operand(BlockCompiler& bc, mmu::Access acc, unsigned size) {
    bc.emit_ea();
    bc.a().mov(x86::edi, x86::ecx);
    bc.seg_host(bc.insn().mem.seg, acc, size, false);
}

/// Given ecx = 2 * a physical register: jumps to the slow path unless its tag is empty
/// (`want_empty`) or is not. Clobbers eax.
inline void emit_tag_test(BlockCompiler& bc, bool want_empty) {
    x86::Assembler& a = bc.a();
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

/// esi = the physical register of ST(i), given TOP in esi. Leaves ecx = 2 * it (the tag's
/// shift) and jumps to the slow path unless its tag is (`want_empty`) or is not empty.
inline void emit_tag_check(BlockCompiler& bc, unsigned i, bool want_empty) {
    x86::Assembler& a = bc.a();
    if (i != 0) {
        a.add(x86::esi, static_cast<i32>(i));
        a.and_(x86::esi, 7);
    }
    a.lea(x86::ecx, x86::ptr(x86::rsi, x86::rsi));
    emit_tag_test(bc, want_empty);
}

/// esi = TOP.
inline void emit_load_top(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    a.movzx(x86::esi, bc.state(kOffFsw, 2));
    a.shr(x86::esi, 11);
    a.and_(x86::esi, 7);
}

/// Sets the tag of the physical register whose tag shift is in cl to `tag` (a register
/// holding 0..3, clobbered). Clobbers eax.
inline void emit_set_tag(BlockCompiler& bc, const x86::Gp& tag) {
    x86::Assembler& a = bc.a();
    a.mov(x86::eax, 3);
    a.shl(x86::eax, x86::cl);
    a.not_(x86::eax);
    a.and_(bc.state(kOffFtw, 2), x86::ax);
    a.shl(tag.r32(), x86::cl);
    a.or_(bc.state(kOffFtw, 2), tag.r16());
}

/// FSW: TOP = `top` (a register, clobbered); C1 = 0 when `clear_c1` (a pop keeps it).
inline void emit_set_top(BlockCompiler& bc, const x86::Gp& top, bool clear_c1) {
    x86::Assembler& a = bc.a();
    a.and_(bc.state(kOffFsw, 2), static_cast<i32>(~((clear_c1 ? kFswC1 : 0) | kFswTop) & 0xFFFF));
    a.shl(top.r32(), 11);
    a.or_(bc.state(kOffFsw, 2), top.r16());
}

/// The address of physical register `phys` (a register holding 0..7; clobbered: times 16).
inline x86::Mem st_mem(const x86::Gp& phys, i32 field, unsigned size) {
    return x86::ptr(x86::rbx, phys.r64(), 0, kOffSt + field, size);
}

/// out = the tag of the value (eax = its sign and exponent, `mant` its significand) when it is
/// a normal (0) or a zero (1); anything else goes to the slow path. The tag word is not copied
/// from the source: the interpreter recomputes it from the value (set_st), and MMX leaves tags
/// that do not match their registers' contents. Clobbers eax.
inline void emit_value_tag(BlockCompiler& bc, const x86::Gp& mant, const x86::Gp& out) {
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

/// FST/FSTP m64 of a value a double cannot hold exactly (lower_x87_host.cpp): rounded by the
/// host x87 under the guest's control word, then stored, with C1 and PE as the host set them.
/// In: rdx = host address of the operand, edi = its offset, esi = TOP, r9 = ST(0)'s
/// significand, r8d = its sign and exponent (not zero). Falls through when done.
void emit_fst_m64_rounded(BlockCompiler& bc, bool pop);

} // namespace translator::x87lower
