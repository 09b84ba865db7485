// SPDX-License-Identifier: MIT
// Interpreter handlers: the x87 control instructions (SDM Vol. 1, 8.1.10 and 8.3.11): FLDCW,
// FNSTCW, FNSTSW, FNCLEX, FNINIT, FLDENV, FNSTENV, FRSTOR, FNSAVE, and FWAIT. They do not
// update the last-instruction pointers. The no-wait forms skip the pending-exception check.
//
// Environment images come in four layouts (operand size x real/protected mode; figures 8-9
// to 8-12). Real-address and virtual-8086 mode store 20-/32-bit linear pointers computed as
// (selector << 4) + offset from the recorded FCS:FIP / FDS:FDP; loading a real-mode image
// records the linear pointer as the offset with a zero selector, so it saves back unchanged.
// The stored tag word is rebuilt from the register contents for non-empty registers and
// loaded tags are reduced to empty / not empty with the class recomputed (P6+ behaviour).
#include "cpu/interp/fpu_common.h"

namespace cpu::interp::x87 {
namespace {

/// Reserved halves of the 32-bit image dwords read back as ones on the host (Intel and AMD).
constexpr u32 kRsvd = 0xFFFF0000u;

bool real_format(const Cpu& cpu) { return cpu.real_mode() || cpu.v86_mode(); }

void put16(u8* p, u16 v) {
    p[0] = static_cast<u8>(v);
    p[1] = static_cast<u8>(v >> 8);
}
void put32(u8* p, u32 v) {
    for (int k = 0; k < 4; ++k) {
        p[k] = static_cast<u8>(v >> (8 * k));
    }
}
u16 get16(const u8* p) { return static_cast<u16>(p[0] | (p[1] << 8)); }
u32 get32(const u8* p) { return u32{p[0]} | (u32{p[1]} << 8) | (u32{p[2]} << 16) | (u32{p[3]} << 24); }

/// The tag word as FNSTENV/FNSAVE store it: empty stays empty, others from the contents.
u16 stored_tags(const FpuState& f) {
    u16 t = 0;
    for (unsigned p = 0; p < 8; ++p) {
        const unsigned tg = tag_of(f, p) == 3 ? 3 : sf::tag(f.st[p]);
        t = static_cast<u16>(t | (tg << (2 * p)));
    }
    return t;
}

/// Builds the environment image; returns its size (14 or 28).
unsigned build_env(const Cpu& cpu, unsigned opsize, u8* out) {
    const FpuState& f = cpu.s.fpu;
    const u16 tw = stored_tags(f);
    const bool real = real_format(cpu);
    const u32 ip_lin = (u32{f.fcs} << 4) + f.fip;
    const u32 dp_lin = (u32{f.fds} << 4) + f.fdp;
    if (opsize == 2) {
        put16(out + 0, f.fcw);
        put16(out + 2, f.fsw);
        put16(out + 4, tw);
        if (real) {
            put16(out + 6, static_cast<u16>(ip_lin));
            put16(out + 8, static_cast<u16>(((ip_lin >> 16) & 0xF) << 12 | (f.fop & 0x7FF)));
            put16(out + 10, static_cast<u16>(dp_lin));
            put16(out + 12, static_cast<u16>(((dp_lin >> 16) & 0xF) << 12));
        } else {
            put16(out + 6, static_cast<u16>(f.fip));
            put16(out + 8, f.fcs);
            put16(out + 10, static_cast<u16>(f.fdp));
            put16(out + 12, f.fds);
        }
        return 14;
    }
    put32(out + 0, kRsvd | f.fcw);
    put32(out + 4, kRsvd | f.fsw);
    put32(out + 8, kRsvd | tw);
    if (real) {
        put32(out + 12, kRsvd | (ip_lin & 0xFFFF));
        put32(out + 16, ((ip_lin >> 16) << 12) | (f.fop & 0x7FFu));
        put32(out + 20, kRsvd | (dp_lin & 0xFFFF));
        put32(out + 24, (dp_lin >> 16) << 12);
    } else {
        put32(out + 12, f.fip);
        put32(out + 16, f.fcs | (u32{f.fop & 0x7FFu} << 16));
        put32(out + 20, f.fdp);
        put32(out + 24, kRsvd | f.fds);
    }
    return 28;
}

/// Loads an environment image (the caller has read `size` bytes).
void load_env(Cpu& cpu, unsigned opsize, const u8* in) {
    FpuState& f = cpu.s.fpu;
    const bool real = real_format(cpu);
    u16 tw;
    if (opsize == 2) {
        f.fcw = get16(in + 0);
        f.fsw = get16(in + 2);
        tw = get16(in + 4);
        if (real) {
            const u16 w = get16(in + 8);
            f.fip = get16(in + 6) | (u32{static_cast<u32>(w >> 12)} << 16);
            f.fop = w & 0x7FF;
            f.fcs = 0;
            f.fdp = get16(in + 10) | (u32{static_cast<u32>(get16(in + 12) >> 12)} << 16);
            f.fds = 0;
        } else {
            f.fip = get16(in + 6);
            f.fcs = get16(in + 8);
            f.fdp = get16(in + 10);
            f.fds = get16(in + 12);
        }
    } else {
        f.fcw = get16(in + 0);
        f.fsw = get16(in + 4);
        tw = get16(in + 8);
        if (real) {
            const u32 d = get32(in + 16);
            f.fip = get16(in + 12) | (((d >> 12) & 0xFFFF) << 16);
            f.fop = d & 0x7FF;
            f.fcs = 0;
            f.fdp = get16(in + 20) | (((get32(in + 24) >> 12) & 0xFFFF) << 16);
            f.fds = 0;
        } else {
            const u32 d = get32(in + 16);
            f.fip = get32(in + 12);
            f.fcs = static_cast<u16>(d);
            f.fop = (d >> 16) & 0x7FF;
            f.fdp = get32(in + 20);
            f.fds = get16(in + 24);
        }
    }
    u16 t = 0;
    for (unsigned p = 0; p < 8; ++p) {
        const unsigned tg = ((tw >> (2 * p)) & 3) == 3 ? 3 : sf::tag(f.st[p]);
        t = static_cast<u16>(t | (tg << (2 * p)));
    }
    f.ftw = t;
}

/// Wrapped address-size offset.
u64 wrap(const DecodedInsn& insn, u64 a) {
    return insn.addrsize == 2 ? a & 0xFFFF : insn.addrsize == 4 ? a & 0xFFFFFFFF : a;
}

Status read_block(Cpu& cpu, const DecodedInsn& insn, u8* buf, unsigned n) {
    const u64 off = ea_offset(cpu, insn);
    for (unsigned k = 0; k < n; ++k) {
        TRY(cpu.read<u8>(insn.mem.seg, wrap(insn, off + k), buf[k]));
    }
    return Status::Ok;
}

/// Writes all n bytes or none (checks the whole range first, unless it wraps).
Status write_block(Cpu& cpu, const DecodedInsn& insn, const u8* buf, unsigned n) {
    const u64 off = ea_offset(cpu, insn);
    if (wrap(insn, off + n - 1) == off + n - 1) {
        TRY(cpu.probe_write(insn.mem.seg, off, n));
    }
    for (unsigned k = 0; k < n; ++k) {
        TRY(cpu.write<u8>(insn.mem.seg, wrap(insn, off + k), buf[k]));
    }
    return Status::Ok;
}

/// Deasserts FERR# when the exception summary went from set to clear.
void ferr_update(Cpu& cpu, bool es_before) {
    if (es_before && !(cpu.s.fpu.fsw & kES)) {
        cpu.env().fpu_error(false);
    }
}

void init(FpuState& f) {
    f.fcw = 0x037F;
    f.fsw = 0;
    f.ftw = 0xFFFF;
    f.fip = 0;
    f.fcs = 0;
    f.fop = 0;
    f.fdp = 0;
    f.fds = 0;
}

Status fninit(Cpu& cpu, const DecodedInsn&) {
    TRY(enter(cpu, false));
    const bool es = cpu.s.fpu.fsw & kES;
    init(cpu.s.fpu);
    ferr_update(cpu, es);
    return Status::Ok;
}

Status fnclex(Cpu& cpu, const DecodedInsn&) {
    TRY(enter(cpu, false));
    FpuState& f = cpu.s.fpu;
    const bool es = f.fsw & kES;
    f.fsw = static_cast<u16>(f.fsw & ~(kExcMask | kStackFault | kES | kBusy));
    ferr_update(cpu, es);
    return Status::Ok;
}

Status fldcw(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    u16 v;
    TRY(cpu.read<u16>(insn.mem.seg, ea_offset(cpu, insn), v));
    FpuState& f = cpu.s.fpu;
    const bool es = f.fsw & kES;
    // Bit 6 reads as one and bits 7, 13..15 as zero on every 387+ (the host agrees).
    f.fcw = static_cast<u16>((v & 0x1F3F) | 0x0040);
    recompute_es(f);
    ferr_update(cpu, es);
    return Status::Ok;
}

Status fnstcw(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, false));
    return cpu.write<u16>(insn.mem.seg, ea_offset(cpu, insn), cpu.s.fpu.fcw);
}

