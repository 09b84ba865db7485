// SPDX-License-Identifier: MIT
// Interpreter handlers: packed integer MMX and SSE2 instructions (add/sub with and without
// saturation, multiplies, averages, min/max, SAD, logic, compares, packs, unpacks, shifts,
// shuffles, PINSRW/PEXTRW/PMOVMSKB). Each operation is one function over `n` bytes (8 for an
// MMX register, 16 for an XMM register) so the MMX and the SSE2 rows share it. Plain C++:
// nothing here depends on the host's SIMD unit. Moves and FP live in simd.cpp / simd_fp.cpp.
#include "cpu/interp/simd_common.h"

#include <algorithm>
#include <limits>

namespace cpu::interp::simd {
namespace {

using OpFn = void (*)(Vec& d, const Vec& s, unsigned n);
using ShiftFn = void (*)(Vec& d, u64 count, unsigned n);

template <typename T, typename F> void lanes(Vec& d, const Vec& s, unsigned n, F f) {
    for (unsigned i = 0; i < n / sizeof(T); ++i) {
        d.set<T>(i, static_cast<T>(f(d.get<T>(i), s.get<T>(i))));
    }
}

template <typename T> T saturate(i64 v) {
    using Lim = std::numeric_limits<T>;
    return static_cast<T>(std::clamp<i64>(v, Lim::min(), Lim::max()));
}

// ---- element-wise operations ----
#define LANE_OP(NAME, T, EXPR)                                                                     \
    void NAME(Vec& d, const Vec& s, unsigned n) {                                                 \
        lanes<T>(d, s, n, [](T a, T b) { return EXPR; });                                          \
    }
LANE_OP(op_paddb, u8, a + b)
LANE_OP(op_paddw, u16, a + b)
LANE_OP(op_paddd, u32, a + b)
LANE_OP(op_paddq, u64, a + b)
LANE_OP(op_psubb, u8, a - b)
LANE_OP(op_psubw, u16, a - b)
LANE_OP(op_psubd, u32, a - b)
LANE_OP(op_psubq, u64, a - b)
LANE_OP(op_paddsb, i8, saturate<i8>(i64{a} + b))
LANE_OP(op_paddsw, i16, saturate<i16>(i64{a} + b))
LANE_OP(op_psubsb, i8, saturate<i8>(i64{a} - b))
LANE_OP(op_psubsw, i16, saturate<i16>(i64{a} - b))
LANE_OP(op_paddusb, u8, saturate<u8>(i64{a} + b))
LANE_OP(op_paddusw, u16, saturate<u16>(i64{a} + b))
LANE_OP(op_psubusb, u8, saturate<u8>(i64{a} - b))
LANE_OP(op_psubusw, u16, saturate<u16>(i64{a} - b))
LANE_OP(op_pmullw, u16, u32{a} * u32{b})
LANE_OP(op_pmulhw, i16, (i32{a} * i32{b}) >> 16)
LANE_OP(op_pmulhuw, u16, (u32{a} * u32{b}) >> 16)
LANE_OP(op_pmuludq, u64, (a & 0xFFFFFFFFu) * (b & 0xFFFFFFFFu))
LANE_OP(op_pavgb, u8, (u32{a} + b + 1) >> 1)
LANE_OP(op_pavgw, u16, (u32{a} + b + 1) >> 1)
LANE_OP(op_pminub, u8, std::min(a, b))
LANE_OP(op_pmaxub, u8, std::max(a, b))
LANE_OP(op_pminsw, i16, std::min(a, b))
LANE_OP(op_pmaxsw, i16, std::max(a, b))
LANE_OP(op_pand, u64, a & b)
LANE_OP(op_pandn, u64, ~a & b)
LANE_OP(op_por, u64, a | b)
LANE_OP(op_pxor, u64, a ^ b)
LANE_OP(op_pcmpeqb, u8, a == b ? 0xFF : 0)
LANE_OP(op_pcmpeqw, u16, a == b ? 0xFFFF : 0)
LANE_OP(op_pcmpeqd, u32, a == b ? 0xFFFFFFFFu : 0)
LANE_OP(op_pcmpgtb, i8, a > b ? -1 : 0)
LANE_OP(op_pcmpgtw, i16, a > b ? -1 : 0)
LANE_OP(op_pcmpgtd, i32, a > b ? -1 : 0)
#undef LANE_OP

void op_pmaddwd(Vec& d, const Vec& s, unsigned n) {
    for (unsigned i = 0; i < n / 4; ++i) {
        // Only 0x8000*0x8000*2 overflows; it wraps to 0x80000000 as on hardware, computed in
        // 64 bits to avoid signed overflow.
        const i64 r = i64{d.get<i16>(2 * i)} * s.get<i16>(2 * i) +
                      i64{d.get<i16>(2 * i + 1)} * s.get<i16>(2 * i + 1);
        d.set<u32>(i, static_cast<u32>(r));
    }
}

void op_psadbw(Vec& d, const Vec& s, unsigned n) {
    for (unsigned q = 0; q < n / 8; ++q) {
        u64 sum = 0;
        for (unsigned i = 0; i < 8; ++i) {
            const int a = d.b[8 * q + i];
            const int b = s.b[8 * q + i];
            sum += static_cast<u64>(a > b ? a - b : b - a);
        }
        d.set<u64>(q, sum);
    }
}

// ---- packs: the destination's elements narrow into the low half, the source's into the high ----
template <typename From, typename To> void pack(Vec& d, const Vec& s, unsigned n) {
    const unsigned cnt = n / sizeof(From);
    Vec r;
    for (unsigned i = 0; i < cnt; ++i) {
        r.set<To>(i, saturate<To>(d.get<From>(i)));
        r.set<To>(cnt + i, saturate<To>(s.get<From>(i)));
    }
    d = r;
}
void op_packsswb(Vec& d, const Vec& s, unsigned n) { pack<i16, i8>(d, s, n); }
void op_packssdw(Vec& d, const Vec& s, unsigned n) { pack<i32, i16>(d, s, n); }
void op_packuswb(Vec& d, const Vec& s, unsigned n) { pack<i16, u8>(d, s, n); }

// ---- unpacks: interleave the low (or high) halves, destination element first ----
template <typename T, bool High> void unpack(Vec& d, const Vec& s, unsigned n) {
    const unsigned half = n / sizeof(T) / 2;
    const unsigned base = High ? half : 0;
    Vec r;
    for (unsigned i = 0; i < half; ++i) {
        r.set<T>(2 * i, d.get<T>(base + i));
        r.set<T>(2 * i + 1, s.get<T>(base + i));
    }
    d = r;
}

// ---- shifts: counts beyond the element width give zero (logical) or the sign (arithmetic) ----
template <typename T, int Kind /* 0 left, 1 logical right, 2 arithmetic right */>
void shift(Vec& d, u64 count, unsigned n) {
    constexpr unsigned bits = sizeof(T) * 8;
    for (unsigned i = 0; i < n / sizeof(T); ++i) {
        const T a = d.get<T>(i);
        T r;
        if (Kind == 2) {
            using S = std::make_signed_t<T>;
            const unsigned c = count >= bits ? bits - 1 : static_cast<unsigned>(count);
            r = static_cast<T>(static_cast<S>(a) >> c);
        } else if (count >= bits) {
            r = 0;
        } else {
            r = Kind == 0 ? static_cast<T>(a << count) : static_cast<T>(a >> count);
        }
        d.set<T>(i, r);
    }
}

/// PSLLDQ/PSRLDQ: whole-register byte shifts of the xmm register (imm > 15 clears it).
template <bool Left> void shift_bytes(Vec& d, u64 count, unsigned n) {
    Vec r;
    if (count < n) {
        const unsigned c = static_cast<unsigned>(count);
        if (Left) {
            std::memcpy(r.b + c, d.b, n - c);
        } else {
            std::memcpy(r.b, d.b + c, n - c);
        }
    }
    d = r;
}

Status check(Cpu& cpu, bool xmm) { return xmm ? sse_check(cpu) : mmx_check(cpu); }

/// dest = dest op src for a P,Q (MMX) or V,W (XMM) row.
template <OpFn Op, bool Xmm> Status binop(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    Vec d;
    TRY(load(cpu, insn, 0, d));
    Op(d, s, Xmm ? 16 : 8);
    return store(cpu, insn, 0, d);
}

/// Shift by a register/memory count: the whole low 64 bits of the source are the count.
template <ShiftFn Op, bool Xmm> Status shift_reg(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    Vec d;
    TRY(load(cpu, insn, 0, d));
    Op(d, s.lo(), Xmm ? 16 : 8);
    return store(cpu, insn, 0, d);
}

template <ShiftFn Op, bool Xmm> Status shift_imm(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    Vec d;
    TRY(load(cpu, insn, 0, d));
    Op(d, insn.imm & 0xFF, Xmm ? 16 : 8);
    return store(cpu, insn, 0, d);
}

/// PSHUFW / PSHUFD / PSHUFLW / PSHUFHW: Lane-sized elements chosen by 2-bit fields of imm8
/// within a group of four starting at element `First`; the other elements are copied.
template <typename Lane, unsigned First, bool Xmm> Status pshuf(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    Vec r = s;
    const unsigned imm = insn.imm & 0xFF;
    for (unsigned i = 0; i < 4; ++i) {
        r.set<Lane>(First + i, s.get<Lane>(First + ((imm >> (2 * i)) & 3)));
    }
    return store(cpu, insn, 0, r);
}

template <bool Xmm> Status pinsrw(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    u64 w;
    TRY(read_op(cpu, insn, 1, w));
    Vec d;
    TRY(load(cpu, insn, 0, d));
    d.set<u16>(insn.imm & (Xmm ? 7 : 3), static_cast<u16>(w));
    return store(cpu, insn, 0, d);
}

template <bool Xmm> Status pextrw(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    cpu.set_reg(insn.op[0].reg, 4, s.get<u16>(insn.imm & (Xmm ? 7 : 3)));
    if (!Xmm) {
        mmx_enter(cpu);
    }
    return Status::Ok;
}

template <bool Xmm> Status pmovmskb(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    Vec s;
    TRY(load(cpu, insn, 1, s));
    u32 m = 0;
    for (unsigned i = 0; i < (Xmm ? 16u : 8u); ++i) {
        m |= u32{static_cast<u32>(s.b[i] >> 7)} << i;
    }
    cpu.set_reg(insn.op[0].reg, 4, m);
    if (!Xmm) {
        mmx_enter(cpu);
    }
    return Status::Ok;
}

/// MASKMOVQ / MASKMOVDQU: bytes of the first register whose mask byte (second register) has
/// its top bit set are stored at DS:rDI (segment overridable). The whole span is checked
/// before any byte is written so a fault leaves memory unchanged; an all-zero mask touches
/// no memory.
template <bool Xmm> Status maskmov(Cpu& cpu, const DecodedInsn& insn) {
    TRY(check(cpu, Xmm));
    const unsigned n = Xmm ? 16 : 8;
    Vec v;
    Vec m;
    TRY(load(cpu, insn, 0, v));
    TRY(load(cpu, insn, 1, m));
    const u64 di = trunc(cpu.s.gpr[kRdi], insn.addrsize);
    bool any = false;
    for (unsigned i = 0; i < n; ++i) {
        any = any || (m.b[i] & 0x80);
    }
    if (any) {
        TRY(cpu.probe_write(insn.mem.seg, di, n));
        for (unsigned i = 0; i < n; ++i) {
            if (m.b[i] & 0x80) {
                TRY(cpu.write<u8>(insn.mem.seg, trunc(di + i, insn.addrsize), v.b[i]));
            }
        }
    }
    if (!Xmm) {
        mmx_enter(cpu);
    }
    return Status::Ok;
}

} // namespace

void install_simd_int(HandlerTable& t) {
#define BIN(NAME, OP)                                                                              \
    set_handler(t, InsnId::NAME##_PqQq, binop<OP, false>);                                         \
    set_handler(t, InsnId::NAME##_VdqWdq, binop<OP, true>);
    BIN(PADDB, op_paddb) BIN(PADDW, op_paddw) BIN(PADDD, op_paddd) BIN(PADDQ, op_paddq)
    BIN(PSUBB, op_psubb) BIN(PSUBW, op_psubw) BIN(PSUBD, op_psubd) BIN(PSUBQ, op_psubq)
    BIN(PADDSB, op_paddsb) BIN(PADDSW, op_paddsw) BIN(PSUBSB, op_psubsb) BIN(PSUBSW, op_psubsw)
    BIN(PADDUSB, op_paddusb) BIN(PADDUSW, op_paddusw)
    BIN(PSUBUSB, op_psubusb) BIN(PSUBUSW, op_psubusw)
    BIN(PMULLW, op_pmullw) BIN(PMULHW, op_pmulhw) BIN(PMULHUW, op_pmulhuw)
    BIN(PMULUDQ, op_pmuludq) BIN(PMADDWD, op_pmaddwd) BIN(PSADBW, op_psadbw)
    BIN(PAVGB, op_pavgb) BIN(PAVGW, op_pavgw)
    BIN(PMINUB, op_pminub) BIN(PMAXUB, op_pmaxub) BIN(PMINSW, op_pminsw) BIN(PMAXSW, op_pmaxsw)
    BIN(PAND, op_pand) BIN(PANDN, op_pandn) BIN(POR, op_por) BIN(PXOR, op_pxor)
    BIN(PCMPEQB, op_pcmpeqb) BIN(PCMPEQW, op_pcmpeqw) BIN(PCMPEQD, op_pcmpeqd)
    BIN(PCMPGTB, op_pcmpgtb) BIN(PCMPGTW, op_pcmpgtw) BIN(PCMPGTD, op_pcmpgtd)
    BIN(PACKSSWB, op_packsswb) BIN(PACKSSDW, op_packssdw) BIN(PACKUSWB, op_packuswb)
    BIN(PUNPCKLBW, (unpack<u8, false>)) BIN(PUNPCKLWD, (unpack<u16, false>))
    BIN(PUNPCKLDQ, (unpack<u32, false>))
    BIN(PUNPCKHBW, (unpack<u8, true>)) BIN(PUNPCKHWD, (unpack<u16, true>))
    BIN(PUNPCKHDQ, (unpack<u32, true>))
#undef BIN
    set_handler(t, InsnId::PUNPCKLQDQ_VdqWdq, binop<unpack<u64, false>, true>);
    set_handler(t, InsnId::PUNPCKHQDQ_VdqWdq, binop<unpack<u64, true>, true>);
    // The packed-FP logic and unpack forms are the same bit operations.
    set_handler(t, InsnId::ANDPS_VpsWps, binop<op_pand, true>);
    set_handler(t, InsnId::ANDPD_VpdWpd, binop<op_pand, true>);
    set_handler(t, InsnId::ANDNPS_VpsWps, binop<op_pandn, true>);
    set_handler(t, InsnId::ANDNPD_VpdWpd, binop<op_pandn, true>);
    set_handler(t, InsnId::ORPS_VpsWps, binop<op_por, true>);
    set_handler(t, InsnId::ORPD_VpdWpd, binop<op_por, true>);
    set_handler(t, InsnId::XORPS_VpsWps, binop<op_pxor, true>);
    set_handler(t, InsnId::XORPD_VpdWpd, binop<op_pxor, true>);
    set_handler(t, InsnId::UNPCKLPS_VpsWps, binop<unpack<u32, false>, true>);
    set_handler(t, InsnId::UNPCKHPS_VpsWps, binop<unpack<u32, true>, true>);
    set_handler(t, InsnId::UNPCKLPD_VpdWpd, binop<unpack<u64, false>, true>);
    set_handler(t, InsnId::UNPCKHPD_VpdWpd, binop<unpack<u64, true>, true>);

#define SHIFT(NAME, FN)                                                                            \
    set_handler(t, InsnId::NAME##_PqQq, shift_reg<FN, false>);                                     \
    set_handler(t, InsnId::NAME##_VdqWdq, shift_reg<FN, true>);                                    \
    set_handler(t, InsnId::NAME##_NqIb, shift_imm<FN, false>);                                     \
    set_handler(t, InsnId::NAME##_UdqIb, shift_imm<FN, true>);
    SHIFT(PSLLW, (shift<u16, 0>)) SHIFT(PSLLD, (shift<u32, 0>)) SHIFT(PSLLQ, (shift<u64, 0>))
    SHIFT(PSRLW, (shift<u16, 1>)) SHIFT(PSRLD, (shift<u32, 1>)) SHIFT(PSRLQ, (shift<u64, 1>))
    SHIFT(PSRAW, (shift<u16, 2>)) SHIFT(PSRAD, (shift<u32, 2>))
#undef SHIFT
    set_handler(t, InsnId::PSLLDQ_UdqIb, shift_imm<shift_bytes<true>, true>);
    set_handler(t, InsnId::PSRLDQ_UdqIb, shift_imm<shift_bytes<false>, true>);

    set_handler(t, InsnId::PSHUFW_PqQqIb, pshuf<u16, 0, false>);
    set_handler(t, InsnId::PSHUFD_VdqWdqIb, pshuf<u32, 0, true>);
    set_handler(t, InsnId::PSHUFLW_VdqWdqIb, pshuf<u16, 0, true>);
    set_handler(t, InsnId::PSHUFHW_VdqWdqIb, pshuf<u16, 4, true>);
    set_handler(t, InsnId::PINSRW_PqEwIb, pinsrw<false>);
    set_handler(t, InsnId::PINSRW_VdqEwIb, pinsrw<true>);
    set_handler(t, InsnId::PEXTRW_GdNqIb, pextrw<false>);
    set_handler(t, InsnId::PEXTRW_GdUdqIb, pextrw<true>);
    set_handler(t, InsnId::PMOVMSKB_GdNq, pmovmskb<false>);
    set_handler(t, InsnId::PMOVMSKB_GdUdq, pmovmskb<true>);
    set_handler(t, InsnId::MASKMOVQ_PqNq, maskmov<false>);
    set_handler(t, InsnId::MASKMOVDQU_VdqUdq, maskmov<true>);
}

} // namespace cpu::interp::simd
