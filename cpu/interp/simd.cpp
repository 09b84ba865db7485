// SPDX-License-Identifier: MIT
// Interpreter handlers: the MMX/SSE/SSE2 family's data movement and state instructions —
// MOVD/MOVQ/MOVDQA/MOVDQU/MOVAPS/MOVUPS/MOVSS/MOVSD/MOVLPS/MOVHPS..., MOVMSKPS/PD, SHUFPS/PD,
// non-temporal stores, EMMS, FXSAVE/FXRSTOR, LDMXCSR/STMXCSR, fences, prefetches and CLFLUSH —
// and install_simd, which also installs the packed-integer (simd_int.cpp) and FP
// (simd_fp.cpp) handlers. Shared checks and operand access: simd_common.h.
//
// Caches are not modelled: fences, prefetch hints and non-temporal hints do nothing beyond
// their architectural checks, and CLFLUSH only checks that its address is accessible.
#include "cpu/interp/simd_common.h"

namespace cpu::interp {
namespace simd {
namespace {

Status check(Cpu& cpu, bool xmm) { return xmm ? sse_check(cpu) : mmx_check(cpu); }

// ---- whole-register moves ----

/// MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU/MOVNT* (xmm), in either direction.
template <Align A> Status mov_x(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec v;
    TRY(load(cpu, insn, 1, v, A));
    return store(cpu, insn, 0, v, A);
}

/// MOVQ mm, mm/m64 and MOVQ mm/m64, mm; MOVNTQ m64, mm.
Status movq_mm(Cpu& cpu, const DecodedInsn& insn) {
    TRY(mmx_check(cpu));
    Vec v;
    TRY(load(cpu, insn, 1, v));
    TRY(store(cpu, insn, 0, v));
    mmx_enter(cpu);
    return Status::Ok;
}

/// MOVD mm, r/m32 and MOVD xmm, r/m32: zero-extended into the register.
template <bool Xmm> Status movd_load(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    u64 v = 0;
    TRY(read_op(cpu, insn, 1, v));
    return store(cpu, insn, 0, Vec::from(v & 0xFFFFFFFFu));
}

/// MOVD r/m32, mm and MOVD r/m32, xmm.
template <bool Xmm> Status movd_store(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    Vec v;
    TRY(load(cpu, insn, 1, v));
    TRY(write_op(cpu, insn, 0, v.lo() & 0xFFFFFFFFu));
    if (!Xmm) {
        mmx_enter(cpu);
    }
    return Status::Ok;
}

/// MOVQ xmm, xmm/m64 (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6): a register destination
/// gets the low quadword with the upper one cleared.
Status movq_x(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec v;
    TRY(load(cpu, insn, 1, v));
    return store(cpu, insn, 0, Vec::from(v.lo()));
}

Status movq2dq(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_mmx_check(cpu));
    set_xmm(cpu, insn.op[0].reg, Vec::from(get_mmx(cpu, insn.op[1].reg)));
    mmx_enter(cpu);
    return Status::Ok;
}

Status movdq2q(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_mmx_check(cpu));
    set_mmx(cpu, insn.op[0].reg, cpu.s.sse.xmm[insn.op[1].reg].lo);
    return Status::Ok;
}

// ---- partial-register moves ----

/// MOVSS/MOVSD xmm, xmm/m: from memory the upper part is cleared; between registers only the
/// low element moves.
template <unsigned Bytes> Status movs_load(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    Vec d;
    if (insn.op[1].kind == OperandKind::Xmm) {
        d = get_xmm(cpu, insn.op[0].reg);
        std::memcpy(d.b, s.b, Bytes);
    } else {
        d = s;
    }
    set_xmm(cpu, insn.op[0].reg, d);
    return Status::Ok;
}

/// MOVSS/MOVSD xmm/m, xmm.
template <unsigned Bytes> Status movs_store(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    const Vec s = get_xmm(cpu, insn.op[1].reg);
    if (insn.op[0].kind == OperandKind::Mem) {
        return write_bytes(cpu, insn, Bytes, Align::None, s);
    }
    Vec d = get_xmm(cpu, insn.op[0].reg);
    std::memcpy(d.b, s.b, Bytes);
    set_xmm(cpu, insn.op[0].reg, d);
    return Status::Ok;
}

/// MOVLPS/MOVLPD/MOVHPS/MOVHPD xmm, m64 and MOVHLPS/MOVLHPS xmm, xmm: quadword `Dst` of the
/// destination gets quadword `Src` of the source (memory: its only quadword).
template <unsigned Dst, unsigned Src> Status movhl_load(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    Vec d = get_xmm(cpu, insn.op[0].reg);
    d.set<u64>(Dst, s.get<u64>(Src));
    set_xmm(cpu, insn.op[0].reg, d);
    return Status::Ok;
}

/// MOVLPS/MOVLPD/MOVHPS/MOVHPD m64, xmm.
template <unsigned Src> Status movhl_store(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    const Vec s = get_xmm(cpu, insn.op[1].reg);
    return write_bytes(cpu, insn, 8, Align::None, Vec::from(s.get<u64>(Src)));
}

template <bool Pd> Status movmsk(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    const Vec s = get_xmm(cpu, insn.op[1].reg);
    u32 m = 0;
    if (Pd) {
        m = static_cast<u32>((s.lo() >> 63) | ((s.hi() >> 63) << 1));
    } else {
        for (unsigned i = 0; i < 4; ++i) {
            m |= (s.get<u32>(i) >> 31) << i;
        }
    }
    cpu.set_reg(insn.op[0].reg, 4, m);
    return Status::Ok;
}

/// SHUFPS: the low two results come from the destination, the high two from the source.
Status shufps(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    const Vec d = get_xmm(cpu, insn.op[0].reg);
    const unsigned imm = insn.imm & 0xFF;
    Vec r;
    r.set<u32>(0, d.get<u32>(imm & 3));
    r.set<u32>(1, d.get<u32>((imm >> 2) & 3));
    r.set<u32>(2, s.get<u32>((imm >> 4) & 3));
    r.set<u32>(3, s.get<u32>((imm >> 6) & 3));
    set_xmm(cpu, insn.op[0].reg, r);
    return Status::Ok;
}

Status shufpd(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    const Vec d = get_xmm(cpu, insn.op[0].reg);
    const unsigned imm = insn.imm & 0xFF;
    set_xmm(cpu, insn.op[0].reg, Vec::from(d.get<u64>(imm & 1), s.get<u64>((imm >> 1) & 1)));
    return Status::Ok;
}

Status movnti(Cpu& cpu, const DecodedInsn& insn) {
    u64 v = 0;
    TRY(read_op(cpu, insn, 1, v));
    return write_op(cpu, insn, 0, v);
}

Status emms(Cpu& cpu, const DecodedInsn&) {
    TRY(mmx_check(cpu));
    cpu.s.fpu.ftw = 0xFFFF;
    return Status::Ok;
}

// ---- MXCSR ----

Status ldmxcsr(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    u64 v = 0;
    TRY(read_op(cpu, insn, 0, v));
    if (v & ~u64{kMxcsrMask}) {
        return cpu.raise_gp(0);
    }
    cpu.s.sse.mxcsr = static_cast<u32>(v);
    return Status::Ok;
}

Status stmxcsr(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    return write_op(cpu, insn, 0, cpu.s.sse.mxcsr);
}

// ---- FXSAVE / FXRSTOR (SDM Vol. 1, 10.5.1; the 32-bit format) ----

/// FXSAVE/FXRSTOR raise #NM for CR0.EM as well as CR0.TS (they are x87-class), and need no
/// CR4.OSFXSR: without it real CPUs may skip the XMM part; we always include it.
Status fx_check(Cpu& cpu, const DecodedInsn& insn, bool write, u64& lin) {
    if (cpu.s.cr0 & (kCr0EM | kCr0TS)) {
        return cpu.raise(kVecNM);
    }
    TRY(cpu.seg_linear(insn.mem.seg, ea_offset(cpu, insn), 512, write, lin));
    if (lin & 15) {
        return cpu.raise_gp(0);
    }
    return Status::Ok;
}

/// Bytes of the area we read or write: the header, ST0-7 and the XMM registers that exist in
/// the current mode. Bytes 288/416..511 are reserved or available to software and untouched.
unsigned fx_bytes(const Cpu& cpu) { return cpu.long_mode() && cpu.code_size() == 8 ? 416 : 288; }

template <typename T> void put(u8* p, unsigned off, T v) { std::memcpy(p + off, &v, sizeof(T)); }
template <typename T> T take(const u8* p, unsigned off) {
    T v;
    std::memcpy(&v, p + off, sizeof(T));
    return v;
}

Status fxsave(Cpu& cpu, const DecodedInsn& insn) {
    u64 lin;
    TRY(fx_check(cpu, insn, true, lin));
    const FpuState& f = cpu.s.fpu;
    u8 a[416] = {};
    put<u16>(a, 0, f.fcw);
    put<u16>(a, 2, f.fsw);
    u8 ftw = 0; // abridged: bit i = physical register i is not empty
    for (unsigned i = 0; i < 8; ++i) {
        if (((f.ftw >> (2 * i)) & 3) != 3) {
            ftw = static_cast<u8>(ftw | (1u << i));
        }
    }
    a[4] = ftw;
    put<u16>(a, 6, static_cast<u16>(f.fop & 0x7FF));
    put<u32>(a, 8, f.fip);
    put<u16>(a, 12, f.fcs);
    put<u32>(a, 16, f.fdp);
    put<u16>(a, 20, f.fds);
    put<u32>(a, 24, cpu.s.sse.mxcsr);
    put<u32>(a, 28, kMxcsrMask);
    const unsigned top = (f.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) { // stack order: slot i holds ST(i)
        const Float80& r = f.st[(top + i) & 7];
        put<u64>(a, 32 + 16 * i, r.mant);
        put<u16>(a, 40 + 16 * i, r.sign_exp);
    }
    const unsigned n = fx_bytes(cpu);
    for (unsigned i = 0; 160 + 16 * i < n; ++i) {
        put<u64>(a, 160 + 16 * i, cpu.s.sse.xmm[i].lo);
        put<u64>(a, 168 + 16 * i, cpu.s.sse.xmm[i].hi);
    }
    return cpu.access_slow(lin, a, n, mmu::Access::Write, Priv::Current);
}

/// Full 2-bit tag of a non-empty register from its contents: 0 valid, 1 zero, 2 special.
unsigned tag_of(const Float80& r) {
    const unsigned exp = r.sign_exp & 0x7FFF;
    if (exp == 0x7FFF) {
        return 2;
    }
    if (exp == 0) {
        return r.mant == 0 ? 1 : 2;
    }
    return (r.mant >> 63) ? 0 : 2; // unnormals are special
}

Status fxrstor(Cpu& cpu, const DecodedInsn& insn) {
    u64 lin;
    TRY(fx_check(cpu, insn, false, lin));
    const unsigned n = fx_bytes(cpu);
    u8 a[416] = {};
    TRY(cpu.access_slow(lin, a, n, mmu::Access::Read, Priv::Current));
    const u32 mxcsr = take<u32>(a, 24);
    if (mxcsr & ~kMxcsrMask) {
        return cpu.raise_gp(0);
    }
    FpuState& f = cpu.s.fpu;
    f.fcw = take<u16>(a, 0);
    f.fsw = take<u16>(a, 2);
    f.fop = take<u16>(a, 6) & 0x7FF;
    f.fip = take<u32>(a, 8);
    f.fcs = take<u16>(a, 12);
    f.fdp = take<u32>(a, 16);
    f.fds = take<u16>(a, 20);
    const unsigned top = (f.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) {
        Float80& r = f.st[(top + i) & 7];
        r.mant = take<u64>(a, 32 + 16 * i);
        r.sign_exp = take<u16>(a, 40 + 16 * i);
    }
    u16 ftw = 0;
    for (unsigned i = 0; i < 8; ++i) {
        const unsigned tag = (a[4] >> i) & 1 ? tag_of(f.st[i]) : 3;
        ftw = static_cast<u16>(ftw | (tag << (2 * i)));
    }
    f.ftw = ftw;
    cpu.s.sse.mxcsr = mxcsr;
    for (unsigned i = 0; 160 + 16 * i < n; ++i) {
        cpu.s.sse.xmm[i] = U128{take<u64>(a, 160 + 16 * i), take<u64>(a, 168 + 16 * i)};
    }
    return Status::Ok;
}

// ---- hints ----

Status nop_hint(Cpu&, const DecodedInsn&) { return Status::Ok; }

/// CLFLUSH: faults like a byte read of its operand; there is no cache to flush.
Status clflush(Cpu& cpu, const DecodedInsn& insn) {
    u64 lin;
    TRY(cpu.seg_linear(insn.mem.seg, ea_offset(cpu, insn), 1, false, lin));
    u64 pa;
    return cpu.translate(lin, mmu::Access::Read, Priv::Current, pa);
}

} // namespace
} // namespace simd

