// SPDX-License-Identifier: MIT
// MMX/SSE/SSE2 tests [simd]: every register/memory form is run through a CpuHarness in flat
// 32-bit mode (CR4.OSFXSR|OSXMMEXCPT) on seeded random inputs and compared with the host CPU
// executing the same instruction natively (inline asm on fixed host registers), for each
// rounding mode with FTZ/DAZ varied. Plus the architectural checks: #UD/#NM/#GP/#XM, MXCSR
// rules, FXSAVE/FXRSTOR layout, the x87->MMX transition. Requires an x86-64 host.
#include "cpu/decoder/decoder.h"
#include "cpu/interp/handlers.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

struct V {
    u8 b[16] = {};
    u64 lo() const { u64 v; std::memcpy(&v, b, 8); return v; }
    u64 hi() const { u64 v; std::memcpy(&v, b + 8, 8); return v; }
    bool operator==(const V& o) const { return std::memcmp(b, o.b, 16) == 0; }
};

std::string hex(const V& v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx:%016llx", static_cast<unsigned long long>(v.hi()),
                  static_cast<unsigned long long>(v.lo()));
    return buf;
}

using Oracle = u32 (*)(V& d, const V& s, u32 csr);

// ---- host oracles: the instruction on fixed registers, MXCSR switched inside the asm ----
#define OR_MMX(NAME, INSN)                                                                         \
    u32 NAME(V& d, const V& s, u32) {                                                              \
        asm volatile("movq %[d], %%mm0\n\tmovq %[s], %%mm1\n\t" INSN " %%mm1, %%mm0\n\t"           \
                     "movq %%mm0, %[d]\n\temms"                                                    \
                     : [d] "+m"(d.b) : [s] "m"(s.b) : "mm0", "mm1");                               \
        return 0;                                                                                  \
    }
#define OR_XMM(NAME, INSN)                                                                         \
    u32 NAME(V& d, const V& s, u32 csr) {                                                          \
        u32 saved = 0, out = 0;                                                                    \
        asm volatile("stmxcsr %[sv]\n\tldmxcsr %[csr]\n\tmovdqu %[d], %%xmm0\n\t"                  \
                     "movdqu %[s], %%xmm1\n\t" INSN " %%xmm1, %%xmm0\n\tmovdqu %%xmm0, %[d]\n\t"   \
                     "stmxcsr %[out]\n\tldmxcsr %[sv]"                                             \
                     : [d] "+m"(d.b), [sv] "+m"(saved), [out] "=m"(out)                            \
                     : [s] "m"(s.b), [csr] "m"(csr) : "xmm0", "xmm1");                             \
        return out & 0x3F;                                                                         \
    }
#define OR_MMX_I(NAME, INSN)                                                                       \
    template <int I> u32 NAME(V& d, const V& s, u32) {                                             \
        asm volatile("movq %[d], %%mm0\n\tmovq %[s], %%mm1\n\t" INSN " %[i], %%mm1, %%mm0\n\t"     \
                     "movq %%mm0, %[d]\n\temms"                                                    \
                     : [d] "+m"(d.b) : [s] "m"(s.b), [i] "i"(I) : "mm0", "mm1");                   \
        return 0;                                                                                  \
    }
#define OR_XMM_I(NAME, INSN)                                                                       \
    template <int I> u32 NAME(V& d, const V& s, u32 csr) {                                         \
        u32 saved = 0, out = 0;                                                                    \
        asm volatile("stmxcsr %[sv]\n\tldmxcsr %[csr]\n\tmovdqu %[d], %%xmm0\n\t"                  \
                     "movdqu %[s], %%xmm1\n\t" INSN " %[i], %%xmm1, %%xmm0\n\t"                    \
                     "movdqu %%xmm0, %[d]\n\tstmxcsr %[out]\n\tldmxcsr %[sv]"                      \
                     : [d] "+m"(d.b), [sv] "+m"(saved), [out] "=m"(out)                            \
                     : [s] "m"(s.b), [csr] "m"(csr), [i] "i"(I) : "xmm0", "xmm1");                 \
        return out & 0x3F;                                                                         \
    }
// Shift-by-immediate: the instruction has one register operand.
#define OR_MMX_SI(NAME, INSN)                                                                      \
    template <int I> u32 NAME(V& d, const V&, u32) {                                               \
        asm volatile("movq %[d], %%mm0\n\t" INSN " %[i], %%mm0\n\tmovq %%mm0, %[d]\n\temms"        \
                     : [d] "+m"(d.b) : [i] "i"(I) : "mm0");                                        \
        return 0;                                                                                  \
    }
#define OR_XMM_SI(NAME, INSN)                                                                      \
    template <int I> u32 NAME(V& d, const V&, u32) {                                               \
        asm volatile("movdqu %[d], %%xmm0\n\t" INSN " %[i], %%xmm0\n\tmovdqu %%xmm0, %[d]"         \
                     : [d] "+m"(d.b) : [i] "i"(I) : "xmm0");                                       \
        return 0;                                                                                  \
    }

