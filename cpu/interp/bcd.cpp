// SPDX-License-Identifier: MIT
// Interpreter handlers: decimal adjust instructions (DAA DAS AAA AAS AAM AAD) and the
// undocumented SALC. All are invalid in 64-bit mode (the rows say so; the decoder enforces it).
// Flags are computed eagerly from the SDM Vol. 2A pseudo-code. Not here: binary arithmetic.
#include "cpu/interp/handlers.h"

namespace cpu::interp {
namespace {

u8 al(const Cpu& cpu) { return static_cast<u8>(cpu.reg(kRax, 1)); }
/// AH is byte register 4 with high_byte set.
u8 ah(const Cpu& cpu) { return static_cast<u8>(cpu.reg(4, 1, true)); }

/// DAA / DAS. OF is undefined; we set it as the signed overflow of the whole adjustment
/// (old AL to new AL), matching what the 80286 vectors record.
template <bool Sub> Status daa_das(Cpu& cpu, const DecodedInsn&) {
    const u32 fl = read_eflags(cpu.s);
    const u8 old_al = al(cpu);
    const bool old_cf = (fl & kCF) != 0;
    u8 a = old_al;
    bool cf = false;
    bool af = false;
    if ((a & 0x0F) > 9 || (fl & kAF)) {
        cf = old_cf || (Sub ? a < 6 : a > 0xF9);
        a = static_cast<u8>(Sub ? a - 6 : a + 6);
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        a = static_cast<u8>(Sub ? a - 0x60 : a + 0x60);
        cf = true;
    }
    cpu.set_reg(kRax, 1, a);
    const bool of = Sub ? ((old_al ^ a) & old_al & 0x80) != 0 : ((old_al ^ a) & a & 0x80) != 0;
    set_flags(cpu.s, kArithFlags,
              szp_flags(a, 1) | (cf ? u32{kCF} : 0u) | (af ? u32{kAF} : 0u) | (of ? u32{kOF} : 0u));
    return Status::Ok;
}

/// AAA / AAS (the 286+ forms that adjust AX as a whole). SF ZF PF OF are undefined; we set
/// SZP from the final AL and clear OF.
template <bool Sub> Status aaa_aas(Cpu& cpu, const DecodedInsn&) {
    const u32 fl = read_eflags(cpu.s);
    u16 ax = static_cast<u16>(cpu.reg(kRax, 2));
    const bool adjust = (ax & 0x0F) > 9 || (fl & kAF);
    if (adjust) {
        ax = Sub ? static_cast<u16>(ax - 6 - 0x100) : static_cast<u16>(ax + 0x106);
    }
    ax &= 0xFF0F;
    cpu.set_reg(kRax, 2, ax);
    set_flags(cpu.s, kArithFlags, szp_flags(ax & 0xFF, 1) | (adjust ? u32{kCF | kAF} : 0u));
    return Status::Ok;
}

/// AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE when imm8 is 0. OF AF CF are undefined; we
/// clear them.
Status aam(Cpu& cpu, const DecodedInsn& insn) {
    const u8 base = static_cast<u8>(insn.imm);
    if (base == 0) {
        return cpu.raise(kVecDE);
    }
    const u8 a = al(cpu);
    const u8 lo = static_cast<u8>(a % base);
    cpu.set_reg(kRax, 2, u64{lo} | (u64{static_cast<u8>(a / base)} << 8));
    set_flags(cpu.s, kArithFlags, szp_flags(lo, 1));
    return Status::Ok;
}

/// AAD imm8: AL = AL + AH * imm8, AH = 0. OF AF CF are undefined; we clear them.
Status aad(Cpu& cpu, const DecodedInsn& insn) {
    const u8 r = static_cast<u8>(al(cpu) + ah(cpu) * static_cast<u8>(insn.imm));
    cpu.set_reg(kRax, 2, r);
    set_flags(cpu.s, kArithFlags, szp_flags(r, 1));
    return Status::Ok;
}

/// SALC: AL = CF ? FF : 00, flags unchanged.
Status salc(Cpu& cpu, const DecodedInsn&) {
    cpu.set_reg(kRax, 1, get_cf(cpu.s) ? 0xFF : 0x00);
    return Status::Ok;
}

} // namespace

void install_bcd(HandlerTable& t) {
    t.h[static_cast<usize>(InsnId::DAA)] = daa_das<false>;
    t.h[static_cast<usize>(InsnId::DAS)] = daa_das<true>;
    t.h[static_cast<usize>(InsnId::AAA)] = aaa_aas<false>;
    t.h[static_cast<usize>(InsnId::AAS)] = aaa_aas<true>;
    t.h[static_cast<usize>(InsnId::AAM_Ib)] = aam;
    t.h[static_cast<usize>(InsnId::AAD_Ib)] = aad;
    t.h[static_cast<usize>(InsnId::SALC)] = salc;
}

} // namespace cpu::interp
