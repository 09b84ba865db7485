// SPDX-License-Identifier: MIT
// Shared helpers of the x87 handler files (fpu.cpp: arithmetic, loads/stores, stack;
// fpu_env.cpp: control word, status word, environment and save images, FWAIT): the register
// stack (TOP in FSW bits 13..11, ST(i) = physical register (TOP + i) & 7, full tag word),
// FSW bit names, exception recording and the #NM/#MF entry check. Private to cpu/interp/.
#pragma once

#include "cpu/interp/handlers.h"
#include "cpu/softfloat/float80.h"

namespace cpu::interp::x87 {

enum : u16 {
    kIE = 0x0001, kDE = 0x0002, kZE = 0x0004, kOE = 0x0008, kUE = 0x0010, kPE = 0x0020,
    kStackFault = 0x0040, kES = 0x0080, kC0 = 0x0100, kC1 = 0x0200, kC2 = 0x0400, kTopMask = 0x3800,
    kC3 = 0x4000, kBusy = 0x8000, kExcMask = 0x003F,
};

inline unsigned top(const FpuState& f) { return (f.fsw >> 11) & 7; }
inline void set_top(FpuState& f, unsigned t) {
    f.fsw = static_cast<u16>((f.fsw & ~kTopMask) | ((t & 7) << 11));
}
/// Physical register number of ST(i).
inline unsigned phys(const FpuState& f, unsigned i) { return (top(f) + i) & 7; }
inline unsigned tag_of(const FpuState& f, unsigned p) { return (f.ftw >> (2 * p)) & 3; }
inline void set_tag(FpuState& f, unsigned p, unsigned t) {
    f.ftw = static_cast<u16>((f.ftw & ~(3u << (2 * p))) | ((t & 3) << (2 * p)));
}
inline bool empty(const FpuState& f, unsigned i) { return tag_of(f, phys(f, i)) == 3; }
inline Float80 st(const FpuState& f, unsigned i) { return f.st[phys(f, i)]; }
/// Writes ST(i) and its tag (computed from the value).
inline void set_st(FpuState& f, unsigned i, Float80 v) {
    const unsigned p = phys(f, i);
    f.st[p] = v;
    set_tag(f, p, sf::tag(v));
}
inline void pop(FpuState& f) {
    set_tag(f, phys(f, 0), 3);
    set_top(f, top(f) + 1);
}
inline void push(FpuState& f, Float80 v) {
    set_top(f, top(f) - 1);
    set_st(f, 0, v);
}
inline void set_cc(FpuState& f, u16 mask, u16 bits) {
    f.fsw = static_cast<u16>((f.fsw & ~mask) | (bits & mask));
}
inline sf::Context ctx(const FpuState& f) { return sf::Context::from_fcw(f.fcw); }

/// #NM (CR0.EM or CR0.TS), then for waiting instructions a pending unmasked exception:
/// #MF with CR0.NE=1, FERR# (CpuEnv::fpu_error) with CR0.NE=0.
Status enter(Cpu& cpu, bool waiting);
/// Records FIP/FCS/FOP and, for memory operands, FDP/FDS (non-control instructions only).
void note(Cpu& cpu, const DecodedInsn& insn);
/// ORs exception flags (and SF) into FSW; sets ES and B when one of them is unmasked.
void raise_flags(FpuState& f, u16 flags);
/// ES and B = any exception flag whose mask bit is clear (after FLDCW/FLDENV/FRSTOR).
void recompute_es(FpuState& f);
/// Stack underflow / overflow: IE + SF with C1 = 0 / 1. Return true when IE is masked (the
/// caller then delivers the masked response).
bool stack_underflow(FpuState& f);
bool stack_overflow(FpuState& f);

/// Memory operand offset plus delta, wrapped to the address size.
u64 mem_off(const Cpu& cpu, const DecodedInsn& insn, unsigned delta);
Status read_f80(Cpu& cpu, const DecodedInsn& insn, Float80& v);
Status write_f80(Cpu& cpu, const DecodedInsn& insn, Float80 v);

/// How to recompute a register result for an unmasked overflow/underflow (bias-adjusted).
struct Rebias {
    Float80 (*fn)(const void* ctx, sf::Context& c, bool overflow) = nullptr;
    const void* ctx = nullptr;
};
/// Applies the exception response to a register-destination result r computed with c.
/// Returns false when the destination must stay unchanged (unmasked IE/DE/ZE); otherwise
/// records the flags, sets C1 and possibly replaces r by the bias-adjusted result.
bool finish_reg(FpuState& f, sf::Context& c, Float80& r, const Rebias& rb);

} // namespace cpu::interp::x87

namespace cpu::interp {
/// fpu_env.cpp: FLDCW FNSTCW FNSTSW FNCLEX FNINIT FLDENV FNSTENV FRSTOR FNSAVE FWAIT.
void install_fpu_env(HandlerTable& t);
} // namespace cpu::interp
