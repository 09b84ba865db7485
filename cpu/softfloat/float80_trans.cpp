// SPDX-License-Identifier: MIT
// x87 transcendental instructions (F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS, FPTAN).
// They are evaluated in a private 128-bit-significand floating format (about 2^-124 relative
// error per step, integer arithmetic only) and then rounded once to 64 bits with the context
// rounding mode, so results are the correctly rounded value in all but astronomically rare
// cases. Trigonometric argument reduction deliberately uses the same 66-bit approximation of
// pi/2 as the hardware, which is what makes large-argument results match real x87 units.
#include "cpu/softfloat/float80_internal.h"

#include <utility>

namespace cpu::sf {

using namespace detail;

namespace {

/// Working value: m * 2^(e - 127), m normalised (bit 127 set) unless the value is zero.
struct F {
    bool s = false;
    int e = 0;
    u128 m = 0;
};

constexpr u128 mk128(u64 hi, u64 lo) { return (static_cast<u128>(hi) << 64) | lo; }

// Constants rounded to 128 bits.
constexpr F kLn2{false, -1, mk128(0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull)};
constexpr F kLog2e{false, 0, mk128(0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e89ull)};
constexpr F kPi{false, 1, mk128(0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull)};
constexpr F kPiOver2{false, 0, kPi.m};
constexpr F kPiOver4{false, -1, kPi.m};
/// The hardware's pi/2 for FSIN/FCOS/FPTAN reduction: 66 bits, value kPio2Hw * 2^-65.
constexpr u128 kPio2Hw = (static_cast<u128>(0xc90fdaa22168c234ull) << 2) | 3;

F fnorm(bool s, int e, u128 m) {
    if (m == 0) return F{s, 0, 0};
    const int lz = clz128(m);
    return F{s, e - lz, m << lz};
}
F from80(Float80 a) {
    const Unpacked u = unpack(a);
    return F{u.sign, u.exp, static_cast<u128>(u.mant) << 64};
}
F from_u64(u64 v) { return fnorm(false, 127, v); }
F fneg(F a) {
    a.s = !a.s;
    return a;
}
F fscale2(F a, int n) {
    if (a.m) a.e += n;
    return a;
}

F fmul(F a, F b) {
    if (!a.m || !b.m) return F{a.s != b.s, 0, 0};
    const u64 a1 = static_cast<u64>(a.m >> 64), a0 = static_cast<u64>(a.m);
    const u64 b1 = static_cast<u64>(b.m >> 64), b0 = static_cast<u64>(b.m);
    const u128 p00 = static_cast<u128>(a0) * b0, p01 = static_cast<u128>(a0) * b1;
    const u128 p10 = static_cast<u128>(a1) * b0, p11 = static_cast<u128>(a1) * b1;
    const u128 mid = (p00 >> 64) + static_cast<u64>(p01) + static_cast<u64>(p10);
    const u128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    return fnorm(a.s != b.s, a.e + b.e + 1, hi);
}

F fadd(F a, F b) {
    if (!a.m) return b;
    if (!b.m) return a;
    if (a.e < b.e || (a.e == b.e && a.m < b.m)) std::swap(a, b);
    const int d = a.e - b.e;
    const u128 am = a.m >> 1;
    // Jamming keeps the direction of a vanishing addend (x - tiny rounds below x).
    const u128 bm = shr_jam(b.m, d + 1);
    return fnorm(a.s, a.e + 1, a.s == b.s ? am + bm : am - bm);
}
F fsub(F a, F b) { return fadd(a, fneg(b)); }

/// Restoring long division, 128 quotient bits.
F fdiv(F a, F b) {
    if (!a.m) return F{a.s != b.s, 0, 0};
    u128 r = a.m;
    const u128 d = b.m;
    u128 q = 0;
    if (r >= d) {
        r -= d;
        q = 1;
    }
    for (int i = 1; i < 128; ++i) {
        const bool carry = (r >> 127) != 0;
        r <<= 1;
        q <<= 1;
        if (carry || r >= d) {
            r -= d;
            q |= 1;
        }
    }
    return fnorm(a.s != b.s, a.e - b.e, q);
}

/// Division by a small positive integer (series coefficients).
F fdiv_small(F a, u64 k) {
    if (!a.m) return a;
    const u128 q1 = a.m / k;
    const u64 r = static_cast<u64>(a.m % k);
    const u64 q2 = static_cast<u64>((static_cast<u128>(r) << 64) / k);
    const int lz = clz128(q1); // q1 >= 2^63, so lz <= 64
    const u128 m = lz == 0 ? q1 : (q1 << lz) | (static_cast<u128>(q2) >> (64 - lz));
    return F{a.s, a.e - lz, m};
}

F fsqrt(F a) {
    if (!a.m) return a;
    // 64-bit exact integer root as the seed, then one Newton step doubles the precision.
    const bool odd = (a.e & 1) != 0;
    const u128 n = odd ? a.m : a.m >> 1;
    const int e2 = odd ? a.e - 127 : a.e - 126; // value = n * 2^e2, e2 even
    u128 rem;
    const u64 root = isqrt128(n, rem);
    const F y = fnorm(false, e2 / 2 + 127, root);
    return fscale2(fadd(y, fdiv(a, y)), -1);
}

/// Rounds a working value that is known to be irrational (never exact) to 64 bits.
Float80 round_inexact(Context& ctx, F v) {
    if (!v.m) return make_zero(v.s);
    return round_pack(ctx, v.s, v.e - 127, v.m | 1, 64);
}
/// Rounds a working value that may be exact (only the computed bits count).
Float80 round_exact(Context& ctx, F v) {
    if (!v.m) return make_zero(v.s);
    return round_pack(ctx, v.s, v.e - 127, v.m, 64);
}

/// A term this far below the sum no longer reaches the 128-bit working significand.
constexpr int kSeriesCut = 126;

/// e^y - 1 by Taylor series (|y| <= ~0.7).
F expm1_series(F y) {
    F sum = y, term = y;
    for (u64 k = 2; k < 80; ++k) {
        term = fdiv_small(fmul(term, y), k);
        // The first term below the working precision is still added (as a jammed bit) so the
        // rounding direction is right; later ones would only cancel it.
        const bool last = !term.m || term.e < sum.e - kSeriesCut;
        sum = fadd(sum, term);
        if (last) break;
    }
    return sum;
}

/// 2*atanh(z) = ln((1+z)/(1-z)) by its odd series (|z| <= ~0.2).
F ln_atanh_series(F z) {
    const F z2 = fmul(z, z);
    F sum = z, pow = z;
    for (u64 k = 3; k < 400; k += 2) {
        pow = fmul(pow, z2);
        const F term = fdiv_small(pow, k);
        // The first term below the working precision is still added (as a jammed bit) so the
        // rounding direction is right; later ones would only cancel it.
        const bool last = !term.m || term.e < sum.e - kSeriesCut;
        sum = fadd(sum, term);
        if (last) break;
    }
    return fscale2(sum, 1);
}

/// Natural log of a positive finite value.
F ln_of(F x) {
    // x = m * 2^k with m in [sqrt(1/2), sqrt(2)) keeps z = (m-1)/(m+1) small.
    int k = x.e;
    F m{false, 0, x.m};
    constexpr u128 kSqrt2 = mk128(0xb504f333f9de6484ull, 0x597d89b3754abe9full);
    if (m.m > kSqrt2) {
        m.e = -1;
        ++k;
    }
    const F one = from_u64(1);
    const F lm = ln_atanh_series(fdiv(fsub(m, one), fadd(m, one)));
    if (k == 0) return lm;
    const F kf = k < 0 ? fneg(from_u64(static_cast<u64>(-k))) : from_u64(static_cast<u64>(k));
    return fadd(fmul(kf, kLn2), lm);
}

/// atan(t) for 0 <= t <= 1.
F atan_small(F t) {
    // Three argument halvings, atan(t) = 2 atan(t / (1 + sqrt(1 + t^2))), bring t below 0.1.
    const F one = from_u64(1);
    for (int i = 0; i < 3; ++i) t = fdiv(t, fadd(one, fsqrt(fadd(one, fmul(t, t)))));
    const F t2 = fmul(t, t);
    F sum = t, pow = t;
    for (u64 k = 3; k < 400; k += 2) {
        pow = fmul(pow, t2);
        F term = fdiv_small(pow, k);
        if (k & 2) term = fneg(term);
        // The first term below the working precision is still added (as a jammed bit) so the
        // rounding direction is right; later ones would only cancel it.
        const bool last = !term.m || term.e < sum.e - kSeriesCut;
        sum = fadd(sum, term);
        if (last) break;
    }
    return fscale2(sum, 3);
}

/// sin and cos of |r| <= ~pi/4.
void sincos_series(F r, F& s, F& c) {
    const F r2 = fmul(r, r);
    s = r;
    F term = r;
    for (u64 k = 2; k < 80; k += 2) {
        term = fneg(fdiv_small(fmul(term, r2), k * (k + 1)));
        // The first term below the working precision is still added (as a jammed bit) so the
        // rounding direction is right; later ones would only cancel it.
        const bool last = !term.m || term.e < s.e - kSeriesCut;
        s = fadd(s, term);
        if (last) break;
    }
    c = from_u64(1);
    term = c;
    for (u64 k = 1; k < 80; k += 2) {
        term = fneg(fdiv_small(fmul(term, r2), k * (k + 1)));
        // The first term below the working precision is still added (as a jammed bit) so the
        // rounding direction is right; later ones would only cancel it.
        const bool last = !term.m || term.e < c.e - kSeriesCut;
        c = fadd(c, term);
        if (last) break;
    }
}

/// NaN/unsupported screening for the two-operand transcendentals. `raise_de` = false defers
/// the denormal-operand flag to the caller (the logarithms report IE and ZE without DE).
bool screen2(Context& ctx, Float80 a, Float80 b, Kind ka, Kind kb, Float80& out, bool raise_de = true) {
    if (ka == Kind::Unsupported || kb == Kind::Unsupported) {
        out = invalid(ctx);
        return true;
    }
    if (is_nan(ka) || is_nan(kb)) {
        out = propagate_nan(ctx, a, b);
        return true;
    }
    if (raise_de && (ka == Kind::Denormal || kb == Kind::Denormal)) ctx.flags |= kDenormal;
    return false;
}

/// y * log2(x) for finite positive x, finite non-zero y; `ln_x` is ln(x) already computed.
Float80 y_log2(Context& ctx, F ln_x, Float80 y, bool exact_log) {
    const F r = fmul(from80(y), fmul(ln_x, kLog2e));
    return exact_log ? round_exact(ctx, r) : round_inexact(ctx, r);
}

/// Reduction by the hardware's pi/2: x = k * P + r exactly, |r| <= P/2. Returns k mod 4.
int reduce_trig(Float80 x, F& r) {
    const Unpacked u = unpack(x);
    if (u.exp < -2) { // |x| < 1/2 < pi/4: nothing to reduce
        r = from80(x);
        return 0;
    }
    // x = X * 2^-65 with X integral (u.exp <= 62 keeps X below 2^128).
    const u128 X = static_cast<u128>(u.mant) << (u.exp + 2);
    u128 k = X / kPio2Hw;
    u128 rem = X % kPio2Hw;
    bool neg = false;
    if (rem > kPio2Hw - rem) { // round k to nearest
        ++k;
        rem = kPio2Hw - rem;
        neg = true;
    }
    r = fnorm(u.sign != neg, 127 - 65, rem);
    int q = static_cast<int>(k & 3);
    if (u.sign) q = (4 - q) & 3;
    return q;
}

enum class TrigOp { Sin, Cos, Tan };

/// Shared screening for the one-operand trig instructions. Returns true when decided.
bool trig_screen(Context& ctx, Float80 x, TrigResult& res) {
    const Kind k = kind(x);
    if (k == Kind::Unsupported || k == Kind::Inf) {
        res.value = invalid(ctx);
        return true;
    }
    if (is_nan(k)) {
        res.value = propagate_nan1(ctx, x);
        return true;
    }
    if (k != Kind::Zero && unpack(x).exp >= 63) {
        res.value = x;
        res.out_of_range = true;
        return true;
    }
    if (k == Kind::Denormal) ctx.flags |= kDenormal;
    return false;
}

} // namespace

Float80 f2xm1(Context& ctx, Float80 x) {
    const Kind k = kind(x);
    ctx.c1 = false;
    if (k == Kind::Unsupported) return invalid(ctx);
    if (is_nan(k)) return propagate_nan1(ctx, x);
    if (k == Kind::Zero) return x;
    if (k == Kind::Inf) return sign_of(x) ? make(true, kBias, 1ull << 63) : x;
    if (k == Kind::Denormal) ctx.flags |= kDenormal;
    const Unpacked u = unpack(x);
    if (u.exp >= 0) {
        // |x| >= 1. Hardware reports PE even for the exact +-1 results, and returns any
        // operand beyond the documented domain unchanged.
        ctx.flags |= kPrecision;
        if (u.exp == 0 && u.mant == (1ull << 63)) {
            if (u.sign) return make(true, kBias - 1, 1ull << 63);
            // +1 is computed as a value just below 1: 1.0 (C1=1) or 1 - ulp when truncating.
            return round_inexact(ctx, F{false, -1, ~static_cast<u128>(0)});
        }
        return x;
    }
    return round_inexact(ctx, expm1_series(fmul(from80(x), kLn2)));
}

Float80 fyl2x(Context& ctx, Float80 x, Float80 y) {
    const Kind kx = kind(x), ky = kind(y);
    Float80 out;
    ctx.c1 = false;
    if (screen2(ctx, x, y, kx, ky, out, false)) return out;
    const bool sx = sign_of(x), sy = sign_of(y);
    // Invalid and divide-by-zero outcomes are decided before the denormal-operand check.
    const bool den = kx == Kind::Denormal || ky == Kind::Denormal;
    if (kx != Kind::Zero && sx) return invalid(ctx); // log of a negative number
    if (kx == Kind::Zero) {
        if (ky == Kind::Zero) return invalid(ctx);
        if (ky != Kind::Inf) ctx.flags |= kZeroDivide;
        return make_inf(!sy);
    }
    if (kx == Kind::Inf) {
        if (ky == Kind::Zero) return invalid(ctx);
        if (den) ctx.flags |= kDenormal;
        return make_inf(sy);
    }
    const Unpacked ux = unpack(x);
    const bool is_one = ux.exp == 0 && ux.mant == (1ull << 63);
    const bool below_one = ux.exp < 0;
    if (ky == Kind::Inf) {
        if (is_one) return invalid(ctx);
        if (den) ctx.flags |= kDenormal;
        return make_inf(sy != below_one);
    }
    if (den) ctx.flags |= kDenormal;
    if (ky == Kind::Zero || is_one) return make_zero(sy != below_one);
    // Exact powers of two give an exact integer logarithm; the product may still round.
    const bool pow2 = ux.mant == (1ull << 63);
    if (pow2) {
        const F e = ux.exp < 0 ? fneg(from_u64(static_cast<u64>(-ux.exp))) : from_u64(static_cast<u64>(ux.exp));
        const Float80 r = round_exact(ctx, fmul(from80(y), e));
        // Hardware treats the product as inexact even when it is exact: PE, and UE if tiny.
        ctx.flags |= kPrecision;
        if (bexp_of(r) == 0 && r.mant != 0) ctx.flags |= kUnderflow;
        return r;
    }
    return y_log2(ctx, ln_of(from80(x)), y, false);
}

Float80 fyl2xp1(Context& ctx, Float80 x, Float80 y) {
    const Kind kx = kind(x), ky = kind(y);
    Float80 out;
    ctx.c1 = false;
    if (screen2(ctx, x, y, kx, ky, out, false)) return out;
    const bool sx = sign_of(x), sy = sign_of(y);
    const bool den = kx == Kind::Denormal || ky == Kind::Denormal;
    if (kx == Kind::Inf) {
        if (sx || ky == Kind::Zero) return invalid(ctx);
        if (den) ctx.flags |= kDenormal;
        return make_inf(sy);
    }
    if (kx == Kind::Zero) {
        if (ky == Kind::Inf) return invalid(ctx);
        if (den) ctx.flags |= kDenormal;
        return make_zero(sx != sy);
    }
    const Unpacked ux = unpack(x);
    if (sx && ux.exp >= 0) { // x <= -1: log of zero or of a negative number
        if (ux.exp > 0 || ux.mant != (1ull << 63)) return invalid(ctx);
        if (ky == Kind::Zero) return invalid(ctx);
        if (ky != Kind::Inf) ctx.flags |= kZeroDivide;
        return make_inf(!sy);
    }
    if (den) ctx.flags |= kDenormal;
    if (ky == Kind::Inf) return make_inf(sy != sx);
    if (ky == Kind::Zero) return make_zero(sy != sx);
    // ln(1 + x) = 2 atanh(x / (2 + x)), accurate for small x without forming 1 + x.
    const F fx = from80(x);
    const F z = fdiv(fx, fadd(from_u64(2), fx));
    F lnx;
    if (z.e < -3) {
        lnx = ln_atanh_series(z);
    } else {
        lnx = ln_of(fadd(from_u64(1), fx)); // large |x|: 1 + x is accurate enough
    }
    return y_log2(ctx, lnx, y, false);
}

Float80 fpatan(Context& ctx, Float80 x, Float80 y) {
    const Kind kx = kind(x), ky = kind(y);
    Float80 out;
    ctx.c1 = false;
    if (screen2(ctx, x, y, kx, ky, out)) return out;
    const bool sx = sign_of(x), sy = sign_of(y);
    auto signed_const = [&](F c) { return round_inexact(ctx, sy ? fneg(c) : c); };
    if (ky == Kind::Zero) return sx ? signed_const(kPi) : make_zero(sy);
    if (ky == Kind::Inf) {
        if (kx == Kind::Inf) return signed_const(sx ? fadd(kPiOver2, kPiOver4) : kPiOver4);
        return signed_const(kPiOver2);
    }
    if (kx == Kind::Zero) return signed_const(kPiOver2);
    if (kx == Kind::Inf) return sx ? signed_const(kPi) : make_zero(sy);
    F ax = from80(x), ay = from80(y);
    ax.s = ay.s = false;
    const bool swapped = ay.e > ax.e || (ay.e == ax.e && ay.m > ax.m);
    F r = swapped ? atan_small(fdiv(ax, ay)) : atan_small(fdiv(ay, ax));
    if (swapped) r = fsub(kPiOver2, r);
    if (sx) r = fsub(kPi, r);
    r.s = sy;
    return round_inexact(ctx, r);
}

namespace {

TrigResult trig(Context& ctx, Float80 x, TrigOp op) {
    TrigResult res;
    ctx.c1 = false;
    if (trig_screen(ctx, x, res)) return res;
    if (kind(x) == Kind::Zero) {
        res.value = op == TrigOp::Cos ? kPosOne : x;
        return res;
    }
    F r, s, c;
    const int q = reduce_trig(x, r);
    sincos_series(r, s, c);
    F v;
    switch (op) {
    case TrigOp::Sin: v = (q == 0) ? s : (q == 1) ? c : (q == 2) ? fneg(s) : fneg(c); break;
    case TrigOp::Cos: v = (q == 0) ? c : (q == 1) ? fneg(s) : (q == 2) ? fneg(c) : s; break;
    case TrigOp::Tan: v = (q & 1) ? fneg(fdiv(c, s)) : fdiv(s, c); break;
    }
    res.value = round_inexact(ctx, v);
    return res;
}

} // namespace

TrigResult fsin(Context& ctx, Float80 x) { return trig(ctx, x, TrigOp::Sin); }
TrigResult fcos(Context& ctx, Float80 x) { return trig(ctx, x, TrigOp::Cos); }
TrigResult fptan(Context& ctx, Float80 x) { return trig(ctx, x, TrigOp::Tan); }

SinCosResult fsincos(Context& ctx, Float80 x) {
    SinCosResult res;
    // Both results are rounded; the flags and C1 are those of the two roundings combined,
    // with C1 from the sine rounding (what the hardware reports).
    Context sctx = ctx;
    const TrigResult s = fsin(sctx, x);
    res.out_of_range = s.out_of_range;
    res.sin = s.value;
    if (s.out_of_range) return res;
    const TrigResult c = fcos(ctx, x);
    res.cos = c.value;
    ctx.flags |= sctx.flags;
    ctx.c1 = sctx.c1;
    return res;
}

} // namespace cpu::sf
