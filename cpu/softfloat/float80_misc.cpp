// SPDX-License-Identifier: MIT
// The non-PC float80 operations: comparison, FPREM/FPREM1, FRNDINT, FSCALE, FXTRACT, the
// integer / binary32 / binary64 / packed-BCD conversions, and the FXAM/tag classifiers.
// All of them are exact except where the x87 rounds (FRNDINT, FIST, FST m32/m64, FBSTP,
// FSCALE into the denormal range), and those use the shared rounder or its integer twin.
#include "cpu/softfloat/float80_internal.h"

namespace cpu::sf {

using namespace detail;

namespace {

/// Rounds |x| to an integer with the context rounding mode. Reports inexactness and whether
/// the magnitude was incremented. `huge` is set when |x| >= 2^64 (result unusable).
u64 round_mag_to_int(const Context& ctx, const Unpacked& x, bool& inexact, bool& inc, bool& huge) {
    inexact = inc = huge = false;
    if (x.exp >= 64) {
        huge = true;
        return 0;
    }
    if (x.exp == 63) return x.mant;
    const int frac_bits = 63 - x.exp; // >= 1
    u64 ip;
    bool round_bit, sticky;
    if (frac_bits <= 63) {
        ip = x.mant >> frac_bits;
        const u64 frac = x.mant << (64 - frac_bits);
        round_bit = (frac >> 63) != 0;
        sticky = (frac << 1) != 0;
    } else {
        ip = 0;
        round_bit = frac_bits == 64; // value in [0.5, 1)
        sticky = frac_bits == 64 ? (x.mant << 1) != 0 : true;
    }
    inexact = round_bit || sticky;
    switch (ctx.rounding & 3) {
    case kRoundNearest: inc = round_bit && (sticky || (ip & 1)); break;
    case kRoundDown: inc = inexact && x.sign; break;
    case kRoundUp: inc = inexact && !x.sign; break;
    default: break;
    }
    if (inc) ++ip;
    return ip;
}

i64 to_int_bits(Context& ctx, Float80 a, int bits) {
    const i64 indefinite = static_cast<i64>(~0ull << (bits - 1));
    const Kind k = kind(a);
    ctx.c1 = false;
    if (k == Kind::Unsupported || k == Kind::Inf || is_nan(k)) {
        ctx.flags |= kInvalid;
        return indefinite;
    }
    if (k == Kind::Zero) return 0;
    // Stores do not report denormal sources (matches hardware).
    const Unpacked x = unpack(a);
    bool inexact, inc, huge;
    const u64 mag = round_mag_to_int(ctx, x, inexact, inc, huge);
    const u64 limit = 1ull << (bits - 1);
    if (huge || mag > limit || (mag == limit && !x.sign)) {
        ctx.flags |= kInvalid;
        return indefinite;
    }
    if (inexact) ctx.flags |= kPrecision;
    ctx.c1 = inc;
    return x.sign ? static_cast<i64>(0 - mag) : static_cast<i64>(mag);
}

RemResult rem_common(Context& ctx, Float80 a, Float80 b, bool ieee) {
    const Kind ka = kind(a), kb = kind(b);
    RemResult res;
    ctx.c1 = false;
    if (ka == Kind::Unsupported || kb == Kind::Unsupported) {
        res.value = invalid(ctx);
        return res;
    }
    if (is_nan(ka) || is_nan(kb)) {
        res.value = propagate_nan(ctx, a, b);
        return res;
    }
    if (ka == Kind::Inf || kb == Kind::Zero) {
        res.value = invalid(ctx);
        return res;
    }
    if (ka == Kind::Denormal || kb == Kind::Denormal) ctx.flags |= kDenormal;
    if (ka == Kind::Zero) {
        res.value = a;
        return res;
    }
    if (kb == Kind::Inf) {
        // a comes back unchanged in value but normalised (pseudo-denormals get exponent 1).
        const Unpacked x = unpack(a);
        res.value = round_pack(ctx, x.sign, x.exp - 63, x.mant, 64);
        ctx.c1 = false;
        return res;
    }
    const Unpacked x = unpack(a);
    Unpacked y = unpack(b);
    const int d = x.exp - y.exp;
    if (d < 0) {
        // |a| < |b|: FPREM returns a; FPREM1 may still round the quotient up to 1.
        if (ieee && d == -1 && x.mant > y.mant) {
            // |a| > |b|/2 : remainder is |a| - |b| with the sign flipped.
            const u128 r = (static_cast<u128>(y.mant) << 1) - x.mant;
            res.value = round_pack(ctx, !x.sign, y.exp - 64, r, 64);
            ctx.c1 = false;
            res.quotient = 1;
            return res;
        }
        res.value = round_pack(ctx, x.sign, x.exp - 63, x.mant, 64);
        ctx.c1 = false;
        return res;
    }
    int shift = d;
    if (d >= 64) {
        // Partial reduction: bring the exponent difference down to N in [32, 63] and let the
        // program loop. The choice of N matches the host hardware.
        const int n = 32 + (d & 31);
        y.exp += d - n;
        shift = n;
        res.incomplete = true;
    }
    // An incomplete reduction reports no quotient bits (C0/C3/C1 are cleared).
    const u128 num = static_cast<u128>(x.mant) << shift;
    u128 q = num / y.mant;
    u64 r = static_cast<u64>(num % y.mant);
    bool rsign = x.sign;
    if (ieee && !res.incomplete) {
        // Round the quotient to nearest-even: compare 2r with the divisor.
        const u128 twice = static_cast<u128>(r) << 1;
        if (twice > y.mant || (twice == y.mant && (q & 1))) {
            ++q;
            r = y.mant - r;
            rsign = !rsign;
        }
    }
    res.quotient = res.incomplete ? 0 : static_cast<u8>(q & 7);
    if (r == 0) {
        res.value = make_zero(x.sign);
    } else {
        res.value = round_pack(ctx, rsign, y.exp - 63, r, 64);
    }
    ctx.c1 = false;
    return res;
}

} // namespace

// ---- comparison ----------------------------------------------------------------------------

Ordering compare(Context& ctx, Float80 a, Float80 b, bool signaling) {
    const Kind ka = kind(a), kb = kind(b);
    if (ka == Kind::Unsupported || kb == Kind::Unsupported) {
        ctx.flags |= kInvalid;
        return Ordering::Unordered;
    }
    if (is_nan(ka) || is_nan(kb)) {
        if (signaling || ka == Kind::SNaN || kb == Kind::SNaN) ctx.flags |= kInvalid;
        return Ordering::Unordered;
    }
    if (ka == Kind::Denormal || kb == Kind::Denormal) ctx.flags |= kDenormal;
    const bool za = ka == Kind::Zero, zb = kb == Kind::Zero;
    if (za && zb) return Ordering::Equal;
    const bool sa = sign_of(a), sb = sign_of(b);
    // Sign decides unless both are the same sign (zeros count as either sign here).
    if (za) return sb ? Ordering::Greater : Ordering::Less;
    if (zb) return sa ? Ordering::Less : Ordering::Greater;
    if (sa != sb) return sa ? Ordering::Less : Ordering::Greater;
    // Same sign, both non-zero: compare magnitudes; infinity is above every finite value.
    int mag; // -1, 0, 1 for |a| vs |b|
    if (ka == Kind::Inf || kb == Kind::Inf) {
        mag = (ka == Kind::Inf) - (kb == Kind::Inf);
    } else {
        const Unpacked x = unpack(a), y = unpack(b);
        if (x.exp != y.exp) mag = x.exp < y.exp ? -1 : 1;
        else mag = x.mant == y.mant ? 0 : (x.mant < y.mant ? -1 : 1);
    }
    if (mag == 0) return Ordering::Equal;
    if (sa) mag = -mag;
    return mag < 0 ? Ordering::Less : Ordering::Greater;
}

// ---- remainder, rounding, scaling, extraction ------------------------------------------------

RemResult prem(Context& ctx, Float80 a, Float80 b) { return rem_common(ctx, a, b, false); }
RemResult prem1(Context& ctx, Float80 a, Float80 b) { return rem_common(ctx, a, b, true); }

Float80 round_to_int(Context& ctx, Float80 a) {
    const Kind k = kind(a);
    ctx.c1 = false;
    if (k == Kind::Unsupported) return invalid(ctx);
    if (is_nan(k)) return propagate_nan1(ctx, a);
    if (k == Kind::Zero || k == Kind::Inf) return a;
    if (k == Kind::Denormal) ctx.flags |= kDenormal;
    const Unpacked x = unpack(a);
    if (x.exp >= 63) return a; // already an integer
    bool inexact, inc, huge;
    const u64 mag = round_mag_to_int(ctx, x, inexact, inc, huge);
    if (inexact) ctx.flags |= kPrecision;
    ctx.c1 = inc;
    if (mag == 0) return make_zero(x.sign);
    return pack_exact_u64(x.sign, mag);
}

Float80 scale(Context& ctx, Float80 a, Float80 b) {
    const Kind ka = kind(a), kb = kind(b);
    ctx.c1 = false;
    if (ka == Kind::Unsupported || kb == Kind::Unsupported) return invalid(ctx);
    if (is_nan(ka) || is_nan(kb)) return propagate_nan(ctx, a, b);
    if (ka == Kind::Denormal || kb == Kind::Denormal) ctx.flags |= kDenormal;
    const bool sb = sign_of(b);
    if (kb == Kind::Inf) {
        if (ka == Kind::Zero) return sb ? a : invalid(ctx);
        if (ka == Kind::Inf) return sb ? invalid(ctx) : a;
        return sb ? make_zero(sign_of(a)) : make_inf(sign_of(a));
    }
    if (ka == Kind::Zero || ka == Kind::Inf) return a;
    int n = 0;
    if (kb != Kind::Zero) {
        const Unpacked y = unpack(b);
        if (y.exp >= 20) n = 1 << 20; // far beyond any exponent range: forces over/underflow
        else if (y.exp >= 0) n = static_cast<int>(y.mant >> (63 - y.exp));
        if (sb) n = -n;
    }
    const Unpacked x = unpack(a);
    return round_pack(ctx, x.sign, x.exp - 63 + n, x.mant, 64);
}

XtractResult xtract(Context& ctx, Float80 a) {
    const Kind k = kind(a);
    ctx.c1 = false;
    if (k == Kind::Unsupported) {
        ctx.flags |= kInvalid;
        return XtractResult{kIndefinite, kIndefinite};
    }
    if (is_nan(k)) {
        const Float80 q = propagate_nan1(ctx, a);
        return XtractResult{q, q};
    }
    if (k == Kind::Zero) {
        ctx.flags |= kZeroDivide;
        return XtractResult{make_inf(true), a};
    }
    if (k == Kind::Inf) return XtractResult{make_inf(false), a};
    if (k == Kind::Denormal) ctx.flags |= kDenormal;
    const Unpacked x = unpack(a);
    const Float80 e = x.exp == 0 ? make_zero(false)
                                 : pack_exact_u64(x.exp < 0, static_cast<u64>(x.exp < 0 ? -x.exp : x.exp));
    return XtractResult{e, make(x.sign, kBias, x.mant)};
}

// ---- integer conversions -------------------------------------------------------------------

Float80 from_int(i64 v) {
    if (v == 0) return make_zero(false);
    const bool s = v < 0;
    const u64 mag = s ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
    return pack_exact_u64(s, mag);
}

i16 to_i16(Context& ctx, Float80 a) { return static_cast<i16>(to_int_bits(ctx, a, 16)); }
i32 to_i32(Context& ctx, Float80 a) { return static_cast<i32>(to_int_bits(ctx, a, 32)); }
i64 to_i64(Context& ctx, Float80 a) { return to_int_bits(ctx, a, 64); }

// ---- binary32 / binary64 -------------------------------------------------------------------

namespace {

/// Loads an IEEE binary format (fraction width `fbits`, exponent width `ebits`).
Float80 from_ieee(Context& ctx, u64 bits, int fbits, int ebits) {
    const bool s = (bits >> (fbits + ebits)) != 0;
    const int emax = (1 << ebits) - 1;
    const int bias = emax >> 1;
    const int e = static_cast<int>((bits >> fbits) & static_cast<u64>(emax));
    const u64 f = bits & ((1ull << fbits) - 1);
    ctx.c1 = false;
    if (e == emax) {
        if (f == 0) return make_inf(s);
        Float80 nan = make(s, kMaxExp, (1ull << 63) | (f << (63 - fbits)));
        if (!((f >> (fbits - 1)) & 1)) {
            ctx.flags |= kInvalid; // SNaN
            nan = quiet(nan);
        }
        return nan;
    }
    if (e == 0) {
        if (f == 0) return make_zero(s);
        ctx.flags |= kDenormal;
        const Float80 m = pack_exact_u64(s, f); // value f * 2^(1 - bias - fbits)
        return make(s, bexp_of(m) + 1 - bias - fbits, m.mant);
    }
    return make(s, e - bias + kBias, (1ull << 63) | (f << (63 - fbits)));
}

u64 to_ieee(Context& ctx, Float80 a, const Format& fmt) {
    const int fbits = fmt.pbits - 1;
    const int ebits = fmt.max_bexp == 0xFF ? 8 : 11;
    const u64 sign_bit = 1ull << (fbits + ebits);
    const u64 exp_all = static_cast<u64>(fmt.max_bexp) << fbits;
    const u64 quiet_bit = 1ull << (fbits - 1);
    const Kind k = kind(a);
    const u64 s = sign_of(a) ? sign_bit : 0;
    ctx.c1 = false;
    if (k == Kind::Unsupported) {
        ctx.flags |= kInvalid;
        return sign_bit | exp_all | quiet_bit; // default NaN
    }
    if (is_nan(k)) {
        if (k == Kind::SNaN) ctx.flags |= kInvalid;
        const u64 frac = (a.mant >> (63 - fbits)) & ((1ull << fbits) - 1);
        return s | exp_all | quiet_bit | frac;
    }
    if (k == Kind::Inf) return s | exp_all;
    if (k == Kind::Zero) return s;
    const Unpacked x = unpack(a);
    const Rounded r = round_generic(ctx, x.sign, x.exp - 63, x.mant, fmt);
    const u64 frac = (r.mant >> (64 - fmt.pbits)) & ((1ull << fbits) - 1);
    return s | (static_cast<u64>(r.bexp) << fbits) | frac;
}

} // namespace

Float80 from_f32(Context& ctx, u32 bits) { return from_ieee(ctx, bits, 23, 8); }
Float80 from_f64(Context& ctx, u64 bits) { return from_ieee(ctx, bits, 52, 11); }
u32 to_f32(Context& ctx, Float80 a) { return static_cast<u32>(to_ieee(ctx, a, kSingle)); }
u64 to_f64(Context& ctx, Float80 a) { return to_ieee(ctx, a, kDouble); }

// ---- packed BCD ----------------------------------------------------------------------------

Float80 from_bcd(const u8 (&bcd)[10]) {
    // Digits above 9 are undefined on hardware; they are simply weighted like valid digits.
    u64 v = 0;
    for (int i = 8; i >= 0; --i) v = v * 100 + (bcd[i] >> 4) * 10 + (bcd[i] & 15);
    const bool s = (bcd[9] & 0x80) != 0;
    if (v == 0) return make_zero(s);
    return pack_exact_u64(s, v);
}

void to_bcd(Context& ctx, Float80 a, u8 (&bcd)[10]) {
    const Kind k = kind(a);
    ctx.c1 = false;
    u64 mag = 0;
    bool ok = !(k == Kind::Unsupported || k == Kind::Inf || is_nan(k));
    if (ok && k != Kind::Zero) {
        const Unpacked x = unpack(a);
        bool inexact, inc, huge;
        mag = round_mag_to_int(ctx, x, inexact, inc, huge);
        ok = !huge && mag <= 999999999999999999ull;
        if (ok) {
            if (inexact) ctx.flags |= kPrecision;
            ctx.c1 = inc;
        }
    }
    if (!ok) {
        ctx.flags |= kInvalid;
        static constexpr u8 kBcdIndefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
        for (int i = 0; i < 10; ++i) bcd[i] = kBcdIndefinite[i];
        return;
    }
    for (int i = 0; i < 9; ++i) {
        const u8 lo = static_cast<u8>(mag % 10);
        mag /= 10;
        const u8 hi = static_cast<u8>(mag % 10);
        mag /= 10;
        bcd[i] = static_cast<u8>((hi << 4) | lo);
    }
    bcd[9] = sign_of(a) ? 0x80 : 0;
}

// ---- classification ------------------------------------------------------------------------

u16 fxam(Float80 a, bool empty) {
    constexpr u16 c0 = 0x0100, c1 = 0x0200, c2 = 0x0400, c3 = 0x4000;
    u16 r = sign_of(a) ? c1 : 0;
    if (empty) return r | c3 | c0;
    switch (kind(a)) {
    case Kind::Unsupported: break;
    case Kind::QNaN:
    case Kind::SNaN: r |= c0; break;
    case Kind::Normal: r |= c2; break;
    case Kind::Inf: r |= c2 | c0; break;
    case Kind::Zero: r |= c3; break;
    case Kind::Denormal: r |= c3 | c2; break;
    }
    return r;
}

u8 tag(Float80 a) {
    switch (kind(a)) {
    case Kind::Normal: return 0;
    case Kind::Zero: return 1;
    default: return 2;
    }
}

} // namespace cpu::sf