Status fnstsw_m(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, false));
    return cpu.write<u16>(insn.mem.seg, ea_offset(cpu, insn), cpu.s.fpu.fsw);
}

Status fnstsw_ax(Cpu& cpu, const DecodedInsn&) {
    TRY(enter(cpu, false));
    cpu.set_reg(kRax, 2, cpu.s.fpu.fsw);
    return Status::Ok;
}

Status fnstenv(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, false));
    u8 img[28];
    const unsigned n = build_env(cpu, insn.opsize, img);
    TRY(write_block(cpu, insn, img, n));
    cpu.s.fpu.fcw = static_cast<u16>(cpu.s.fpu.fcw | kExcMask);
    return Status::Ok;
}

Status fldenv(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    u8 img[28];
    const unsigned n = insn.opsize == 2 ? 14 : 28;
    TRY(read_block(cpu, insn, img, n));
    const bool es = cpu.s.fpu.fsw & kES;
    load_env(cpu, insn.opsize, img);
    recompute_es(cpu.s.fpu);
    ferr_update(cpu, es);
    return Status::Ok;
}

Status fnsave(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, false));
    u8 img[108];
    const unsigned n = build_env(cpu, insn.opsize, img);
    FpuState& f = cpu.s.fpu;
    for (unsigned i = 0; i < 8; ++i) {
        const Float80 v = st(f, i);
        for (unsigned k = 0; k < 8; ++k) {
            img[n + 10 * i + k] = static_cast<u8>(v.mant >> (8 * k));
        }
        put16(img + n + 10 * i + 8, v.sign_exp);
    }
    TRY(write_block(cpu, insn, img, n + 80));
    const bool es = f.fsw & kES;
    init(f);
    ferr_update(cpu, es);
    return Status::Ok;
}