void install_simd(HandlerTable& t) {
    using namespace simd;
    for (InsnId id : {InsnId::MOVAPS_VpsWps, InsnId::MOVAPS_WpsVps, InsnId::MOVAPD_VpdWpd,
                      InsnId::MOVAPD_WpdVpd, InsnId::MOVDQA_VdqWdq, InsnId::MOVDQA_WdqVdq,
                      InsnId::MOVNTPS_MpsVps, InsnId::MOVNTPD_MpdVpd, InsnId::MOVNTDQ_MdqVdq}) {
        set_handler(t, id, mov_x<Align::Need16>);
    }
    for (InsnId id : {InsnId::MOVUPS_VpsWps, InsnId::MOVUPS_WpsVps, InsnId::MOVUPD_VpdWpd,
                      InsnId::MOVUPD_WpdVpd, InsnId::MOVDQU_VdqWdq, InsnId::MOVDQU_WdqVdq}) {
        set_handler(t, id, mov_x<Align::None>);
    }
    set_handler(t, InsnId::MOVQ_PqQq, movq_mm);
    set_handler(t, InsnId::MOVQ_QqPq, movq_mm);
    set_handler(t, InsnId::MOVNTQ_MqPq, movq_mm);
    set_handler(t, InsnId::MOVD_PqEd, movd_load<false>);
    set_handler(t, InsnId::MOVD_VdqEd, movd_load<true>);
    set_handler(t, InsnId::MOVD_EdPd, movd_store<false>);
    set_handler(t, InsnId::MOVD_EdVd, movd_store<true>);
    set_handler(t, InsnId::MOVQ_VqWq, movq_x);
    set_handler(t, InsnId::MOVQ_WqVq, movq_x);
    set_handler(t, InsnId::MOVQ2DQ_VdqNq, movq2dq);
    set_handler(t, InsnId::MOVDQ2Q_PqUq, movdq2q);
    set_handler(t, InsnId::MOVSS_VssWss, movs_load<4>);
    set_handler(t, InsnId::MOVSD_VsdWsd, movs_load<8>);
    set_handler(t, InsnId::MOVSS_WssVss, movs_store<4>);
    set_handler(t, InsnId::MOVSD_WsdVsd, movs_store<8>);
    set_handler(t, InsnId::MOVLPS_VqMq, movhl_load<0, 0>);
    set_handler(t, InsnId::MOVLPD_VqMq, movhl_load<0, 0>);
    set_handler(t, InsnId::MOVHPS_VqMq, movhl_load<1, 0>);
    set_handler(t, InsnId::MOVHPD_VqMq, movhl_load<1, 0>);
    set_handler(t, InsnId::MOVHLPS_VqUq, movhl_load<0, 1>);
    set_handler(t, InsnId::MOVLHPS_VqUq, movhl_load<1, 0>);
    set_handler(t, InsnId::MOVLPS_MqVq, movhl_store<0>);
    set_handler(t, InsnId::MOVLPD_MqVq, movhl_store<0>);
    set_handler(t, InsnId::MOVHPS_MqVq, movhl_store<1>);
    set_handler(t, InsnId::MOVHPD_MqVq, movhl_store<1>);
    set_handler(t, InsnId::MOVMSKPS_GdUps, movmsk<false>);
    set_handler(t, InsnId::MOVMSKPD_GdUpd, movmsk<true>);
    set_handler(t, InsnId::SHUFPS_VpsWpsIb, shufps);
    set_handler(t, InsnId::SHUFPD_VpdWpdIb, shufpd);
    set_handler(t, InsnId::MOVNTI_MdGd, movnti);
    set_handler(t, InsnId::EMMS, emms);
    set_handler(t, InsnId::LDMXCSR_Md, ldmxcsr);
    set_handler(t, InsnId::STMXCSR_Md, stmxcsr);
    set_handler(t, InsnId::FXSAVE_M, fxsave);
    set_handler(t, InsnId::FXRSTOR_M, fxrstor);
    for (InsnId id : {InsnId::LFENCE, InsnId::MFENCE, InsnId::SFENCE, InsnId::PREFETCHNTA_Mb,
                      InsnId::PREFETCHT0_Mb, InsnId::PREFETCHT1_Mb, InsnId::PREFETCHT2_Mb}) {
        set_handler(t, id, nop_hint);
    }
    set_handler(t, InsnId::CLFLUSH_Mb, clflush);
    install_simd_int(t);
    install_simd_fp(t);
}

} // namespace cpu::interp
