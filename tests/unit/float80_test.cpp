// SPDX-License-Identifier: MIT
// Oracle test for cpu/softfloat: every float80 operation is run on seeded random operands
// (biased towards zeros, denormals, infinities, NaNs, unsupported encodings, overflow and
// underflow boundaries and rounding ties) both through the library and on the host's own x87
// unit via inline asm, under every FCW rounding/precision setting, and the result bits,
// exception flags and C1 are compared. x86-64 hosts only: the host x87 is the reference.
#include <catch2/catch.hpp>

#include "cpu/softfloat/float80.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#if !defined(__x86_64__)
#error "float80_test uses the host x87 unit as its oracle"
#endif

namespace {

using cpu::Float80;
namespace sf = cpu::sf;

constexpr int kCases = 100000;

// ---- host x87 access ---------------------------------------------------------------------

struct Ld {
    // 16 bytes so fldt/fstpt on the object are always in bounds.
    alignas(16) unsigned char b[16] = {};
};
Ld to_ld(Float80 f) {
    Ld l;
    std::memcpy(l.b, &f.mant, 8);
    std::memcpy(l.b + 8, &f.sign_exp, 2);
    return l;
}
Float80 from_ld(const Ld& l) {
    Float80 f;
    std::memcpy(&f.mant, l.b, 8);
    std::memcpy(&f.sign_exp, l.b + 8, 2);
    return f;
}

u16 fcw_for(int rc, int pc) { return static_cast<u16>(0x007F | (pc << 8) | (rc << 10)); }

// Host sequence framing: switch to the test FCW, clear exceptions, run, capture FSW, restore.
#define PROLOGUE "fnstcw %[old]\n\tfldcw %[cw]\n\tfnclex\n\t"
#define EPILOGUE "\n\tfldcw %[old]"

// Two operands, ST(0) = a, ST(1) = b, result in ST(0) and one more value left to discard.
#define HOST_BIN(name, insn)                                                                                   \
    u16 name(Float80 a, Float80 b, u16 cw, Float80& out) {                                                    \
        Ld A = to_ld(a), B = to_ld(b), R;                                                                      \
        u16 sw = 0, old = 0;                                                                                   \
        asm volatile(PROLOGUE "fldt %[b]\n\tfldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfstp %%st(0)" EPILOGUE \
                     : [r] "=m"(R.b), [sw] "=m"(sw), [old] "+m"(old)                                           \
                     : [a] "m"(A.b), [b] "m"(B.b), [cw] "m"(cw)                                                \
                     : "st", "st(1)", "memory");                                                               \
        out = from_ld(R);                                                                                      \
        return sw;                                                                                             \
    }
// Two operands ST(0) = a, ST(1) = b, instruction pops and leaves one result.
#define HOST_BINPOP(name, insn)                                                                                \
    u16 name(Float80 a, Float80 b, u16 cw, Float80& out) {                                                    \
        Ld A = to_ld(a), B = to_ld(b), R;                                                                      \
        u16 sw = 0, old = 0;                                                                                   \
        asm volatile(PROLOGUE "fldt %[b]\n\tfldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r]" EPILOGUE         \
                     : [r] "=m"(R.b), [sw] "=m"(sw), [old] "+m"(old)                                           \
                     : [a] "m"(A.b), [b] "m"(B.b), [cw] "m"(cw)                                                \
                     : "st", "st(1)", "memory");                                                               \
        out = from_ld(R);                                                                                      \
        return sw;                                                                                             \
    }
// One operand in ST(0); the instruction leaves one result (out) or two (out2 = new ST(0)).
#define HOST_UN(name, insn)                                                                                    \
    u16 name(Float80 a, u16 cw, Float80& out) {                                                               \
        Ld A = to_ld(a), R;                                                                                    \
        u16 sw = 0, old = 0;                                                                                   \
        asm volatile(PROLOGUE "fldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r]" EPILOGUE                     \
                     : [r] "=m"(R.b), [sw] "=m"(sw), [old] "+m"(old)                                           \
                     : [a] "m"(A.b), [cw] "m"(cw)                                                              \
                     : "st", "memory");                                                                        \
        out = from_ld(R);                                                                                      \
        return sw;                                                                                             \
    }
#define HOST_UN2(name, insn)                                                                                   \
    u16 name(Float80 a, u16 cw, Float80& top, Float80& second) {                                              \
        Ld A = to_ld(a), R1, R2;                                                                               \
        u16 sw = 0, old = 0;                                                                                   \
        asm volatile(PROLOGUE "fldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r1]\n\tfstpt %[r2]\n\tfnclex" EPILOGUE \
                     : [r1] "=m"(R1.b), [r2] "=m"(R2.b), [sw] "=m"(sw), [old] "+m"(old)                        \
                     : [a] "m"(A.b), [cw] "m"(cw)                                                              \
                     : "st", "st(1)", "memory");                                                               \
        top = from_ld(R1);                                                                                     \
        second = from_ld(R2);                                                                                  \
        return sw;                                                                                             \
    }

HOST_BIN(host_add, "fadd %%st(1), %%st")
HOST_BIN(host_sub, "fsub %%st(1), %%st")
HOST_BIN(host_mul, "fmul %%st(1), %%st")
HOST_BIN(host_div, "fdiv %%st(1), %%st")
HOST_BIN(host_prem, "fprem")
HOST_BIN(host_prem1, "fprem1")
HOST_BIN(host_scale, "fscale")
HOST_BINPOP(host_fyl2x, "fyl2x")
HOST_BINPOP(host_fyl2xp1, "fyl2xp1")
HOST_BINPOP(host_fpatan, "fpatan")
HOST_UN(host_sqrt, "fsqrt")
HOST_UN(host_rndint, "frndint")
HOST_UN(host_f2xm1, "f2xm1")
HOST_UN(host_fsin, "fsin")
HOST_UN(host_fcos, "fcos")
HOST_UN2(host_xtract, "fxtract")
HOST_UN2(host_fptan, "fptan")
HOST_UN2(host_fsincos, "fsincos")

u16 host_compare(Float80 a, Float80 b, bool signaling) {
    Ld A = to_ld(a), B = to_ld(b);
    u16 sw = 0, old = 0, cw = 0x037F;
    if (signaling) {
        asm volatile(PROLOGUE "fldt %[b]\n\tfldt %[a]\n\tfcompp\n\tfnstsw %[sw]" EPILOGUE
                     : [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [b] "m"(B.b), [cw] "m"(cw) : "st", "st(1)", "memory");
    } else {
        asm volatile(PROLOGUE "fldt %[b]\n\tfldt %[a]\n\tfucompp\n\tfnstsw %[sw]" EPILOGUE
                     : [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [b] "m"(B.b), [cw] "m"(cw) : "st", "st(1)", "memory");
    }
    return sw;
}

template <typename T> u16 host_to_int(Float80 a, u16 cw, T& out) {
    Ld A = to_ld(a);
    u16 sw = 0, old = 0;
    if constexpr (sizeof(T) == 2) {
        asm volatile(PROLOGUE "fldt %[a]\n\tfistps %[r]\n\tfnstsw %[sw]" EPILOGUE
                     : [r] "=m"(out), [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [cw] "m"(cw) : "st", "memory");
    } else if constexpr (sizeof(T) == 4) {
        asm volatile(PROLOGUE "fldt %[a]\n\tfistpl %[r]\n\tfnstsw %[sw]" EPILOGUE
                     : [r] "=m"(out), [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [cw] "m"(cw) : "st", "memory");
    } else {
        asm volatile(PROLOGUE "fldt %[a]\n\tfistpll %[r]\n\tfnstsw %[sw]" EPILOGUE
                     : [r] "=m"(out), [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [cw] "m"(cw) : "st", "memory");
    }
    return sw;
}

u16 host_from_f32(u32 v, Float80& out) {
    Ld R;
    u16 sw = 0, old = 0, cw = 0x037F;
    asm volatile(PROLOGUE "flds %[v]\n\tfnstsw %[sw]\n\tfstpt %[r]" EPILOGUE
                 : [r] "=m"(R.b), [sw] "=m"(sw), [old] "+m"(old) : [v] "m"(v), [cw] "m"(cw) : "st", "memory");
    out = from_ld(R);
    return sw;
}
u16 host_from_f64(u64 v, Float80& out) {
    Ld R;
    u16 sw = 0, old = 0, cw = 0x037F;
    asm volatile(PROLOGUE "fldl %[v]\n\tfnstsw %[sw]\n\tfstpt %[r]" EPILOGUE
                 : [r] "=m"(R.b), [sw] "=m"(sw), [old] "+m"(old) : [v] "m"(v), [cw] "m"(cw) : "st", "memory");
    out = from_ld(R);
    return sw;
}
u16 host_to_f32(Float80 a, u16 cw, u32& out) {
    Ld A = to_ld(a);
    u16 sw = 0, old = 0;
    asm volatile(PROLOGUE "fldt %[a]\n\tfstps %[r]\n\tfnstsw %[sw]" EPILOGUE
                 : [r] "=m"(out), [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [cw] "m"(cw) : "st", "memory");
    return sw;
}
u16 host_to_f64(Float80 a, u16 cw, u64& out) {
    Ld A = to_ld(a);
    u16 sw = 0, old = 0;
    asm volatile(PROLOGUE "fldt %[a]\n\tfstpl %[r]\n\tfnstsw %[sw]" EPILOGUE
                 : [r] "=m"(out), [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [cw] "m"(cw) : "st", "memory");
    return sw;
}
u16 host_from_bcd(const u8 (&bcd)[10], Float80& out) {
    Ld R;
    u16 sw = 0, old = 0, cw = 0x037F;
    asm volatile(PROLOGUE "fbld %[v]\n\tfnstsw %[sw]\n\tfstpt %[r]" EPILOGUE
                 : [r] "=m"(R.b), [sw] "=m"(sw), [old] "+m"(old) : [v] "m"(bcd), [cw] "m"(cw) : "st", "memory");
    out = from_ld(R);
    return sw;
}
u16 host_to_bcd(Float80 a, u16 cw, u8 (&bcd)[10]) {
    Ld A = to_ld(a);
    u16 sw = 0, old = 0;
    asm volatile(PROLOGUE "fldt %[a]\n\tfbstp %[r]\n\tfnstsw %[sw]" EPILOGUE
                 : [r] "=m"(bcd), [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [cw] "m"(cw) : "st", "memory");
    return sw;
}
u16 host_fxam(Float80 a) {
    Ld A = to_ld(a);
    u16 sw = 0, old = 0, cw = 0x037F;
    asm volatile(PROLOGUE "fldt %[a]\n\tfxam\n\tfnstsw %[sw]\n\tfstp %%st(0)" EPILOGUE
                 : [sw] "=m"(sw), [old] "+m"(old) : [a] "m"(A.b), [cw] "m"(cw) : "st", "memory");
    return sw;
}
/// Tag the host assigns on load, read back through FNSTENV's full... (abridged) tag word.
u8 host_tag(Float80 a) {
    Ld A = to_ld(a);
    unsigned char env[28];
    u16 old = 0, cw = 0x037F;
    asm volatile(PROLOGUE "fldt %[a]\n\tfnstenv %[env]\n\tfldcw %[cw]\n\tfstp %%st(0)" EPILOGUE
                 : [env] "=m"(env), [old] "+m"(old) : [a] "m"(A.b), [cw] "m"(cw) : "st", "memory");
    u16 sw, tw;
    std::memcpy(&sw, env + 4, 2);
    std::memcpy(&tw, env + 8, 2);
    const int top = (sw >> 11) & 7;
    return static_cast<u8>((tw >> (2 * top)) & 3);
}

// ---- operand generation ------------------------------------------------------------------

struct Gen {
    std::mt19937_64 rng;
    explicit Gen(u64 seed) : rng(seed) {}
    u64 bits() { return rng(); }
    int range(int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<u64>(hi - lo + 1)); }
    bool coin(int one_in) { return rng() % static_cast<u64>(one_in) == 0; }

    /// Significand with structure: all random, few bits (exact cases, ties), runs of ones.
    u64 mant() {
        switch (rng() % 6) {
        case 0: return (1ull << 63) | (bits() << range(1, 63));
        case 1: return (1ull << 63) | (bits() >> range(1, 63));
        case 2: return ~0ull << range(0, 63);
        case 3: return (1ull << 63) | (1ull << range(0, 62)) | (bits() & (~0ull << range(20, 50)));
        default: return (1ull << 63) | bits();
        }
    }
    /// A finite normal value with unbiased exponent in [lo, hi].
    Float80 normal(int lo, int hi) {
        return Float80{mant(), static_cast<u16>(((bits() & 1) << 15) | (16383 + range(lo, hi)))};
    }
    Float80 special() {
        const u16 s = static_cast<u16>((bits() & 1) << 15);
        switch (rng() % 14) {
        case 0: return Float80{0, s};
        case 1: return Float80{1ull << 63, static_cast<u16>(s | 0x7FFF)};                          // inf
        case 2: return Float80{(3ull << 62) | (bits() >> range(2, 63)), static_cast<u16>(s | 0x7FFF)}; // QNaN
        case 3: return Float80{(1ull << 63) | ((bits() >> 2) | 1), static_cast<u16>(s | 0x7FFF)};    // SNaN
        case 4: return Float80{bits() >> range(1, 63), s};                                           // denormal
        case 5: return Float80{(1ull << 63) | bits(), s};                                            // pseudo-denormal
        case 6: return Float80{bits() >> range(1, 63), static_cast<u16>(s | range(1, 0x7FFE))};      // unnormal
        case 7: return Float80{bits() >> 1, static_cast<u16>(s | 0x7FFF)};                           // pseudo-NaN/inf
        case 8: return Float80{mant(), static_cast<u16>(s | range(0x7FF0, 0x7FFE))};                 // near overflow
        case 9: return Float80{mant(), static_cast<u16>(s | range(1, 80))};                          // near underflow
        case 10: return Float80{1ull << 63, static_cast<u16>(s | 0x3FFF)};                           // +-1
        case 11: return Float80{kIndefiniteMant(), static_cast<u16>(s | 0x7FFF)};
        default: return normal(-70, 70);
        }
    }
    static u64 kIndefiniteMant() { return 0xC000000000000000ull; }
    /// General operand: mostly normal numbers of moderate size, regularly a special.
    Float80 any() {
        const int pick = static_cast<int>(rng() % 10);
        if (pick < 3) return special();
        if (pick < 5) return normal(-16382, 16383);
        return normal(-80, 80);
    }
    /// A second operand related to `a` (close exponent, shared bits) to provoke cancellation,
    /// exact results and rounding ties.
    Float80 near(Float80 a) {
        if (coin(3)) return any();
        Float80 b = a;
        if (coin(2)) b.mant ^= bits() >> range(0, 63);
        b.mant |= (b.sign_exp & 0x7FFF) ? (1ull << 63) : 0;
        const int e = (b.sign_exp & 0x7FFF) + range(-66, 66);
        if (e > 0 && e < 0x7FFF) b.sign_exp = static_cast<u16>((b.sign_exp & 0x8000) | e);
        if (coin(2)) b.sign_exp ^= 0x8000;
        return b;
    }
    u16 cw() {
        static constexpr int kPc[3] = {0, 2, 3};
        return fcw_for(range(0, 3), kPc[rng() % 3]);
    }
};

std::string hex80(Float80 f) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04x:%016llx", f.sign_exp, static_cast<unsigned long long>(f.mant));
    return buf;
}

/// Mismatch bookkeeping: counts and prints the first few disagreements of an operation.
struct Tally {
    const char* op;
    int cases = 0;
    int fails = 0;
    explicit Tally(const char* name) : op(name) {}
    void check(bool ok, const std::string& what) {
        ++cases;
        if (ok) return;
        if (++fails <= 5) std::printf("[%s] mismatch: %s\n", op, what.c_str());
    }
    void report() const { std::printf("%-10s %7d cases, %d mismatches\n", op, cases, fails); }
};

constexpr u16 kFlagMask = 0x3F;
constexpr u16 kC1 = 0x0200;

/// Compares a library result + context against the host result + status word.
bool same(Float80 lib, const sf::Context& c, Float80 host, u16 sw) {
    return lib == host && c.flags == (sw & kFlagMask) && c.c1 == ((sw & kC1) != 0);
}
std::string describe(const char* in, Float80 lib, const sf::Context& c, Float80 host, u16 sw, u16 cw) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s cw=%04x lib=%s fl=%02x c1=%d host=%s fl=%02x c1=%d", in, cw, hex80(lib).c_str(),
                  c.flags, c.c1, hex80(host).c_str(), sw & kFlagMask, (sw & kC1) != 0);
    return buf;
}

using BinLib = Float80 (*)(sf::Context&, Float80, Float80);
using BinHost = u16 (*)(Float80, Float80, u16, Float80&);

void run_binary(const char* name, BinLib lib, BinHost host, u64 seed) {
    Gen g(seed);
    Tally t(name);
    for (int i = 0; i < kCases; ++i) {
        const Float80 a = g.any(), b = g.near(a);
        const u16 cw = g.cw();
        sf::Context c = sf::Context::from_fcw(cw);
        const Float80 r = lib(c, a, b);
        Float80 h;
        const u16 sw = host(a, b, cw, h);
        t.check(same(r, c, h, sw), describe((hex80(a) + " " + hex80(b)).c_str(), r, c, h, sw, cw));
    }
    t.report();
    CHECK(t.fails == 0);
}

/// Distance in units of the last place between two finite values of the same sign.
u64 ulp_distance(Float80 a, Float80 b) {
    if ((a.sign_exp ^ b.sign_exp) & 0x8000) return ~0ull;
    auto key = [](Float80 f) { return (static_cast<unsigned __int128>(f.sign_exp & 0x7FFF) << 63) | (f.mant & ~(1ull << 63)); };
    const unsigned __int128 ka = key(a), kb = key(b);
    const unsigned __int128 d = ka > kb ? ka - kb : kb - ka;
    return d > 1000000 ? ~0ull : static_cast<u64>(d);
}

/// Special-operand transcendental cases: IE/DE/ZE/OE/UE must agree exactly; the value may
/// differ by 1 ulp only when it is a finite non-zero (rounded) result.
bool special_ok(Float80 lib, const sf::Context& c, Float80 host, u16 sw) {
    if (lib == host) return (c.flags & 0x1F) == (sw & 0x1F);
    const bool finite_nonzero = (host.sign_exp & 0x7FFF) != 0x7FFF && host.mant != 0;
    // A 1-ulp difference may differ in PE and UE: host generations differ in rounding a tiny
    // argument's sine (x) or cosine (1) in the directed modes (a 2024 Xeon leaves them as is).
    return finite_nonzero && ulp_distance(lib, host) <= 1 && ((c.flags ^ sw) & 0x1F & ~0x30) == 0;
}

/// Transcendental comparison: exact matches counted, otherwise the ulp gap is recorded.
struct TransTally {
    const char* op;
    int cases = 0, exact = 0, flag_fail = 0;
    u64 max_ulp = 0;
    int printed = 0;
    explicit TransTally(const char* n) : op(n) {}
    void add(const std::string& in, Float80 lib, const sf::Context& c, Float80 host, u16 sw, u16 cw) {
        ++cases;
        if (lib == host && c.flags == (sw & kFlagMask) && c.c1 == ((sw & kC1) != 0)) {
            ++exact;
            return;
        }
        const u64 d = ulp_distance(lib, host);
        // Flags must agree except PE/C1 side effects of a 1-ulp difference.
        if ((c.flags & ~0x20) != (sw & 0x1F)) ++flag_fail;
        if (d > max_ulp) max_ulp = d;
        if (d > 1 && printed++ < 5) std::printf("[%s] %s\n", op, describe(in.c_str(), lib, c, host, sw, cw).c_str());
    }
    void report() const {
        std::printf("%-10s %7d cases, %.4f%% bit-exact, max %llu ulp, %d flag mismatches\n", op, cases,
                    100.0 * exact / cases, static_cast<unsigned long long>(max_ulp), flag_fail);
    }
};

} // namespace

TEST_CASE("float80 basic arithmetic matches host x87", "[softfloat]") {
    run_binary("add", sf::add, host_add, 1);
    run_binary("sub", sf::sub, host_sub, 2);
    run_binary("mul", sf::mul, host_mul, 3);
    run_binary("div", sf::div, host_div, 4);

    Gen g(5);
    Tally t("sqrt");
    for (int i = 0; i < kCases; ++i) {
        Float80 a = g.any();
        if (g.coin(4) == false) a.sign_exp &= 0x7FFF;
        const u16 cw = g.cw();
        sf::Context c = sf::Context::from_fcw(cw);
        const Float80 r = sf::sqrt(c, a);
        Float80 h;
        const u16 sw = host_sqrt(a, cw, h);
        t.check(same(r, c, h, sw), describe(hex80(a).c_str(), r, c, h, sw, cw));
    }
    t.report();
    CHECK(t.fails == 0);

    // Products and quotients straddling the smallest normal, where tininess detection
    // (before vs after rounding) decides UE.
    Tally tb("tiny-edge");
    for (int i = 0; i < kCases / 2; ++i) {
        const Float80 a{(1ull << 63) | (g.bits() >> g.range(1, 63)), static_cast<u16>(g.range(1, 2) | (g.bits() & 0x8000))};
        const Float80 b{~0ull ^ (g.bits() >> g.range(20, 63)), static_cast<u16>(g.coin(2) ? 0x3FFE : 0x3FFF)};
        const u16 cw = g.cw();
        for (int op = 0; op < 2; ++op) {
            sf::Context c = sf::Context::from_fcw(cw);
            Float80 h;
            const Float80 r = op ? sf::div(c, a, b) : sf::mul(c, a, b);
            const u16 sw = op ? host_div(a, b, cw, h) : host_mul(a, b, cw, h);
            tb.check(same(r, c, h, sw), describe((hex80(a) + " " + hex80(b)).c_str(), r, c, h, sw, cw));
        }
    }
    tb.report();
    CHECK(tb.fails == 0);
}

TEST_CASE("float80 remainder, rounding, scale, xtract match host x87", "[softfloat]") {
    Gen g(10);
    Tally tp("fprem"), tp1("fprem1"), tr("frndint"), ts("fscale"), tx("fxtract");
    for (int i = 0; i < kCases; ++i) {
        const Float80 a = g.any();
        Float80 b = g.near(a);
        if (g.coin(3)) b = g.normal(-70, 70);
        if (g.coin(4) && (a.sign_exp & 0x7FFF) > 200 && (a.sign_exp & 0x7FFF) < 0x7F00)
            b.sign_exp = static_cast<u16>((b.sign_exp & 0x8000) | ((a.sign_exp & 0x7FFF) - g.range(0, 140)));
        const u16 cw = g.cw();
        const std::string in = hex80(a) + " " + hex80(b);
        for (int which = 0; which < 2; ++which) {
            sf::Context c = sf::Context::from_fcw(cw);
            const sf::RemResult r = which ? sf::prem1(c, a, b) : sf::prem(c, a, b);
            Float80 h;
            const u16 sw = which ? host_prem1(a, b, cw, h) : host_prem(a, b, cw, h);
            // C0 = Q2, C3 = Q1, C1 = Q0, C2 = incomplete.
            const u16 cc = static_cast<u16>(((r.quotient & 4) ? 0x100 : 0) | ((r.quotient & 2) ? 0x4000 : 0) |
                                            ((r.quotient & 1) ? 0x200 : 0) | (r.incomplete ? 0x400 : 0));
            // A NaN result leaves C0/C2/C3 undefined (the host keeps stale bits): not compared.
            const bool nan_result = (h.sign_exp & 0x7FFF) == 0x7FFF && (h.mant << 1) != 0;
            const bool ok = r.value == h && c.flags == (sw & kFlagMask) && (nan_result || cc == (sw & 0x4700));
            char extra[64];
            std::snprintf(extra, sizeof extra, " cc lib=%04x host=%04x", cc, sw & 0x4700);
            (which ? tp1 : tp).check(ok, describe(in.c_str(), r.value, c, h, sw, cw) + extra);
        }
        {
            sf::Context c = sf::Context::from_fcw(cw);
            const Float80 r = sf::round_to_int(c, a);
            Float80 h;
            const u16 sw = host_rndint(a, cw, h);
            tr.check(same(r, c, h, sw), describe(hex80(a).c_str(), r, c, h, sw, cw));
        }
        {
            Float80 sb = g.coin(2) ? g.normal(-3, 15) : b;
            if (g.coin(3)) sb = sf::from_int(g.range(-33000, 33000));
            sf::Context c = sf::Context::from_fcw(cw);
            const Float80 r = sf::scale(c, a, sb);
            Float80 h;
            const u16 sw = host_scale(a, sb, cw, h);
            ts.check(same(r, c, h, sw), describe((hex80(a) + " " + hex80(sb)).c_str(), r, c, h, sw, cw));
        }
        {
            sf::Context c = sf::Context::from_fcw(cw);
            const sf::XtractResult r = sf::xtract(c, a);
            Float80 hs, he;
            const u16 sw = host_xtract(a, cw, hs, he);
            const bool ok = r.significand == hs && r.exponent == he && c.flags == (sw & kFlagMask);
            tx.check(ok, hex80(a) + " lib " + hex80(r.significand) + " " + hex80(r.exponent) + " host " + hex80(hs) +
                             " " + hex80(he));
        }
    }
    for (const Tally* t : {&tp, &tp1, &tr, &ts, &tx}) {
        t->report();
        CHECK(t->fails == 0);
    }
}

TEST_CASE("float80 compare and classification match host x87", "[softfloat]") {
    Gen g(20);
    Tally tc("fcom"), tu("fucom"), tx("fxam"), tt("tag");
    for (int i = 0; i < kCases; ++i) {
        const Float80 a = g.any();
        Float80 b = g.coin(4) ? a : g.near(a);
        if (g.coin(8)) b.sign_exp ^= 0x8000;
        for (int sig = 0; sig < 2; ++sig) {
            sf::Context c;
            const sf::Ordering o = sf::compare(c, a, b, sig != 0);
            const u16 sw = host_compare(a, b, sig != 0);
            static constexpr u16 kCc[4] = {0x0100, 0x4000, 0x0000, 0x4500}; // less, equal, greater, unordered
            const u16 cc = kCc[static_cast<int>(o)];
            const bool ok = cc == (sw & 0x4500) && c.flags == (sw & kFlagMask);
            char buf[160];
            std::snprintf(buf, sizeof buf, "%s %s cc lib=%04x fl=%02x host=%04x fl=%02x", hex80(a).c_str(), hex80(b).c_str(),
                          cc, c.flags, sw & 0x4500, sw & kFlagMask);
            (sig ? tc : tu).check(ok, buf);
        }
        const u16 xl = sf::fxam(a, false), xh = host_fxam(a) & 0x4700;
        tx.check(xl == xh, hex80(a) + " fxam lib " + std::to_string(xl) + " host " + std::to_string(xh));
        const u8 tl = sf::tag(a), th = host_tag(a);
        tt.check(tl == th, hex80(a) + " tag lib " + std::to_string(tl) + " host " + std::to_string(th));
    }
    for (const Tally* t : {&tc, &tu, &tx, &tt}) {
        t->report();
        CHECK(t->fails == 0);
    }
}

TEST_CASE("float80 integer and BCD conversions match host x87", "[softfloat]") {
    Gen g(30);
    Tally t16("fist16"), t32("fist32"), t64("fist64"), tfi("fild"), tbl("fbld"), tbs("fbstp");
    for (int i = 0; i < kCases; ++i) {
        const u16 cw = g.cw();
        const int width = 16 << (i % 3); // 16, 32, 64
        Float80 a = g.coin(5) ? g.any() : g.normal(-3, width);
        if (g.coin(6)) a.mant = ~0ull << std::clamp(64 - width + g.range(-2, 2), 0, 63); // boundary magnitudes
        {
            sf::Context c = sf::Context::from_fcw(cw);
            bool ok;
            std::string res;
            if (width == 16) {
                i16 h = 0;
                const u16 sw = host_to_int(a, cw, h);
                const i16 r = sf::to_i16(c, a);
                ok = r == h && c.flags == (sw & kFlagMask) && c.c1 == ((sw & kC1) != 0);
                res = std::to_string(r) + " host " + std::to_string(h) + " sw " + std::to_string(sw & 0x23f);
            } else if (width == 32) {
                i32 h = 0;
                const u16 sw = host_to_int(a, cw, h);
                const i32 r = sf::to_i32(c, a);
                ok = r == h && c.flags == (sw & kFlagMask) && c.c1 == ((sw & kC1) != 0);
                res = std::to_string(r) + " host " + std::to_string(h) + " sw " + std::to_string(sw & 0x23f);
            } else {
                i64 h = 0;
                const u16 sw = host_to_int(a, cw, h);
                const i64 r = sf::to_i64(c, a);
                ok = r == h && c.flags == (sw & kFlagMask) && c.c1 == ((sw & kC1) != 0);
                res = std::to_string(r) + " host " + std::to_string(h) + " sw " + std::to_string(sw & 0x23f);
            }
            (width == 16 ? t16 : width == 32 ? t32 : t64)
                .check(ok, hex80(a) + " cw " + std::to_string(cw) + " lib " + res + " fl " + std::to_string(c.flags));
        }
        {
            // FILD: compare against the host loading the same integer.
            const i64 v = static_cast<i64>(g.bits() >> g.range(0, 63)) * (g.coin(2) ? -1 : 1);
            Ld R;
            asm volatile("fildll %[v]\n\tfstpt %[r]" : [r] "=m"(R.b) : [v] "m"(v) : "st", "memory");
            tfi.check(sf::from_int(v) == from_ld(R), std::to_string(v));
        }
        {
            u8 bcd[10];
            for (int k = 0; k < 9; ++k) bcd[k] = static_cast<u8>((g.range(0, 9) << 4) | g.range(0, 9));
            if (g.coin(5)) for (int k = g.range(0, 9); k < 9; ++k) bcd[k] = 0;
            bcd[9] = g.coin(2) ? 0x80 : 0;
            Float80 h;
            host_from_bcd(bcd, h);
            const Float80 r = sf::from_bcd(bcd);
            tbl.check(r == h, hex80(r) + " host " + hex80(h));
        }
        {
            Float80 x = g.coin(4) ? g.any() : g.normal(-2, 60);
            sf::Context c = sf::Context::from_fcw(cw);
            u8 lb[10] = {}, hb[10] = {};
            sf::to_bcd(c, x, lb);
            const u16 sw = host_to_bcd(x, cw, hb);
            const bool ok = std::memcmp(lb, hb, 10) == 0 && c.flags == (sw & kFlagMask) && c.c1 == ((sw & kC1) != 0);
            char buf[128];
            std::snprintf(buf, sizeof buf, " lib %02x%02x..%02x fl %02x c1 %d host %02x%02x..%02x sw %04x", lb[9], lb[8],
                          lb[0], c.flags, c.c1, hb[9], hb[8], hb[0], sw);
            tbs.check(ok, hex80(x) + buf);
        }
    }
    for (const Tally* t : {&t16, &t32, &t64, &tfi, &tbl, &tbs}) {
        t->report();
        CHECK(t->fails == 0);
    }
}

TEST_CASE("float80 binary32/binary64 conversions match host x87", "[softfloat]") {
    Gen g(40);
    Tally tl32("fld32"), tl64("fld64"), ts32("fst32"), ts64("fst64");
    for (int i = 0; i < kCases; ++i) {
        const u16 cw = g.cw();
        {
            u32 v = static_cast<u32>(g.bits());
            if (g.coin(4)) v &= 0x807FFFFF;                  // denormals and zeros
            if (g.coin(8)) v |= 0x7F800000;                  // inf/NaN
            sf::Context c;
            const Float80 r = sf::from_f32(c, v);
            Float80 h;
            const u16 sw = host_from_f32(v, h);
            tl32.check(r == h && c.flags == (sw & kFlagMask), describe(std::to_string(v).c_str(), r, c, h, sw, 0x37f));
        }
        {
            u64 v = g.bits();
            if (g.coin(4)) v &= 0x800FFFFFFFFFFFFFull;
            if (g.coin(8)) v |= 0x7FF0000000000000ull;
            sf::Context c;
            const Float80 r = sf::from_f64(c, v);
            Float80 h;
            const u16 sw = host_from_f64(v, h);
            tl64.check(r == h && c.flags == (sw & kFlagMask), describe(std::to_string(v).c_str(), r, c, h, sw, 0x37f));
        }
        {
            Float80 a = g.coin(4) ? g.any() : g.normal(-155, 130);
            sf::Context c = sf::Context::from_fcw(cw);
            const u32 r = sf::to_f32(c, a);
            u32 h = 0;
            const u16 sw = host_to_f32(a, cw, h);
            char buf[128];
            std::snprintf(buf, sizeof buf, " cw %04x lib %08x fl %02x c1 %d host %08x sw %04x", cw, r, c.flags, c.c1, h, sw);
            ts32.check(r == h && c.flags == (sw & kFlagMask) && c.c1 == ((sw & kC1) != 0), hex80(a) + buf);
        }
        {
            Float80 a = g.coin(4) ? g.any() : g.normal(-1080, 1030);
            sf::Context c = sf::Context::from_fcw(cw);
            const u64 r = sf::to_f64(c, a);
            u64 h = 0;
            const u16 sw = host_to_f64(a, cw, h);
            char buf[128];
            std::snprintf(buf, sizeof buf, " cw %04x lib %016llx fl %02x c1 %d host %016llx sw %04x", cw,
                          static_cast<unsigned long long>(r), c.flags, c.c1, static_cast<unsigned long long>(h), sw);
            ts64.check(r == h && c.flags == (sw & kFlagMask) && c.c1 == ((sw & kC1) != 0), hex80(a) + buf);
        }
    }
    for (const Tally* t : {&tl32, &tl64, &ts32, &ts64}) {
        t->report();
        CHECK(t->fails == 0);
    }
}

TEST_CASE("float80 transcendentals track host x87", "[softfloat]") {
    // Specials (NaN, inf, zero, unsupported) must match exactly; normal-range operands are
    // scored by bit-exact rate and ulp distance.
    Gen g(50);
    TransTally t2("f2xm1"), tl("fyl2x"), tlp("fyl2xp1"), ta("fpatan"), ts("fsin"), tc("fcos"), tt("fptan"), tsc("fsincos");
    Tally special("trans-spec");
    const int n = kCases;
    for (int i = 0; i < n; ++i) {
        const u16 cw = fcw_for(g.range(0, 3), 3);
        const bool spec = g.coin(10);
        {
            Float80 x = spec ? g.special() : g.normal(-70, -1);
            if (!spec && g.coin(8)) x = Float80{1ull << 63, static_cast<u16>((x.sign_exp & 0x8000) | 0x3FFF)};
            sf::Context c = sf::Context::from_fcw(cw);
            const Float80 r = sf::f2xm1(c, x);
            Float80 h;
            const u16 sw = host_f2xm1(x, cw, h);
            if (spec) { // includes |x| > 1, which the hardware returns unchanged
                special.check(special_ok(r, c, h, sw), "f2xm1 " + describe(hex80(x).c_str(), r, c, h, sw, cw));
            } else {
                t2.add(hex80(x), r, c, h, sw, cw);
            }
        }
        {
            Float80 x = spec ? g.special() : g.normal(-200, 200), y = spec ? g.special() : g.normal(-30, 30);
            if (!spec) x.sign_exp &= 0x7FFF;
            if (!spec && g.coin(4)) x.sign_exp = static_cast<u16>(0x3FFE + g.range(0, 1));
            sf::Context c = sf::Context::from_fcw(cw);
            const Float80 r = sf::fyl2x(c, x, y);
            Float80 h;
            const u16 sw = host_fyl2x(x, y, cw, h);
            if (spec) special.check(special_ok(r, c, h, sw), "fyl2x " + describe((hex80(x) + " " + hex80(y)).c_str(), r, c, h, sw, cw));
            else tl.add(hex80(x) + " " + hex80(y), r, c, h, sw, cw);
        }
        {
            Float80 x = spec ? g.special() : g.normal(-70, -3), y = spec ? g.special() : g.normal(-30, 30);
            sf::Context c = sf::Context::from_fcw(cw);
            const Float80 r = sf::fyl2xp1(c, x, y);
            Float80 h;
            const u16 sw = host_fyl2xp1(x, y, cw, h);
            if (spec && (x.sign_exp & 0x7FFF) >= 0x3FFD && (x.sign_exp & 0x7FFF) < 0x7FFF) {
                // |x| beyond 1 - sqrt(2)/2 is outside the documented domain
            } else if (spec) {
                special.check(special_ok(r, c, h, sw), "fyl2xp1 " + describe((hex80(x) + " " + hex80(y)).c_str(), r, c, h, sw, cw));
            } else {
                tlp.add(hex80(x) + " " + hex80(y), r, c, h, sw, cw);
            }
        }
        {
            Float80 x = spec ? g.special() : g.normal(-100, 100), y = spec ? g.special() : g.normal(-100, 100);
            sf::Context c = sf::Context::from_fcw(cw);
            const Float80 r = sf::fpatan(c, x, y);
            Float80 h;
            const u16 sw = host_fpatan(x, y, cw, h);
            if (spec) special.check(special_ok(r, c, h, sw), "fpatan " + describe((hex80(x) + " " + hex80(y)).c_str(), r, c, h, sw, cw));
            else ta.add(hex80(x) + " " + hex80(y), r, c, h, sw, cw);
        }
        {
            Float80 x = spec ? g.special() : (g.coin(3) ? g.normal(-70, 62) : g.normal(-8, 8));
            for (int op = 0; op < 4; ++op) {
                sf::Context c = sf::Context::from_fcw(cw);
                Float80 r, h, r2, h2;
                u16 sw;
                bool oor;
                if (op == 0) {
                    const sf::TrigResult t = sf::fsin(c, x);
                    r = t.value;
                    oor = t.out_of_range;
                    sw = host_fsin(x, cw, h);
                } else if (op == 1) {
                    const sf::TrigResult t = sf::fcos(c, x);
                    r = t.value;
                    oor = t.out_of_range;
                    sw = host_fcos(x, cw, h);
                } else if (op == 2) {
                    const sf::TrigResult t = sf::fptan(c, x);
                    r = t.value;
                    oor = t.out_of_range;
                    Float80 one;
                    sw = host_fptan(x, cw, one, h);
                    if (sw & 0x400) h = one; // C2: nothing pushed, operand left in ST(0)
                } else {
                    const sf::SinCosResult t = sf::fsincos(c, x);
                    r = t.cos;
                    r2 = t.sin;
                    oor = t.out_of_range;
                    sw = host_fsincos(x, cw, h, h2);
                    if (sw & 0x400) h = h2 = x;
                    if (oor) r = r2 = x;
                }
                const bool c2 = (sw & 0x400) != 0;
                TransTally& tally = op == 0 ? ts : op == 1 ? tc : op == 2 ? tt : tsc;
                if (spec || oor || c2) {
                    special.check(oor == c2 && special_ok(r, c, h, sw) && (op != 3 || ulp_distance(r2, h2) <= 1 || r2 == h2),
                                  "trig " + std::to_string(op) + " " + describe(hex80(x).c_str(), r, c, h, sw, cw));
                } else {
                    tally.add(hex80(x), r, c, h, sw, cw);
                    if (op == 3) {
                        sf::Context c2x = sf::Context::from_fcw(cw);
                        const Float80 s = sf::fsin(c2x, x).value;
                        if (s != h2) tally.max_ulp = std::max(tally.max_ulp, ulp_distance(s, h2));
                    }
                }
            }
        }
    }
    special.report();
    CHECK(special.fails == 0);
    for (const TransTally* t : {&t2, &tl, &tlp, &ta, &ts, &tc, &tt, &tsc}) {
        t->report();
        CHECK(t->max_ulp <= 1);
        // The host is not correctly rounded, and how it rounds differs by generation (see
        // README for the measured rates: 90-99% bit-exact on the hosts of 2025, 62-91% on a
        // 2024 Xeon); the bound is within 1 ulp, this floor catches a systematic offset.
        CHECK(t->exact >= t->cases * 0.50);
    }
}