Status frstor(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    u8 img[108];
    const unsigned n = insn.opsize == 2 ? 14 : 28;
    TRY(read_block(cpu, insn, img, n + 80));
    FpuState& f = cpu.s.fpu;
    const bool es = f.fsw & kES;
    // Registers first: load_env rebuilds the tags from their contents.
    const unsigned new_top = (get16(img + (n == 14 ? 2 : 4)) >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) {
        u64 m = 0;
        for (unsigned k = 0; k < 8; ++k) {
            m |= u64{img[n + 10 * i + k]} << (8 * k);
        }
        f.st[(new_top + i) & 7] = Float80{m, get16(img + n + 10 * i + 8)};
    }
    load_env(cpu, insn.opsize, img);
    recompute_es(f);
    ferr_update(cpu, es);
    return Status::Ok;
}

/// FWAIT: #NM only when CR0.MP and CR0.TS are both set; then the pending-exception check.
Status fwait(Cpu& cpu, const DecodedInsn&) {
    if ((cpu.s.cr0 & (kCr0MP | kCr0TS)) == (kCr0MP | kCr0TS)) {
        return cpu.raise(kVecNM);
    }
    if (cpu.s.fpu.fsw & kES) {
        if (cpu.s.cr0 & kCr0NE) {
            return cpu.raise(kVecMF);
        }
        cpu.env().fpu_error(true);
    }
    return Status::Ok;
}

} // namespace
} // namespace cpu::interp::x87

namespace cpu::interp {

void install_fpu_env(HandlerTable& t) {
    using namespace x87;
    auto set = [&t](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
    set(InsnId::FNINIT, fninit);
    set(InsnId::FNCLEX, fnclex);
    set(InsnId::FLDCW_Mw, fldcw);
    set(InsnId::FNSTCW_Mw, fnstcw);
    set(InsnId::FNSTSW_Mw, fnstsw_m);
    set(InsnId::FNSTSW_AX, fnstsw_ax);
    set(InsnId::FNSTENV_M, fnstenv);
    set(InsnId::FLDENV_M, fldenv);
    set(InsnId::FNSAVE_M, fnsave);
    set(InsnId::FRSTOR_M, frstor);
    set(InsnId::FWAIT, fwait);
}

} // namespace cpu::interp
