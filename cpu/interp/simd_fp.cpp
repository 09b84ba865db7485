// SPDX-License-Identifier: MIT
// Interpreter handlers: SSE/SSE2 floating point — arithmetic, sqrt/rcp/rsqrt, min/max,
// compares (CMPxx, COMIS/UCOMIS), and every conversion (CVT*/CVTT*).
//
// The host is x86-64 with SSE2, whose IEEE single/double arithmetic is the guest's, so each
// operation runs as the very same host instruction inside one asm block that loads the guest's
// MXCSR (rounding, FTZ, DAZ) with every exception masked and the flags clear, executes, reads
// the raised flags back and restores the host's MXCSR. Doing all of it in one asm statement
// keeps the compiler from moving arithmetic across the MXCSR switch. The flags are then
// committed by mxcsr_commit (unmasked ones fault without writing the destination). This also
// gives the x86 "integer indefinite" of conversions and the NaN/operand-order rules of
// MIN/MAX for free. Not portable to non-x86 hosts by design.
//
// Known gap: an unmasked underflow whose tiny result is exact is not reported (the host
// computes with UE masked, where exact tiny results raise no flag).
#include "cpu/interp/simd_common.h"

#include <emmintrin.h>

namespace cpu::interp::simd {
namespace {

/// MXCSR for the host while computing a guest operation: the guest's control bits, every
/// exception masked, no flags.
u32 host_csr(const Cpu& cpu) { return (cpu.s.sse.mxcsr & ~kMxFlags) | kMxMasks; }

__m128i to_m(const Vec& v) {
    __m128i m;
    std::memcpy(&m, v.b, 16);
    return m;
}
Vec from_m(__m128i m) {
    Vec v;
    std::memcpy(v.b, &m, 16);
    return v;
}

/// One host instruction "INSN src, dst" on xmm registers; returns the raised flags.
using XmmOp = u32 (*)(Vec& d, const Vec& s, u32 csr);

#define HOST_XMM_OP(NAME, INSN)                                                                    \
    u32 NAME(Vec& d, const Vec& s, u32 csr) {                                                      \
        __m128i a = to_m(d);                                                                       \
        const __m128i b = to_m(s);                                                                 \
        u32 saved = 0, out = 0;                                                                    \
        asm volatile("stmxcsr %[saved]\n\t"                                                        \
                     "ldmxcsr %[csr]\n\t" INSN " %[b], %[a]\n\t"                                   \
                     "stmxcsr %[out]\n\t"                                                          \
                     "ldmxcsr %[saved]"                                                            \
                     : [a] "+x"(a), [saved] "+m"(saved), [out] "=m"(out)                           \
                     : [b] "x"(b), [csr] "m"(csr));                                                \
        d = from_m(a);                                                                             \
        return out;                                                                                \
    }

HOST_XMM_OP(h_addps, "addps") HOST_XMM_OP(h_addss, "addss")
HOST_XMM_OP(h_addpd, "addpd") HOST_XMM_OP(h_addsd, "addsd")
HOST_XMM_OP(h_subps, "subps") HOST_XMM_OP(h_subss, "subss")
HOST_XMM_OP(h_subpd, "subpd") HOST_XMM_OP(h_subsd, "subsd")
HOST_XMM_OP(h_mulps, "mulps") HOST_XMM_OP(h_mulss, "mulss")
HOST_XMM_OP(h_mulpd, "mulpd") HOST_XMM_OP(h_mulsd, "mulsd")
HOST_XMM_OP(h_divps, "divps") HOST_XMM_OP(h_divss, "divss")
HOST_XMM_OP(h_divpd, "divpd") HOST_XMM_OP(h_divsd, "divsd")
HOST_XMM_OP(h_minps, "minps") HOST_XMM_OP(h_minss, "minss")
HOST_XMM_OP(h_minpd, "minpd") HOST_XMM_OP(h_minsd, "minsd")
HOST_XMM_OP(h_maxps, "maxps") HOST_XMM_OP(h_maxss, "maxss")
HOST_XMM_OP(h_maxpd, "maxpd") HOST_XMM_OP(h_maxsd, "maxsd")
HOST_XMM_OP(h_sqrtps, "sqrtps") HOST_XMM_OP(h_sqrtss, "sqrtss")
HOST_XMM_OP(h_sqrtpd, "sqrtpd") HOST_XMM_OP(h_sqrtsd, "sqrtsd")
HOST_XMM_OP(h_rsqrtps, "rsqrtps") HOST_XMM_OP(h_rsqrtss, "rsqrtss")
HOST_XMM_OP(h_rcpps, "rcpps") HOST_XMM_OP(h_rcpss, "rcpss")
HOST_XMM_OP(h_cvtps2pd, "cvtps2pd") HOST_XMM_OP(h_cvtss2sd, "cvtss2sd")
HOST_XMM_OP(h_cvtpd2ps, "cvtpd2ps") HOST_XMM_OP(h_cvtsd2ss, "cvtsd2ss")
HOST_XMM_OP(h_cvtdq2ps, "cvtdq2ps") HOST_XMM_OP(h_cvtps2dq, "cvtps2dq")
HOST_XMM_OP(h_cvttps2dq, "cvttps2dq") HOST_XMM_OP(h_cvtdq2pd, "cvtdq2pd")
HOST_XMM_OP(h_cvtpd2dq, "cvtpd2dq") HOST_XMM_OP(h_cvttpd2dq, "cvttpd2dq")
#undef HOST_XMM_OP

/// CMPPS/CMPSS/CMPPD/CMPSD with the predicate as an immediate of the host instruction.
template <int Pred> u32 h_cmpps(Vec& d, const Vec& s, u32 csr) {
    __m128i a = to_m(d);
    const __m128i b = to_m(s);
    u32 saved = 0, out = 0;
#define HOST_CMP(INSN)                                                                             \
    asm volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" INSN " %[p], %[b], %[a]\n\t"             \
                 "stmxcsr %[out]\n\tldmxcsr %[saved]"                                              \
                 : [a] "+x"(a), [saved] "+m"(saved), [out] "=m"(out)                               \
                 : [b] "x"(b), [csr] "m"(csr), [p] "i"(Pred))
    HOST_CMP("cmpps");
    d = from_m(a);
    return out;
}
template <int Pred> u32 h_cmpss(Vec& d, const Vec& s, u32 csr) {
    __m128i a = to_m(d);
    const __m128i b = to_m(s);
    u32 saved = 0, out = 0;
    HOST_CMP("cmpss");
    d = from_m(a);
    return out;
}
template <int Pred> u32 h_cmppd(Vec& d, const Vec& s, u32 csr) {
    __m128i a = to_m(d);
    const __m128i b = to_m(s);
    u32 saved = 0, out = 0;
    HOST_CMP("cmppd");
    d = from_m(a);
    return out;
}
template <int Pred> u32 h_cmpsd(Vec& d, const Vec& s, u32 csr) {
    __m128i a = to_m(d);
    const __m128i b = to_m(s);
    u32 saved = 0, out = 0;
    HOST_CMP("cmpsd");
    d = from_m(a);
    return out;
#undef HOST_CMP
}

/// dest = dest op src for the V,W rows (scalar rows read 4/8 bytes of memory; the host's
/// scalar instruction keeps the destination's upper elements).
template <XmmOp Op> Status fp_op(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    Vec d = get_xmm(cpu, insn.op[0].reg);
    const u32 raised = Op(d, s, host_csr(cpu));
    TRY(mxcsr_commit(cpu, raised));
    set_xmm(cpu, insn.op[0].reg, d);
    return Status::Ok;
}

template <XmmOp (&Table)[8]> Status fp_cmp(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    Vec d = get_xmm(cpu, insn.op[0].reg);
    // Legacy-encoded compares use imm8[2:0]; the upper bits are ignored.
    const u32 raised = Table[insn.imm & 7](d, s, host_csr(cpu));
    TRY(mxcsr_commit(cpu, raised));
    set_xmm(cpu, insn.op[0].reg, d);
    return Status::Ok;
}

XmmOp g_cmpps[8] = {h_cmpps<0>, h_cmpps<1>, h_cmpps<2>, h_cmpps<3>,
                    h_cmpps<4>, h_cmpps<5>, h_cmpps<6>, h_cmpps<7>};
XmmOp g_cmpss[8] = {h_cmpss<0>, h_cmpss<1>, h_cmpss<2>, h_cmpss<3>,
                    h_cmpss<4>, h_cmpss<5>, h_cmpss<6>, h_cmpss<7>};
XmmOp g_cmppd[8] = {h_cmppd<0>, h_cmppd<1>, h_cmppd<2>, h_cmppd<3>,
                    h_cmppd<4>, h_cmppd<5>, h_cmppd<6>, h_cmppd<7>};
XmmOp g_cmpsd[8] = {h_cmpsd<0>, h_cmpsd<1>, h_cmpsd<2>, h_cmpsd<3>,
                    h_cmpsd<4>, h_cmpsd<5>, h_cmpsd<6>, h_cmpsd<7>};

// ---- COMISS / UCOMISS / COMISD / UCOMISD: ZF, PF, CF from the compare; OF, SF, AF cleared ----
#define HOST_COMI(NAME, INSN)                                                                      \
    u32 NAME(const Vec& d, const Vec& s, u32 csr, u32& eflags) {                                   \
        const __m128i a = to_m(d);                                                                 \
        const __m128i b = to_m(s);                                                                 \
        u32 saved = 0, out = 0;                                                                    \
        u8 z = 0, p = 0, c = 0;                                                                    \
        asm volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" INSN " %[b], %[a]\n\t"               \
                     "setz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\t"                                     \
                     "stmxcsr %[out]\n\tldmxcsr %[saved]"                                          \
                     : [saved] "+m"(saved), [out] "=m"(out), [z] "=q"(z), [p] "=q"(p), [c] "=q"(c) \
                     : [a] "x"(a), [b] "x"(b), [csr] "m"(csr)                                      \
                     : "cc");                                                                      \
        eflags = (z ? u32{kZF} : 0u) | (p ? u32{kPF} : 0u) | (c ? u32{kCF} : 0u);              \
        return out;                                                                                \
    }
HOST_COMI(h_comiss, "comiss")
HOST_COMI(h_ucomiss, "ucomiss")
HOST_COMI(h_comisd, "comisd")
HOST_COMI(h_ucomisd, "ucomisd")
#undef HOST_COMI

using ComiFn = u32 (*)(const Vec&, const Vec&, u32, u32&);

template <ComiFn Op> Status comi(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    const Vec d = get_xmm(cpu, insn.op[0].reg);
    u32 fl = 0;
    const u32 raised = Op(d, s, host_csr(cpu), fl);
    TRY(mxcsr_commit(cpu, raised));
    set_flags(cpu.s, kArithFlags, fl);
    return Status::Ok;
}

// ---- GPR <-> scalar conversions ----
#define HOST_CVT_TO_INT(NAME, INSN)                                                                \
    u32 NAME(const Vec& s, u32 csr, u32& r) {                                                      \
        const __m128i a = to_m(s);                                                                 \
        u32 saved = 0, out = 0;                                                                    \
        asm volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" INSN " %[a], %[r]\n\t"               \
                     "stmxcsr %[out]\n\tldmxcsr %[saved]"                                          \
                     : [saved] "+m"(saved), [out] "=m"(out), [r] "=r"(r)                           \
                     : [a] "x"(a), [csr] "m"(csr));                                                \
        return out;                                                                                \
    }
HOST_CVT_TO_INT(h_cvtss2si, "cvtss2si")
HOST_CVT_TO_INT(h_cvttss2si, "cvttss2si")
HOST_CVT_TO_INT(h_cvtsd2si, "cvtsd2si")
HOST_CVT_TO_INT(h_cvttsd2si, "cvttsd2si")
#undef HOST_CVT_TO_INT

using CvtToIntFn = u32 (*)(const Vec&, u32, u32&);

template <CvtToIntFn Op> Status cvt_to_gpr(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    u32 r = 0;
    const u32 raised = Op(s, host_csr(cpu), r);
    TRY(mxcsr_commit(cpu, raised));
    cpu.set_reg(insn.op[0].reg, 4, r);
    return Status::Ok;
}

#define HOST_CVT_FROM_INT(NAME, INSN)                                                              \
    u32 NAME(Vec& d, u32 g, u32 csr) {                                                             \
        __m128i a = to_m(d);                                                                       \
        u32 saved = 0, out = 0;                                                                    \
        asm volatile("stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t" INSN " %[g], %[a]\n\t"               \
                     "stmxcsr %[out]\n\tldmxcsr %[saved]"                                          \
                     : [a] "+x"(a), [saved] "+m"(saved), [out] "=m"(out)                           \
                     : [g] "r"(g), [csr] "m"(csr));                                                \
        d = from_m(a);                                                                             \
        return out;                                                                                \
    }
HOST_CVT_FROM_INT(h_cvtsi2ss, "cvtsi2ssl")
HOST_CVT_FROM_INT(h_cvtsi2sd, "cvtsi2sdl")
#undef HOST_CVT_FROM_INT

template <u32 (*Op)(Vec&, u32, u32)> Status cvt_from_gpr(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_check(cpu));
    u64 g = 0;
    TRY(read_op(cpu, insn, 1, g));
    Vec d = get_xmm(cpu, insn.op[0].reg);
    const u32 raised = Op(d, static_cast<u32>(g), host_csr(cpu));
    TRY(mxcsr_commit(cpu, raised));
    set_xmm(cpu, insn.op[0].reg, d);
    return Status::Ok;
}

// ---- conversions with an MMX operand, done as their xmm counterparts on a zeroed vector ----

/// CVTPI2PS xmm, mm/m64 (low two singles; the upper two are kept) and CVTPI2PD xmm, mm/m64.
/// Only a register source is an MMX access (the memory form makes no x87->MMX transition).
template <bool Pd> Status cvtpi2p(Cpu& cpu, const DecodedInsn& insn) {
    const bool mmx_src = insn.op[1].kind == OperandKind::Mmx;
    TRY(mmx_src ? sse_mmx_check(cpu) : sse_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    const Vec old = get_xmm(cpu, insn.op[0].reg);
    Vec d = s; // lanes 2/3 are zero integers: exact, no flags
    const u32 raised = Pd ? h_cvtdq2pd(d, s, host_csr(cpu)) : h_cvtdq2ps(d, s, host_csr(cpu));
    TRY(mxcsr_commit(cpu, raised));
    if (!Pd) {
        d.set<u64>(1, old.hi());
    }
    set_xmm(cpu, insn.op[0].reg, d);
    if (mmx_src) {
        mmx_enter(cpu);
    }
    return Status::Ok;
}

/// CVT(T)PS2PI mm, xmm/m64 and CVT(T)PD2PI mm, xmm/m128.
template <XmmOp Op, bool Pd> Status cvtp2pi(Cpu& cpu, const DecodedInsn& insn) {
    TRY(sse_mmx_check(cpu));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    if (!Pd) {
        s.set<u64>(1, 0); // only two singles are converted; zeros raise nothing
    }
    Vec d;
    const u32 raised = Op(d, s, host_csr(cpu));
    TRY(mxcsr_commit(cpu, raised));
    set_mmx(cpu, insn.op[0].reg, d.lo());
    return Status::Ok;
}

} // namespace

void install_simd_fp(HandlerTable& t) {
#define FP4(NAME, h)                                                                               \
    set_handler(t, InsnId::NAME##PS_VpsWps, fp_op<h##ps>);                                         \
    set_handler(t, InsnId::NAME##SS_VssWss, fp_op<h##ss>);                                         \
    set_handler(t, InsnId::NAME##PD_VpdWpd, fp_op<h##pd>);                                         \
    set_handler(t, InsnId::NAME##SD_VsdWsd, fp_op<h##sd>);
    FP4(ADD, h_add) FP4(SUB, h_sub) FP4(MUL, h_mul) FP4(DIV, h_div)
    FP4(MIN, h_min) FP4(MAX, h_max) FP4(SQRT, h_sqrt)
#undef FP4
    set_handler(t, InsnId::RSQRTPS_VpsWps, fp_op<h_rsqrtps>);
    set_handler(t, InsnId::RSQRTSS_VssWss, fp_op<h_rsqrtss>);
    set_handler(t, InsnId::RCPPS_VpsWps, fp_op<h_rcpps>);
    set_handler(t, InsnId::RCPSS_VssWss, fp_op<h_rcpss>);
    set_handler(t, InsnId::CVTPS2PD_VpdWps, fp_op<h_cvtps2pd>);
    set_handler(t, InsnId::CVTSS2SD_VsdWss, fp_op<h_cvtss2sd>);
    set_handler(t, InsnId::CVTPD2PS_VpsWpd, fp_op<h_cvtpd2ps>);
    set_handler(t, InsnId::CVTSD2SS_VssWsd, fp_op<h_cvtsd2ss>);
    set_handler(t, InsnId::CVTDQ2PS_VpsWdq, fp_op<h_cvtdq2ps>);
    set_handler(t, InsnId::CVTPS2DQ_VdqWps, fp_op<h_cvtps2dq>);
    set_handler(t, InsnId::CVTTPS2DQ_VdqWps, fp_op<h_cvttps2dq>);
    set_handler(t, InsnId::CVTDQ2PD_VpdWq, fp_op<h_cvtdq2pd>);
    set_handler(t, InsnId::CVTPD2DQ_VdqWpd, fp_op<h_cvtpd2dq>);
    set_handler(t, InsnId::CVTTPD2DQ_VdqWpd, fp_op<h_cvttpd2dq>);
    set_handler(t, InsnId::CMPPS_VpsWpsIb, fp_cmp<g_cmpps>);
    set_handler(t, InsnId::CMPSS_VssWssIb, fp_cmp<g_cmpss>);
    set_handler(t, InsnId::CMPPD_VpdWpdIb, fp_cmp<g_cmppd>);
    set_handler(t, InsnId::CMPSD_VsdWsdIb, fp_cmp<g_cmpsd>);
    set_handler(t, InsnId::COMISS_VssWss, comi<h_comiss>);
    set_handler(t, InsnId::UCOMISS_VssWss, comi<h_ucomiss>);
    set_handler(t, InsnId::COMISD_VsdWsd, comi<h_comisd>);
    set_handler(t, InsnId::UCOMISD_VsdWsd, comi<h_ucomisd>);
    set_handler(t, InsnId::CVTSS2SI_GdWss, cvt_to_gpr<h_cvtss2si>);
    set_handler(t, InsnId::CVTTSS2SI_GdWss, cvt_to_gpr<h_cvttss2si>);
    set_handler(t, InsnId::CVTSD2SI_GdWsd, cvt_to_gpr<h_cvtsd2si>);
    set_handler(t, InsnId::CVTTSD2SI_GdWsd, cvt_to_gpr<h_cvttsd2si>);
    set_handler(t, InsnId::CVTSI2SS_VssEd, cvt_from_gpr<h_cvtsi2ss>);
    set_handler(t, InsnId::CVTSI2SD_VsdEd, cvt_from_gpr<h_cvtsi2sd>);
    set_handler(t, InsnId::CVTPI2PS_VpsQpi, cvtpi2p<false>);
    set_handler(t, InsnId::CVTPI2PD_VpdQpi, cvtpi2p<true>);
    set_handler(t, InsnId::CVTPS2PI_PpiWps, cvtp2pi<h_cvtps2dq, false>);
    set_handler(t, InsnId::CVTTPS2PI_PpiWps, cvtp2pi<h_cvttps2dq, false>);
    set_handler(t, InsnId::CVTPD2PI_PpiWpd, cvtp2pi<h_cvtpd2dq, true>);
    set_handler(t, InsnId::CVTTPD2PI_PpiWpd, cvtp2pi<h_cvttpd2dq, true>);
}

} // namespace cpu::interp::simd