#define INT_BOTH(N)                                                                                \
    OR_MMX(m_##N, #N) OR_XMM(x_##N, #N)
INT_BOTH(paddb) INT_BOTH(paddw) INT_BOTH(paddd) INT_BOTH(paddq)
INT_BOTH(psubb) INT_BOTH(psubw) INT_BOTH(psubd) INT_BOTH(psubq)
INT_BOTH(paddsb) INT_BOTH(paddsw) INT_BOTH(psubsb) INT_BOTH(psubsw)
INT_BOTH(paddusb) INT_BOTH(paddusw) INT_BOTH(psubusb) INT_BOTH(psubusw)
INT_BOTH(pmullw) INT_BOTH(pmulhw) INT_BOTH(pmulhuw) INT_BOTH(pmuludq) INT_BOTH(pmaddwd)
INT_BOTH(psadbw) INT_BOTH(pavgb) INT_BOTH(pavgw)
INT_BOTH(pminub) INT_BOTH(pmaxub) INT_BOTH(pminsw) INT_BOTH(pmaxsw)
INT_BOTH(pand) INT_BOTH(pandn) INT_BOTH(por) INT_BOTH(pxor)
INT_BOTH(pcmpeqb) INT_BOTH(pcmpeqw) INT_BOTH(pcmpeqd)
INT_BOTH(pcmpgtb) INT_BOTH(pcmpgtw) INT_BOTH(pcmpgtd)
INT_BOTH(packsswb) INT_BOTH(packssdw) INT_BOTH(packuswb)
INT_BOTH(punpcklbw) INT_BOTH(punpcklwd) INT_BOTH(punpckldq)
INT_BOTH(punpckhbw) INT_BOTH(punpckhwd) INT_BOTH(punpckhdq)
INT_BOTH(psllw) INT_BOTH(pslld) INT_BOTH(psllq) INT_BOTH(psrlw) INT_BOTH(psrld) INT_BOTH(psrlq)
INT_BOTH(psraw) INT_BOTH(psrad)
OR_XMM(x_punpcklqdq, "punpcklqdq") OR_XMM(x_punpckhqdq, "punpckhqdq")
#undef INT_BOTH

#define FP_ALL(N)                                                                                  \
    OR_XMM(x_##N##ps, #N "ps") OR_XMM(x_##N##ss, #N "ss") OR_XMM(x_##N##pd, #N "pd")               \
        OR_XMM(x_##N##sd, #N "sd")
FP_ALL(add) FP_ALL(sub) FP_ALL(mul) FP_ALL(div) FP_ALL(min) FP_ALL(max) FP_ALL(sqrt)
#undef FP_ALL
OR_XMM(x_rcpps, "rcpps") OR_XMM(x_rcpss, "rcpss") OR_XMM(x_rsqrtps, "rsqrtps")
OR_XMM(x_rsqrtss, "rsqrtss")
OR_XMM(x_andps, "andps") OR_XMM(x_andnps, "andnps") OR_XMM(x_orps, "orps") OR_XMM(x_xorps, "xorps")
OR_XMM(x_andpd, "andpd") OR_XMM(x_andnpd, "andnpd") OR_XMM(x_orpd, "orpd") OR_XMM(x_xorpd, "xorpd")
OR_XMM(x_unpcklps, "unpcklps") OR_XMM(x_unpckhps, "unpckhps")
OR_XMM(x_unpcklpd, "unpcklpd") OR_XMM(x_unpckhpd, "unpckhpd")
OR_XMM(x_cvtps2pd, "cvtps2pd") OR_XMM(x_cvtss2sd, "cvtss2sd") OR_XMM(x_cvtpd2ps, "cvtpd2ps")
OR_XMM(x_cvtsd2ss, "cvtsd2ss") OR_XMM(x_cvtdq2ps, "cvtdq2ps") OR_XMM(x_cvtps2dq, "cvtps2dq")
OR_XMM(x_cvttps2dq, "cvttps2dq") OR_XMM(x_cvtdq2pd, "cvtdq2pd") OR_XMM(x_cvtpd2dq, "cvtpd2dq")
OR_XMM(x_cvttpd2dq, "cvttpd2dq")
OR_XMM(x_movaps, "movaps") OR_XMM(x_movups, "movups") OR_XMM(x_movdqa, "movdqa")
OR_XMM(x_movdqu, "movdqu") OR_XMM(x_movss, "movss") OR_XMM(x_movsd, "movsd")
OR_XMM(x_movq, "movq") OR_XMM(x_movhlps, "movhlps") OR_XMM(x_movlhps, "movlhps")
OR_MMX(m_movq, "movq")

OR_XMM_I(x_cmpps, "cmpps") OR_XMM_I(x_cmpss, "cmpss") OR_XMM_I(x_cmppd, "cmppd")
OR_XMM_I(x_cmpsd, "cmpsd") OR_XMM_I(x_shufps, "shufps") OR_XMM_I(x_shufpd, "shufpd")
OR_XMM_I(x_pshufd, "pshufd") OR_XMM_I(x_pshuflw, "pshuflw") OR_XMM_I(x_pshufhw, "pshufhw")
OR_MMX_I(m_pshufw, "pshufw")
OR_MMX_SI(mi_psllw, "psllw") OR_MMX_SI(mi_pslld, "pslld") OR_MMX_SI(mi_psllq, "psllq")
OR_MMX_SI(mi_psrlw, "psrlw") OR_MMX_SI(mi_psrld, "psrld") OR_MMX_SI(mi_psrlq, "psrlq")
OR_MMX_SI(mi_psraw, "psraw") OR_MMX_SI(mi_psrad, "psrad")
OR_XMM_SI(xi_psllw, "psllw") OR_XMM_SI(xi_pslld, "pslld") OR_XMM_SI(xi_psllq, "psllq")
OR_XMM_SI(xi_psrlw, "psrlw") OR_XMM_SI(xi_psrld, "psrld") OR_XMM_SI(xi_psrlq, "psrlq")
OR_XMM_SI(xi_psraw, "psraw") OR_XMM_SI(xi_psrad, "psrad") OR_XMM_SI(xi_pslldq, "pslldq")
OR_XMM_SI(xi_psrldq, "psrldq")

// ---- input generation ----
enum class Gen { Int, F32, F64, Count, I32 };

std::mt19937_64& rng() {
    static std::mt19937_64 r(0x5EED51D);
    return r;
}
u64 rnd() { return rng()(); }

u32 gen_f32() {
    static const u32 special[] = {
        0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000,
        0xFFC00000, 0x7FA00000, 0xFFA00001, 0x00000001, 0x807FFFFF, 0x00400000, 0x7F7FFFFF,
        0xFF7FFFFF, 0x00800000, 0x4F000000, 0xCF000000, 0x4EFFFFFF, 0xCF000001, 0x3F000000,
        0x3FC00000, 0x40200000, 0xC0200000, 0x0DA24260, 0x1E3CE508};
    switch (rnd() % 4) {
    case 0: return static_cast<u32>(rnd());
    case 1: return special[rnd() % (sizeof special / sizeof special[0])];
    default: {
        // Moderate magnitudes, including values near the int32 conversion limits.
        const float scale = std::ldexp(1.0f, static_cast<int>(rnd() % 70) - 35);
        const float f = (static_cast<float>(rnd() % 2000001) / 1000.0f - 1000.0f) * scale;
        u32 u;
        std::memcpy(&u, &f, 4);
        return u;
    }
    }
}

u64 gen_f64() {
    static const u64 special[] = {
        0, 0x8000000000000000ull, 0x3FF0000000000000ull, 0xBFF0000000000000ull,
        0x7FF0000000000000ull, 0xFFF0000000000000ull, 0x7FF8000000000000ull,
        0xFFF8000000000000ull, 0x7FF4000000000000ull, 0x0000000000000001ull,
        0x800FFFFFFFFFFFFFull, 0x7FEFFFFFFFFFFFFFull, 0x0010000000000000ull,
        0x41E0000000000000ull, 0xC1E0000000000000ull, 0x41DFFFFFFFC00000ull,
        0xC1E0000000200000ull, 0x41DFFFFFFFE00000ull, 0x3FE0000000000000ull,
        0x3FF8000000000000ull, 0x4004000000000000ull, 0xC004000000000000ull,
        0x36A0000000000000ull, 0x47EFFFFFE0000000ull, 0x47EFFFFFF0000000ull,
        0x380FFFFFFFFFFFFFull};
    switch (rnd() % 4) {
    case 0: return rnd();
    case 1: return special[rnd() % (sizeof special / sizeof special[0])];
    default: {
        const double scale = std::ldexp(1.0, static_cast<int>(rnd() % 90) - 45);
        const double f = (static_cast<double>(rnd() % 2000000001) / 1e6 - 1000.0) * scale;
        u64 u;
        std::memcpy(&u, &f, 8);
        return u;
    }
    }
}

V gen(Gen g) {
    V v;
    switch (g) {
    case Gen::Int:
    case Gen::I32:
        for (unsigned i = 0; i < 16; ++i) {
            static const u8 edge[] = {0x00, 0xFF, 0x80, 0x7F, 0x01, 0xFE, 0x81};
            v.b[i] = rnd() % 3 == 0 ? edge[rnd() % 7] : static_cast<u8>(rnd());
        }
        if (g == Gen::I32) { // integers to convert: mostly moderate
            for (unsigned i = 0; i < 4; ++i) {
                if (rnd() % 2) {
                    const u32 x = static_cast<u32>(static_cast<i32>(rnd() % 200001) - 100000);
                    std::memcpy(v.b + 4 * i, &x, 4);
                }
            }
        }
        break;
    case Gen::F32:
        for (unsigned i = 0; i < 4; ++i) {
            const u32 x = gen_f32();
            std::memcpy(v.b + 4 * i, &x, 4);
        }
        break;
    case Gen::F64:
        for (unsigned i = 0; i < 2; ++i) {
            const u64 x = gen_f64();
            std::memcpy(v.b + 8 * i, &x, 8);
        }
        break;
    case Gen::Count: {
        static const u64 counts[] = {0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256,
                                     0x100000001ull, 0x8000000000000000ull};
        const u64 c = rnd() % 2 ? counts[rnd() % 18] : rnd() % 80;
        std::memcpy(v.b, &c, 8);
        const u64 h = rnd();
        std::memcpy(v.b + 8, &h, 8);
        break;
    }
    }
    return v;
}

/// The source is sometimes made partly equal to the destination (compares, min/max).
void mix(V& s, const V& d) {
    if (rnd() % 3 == 0) {
        for (unsigned i = 0; i < 16; i += 4) {
            if (rnd() % 2) {
                std::memcpy(s.b + i, d.b + i, 4);
            }
        }
    }
}

// ---- running guest instructions ----
constexpr u32 kCode = 0x1000;
constexpr u32 kData = 0x2000;

struct Machine {
    tests::CpuHarness h{64 * 1024};
    Machine() { init(); }
    void init() {
        std::memset(h.ram, 0, h.ram_size);
        h.flat32_at(kCode);
        h.cpu->s.cr4 |= cpu::kCr4OSFXSR | cpu::kCr4OSXMMEXCPT;
        h.cpu->s.cr0 &= ~(cpu::kCr0EM | cpu::kCr0TS);
        h.cpu->s.cr0 |= cpu::kCr0MP | cpu::kCr0NE;
    }
    cpu::CpuState& s() { return h.cpu->s; }

    /// Decodes and runs one instruction at kCode; returns its Status (faults are not
    /// delivered: h.cpu->fault holds them).
    cpu::Status exec(const std::vector<u8>& bytes) {
        h.poke(kCode, bytes);
        h.cpu->s.rip = kCode;
        cpu::DecodedInsn insn;
        const cpu::DecodeError e =
            cpu::decode(bytes.data(), bytes.size(), cpu::CodeMode::Bits32, insn);
        REQUIRE(e == cpu::DecodeError::None);
        REQUIRE(insn.length == bytes.size());
        h.cpu->next_rip = kCode + insn.length;
        const auto handler = cpu::interp::handler_table().h[static_cast<usize>(insn.id)];
        const cpu::Status st = handler(*h.cpu, insn);
        if (st == cpu::Status::Ok) {
            h.cpu->s.rip = h.cpu->next_rip;
        }
        return st;
    }
    void set_xmm(unsigned r, const V& v) { s().sse.xmm[r] = U128{v.lo(), v.hi()}; }
    V xmm(unsigned r) {
        V v;
        std::memcpy(v.b, &s().sse.xmm[r].lo, 8);
        std::memcpy(v.b + 8, &s().sse.xmm[r].hi, 8);
        return v;
    }
    void set_mm(unsigned r, const V& v) { s().fpu.st[r].mant = v.lo(); }
    V mm(unsigned r) {
        V v;
        std::memcpy(v.b, &s().fpu.st[r].mant, 8);
        return v;
    }
    void poke(u32 pa, const void* p, unsigned n) { std::memcpy(h.ram + pa, p, n); }
};

/// One machine reused by every test (building a PhysMap is the slow part), reset each time.
Machine& fresh() {
    static Machine s_machine;
    s_machine.init();
    return s_machine;
}

std::vector<u8> enc(u8 pfx, u8 opc, u8 modrm, int imm, bool mem) {
    std::vector<u8> b;
    if (pfx) {
        b.push_back(pfx);
    }
    b.push_back(0x0F);
    b.push_back(opc);
    if (mem) {
        b.push_back(static_cast<u8>((modrm & 0x38) | 0x05)); // [disp32]
        for (unsigned i = 0; i < 4; ++i) {
            b.push_back(static_cast<u8>(kData >> (8 * i)));
        }
    } else {
        b.push_back(modrm);
    }
    if (imm >= 0) {
        b.push_back(static_cast<u8>(imm));
    }
    return b;
}

struct Form {
    const char* name;
    u8 pfx;
    u8 opc;
    bool mmx;
    Gen gen;
    unsigned memsize; ///< 0: no memory form
    Oracle oracle;
    int imm = -1;
    u8 modrm = 0xCA; ///< reg 1, rm 2 (shift-by-imm rows override with /n)
    Oracle mem_oracle = nullptr; ///< when the memory form differs (MOVSS/MOVSD/... loads)
};

/// Loads from memory that clear the rest of the register: the result is the (truncated) source.
u32 o_zero_extend(V& d, const V& s, u32) {
    d = s;
    return 0;
}

/// Runs `iters` random cases of a form (register and memory variants, each rounding mode,
/// FTZ/DAZ varied); returns the number of mismatches (reports the first ones).
int run_form(const Form& f, int iters, bool report = true) {
    Machine& m = fresh();
    int bad = 0;
    for (int it = 0; it < iters; ++it) {
        V d = gen(f.gen);
        V s = gen(f.gen);
        if (f.gen != Gen::Count) {
            mix(s, d);
        }
        const bool mem = f.memsize != 0 && it % 2 == 1;
        if (mem) {
            V t;
            std::memcpy(t.b, s.b, f.memsize);
            s = t;
        }
        if (f.mmx) {
            std::memset(d.b + 8, 0, 8);
            std::memset(s.b + 8, 0, 8);
        }
        const u32 csr = 0x1F80u | (static_cast<u32>(it & 3) << 13) |
                        (rnd() % 4 == 0 ? 0x8000u : 0u) | (rnd() % 4 == 0 ? 0x40u : 0u);
        V want = d;
        const u32 want_flags = (mem && f.mem_oracle ? f.mem_oracle : f.oracle)(want, s, csr);

        m.s().sse.mxcsr = csr;
        m.s().fpu.fsw = 0x3800; // TOP = 7: the MMX forms must reset it
        m.s().fpu.ftw = 0xFFFF;
        if (f.mmx) {
            m.set_mm(1, d);
            m.set_mm(2, s);
        } else {
            m.set_xmm(1, d);
            m.set_xmm(2, s);
        }
        if (mem) {
            m.poke(kData, s.b, f.memsize);
        }
        const cpu::Status st = m.exec(enc(f.pfx, f.opc, f.modrm, f.imm, mem));
        const V got = f.mmx ? m.mm(1) : m.xmm(1);
        const u32 got_csr = m.s().sse.mxcsr;
        bool ok = st == cpu::Status::Ok && got == want && got_csr == (csr | want_flags);
        if (f.mmx && ok) {
            ok = m.s().fpu.st[1].sign_exp == 0xFFFF && (m.s().fpu.fsw & 0x3800) == 0 &&
                 m.s().fpu.ftw == 0;
        }
        if (!ok) {
            ++bad;
            if (report && bad <= 3) {
                UNSCOPED_INFO(f.name << (mem ? " mem" : " reg") << " imm=" << f.imm
                                     << " d=" << hex(d) << " s=" << hex(s) << " csr=" << std::hex
                                     << csr << " want " << hex(want) << " flags " << want_flags
                                     << " got " << hex(got) << " csr " << got_csr
                                     << " status " << static_cast<int>(st));
                CHECK(false);
            }
        }
    }
    return bad;
}

constexpr int kIters = 400;

} // namespace

TEST_CASE("packed integer MMX and SSE2 forms match the host", "[simd]") {
    struct Op {
        const char* name;
        u8 opc;
        Oracle mmx;
        Oracle xmm;
        Gen gen = Gen::Int;
        unsigned mmx_mem = 8;
    };
    const Op ops[] = {
        {"punpcklbw", 0x60, m_punpcklbw, x_punpcklbw, Gen::Int, 4},
        {"punpcklwd", 0x61, m_punpcklwd, x_punpcklwd, Gen::Int, 4},
        {"punpckldq", 0x62, m_punpckldq, x_punpckldq, Gen::Int, 4},
        {"packsswb", 0x63, m_packsswb, x_packsswb}, {"pcmpgtb", 0x64, m_pcmpgtb, x_pcmpgtb},
        {"pcmpgtw", 0x65, m_pcmpgtw, x_pcmpgtw}, {"pcmpgtd", 0x66, m_pcmpgtd, x_pcmpgtd},
        {"packuswb", 0x67, m_packuswb, x_packuswb}, {"punpckhbw", 0x68, m_punpckhbw, x_punpckhbw},
        {"punpckhwd", 0x69, m_punpckhwd, x_punpckhwd},
        {"punpckhdq", 0x6A, m_punpckhdq, x_punpckhdq},
        {"packssdw", 0x6B, m_packssdw, x_packssdw}, {"punpcklqdq", 0x6C, nullptr, x_punpcklqdq},
        {"punpckhqdq", 0x6D, nullptr, x_punpckhqdq}, {"pcmpeqb", 0x74, m_pcmpeqb, x_pcmpeqb},
        {"pcmpeqw", 0x75, m_pcmpeqw, x_pcmpeqw}, {"pcmpeqd", 0x76, m_pcmpeqd, x_pcmpeqd},
        {"psrlw", 0xD1, m_psrlw, x_psrlw, Gen::Count},
        {"psrld", 0xD2, m_psrld, x_psrld, Gen::Count},
        {"psrlq", 0xD3, m_psrlq, x_psrlq, Gen::Count}, {"paddq", 0xD4, m_paddq, x_paddq},
        {"pmullw", 0xD5, m_pmullw, x_pmullw}, {"psubusb", 0xD8, m_psubusb, x_psubusb},
        {"psubusw", 0xD9, m_psubusw, x_psubusw}, {"pminub", 0xDA, m_pminub, x_pminub},
        {"pand", 0xDB, m_pand, x_pand}, {"paddusb", 0xDC, m_paddusb, x_paddusb},
        {"paddusw", 0xDD, m_paddusw, x_paddusw}, {"pmaxub", 0xDE, m_pmaxub, x_pmaxub},
        {"pandn", 0xDF, m_pandn, x_pandn}, {"pavgb", 0xE0, m_pavgb, x_pavgb},
        {"psraw", 0xE1, m_psraw, x_psraw, Gen::Count},
        {"psrad", 0xE2, m_psrad, x_psrad, Gen::Count},
        {"pavgw", 0xE3, m_pavgw, x_pavgw}, {"pmulhuw", 0xE4, m_pmulhuw, x_pmulhuw},
        {"pmulhw", 0xE5, m_pmulhw, x_pmulhw}, {"psubsb", 0xE8, m_psubsb, x_psubsb},
        {"psubsw", 0xE9, m_psubsw, x_psubsw}, {"pminsw", 0xEA, m_pminsw, x_pminsw},
        {"por", 0xEB, m_por, x_por}, {"paddsb", 0xEC, m_paddsb, x_paddsb},
        {"paddsw", 0xED, m_paddsw, x_paddsw}, {"pmaxsw", 0xEE, m_pmaxsw, x_pmaxsw},
        {"pxor", 0xEF, m_pxor, x_pxor}, {"psllw", 0xF1, m_psllw, x_psllw, Gen::Count},
        {"pslld", 0xF2, m_pslld, x_pslld, Gen::Count},
        {"psllq", 0xF3, m_psllq, x_psllq, Gen::Count},
        {"pmuludq", 0xF4, m_pmuludq, x_pmuludq}, {"pmaddwd", 0xF5, m_pmaddwd, x_pmaddwd},
        {"psadbw", 0xF6, m_psadbw, x_psadbw}, {"psubb", 0xF8, m_psubb, x_psubb},
        {"psubw", 0xF9, m_psubw, x_psubw}, {"psubd", 0xFA, m_psubd, x_psubd},
        {"psubq", 0xFB, m_psubq, x_psubq}, {"paddb", 0xFC, m_paddb, x_paddb},
        {"paddw", 0xFD, m_paddw, x_paddw}, {"paddd", 0xFE, m_paddd, x_paddd},
    };
    for (const Op& op : ops) {
        if (op.mmx) {
            const Form f{op.name, 0, op.opc, true, op.gen, op.mmx_mem, op.mmx};
            CHECK(run_form(f, kIters) == 0);
        }
        CHECK(run_form(Form{op.name, 0x66, op.opc, false, op.gen, 16, op.xmm}, kIters) == 0);
    }
}

TEST_CASE("shuffles and shifts by immediate match the host", "[simd]") {
#define IMMS(F, ...)                                                                               \
    for (const auto& [imm, fn] : std::initializer_list<std::pair<int, Oracle>>{                    \
             {0x00, F<0x00>}, {0x1B, F<0x1B>}, {0x4E, F<0x4E>}, {0xE4, F<0xE4>}, {0xFF, F<0xFF>},  \
             {0x93, F<0x93>}, {0x39, F<0x39>}, {0xD8, F<0xD8>}, {0x01, F<0x01>}, {0x02, F<0x02>},  \
             {0x03, F<0x03>}}) {                                                                   \
        Form f{__VA_ARGS__};                                                                       \
        f.oracle = fn;                                                                             \
        f.imm = imm;                                                                               \
        CHECK(run_form(f, 100) == 0);                                                              \
    }
    IMMS(m_pshufw, "pshufw", 0, 0x70, true, Gen::Int, 8, nullptr)
    IMMS(x_pshufd, "pshufd", 0x66, 0x70, false, Gen::Int, 16, nullptr)
    IMMS(x_pshufhw, "pshufhw", 0xF3, 0x70, false, Gen::Int, 16, nullptr)
    IMMS(x_pshuflw, "pshuflw", 0xF2, 0x70, false, Gen::Int, 16, nullptr)
    IMMS(x_shufps, "shufps", 0, 0xC6, false, Gen::Int, 16, nullptr)
    IMMS(x_shufpd, "shufpd", 0x66, 0xC6, false, Gen::Int, 16, nullptr)
#undef IMMS
#define SHIFTS(F, ...)                                                                             \
    for (const auto& [imm, fn] : std::initializer_list<std::pair<int, Oracle>>{                    \
             {0, F<0>}, {1, F<1>}, {5, F<5>}, {7, F<7>}, {8, F<8>}, {15, F<15>}, {16, F<16>},      \
             {17, F<17>}, {31, F<31>}, {32, F<32>}, {63, F<63>}, {64, F<64>}, {200, F<200>}}) {    \
        Form f{__VA_ARGS__};                                                                       \
        f.oracle = fn;                                                                             \
        f.imm = imm;                                                                               \
        CHECK(run_form(f, 40) == 0);                                                               \
    }
    // Group rows: the register is rm (mm1/xmm1), the /n selects the operation.
    SHIFTS(mi_psrlw, "psrlw", 0, 0x71, true, Gen::Int, 0, nullptr, -1, 0xD1)
    SHIFTS(mi_psraw, "psraw", 0, 0x71, true, Gen::Int, 0, nullptr, -1, 0xE1)
    SHIFTS(mi_psllw, "psllw", 0, 0x71, true, Gen::Int, 0, nullptr, -1, 0xF1)
    SHIFTS(mi_psrld, "psrld", 0, 0x72, true, Gen::Int, 0, nullptr, -1, 0xD1)
    SHIFTS(mi_psrad, "psrad", 0, 0x72, true, Gen::Int, 0, nullptr, -1, 0xE1)
    SHIFTS(mi_pslld, "pslld", 0, 0x72, true, Gen::Int, 0, nullptr, -1, 0xF1)
    SHIFTS(mi_psrlq, "psrlq", 0, 0x73, true, Gen::Int, 0, nullptr, -1, 0xD1)
    SHIFTS(mi_psllq, "psllq", 0, 0x73, true, Gen::Int, 0, nullptr, -1, 0xF1)
    SHIFTS(xi_psrlw, "psrlw", 0x66, 0x71, false, Gen::Int, 0, nullptr, -1, 0xD1)
    SHIFTS(xi_psraw, "psraw", 0x66, 0x71, false, Gen::Int, 0, nullptr, -1, 0xE1)
    SHIFTS(xi_psllw, "psllw", 0x66, 0x71, false, Gen::Int, 0, nullptr, -1, 0xF1)
    SHIFTS(xi_psrld, "psrld", 0x66, 0x72, false, Gen::Int, 0, nullptr, -1, 0xD1)
    SHIFTS(xi_psrad, "psrad", 0x66, 0x72, false, Gen::Int, 0, nullptr, -1, 0xE1)
    SHIFTS(xi_pslld, "pslld", 0x66, 0x72, false, Gen::Int, 0, nullptr, -1, 0xF1)
    SHIFTS(xi_psrlq, "psrlq", 0x66, 0x73, false, Gen::Int, 0, nullptr, -1, 0xD1)
    SHIFTS(xi_psrldq, "psrldq", 0x66, 0x73, false, Gen::Int, 0, nullptr, -1, 0xD9)
    SHIFTS(xi_psllq, "psllq", 0x66, 0x73, false, Gen::Int, 0, nullptr, -1, 0xF1)
    SHIFTS(xi_pslldq, "pslldq", 0x66, 0x73, false, Gen::Int, 0, nullptr, -1, 0xF9)
#undef SHIFTS
}

TEST_CASE("SSE/SSE2 floating point matches the host in every rounding mode", "[simd]") {
    struct Op {
        const char* name;
        u8 pfx;
        u8 opc;
        Gen gen;
        unsigned mem;
        Oracle o;
        Oracle mem_o = nullptr;
    };
    const Op ops[] = {
#define FP_FORMS(N, OPC)                                                                           \
    {#N "ps", 0, OPC, Gen::F32, 16, x_##N##ps}, {#N "ss", 0xF3, OPC, Gen::F32, 4, x_##N##ss},      \
        {#N "pd", 0x66, OPC, Gen::F64, 16, x_##N##pd}, {#N "sd", 0xF2, OPC, Gen::F64, 8, x_##N##sd},
        FP_FORMS(sqrt, 0x51) FP_FORMS(add, 0x58) FP_FORMS(mul, 0x59) FP_FORMS(sub, 0x5C)
        FP_FORMS(min, 0x5D) FP_FORMS(div, 0x5E) FP_FORMS(max, 0x5F)
#undef FP_FORMS
        {"rsqrtps", 0, 0x52, Gen::F32, 16, x_rsqrtps},
        {"rsqrtss", 0xF3, 0x52, Gen::F32, 4, x_rsqrtss},
        {"rcpps", 0, 0x53, Gen::F32, 16, x_rcpps}, {"rcpss", 0xF3, 0x53, Gen::F32, 4, x_rcpss},
        {"andps", 0, 0x54, Gen::F32, 16, x_andps}, {"andpd", 0x66, 0x54, Gen::F64, 16, x_andpd},
        {"andnps", 0, 0x55, Gen::F32, 16, x_andnps}, {"andnpd", 0x66, 0x55, Gen::F64, 16, x_andnpd},
        {"orps", 0, 0x56, Gen::F32, 16, x_orps}, {"orpd", 0x66, 0x56, Gen::F64, 16, x_orpd},
        {"xorps", 0, 0x57, Gen::F32, 16, x_xorps}, {"xorpd", 0x66, 0x57, Gen::F64, 16, x_xorpd},
        {"unpcklps", 0, 0x14, Gen::F32, 16, x_unpcklps},
        {"unpcklpd", 0x66, 0x14, Gen::F64, 16, x_unpcklpd},
        {"unpckhps", 0, 0x15, Gen::F32, 16, x_unpckhps},
        {"unpckhpd", 0x66, 0x15, Gen::F64, 16, x_unpckhpd},
        {"cvtps2pd", 0, 0x5A, Gen::F32, 8, x_cvtps2pd},
        {"cvtss2sd", 0xF3, 0x5A, Gen::F32, 4, x_cvtss2sd},
        {"cvtpd2ps", 0x66, 0x5A, Gen::F64, 16, x_cvtpd2ps},
        {"cvtsd2ss", 0xF2, 0x5A, Gen::F64, 8, x_cvtsd2ss},
        {"cvtdq2ps", 0, 0x5B, Gen::I32, 16, x_cvtdq2ps},
        {"cvtps2dq", 0x66, 0x5B, Gen::F32, 16, x_cvtps2dq},
        {"cvttps2dq", 0xF3, 0x5B, Gen::F32, 16, x_cvttps2dq},
        {"cvttpd2dq", 0x66, 0xE6, Gen::F64, 16, x_cvttpd2dq},
        {"cvtdq2pd", 0xF3, 0xE6, Gen::I32, 8, x_cvtdq2pd},
        {"cvtpd2dq", 0xF2, 0xE6, Gen::F64, 16, x_cvtpd2dq},
        {"movaps", 0, 0x28, Gen::Int, 16, x_movaps}, {"movups", 0, 0x10, Gen::Int, 16, x_movups},
        {"movdqa", 0x66, 0x6F, Gen::Int, 16, x_movdqa},
        {"movdqu", 0xF3, 0x6F, Gen::Int, 16, x_movdqu},
        {"movss", 0xF3, 0x10, Gen::Int, 4, x_movss, o_zero_extend},
        {"movsd", 0xF2, 0x10, Gen::Int, 8, x_movsd, o_zero_extend},
        {"movq", 0xF3, 0x7E, Gen::Int, 8, x_movq}, {"movhlps", 0, 0x12, Gen::Int, 0, x_movhlps},
        {"movlhps", 0, 0x16, Gen::Int, 0, x_movlhps},
    };
    for (const Op& op : ops) {
        Form f{op.name, op.pfx, op.opc, false, op.gen, op.mem, op.o};
        f.mem_oracle = op.mem_o;
        CHECK(run_form(f, kIters) == 0);
    }
    // MOVQ mm, mm/m64 too.
    CHECK(run_form(Form{"movq mm", 0, 0x6F, true, Gen::Int, 8, m_movq}, kIters) == 0);
}

TEST_CASE("compares with every predicate match the host", "[simd]") {
#define PREDS(F, ...)                                                                              \
    for (const auto& [imm, fn] : std::initializer_list<std::pair<int, Oracle>>{                    \
             {0, F<0>}, {1, F<1>}, {2, F<2>}, {3, F<3>}, {4, F<4>}, {5, F<5>}, {6, F<6>},          \
             {7, F<7>}}) {                                                                         \
        Form f{__VA_ARGS__};                                                                       \
        f.oracle = fn;                                                                             \
        f.imm = imm;                                                                               \
        CHECK(run_form(f, 200) == 0);                                                              \
    }
    PREDS(x_cmpps, "cmpps", 0, 0xC2, false, Gen::F32, 16, nullptr)
    PREDS(x_cmpss, "cmpss", 0xF3, 0xC2, false, Gen::F32, 4, nullptr)
    PREDS(x_cmppd, "cmppd", 0x66, 0xC2, false, Gen::F64, 16, nullptr)
    PREDS(x_cmpsd, "cmpsd", 0xF2, 0xC2, false, Gen::F64, 8, nullptr)
#undef PREDS
}

namespace {

// COMISS/UCOMISS/COMISD/UCOMISD oracle: ZF/PF/CF and the MXCSR flags.
#define OR_COMI(NAME, INSN)                                                                        \
    u32 NAME(const V& d, const V& s, u32 csr, u32& fl) {                                           \
        u32 saved = 0, out = 0;                                                                    \
        u8 z, p, c;                                                                                \
        asm volatile("stmxcsr %[sv]\n\tldmxcsr %[csr]\n\tmovdqu %[d], %%xmm0\n\t"                  \
                     "movdqu %[s], %%xmm1\n\t" INSN " %%xmm1, %%xmm0\n\t"                          \
                     "setz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\tstmxcsr %[out]\n\tldmxcsr %[sv]"      \
                     : [sv] "+m"(saved), [out] "=m"(out), [z] "=q"(z), [p] "=q"(p), [c] "=q"(c)    \
                     : [d] "m"(d.b), [s] "m"(s.b), [csr] "m"(csr) : "xmm0", "xmm1", "cc");         \
        fl = (z ? 0x40u : 0u) | (p ? 0x4u : 0u) | (c ? 0x1u : 0u);                                 \
        return out & 0x3F;                                                                         \
    }
OR_COMI(o_comiss, "comiss") OR_COMI(o_ucomiss, "ucomiss")
OR_COMI(o_comisd, "comisd") OR_COMI(o_ucomisd, "ucomisd")

#define OR_TO_INT(NAME, INSN)                                                                      \
    u32 NAME(const V& s, u32 csr, u32& r) {                                                        \
        u32 saved = 0, out = 0;                                                                    \
        asm volatile("stmxcsr %[sv]\n\tldmxcsr %[csr]\n\tmovdqu %[s], %%xmm1\n\t" INSN             \
                     " %%xmm1, %[r]\n\tstmxcsr %[out]\n\tldmxcsr %[sv]"                            \
                     : [sv] "+m"(saved), [out] "=m"(out), [r] "=r"(r)                              \
                     : [s] "m"(s.b), [csr] "m"(csr) : "xmm1");                                     \
        return out & 0x3F;                                                                         \
    }
OR_TO_INT(o_cvtss2si, "cvtss2si") OR_TO_INT(o_cvttss2si, "cvttss2si")
OR_TO_INT(o_cvtsd2si, "cvtsd2si") OR_TO_INT(o_cvttsd2si, "cvttsd2si")

#define OR_FROM_INT(NAME, INSN)                                                                    \
    u32 NAME(V& d, u32 g, u32 csr) {                                                               \
        u32 saved = 0, out = 0;                                                                    \
        asm volatile("stmxcsr %[sv]\n\tldmxcsr %[csr]\n\tmovdqu %[d], %%xmm0\n\t" INSN             \
                     " %[g], %%xmm0\n\tmovdqu %%xmm0, %[d]\n\tstmxcsr %[out]\n\tldmxcsr %[sv]"     \
                     : [d] "+m"(d.b), [sv] "+m"(saved), [out] "=m"(out)                            \
                     : [g] "r"(g), [csr] "m"(csr) : "xmm0");                                       \
        return out & 0x3F;                                                                         \
    }
OR_FROM_INT(o_cvtsi2ss, "cvtsi2ssl") OR_FROM_INT(o_cvtsi2sd, "cvtsi2sdl")

u32 random_csr(int it) {
    return 0x1F80u | (static_cast<u32>(it & 3) << 13) | (rnd() % 4 == 0 ? 0x8040u : 0u);
}

} // namespace

TEST_CASE("COMISS/UCOMISS/COMISD/UCOMISD set flags like the host", "[simd]") {
    struct Op {
        const char* name;
        u8 pfx, opc;
        Gen gen;
        unsigned mem;
        u32 (*o)(const V&, const V&, u32, u32&);
    };
    const Op ops[] = {{"ucomiss", 0, 0x2E, Gen::F32, 4, o_ucomiss},
    {"comiss", 0, 0x2F, Gen::F32, 4, o_comiss},
                      {"ucomisd", 0x66, 0x2E, Gen::F64, 8, o_ucomisd},
                      {"comisd", 0x66, 0x2F, Gen::F64, 8, o_comisd}};
    for (const Op& op : ops) {
        Machine& m = fresh();
        int bad = 0;
        for (int it = 0; it < kIters; ++it) {
            V d = gen(op.gen), s = gen(op.gen);
            mix(s, d);
            const bool mem = it % 2;
            const u32 csr = random_csr(it);
            u32 want_fl = 0;
            const u32 want = op.o(d, s, csr, want_fl);
            m.s().sse.mxcsr = csr;
            m.set_xmm(1, d);
            m.set_xmm(2, s);
            m.poke(kData, s.b, op.mem);
            cpu::set_flags(m.s(), cpu::kArithFlags, cpu::kArithFlags); // all set before
            const cpu::Status st = m.exec(enc(op.pfx, op.opc, 0xCA, -1, mem));
            const u32 fl = cpu::read_eflags(m.s()) & cpu::kArithFlags;
            if (st != cpu::Status::Ok || fl != want_fl || m.s().sse.mxcsr != (csr | want)) {
                if (++bad <= 3) {
                    UNSCOPED_INFO(op.name << " d=" << hex(d) << " s=" << hex(s) << " fl " << fl
                                          << " want " << want_fl);
                    CHECK(false);
                }
            }
        }
        CHECK(bad == 0);
    }
}

TEST_CASE("GPR conversions give the host's results and integer indefinite", "[simd]") {
    struct Op {
        const char* name;
        u8 pfx, opc;
        Gen gen;
        unsigned mem;
        u32 (*o)(const V&, u32, u32&);
    };
    const Op to_int[] = {{"cvttss2si", 0xF3, 0x2C, Gen::F32, 4, o_cvttss2si},
                         {"cvtss2si", 0xF3, 0x2D, Gen::F32, 4, o_cvtss2si},
                         {"cvttsd2si", 0xF2, 0x2C, Gen::F64, 8, o_cvttsd2si},
                         {"cvtsd2si", 0xF2, 0x2D, Gen::F64, 8, o_cvtsd2si}};
    for (const Op& op : to_int) {
        Machine& m = fresh();
        int bad = 0;
        for (int it = 0; it < kIters; ++it) {
            const V s = gen(op.gen);
            const bool mem = it % 2;
            const u32 csr = random_csr(it);
            u32 want = 0;
            const u32 want_flags = op.o(s, csr, want);
            m.s().sse.mxcsr = csr;
            m.s().gpr[cpu::kRcx] = 0xDEADBEEFCAFEull;
            m.set_xmm(2, s);
            m.poke(kData, s.b, op.mem);
            const cpu::Status st = m.exec(enc(op.pfx, op.opc, 0xCA, -1, mem)); // ecx <- xmm2
            if (st != cpu::Status::Ok || m.s().gpr[cpu::kRcx] != want ||
                m.s().sse.mxcsr != (csr | want_flags)) {
                if (++bad <= 3) {
                    UNSCOPED_INFO(op.name << " s=" << hex(s) << " got " << m.s().gpr[cpu::kRcx]
                                          << " want " << want);
                    CHECK(false);
                }
            }
        }
        CHECK(bad == 0);
    }
    // Integer indefinite on NaN and overflow, explicitly.
    {
        Machine& m = fresh();
        m.set_xmm(2, V{{0x00, 0x00, 0xC0, 0x7F}}); // QNaN single
        REQUIRE(m.exec({0xF3, 0x0F, 0x2C, 0xCA}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == 0x80000000u);
        CHECK((m.s().sse.mxcsr & 1) == 1);
        const double big = 3e9;
        V v;
        std::memcpy(v.b, &big, 8);
        m.set_xmm(2, v);
        REQUIRE(m.exec({0xF2, 0x0F, 0x2D, 0xCA}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == 0x80000000u);
    }
    const struct {
        const char* name;
        u8 pfx;
        u32 (*o)(V&, u32, u32);
    } from_int[] = {{"cvtsi2ss", 0xF3, o_cvtsi2ss}, {"cvtsi2sd", 0xF2, o_cvtsi2sd}};
    for (const auto& op : from_int) {
        Machine& m = fresh();
        int bad = 0;
        for (int it = 0; it < kIters; ++it) {
            V d = gen(Gen::F64);
            const u32 g = it % 3 ? static_cast<u32>(rnd()) : static_cast<u32>(rnd() % 100000);
            const bool mem = it % 2;
            const u32 csr = random_csr(it);
            V want = d;
            const u32 want_flags = op.o(want, g, csr);
            m.s().sse.mxcsr = csr;
            m.set_xmm(1, d);
            m.s().gpr[cpu::kRdx] = g;
            m.poke(kData, &g, 4);
            const cpu::Status st = m.exec(enc(op.pfx, 0x2A, 0xCA, -1, mem)); // xmm1 <- edx
            if (st != cpu::Status::Ok || !(m.xmm(1) == want) ||
                m.s().sse.mxcsr != (csr | want_flags)) {
                if (++bad <= 3) {
                    UNSCOPED_INFO(op.name << " g=" << g << " got " << hex(m.xmm(1)) << " want "
                                          << hex(want));
                    CHECK(false);
                }
            }
        }
        CHECK(bad == 0);
    }
}

TEST_CASE("conversions with MMX operands", "[simd]") {
    Machine& m = fresh();
    int bad = 0;
    for (int it = 0; it < kIters; ++it) {
        const u32 csr = random_csr(it);
        // CVTPI2PS xmm1, mm2 == CVTDQ2PS of the two ints, upper half of xmm1 kept.
        V d = gen(Gen::F32), s = gen(Gen::I32);
        std::memset(s.b + 8, 0, 8);
        V want = s;
        u32 wf = x_cvtdq2ps(want, s, csr);
        std::memcpy(want.b + 8, d.b + 8, 8);
        m.s().sse.mxcsr = csr;
        m.set_xmm(1, d);
        m.set_mm(2, s);
        REQUIRE(m.exec({0x0F, 0x2A, 0xCA}) == cpu::Status::Ok);
        bad += !(m.xmm(1) == want) || m.s().sse.mxcsr != (csr | wf);
        // CVTPI2PD xmm1, mm2.
        want = d;
        wf = x_cvtdq2pd(want, s, csr);
        m.s().sse.mxcsr = csr;
        REQUIRE(m.exec({0x66, 0x0F, 0x2A, 0xCA}) == cpu::Status::Ok);
        bad += !(m.xmm(1) == want) || m.s().sse.mxcsr != (csr | wf);
        // CVT(T)PS2PI mm1, xmm2 and CVT(T)PD2PI mm1, xmm2.
        for (int k = 0; k < 4; ++k) {
            const bool pd = k >= 2;
            V src = gen(pd ? Gen::F64 : Gen::F32);
            if (!pd) {
                std::memset(src.b + 8, 0, 8);
            }
            V w;
            const Oracle oracles[] = {x_cvtps2dq, x_cvttps2dq, x_cvtpd2dq, x_cvttpd2dq};
            const Oracle o = oracles[k];
            wf = o(w, src, csr);
            m.s().sse.mxcsr = csr;
            m.set_xmm(2, src);
            const u8 pfx = pd ? 0x66 : 0;
            const u8 opc = (k & 1) ? 0x2C : 0x2D;
            std::vector<u8> b = {0x0F, opc, 0xCA};
            if (pfx) {
                b.insert(b.begin(), pfx);
            }
            REQUIRE(m.exec(b) == cpu::Status::Ok);
            bad += m.mm(1).lo() != w.lo() || m.s().sse.mxcsr != (csr | wf);
        }
    }
    CHECK(bad == 0);
}

TEST_CASE("PMOVMSKB, MOVMSKPS/PD, PEXTRW, PINSRW, MOVD", "[simd]") {
    Machine& m = fresh();
    for (int it = 0; it < kIters; ++it) {
        const V v = gen(Gen::Int);
        u32 want_b = 0, want_ps = 0, want_pd = 0;
        for (unsigned i = 0; i < 16; ++i) {
            want_b |= u32{static_cast<u32>(v.b[i] >> 7)} << i;
        }
        for (unsigned i = 0; i < 4; ++i) {
            want_ps |= u32{static_cast<u32>(v.b[4 * i + 3] >> 7)} << i;
        }
        want_pd = (v.b[7] >> 7) | ((v.b[15] >> 7) << 1);
        m.set_xmm(2, v);
        m.set_mm(2, v);
        REQUIRE(m.exec({0x66, 0x0F, 0xD7, 0xCA}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == want_b);
        REQUIRE(m.exec({0x0F, 0xD7, 0xCA}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == (want_b & 0xFF));
        REQUIRE(m.exec({0x0F, 0x50, 0xCA}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == want_ps);
        REQUIRE(m.exec({0x66, 0x0F, 0x50, 0xCA}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == want_pd);
        const u8 imm = static_cast<u8>(rnd());
        u16 w;
        std::memcpy(&w, v.b + 2 * (imm & 7), 2);
        REQUIRE(m.exec({0x66, 0x0F, 0xC5, 0xCA, imm}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == w);
        std::memcpy(&w, v.b + 2 * (imm & 3), 2);
        REQUIRE(m.exec({0x0F, 0xC5, 0xCA, imm}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == w);
        // PINSRW xmm1, edx, imm / mm1, edx, imm
        m.s().gpr[cpu::kRdx] = rnd();
        m.set_xmm(1, v);
        REQUIRE(m.exec({0x66, 0x0F, 0xC4, 0xCA, imm}) == cpu::Status::Ok);
        V want = v;
        const u16 dx = static_cast<u16>(m.s().gpr[cpu::kRdx]);
        std::memcpy(want.b + 2 * (imm & 7), &dx, 2);
        CHECK(m.xmm(1) == want);
        // MOVD xmm1, edx zero-extends; MOVD ecx, xmm1 reads it back.
        REQUIRE(m.exec({0x66, 0x0F, 0x6E, 0xCA}) == cpu::Status::Ok);
        CHECK(m.xmm(1).lo() == (m.s().gpr[cpu::kRdx] & 0xFFFFFFFF));
        CHECK(m.xmm(1).hi() == 0);
        REQUIRE(m.exec({0x66, 0x0F, 0x7E, 0xC9}) == cpu::Status::Ok);
        CHECK(m.s().gpr[cpu::kRcx] == (m.s().gpr[cpu::kRdx] & 0xFFFFFFFF));
    }
}

TEST_CASE("stores: MOVAPS/MOVUPS/MOVDQA/MOVQ/MOVSS/MOVSD/MOVLPS/MOVHPS/MOVNT*/MASKMOV", "[simd]") {
    Machine& m = fresh();
    const V v = gen(Gen::Int);
    m.set_xmm(1, v);
    m.set_mm(1, v);
    auto mem = [&](unsigned n) {
        V r;
        std::memcpy(r.b, m.h.ram + kData, n);
        return r;
    };
    auto clear = [&] { std::memset(m.h.ram + kData, 0xCC, 32); };
    struct St {
        std::vector<u8> b;
        unsigned n;
        unsigned from; // byte offset in v
    };
    const std::vector<St> stores = {
        {{0x0F, 0x29, 0x0D}, 16, 0},       {{0x0F, 0x11, 0x0D}, 16, 0},
        {{0x66, 0x0F, 0x7F, 0x0D}, 16, 0}, {{0xF3, 0x0F, 0x7F, 0x0D}, 16, 0},
        {{0x66, 0x0F, 0xE7, 0x0D}, 16, 0}, {{0x0F, 0x2B, 0x0D}, 16, 0},
        {{0xF3, 0x0F, 0x11, 0x0D}, 4, 0},  {{0xF2, 0x0F, 0x11, 0x0D}, 8, 0},
        {{0x0F, 0x13, 0x0D}, 8, 0},        {{0x0F, 0x17, 0x0D}, 8, 8},
        {{0x66, 0x0F, 0xD6, 0x0D}, 8, 0},  {{0x0F, 0x7F, 0x0D}, 8, 0},
        {{0x0F, 0xE7, 0x0D}, 8, 0},        {{0x0F, 0x7E, 0x0D}, 4, 0},
    };
    for (const St& st : stores) {
        clear();
        std::vector<u8> b = st.b;
        for (unsigned i = 0; i < 4; ++i) {
            b.push_back(static_cast<u8>(kData >> (8 * i)));
        }
        REQUIRE(m.exec(b) == cpu::Status::Ok);
        CHECK(std::memcmp(mem(st.n).b, v.b + st.from, st.n) == 0);
        CHECK(m.h.ram[kData + st.n] == 0xCC);
    }
    // MASKMOVDQU xmm1, xmm2 -> DS:[EDI]
    clear();
    V mask = gen(Gen::Int);
    m.set_xmm(2, mask);
    m.s().gpr[cpu::kRdi] = kData;
    REQUIRE(m.exec({0x66, 0x0F, 0xF7, 0xCA}) == cpu::Status::Ok);
    for (unsigned i = 0; i < 16; ++i) {
        CHECK(m.h.ram[kData + i] == ((mask.b[i] & 0x80) ? v.b[i] : 0xCC));
    }
    // MOVSS xmm, xmm merges; MOVSS xmm, m32 zero-extends.
    const V w = gen(Gen::Int);
    m.set_xmm(2, w);
    REQUIRE(m.exec({0xF3, 0x0F, 0x10, 0xCA}) == cpu::Status::Ok);
    V want = v;
    std::memcpy(want.b, w.b, 4);
    CHECK(m.xmm(1) == want);
}

TEST_CASE("SIMD pre-checks: #UD, #NM, #GP alignment, #MF", "[simd]") {
    const std::vector<u8> addps_mem = {0x0F, 0x58, 0x0D, 0x01, 0x20, 0x00, 0x00}; // [0x2001]
    const std::vector<u8> addps_reg = {0x0F, 0x58, 0xCA};
    const std::vector<u8> paddb_mm = {0x0F, 0xFC, 0xCA};
    {
        Machine& m = fresh();
        m.s().cr4 &= ~cpu::kCr4OSFXSR;
        CHECK(m.exec(addps_reg) == cpu::Status::Fault);
        CHECK(m.h.cpu->fault.vector == cpu::kVecUD);
        CHECK(m.exec(paddb_mm) == cpu::Status::Ok); // MMX ignores OSFXSR
    }
    {
        Machine& m = fresh();
        m.s().cr0 |= cpu::kCr0EM;
        CHECK(m.exec(addps_reg) == cpu::Status::Fault);
        CHECK(m.h.cpu->fault.vector == cpu::kVecUD);
        CHECK(m.exec(paddb_mm) == cpu::Status::Fault);
        CHECK(m.h.cpu->fault.vector == cpu::kVecUD);
        CHECK(m.exec({0x0F, 0xAE, 0x05, 0x00, 0x20, 0x00, 0x00}) == cpu::Status::Fault); // fxsave
        CHECK(m.h.cpu->fault.vector == cpu::kVecNM);
        CHECK(m.exec({0x0F, 0xAE, 0xE8}) == cpu::Status::Ok); // lfence ignores CR0
    }
    {
        Machine& m = fresh();
        m.s().cr0 |= cpu::kCr0TS;
        CHECK(m.exec(addps_reg) == cpu::Status::Fault);
        CHECK(m.h.cpu->fault.vector == cpu::kVecNM);
        CHECK(m.exec(paddb_mm) == cpu::Status::Fault);
        CHECK(m.h.cpu->fault.vector == cpu::kVecNM);
    }
    {
        Machine& m = fresh();
        const V before = gen(Gen::F32);
        m.set_xmm(1, before);
        CHECK(m.exec(addps_mem) == cpu::Status::Fault);
        CHECK(m.h.cpu->fault.vector == cpu::kVecGP);
        CHECK(m.xmm(1) == before);
        CHECK(m.exec({0x0F, 0x28, 0x0D, 0x08, 0x20, 0x00, 0x00}) == cpu::Status::Fault); // movaps
        CHECK(m.exec({0x0F, 0x10, 0x0D, 0x01, 0x20, 0x00, 0x00}) == cpu::Status::Ok);    // movups
        CHECK(m.exec({0xF3, 0x0F, 0x58, 0x0D, 0x01, 0x20, 0x00, 0x00}) == cpu::Status::Ok); // addss
        // paddb xmm1, [0x2004]: misaligned
        CHECK(m.exec({0x66, 0x0F, 0xFC, 0x0D, 0x04, 0x20, 0x00, 0x00}) == cpu::Status::Fault);
        CHECK(m.exec({0x0F, 0xFC, 0x0D, 0x04, 0x20, 0x00, 0x00}) == cpu::Status::Ok); // mmx paddb
    }
    {
        Machine& m = fresh();
        m.s().fpu.fsw = 0x0081; // ES + IE pending
        CHECK(m.exec(paddb_mm) == cpu::Status::Fault);
        CHECK(m.h.cpu->fault.vector == cpu::kVecMF);
        CHECK(m.exec(addps_reg) == cpu::Status::Ok); // pure SSE does not look at x87 state
    }
}

TEST_CASE("unmasked SIMD exceptions: #XM or #UD, destination unchanged", "[simd]") {
    Machine& m = fresh();
    const float one = 1.0f, zero = 0.0f;
    V a, b;
    for (unsigned i = 0; i < 4; ++i) {
        std::memcpy(a.b + 4 * i, &one, 4);
        std::memcpy(b.b + 4 * i, &zero, 4);
    }
    m.set_xmm(1, a);
    m.set_xmm(2, b);
    m.s().sse.mxcsr = 0x1F80 & ~(1u << 9); // ZM clear
    CHECK(m.exec({0x0F, 0x5E, 0xCA}) == cpu::Status::Fault); // divps xmm1, xmm2
    CHECK(m.h.cpu->fault.vector == cpu::kVecXM);
    CHECK(m.xmm(1) == a);
    CHECK((m.s().sse.mxcsr & 0x3F) == 0x04); // ZE set, nothing else
    m.s().cr4 &= ~cpu::kCr4OSXMMEXCPT;
    m.s().sse.mxcsr = 0x1F80 & ~(1u << 9);
    CHECK(m.exec({0x0F, 0x5E, 0xCA}) == cpu::Status::Fault);
    CHECK(m.h.cpu->fault.vector == cpu::kVecUD);
    // Masked: the result is written and ZE recorded.
    m.s().sse.mxcsr = 0x1F80;
    CHECK(m.exec({0x0F, 0x5E, 0xCA}) == cpu::Status::Ok);
    CHECK((m.s().sse.mxcsr & 0x3F) == 0x04);
    CHECK(m.xmm(1).lo() == 0x7F8000007F800000ull);
    // Only PE unmasked (1/3 is inexact); OSXMMEXCPT is still clear -> #UD, PE recorded.
    m.s().sse.mxcsr = 0x1F80 & ~(1u << 12);
    const float third = 3.0f;
    for (unsigned i = 0; i < 4; ++i) {
        std::memcpy(b.b + 4 * i, &third, 4);
    }
    m.set_xmm(1, a);
    m.set_xmm(2, b);
    CHECK(m.exec({0x0F, 0x5E, 0xCA}) == cpu::Status::Fault);
    CHECK((m.s().sse.mxcsr & 0x3F) == 0x20);
    CHECK(m.xmm(1) == a);
}

TEST_CASE("LDMXCSR/STMXCSR and reserved bits", "[simd]") {
    Machine& m = fresh();
    u32 v = 0x7F80 | 0x8040 | (2u << 13);
    m.poke(kData, &v, 4);
    REQUIRE(m.exec({0x0F, 0xAE, 0x15, 0x00, 0x20, 0x00, 0x00}) == cpu::Status::Ok);
    CHECK(m.s().sse.mxcsr == v);
    REQUIRE(m.exec({0x0F, 0xAE, 0x1D, 0x04, 0x20, 0x00, 0x00}) == cpu::Status::Ok);
    u32 back;
    std::memcpy(&back, m.h.ram + kData + 4, 4);
    CHECK(back == v);
    v = 0x10000 | 0x1F80;
    m.poke(kData, &v, 4);
    CHECK(m.exec({0x0F, 0xAE, 0x15, 0x00, 0x20, 0x00, 0x00}) == cpu::Status::Fault);
    CHECK(m.h.cpu->fault.vector == cpu::kVecGP);
    CHECK(m.s().sse.mxcsr == (0x7F80u | 0x8040u | (2u << 13)));
}

TEST_CASE("FXSAVE/FXRSTOR layout and round trip", "[simd]") {
    Machine& m = fresh();
    auto& f = m.s().fpu;
    f.fcw = 0x027F;
    f.fsw = static_cast<u16>((3u << 11) | 0x0021); // TOP = 3
    // Physical R3 (ST0) valid, R4 (ST1) zero, R5 special, others empty.
    f.ftw = static_cast<u16>(0xFFFF & ~(3u << 6) & ~(2u << 8) & ~(1u << 10));
    for (unsigned i = 0; i < 8; ++i) {
        f.st[i] = cpu::Float80{0x8000000000000000ull | (u64{i} << 40),
                               static_cast<u16>(0x3FFF + i)};
    }
    f.st[4] = cpu::Float80{0, 0x8000};
    f.st[5] = cpu::Float80{0xC000000000000000ull, 0x7FFF};
    f.fop = 0x5AB;
    f.fip = 0x12345678;
    f.fcs = 0x0008;
    f.fdp = 0x9ABCDEF0;
    f.fds = 0x0010;
    m.s().sse.mxcsr = 0x1F80 | 0x6000 | 0x3;
    V xs[8];
    for (unsigned i = 0; i < 8; ++i) {
        xs[i] = gen(Gen::Int);
        m.set_xmm(i, xs[i]);
    }
    std::memset(m.h.ram + kData, 0xEE, 512);
    REQUIRE(m.exec({0x0F, 0xAE, 0x05, 0x00, 0x20, 0x00, 0x00}) == cpu::Status::Ok);
    const u8* a = m.h.ram + kData;
    auto rd16 = [&](unsigned o) { u16 v; std::memcpy(&v, a + o, 2); return v; };
    auto rd32 = [&](unsigned o) { u32 v; std::memcpy(&v, a + o, 4); return v; };
    auto rd64 = [&](unsigned o) { u64 v; std::memcpy(&v, a + o, 8); return v; };
    CHECK(rd16(0) == 0x027F);
    CHECK(rd16(2) == f.fsw);
    CHECK(a[4] == 0x38); // R3, R4, R5 not empty
    CHECK(rd16(6) == 0x5AB);
    CHECK(rd32(8) == 0x12345678);
    CHECK(rd16(12) == 0x0008);
    CHECK(rd32(16) == 0x9ABCDEF0);
    CHECK(rd16(20) == 0x0010);
    CHECK(rd32(24) == (0x1F80u | 0x6000u | 0x3u));
    CHECK(rd32(28) == 0xFFFF);
    for (unsigned i = 0; i < 8; ++i) { // slot i = ST(i) = physical (3 + i) & 7
        CHECK(rd64(32 + 16 * i) == f.st[(3 + i) & 7].mant);
        CHECK(rd16(40 + 16 * i) == f.st[(3 + i) & 7].sign_exp);
        CHECK(rd64(160 + 16 * i) == xs[i].lo());
        CHECK(rd64(168 + 16 * i) == xs[i].hi());
    }
    CHECK(a[300] == 0xEE); // reserved area untouched

    const cpu::FpuState saved = f;
    f = cpu::FpuState{};
    m.s().sse.mxcsr = 0x1F80;
    for (unsigned i = 0; i < 8; ++i) {
        m.set_xmm(i, V{});
    }
    REQUIRE(m.exec({0x0F, 0xAE, 0x0D, 0x00, 0x20, 0x00, 0x00}) == cpu::Status::Ok);
    CHECK(f.fcw == saved.fcw);
    CHECK(f.fsw == saved.fsw);
    CHECK(f.ftw == saved.ftw); // rebuilt from the abridged tags and the register contents
    CHECK(f.fop == saved.fop);
    CHECK(f.fip == saved.fip);
    CHECK(f.fdp == saved.fdp);
    for (unsigned i = 0; i < 8; ++i) {
        CHECK(f.st[i] == saved.st[i]);
        CHECK(m.xmm(i) == xs[i]);
    }
    CHECK(m.s().sse.mxcsr == (0x1F80u | 0x6000u | 0x3u));

    // Misaligned area -> #GP; reserved MXCSR bits in the image -> #GP, no state change.
    CHECK(m.exec({0x0F, 0xAE, 0x05, 0x08, 0x20, 0x00, 0x00}) == cpu::Status::Fault);
    CHECK(m.h.cpu->fault.vector == cpu::kVecGP);
    const u32 bad = 0x00011F80;
    std::memcpy(m.h.ram + kData + 24, &bad, 4);
    f.fcw = 0x037F;
    CHECK(m.exec({0x0F, 0xAE, 0x0D, 0x00, 0x20, 0x00, 0x00}) == cpu::Status::Fault);
    CHECK(m.h.cpu->fault.vector == cpu::kVecGP);
    CHECK(f.fcw == 0x037F);
}

TEST_CASE("MMX state: aliasing, transition, EMMS, MOVQ2DQ/MOVDQ2Q", "[simd]") {
    Machine& m = fresh();
    m.s().fpu.fsw = 0x2800; // TOP = 5
    m.s().fpu.ftw = 0xFFFF;
    m.s().gpr[cpu::kRdx] = 0x11223344;
    REQUIRE(m.exec({0x0F, 0x6E, 0xDA}) == cpu::Status::Ok); // movd mm3, edx
    CHECK(m.s().fpu.st[3].mant == 0x11223344);
    CHECK(m.s().fpu.st[3].sign_exp == 0xFFFF);
    CHECK((m.s().fpu.fsw & 0x3800) == 0);
    CHECK(m.s().fpu.ftw == 0);
    REQUIRE(m.exec({0xF3, 0x0F, 0xD6, 0xC3}) == cpu::Status::Ok); // movq2dq xmm0, mm3
    CHECK(m.xmm(0).lo() == 0x11223344);
    CHECK(m.xmm(0).hi() == 0);
    m.set_xmm(4, V{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}});
    REQUIRE(m.exec({0xF2, 0x0F, 0xD6, 0xEC}) == cpu::Status::Ok); // movdq2q mm5, xmm4
    CHECK(m.s().fpu.st[5].mant == 0x0807060504030201ull);
    REQUIRE(m.exec({0x0F, 0x77}) == cpu::Status::Ok); // emms
    CHECK(m.s().fpu.ftw == 0xFFFF);
    const u8 no_row[] = {0x0F, 0xD6, 0xC0}; // 0F D6 exists only with 66/F3/F2
    cpu::DecodedInsn insn;
    CHECK(cpu::decode(no_row, sizeof no_row, cpu::CodeMode::Bits32, insn) ==
          cpu::DecodeError::Unknown);
}

TEST_CASE("the comparison harness detects a wrong result", "[simd]") {
    // paddb checked against the host's paddw must mismatch: the oracle harness can fail.
    CHECK(run_form(Form{"paddb-vs-paddw", 0x66, 0xFC, false, Gen::Int, 16, x_paddw}, 50,
                   false) > 0);
    CHECK(run_form(Form{"addsd-vs-addss", 0xF2, 0x58, false, Gen::F64, 8, x_addss}, 50, false) > 0);
}

TEST_CASE("16-byte accesses crossing a page, MOVHPS/MOVLPS loads, MASKMOVQ", "[simd]") {
    Machine& m = fresh();
    V v;
    for (unsigned i = 0; i < 16; ++i) {
        v.b[i] = static_cast<u8>(0xA0 + i);
    }
    // movups xmm1, [0x2FF8] (crosses into the next page); movdqu [0x3FFC], xmm1
    m.poke(0x2FF8, v.b, 16);
    REQUIRE(m.exec({0x0F, 0x10, 0x0D, 0xF8, 0x2F, 0x00, 0x00}) == cpu::Status::Ok);
    CHECK(m.xmm(1) == v);
    REQUIRE(m.exec({0xF3, 0x0F, 0x7F, 0x0D, 0xFC, 0x3F, 0x00, 0x00}) == cpu::Status::Ok);
    CHECK(std::memcmp(m.h.ram + 0x3FFC, v.b, 16) == 0);
    // movhps xmm2, [0x2000] replaces only the high quadword; movlps the low one.
    const V w = gen(Gen::Int);
    m.set_xmm(2, w);
    m.poke(kData, v.b, 8);
    REQUIRE(m.exec({0x0F, 0x16, 0x15, 0x00, 0x20, 0x00, 0x00}) == cpu::Status::Ok);
    CHECK(m.xmm(2).hi() == v.lo());
    CHECK(m.xmm(2).lo() == w.lo());
    REQUIRE(m.exec({0x66, 0x0F, 0x12, 0x15, 0x00, 0x20, 0x00, 0x00}) == cpu::Status::Ok); // movlpd
    CHECK(m.xmm(2).lo() == v.lo());
    // maskmovq mm1, mm2 -> DS:[EDI]
    m.set_mm(1, v);
    V mask;
    mask.b[0] = 0x80;
    mask.b[5] = 0xFF;
    m.set_mm(2, mask);
    m.s().gpr[cpu::kRdi] = kData + 0x40;
    std::memset(m.h.ram + kData + 0x40, 0x11, 8);
    REQUIRE(m.exec({0x0F, 0xF7, 0xCA}) == cpu::Status::Ok);
    for (unsigned i = 0; i < 8; ++i) {
        CHECK(m.h.ram[kData + 0x40 + i] == ((i == 0 || i == 5) ? v.b[i] : 0x11));
    }
    // pinsrw mm1, [mem16], 2
    const u16 x = 0xBEEF;
    m.poke(kData, &x, 2);
    REQUIRE(m.exec({0x0F, 0xC4, 0x0D, 0x00, 0x20, 0x00, 0x00, 0x06}) == cpu::Status::Ok);
    CHECK(((m.mm(1).lo() >> 32) & 0xFFFF) == 0xBEEF);
}
