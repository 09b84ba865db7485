// SPDX-License-Identifier: MIT
// Core of the float80 library: operand classification, the shared rounding routine and the
// PC-controlled basic arithmetic (FADD/FSUB/FMUL/FDIV/FSQRT). Every operation computes an
// exact or sticky-jammed 128-bit significand and hands it to round_generic, so rounding,
// precision control, underflow/overflow and C1 are decided in exactly one place.
#include "cpu/softfloat/float80_internal.h"

#include <utility>

namespace cpu::sf {
namespace detail {

Kind kind(Float80 a) {
    const int be = bexp_of(a);
    const u64 m = a.mant;
    const bool j = (m >> 63) != 0;
    if (be == 0) return m == 0 ? Kind::Zero : Kind::Denormal;
    if (be == kMaxExp) {
        if (!j) return Kind::Unsupported; // pseudo-infinity / pseudo-NaN
        if ((m << 1) == 0) return Kind::Inf;
        return ((m >> 62) & 1) ? Kind::QNaN : Kind::SNaN;
    }
    return j ? Kind::Normal : Kind::Unsupported; // unnormal
}

Unpacked unpack(Float80 a) {
    const int be = bexp_of(a);
    // Denormals and pseudo-denormals both use the minimum exponent 1 - bias.
    int e = (be == 0 ? 1 : be) - kBias;
    u64 m = a.mant;
    const int lz = __builtin_clzll(m);
    m <<= lz;
    e -= lz;
    return Unpacked{sign_of(a), e, m};
}

Float80 pack_exact_u64(bool sign, u64 mag) {
    const int lz = __builtin_clzll(mag);
    return make(sign, kBias + 63 - lz, mag << lz);
}

namespace {

/// Round-bit/sticky analysis of a left-aligned 128-bit significand at `p` bits.
struct RoundInfo {
    bool inexact;
    bool inc;
};
RoundInfo round_info(const Context& ctx, bool sign, u128 sig, int p) {
    const u64 hi = static_cast<u64>(sig >> 64);
    const u64 lo = static_cast<u64>(sig);
    const u64 lsb = 1ull << (64 - p);
    const u64 rmask = lsb - 1;
    bool round_bit, sticky;
    if (p == 64) {
        round_bit = (lo >> 63) != 0;
        sticky = (lo << 1) != 0;
    } else {
        round_bit = ((hi >> (63 - p)) & 1) != 0;
        sticky = (hi & (rmask >> 1)) != 0 || lo != 0;
    }
    const bool inexact = round_bit || sticky;
    bool inc = false;
    switch (ctx.rounding & 3) {
    case kRoundNearest: inc = round_bit && (sticky || (hi & lsb)); break;
    case kRoundDown: inc = inexact && sign; break;
    case kRoundUp: inc = inexact && !sign; break;
    default: break;
    }
    return RoundInfo{inexact, inc};
}

} // namespace

Rounded round_generic(Context& ctx, bool sign, int e0, u128 sig, const Format& f) {
    const int lz = clz128(sig);
    sig <<= lz;
    int be = e0 + 127 - lz + f.bias;
    const int p = f.pbits;
    const u64 lsb = 1ull << (64 - p);
    const u64 rmask = lsb - 1;
    bool tiny = false;
    if (be <= 0) {
        tiny = true;
        if (f.tiny_after_rounding && be == 0) {
            // Not tiny if rounding with an unbounded exponent reaches the smallest normal.
            const RoundInfo ri = round_info(ctx, sign, sig, p);
            if (ri.inc && (static_cast<u64>(sig >> 64) | rmask) == ~0ull) tiny = false;
        }
        // The denormalised significand is what gets rounded.
        sig = shr_jam(sig, 1 - be);
        be = 0;
    }
    const RoundInfo ri = round_info(ctx, sign, sig, p);
    u64 hi = static_cast<u64>(sig >> 64) & ~rmask;
    if (ri.inc) {
        hi += lsb;
        if (hi == 0) { // carried out of the significand
            hi = 1ull << 63;
            ++be;
        }
    }
    if (be == 0 && (hi >> 63)) be = 1; // rounded up into the normal range
    if (be >= f.max_bexp) {
        ctx.flags |= kOverflow | kPrecision;
        const u8 rc = ctx.rounding & 3;
        const bool to_inf = rc == kRoundNearest || (rc == kRoundDown && sign) || (rc == kRoundUp && !sign);
        ctx.c1 = to_inf;
        if (to_inf) return Rounded{sign, f.max_bexp, 1ull << 63};
        return Rounded{sign, f.max_bexp - 1, ~rmask};
    }
    if (ri.inexact) {
        ctx.flags |= kPrecision;
        if (tiny) ctx.flags |= kUnderflow;
    }
    ctx.c1 = ri.inc;
    return Rounded{sign, be, hi};
}

Float80 propagate_nan(Context& ctx, Float80 a, Float80 b) {
    const Kind ka = kind(a), kb = kind(b);
    if (ka == Kind::SNaN || kb == Kind::SNaN) ctx.flags |= kInvalid;
    if (is_nan(ka) && is_nan(kb)) {
        // Mixed signaling/quiet: the quiet operand wins. Same class: larger significand.
        if (ka == Kind::QNaN && kb == Kind::SNaN) return a;
        if (ka == Kind::SNaN && kb == Kind::QNaN) return b;
        const u64 ma = a.mant << 2, mb = b.mant << 2;
        if (ma > mb) return quiet(a);
        if (mb > ma) return quiet(b);
        return quiet(sign_of(a) ? b : a); // equal significands: the positive one
    }
    return quiet(is_nan(ka) ? a : b);
}

} // namespace detail

using namespace detail;

namespace {

/// Shared NaN/unsupported screening for two-operand arithmetic. Returns true and sets
/// `out` when the operation is decided; otherwise raises DE for denormal operands.
bool screen2(Context& ctx, Float80 a, Float80 b, Kind ka, Kind kb, Float80& out) {
    if (ka == Kind::Unsupported || kb == Kind::Unsupported) {
        out = invalid(ctx);
        return true;
    }
    if (is_nan(ka) || is_nan(kb)) {
        out = propagate_nan(ctx, a, b);
        return true;
    }
    if (ka == Kind::Denormal || kb == Kind::Denormal) ctx.flags |= kDenormal;
    return false;
}

Float80 add_signed(Context& ctx, Float80 a, Float80 b, bool negate_b) {
    const Kind ka = kind(a), kb = kind(b);
    Float80 out;
    ctx.c1 = false;
    if (screen2(ctx, a, b, ka, kb, out)) return out;
    const bool sa = sign_of(a);
    const bool sb = sign_of(b) != negate_b;
    if (ka == Kind::Inf || kb == Kind::Inf) {
        if (ka == Kind::Inf && kb == Kind::Inf && sa != sb) return invalid(ctx);
        return ka == Kind::Inf ? make_inf(sa) : make_inf(sb);
    }
    const int pbits = pc_bits(ctx);
    if (ka == Kind::Zero && kb == Kind::Zero) {
        return make_zero(sa == sb ? sa : (ctx.rounding & 3) == kRoundDown);
    }
    if (ka == Kind::Zero || kb == Kind::Zero) {
        // x + 0 still rounds x to the selected precision.
        const Unpacked u = unpack(ka == Kind::Zero ? b : a);
        const bool s = ka == Kind::Zero ? sb : sa;
        return round_pack(ctx, s, u.exp - 63, u.mant, pbits);
    }
    Unpacked x = unpack(a), y = unpack(b);
    x.sign = sa;
    y.sign = sb;
    if (x.exp < y.exp || (x.exp == y.exp && x.mant < y.mant)) std::swap(x, y);
    // Significands at bit 126 leave one bit of carry headroom and 63 guard bits.
    const u128 big = static_cast<u128>(x.mant) << 63;
    const u128 small = shr_jam(static_cast<u128>(y.mant) << 63, x.exp - y.exp);
    u128 sum;
    if (x.sign == y.sign) {
        sum = big + small;
    } else {
        sum = big - small;
        if (sum == 0) return make_zero((ctx.rounding & 3) == kRoundDown);
    }
    return round_pack(ctx, x.sign, x.exp - 126, sum, pbits);
}

} // namespace

Float80 add(Context& ctx, Float80 a, Float80 b) { return add_signed(ctx, a, b, false); }
Float80 sub(Context& ctx, Float80 a, Float80 b) { return add_signed(ctx, a, b, true); }

Float80 mul(Context& ctx, Float80 a, Float80 b) {
    const Kind ka = kind(a), kb = kind(b);
    Float80 out;
    ctx.c1 = false;
    if (screen2(ctx, a, b, ka, kb, out)) return out;
    const bool s = sign_of(a) != sign_of(b);
    if (ka == Kind::Inf || kb == Kind::Inf) {
        if (ka == Kind::Zero || kb == Kind::Zero) return invalid(ctx);
        return make_inf(s);
    }
    if (ka == Kind::Zero || kb == Kind::Zero) return make_zero(s);
    const Unpacked x = unpack(a), y = unpack(b);
    const u128 prod = static_cast<u128>(x.mant) * y.mant;
    return round_pack(ctx, s, x.exp + y.exp - 126, prod, pc_bits(ctx));
}

Float80 div(Context& ctx, Float80 a, Float80 b) {
    const Kind ka = kind(a), kb = kind(b);
    Float80 out;
    ctx.c1 = false;
    const bool s = sign_of(a) != sign_of(b);
    // Division by zero is detected before the denormal-operand check (no DE for x / 0).
    if (kb == Kind::Zero && (ka == Kind::Normal || ka == Kind::Denormal)) {
        ctx.flags |= kZeroDivide;
        return make_inf(s);
    }
    if (screen2(ctx, a, b, ka, kb, out)) return out;
    if (ka == Kind::Inf) {
        if (kb == Kind::Inf) return invalid(ctx);
        return make_inf(s);
    }
    if (kb == Kind::Inf) return make_zero(s);
    if (kb == Kind::Zero) {
        if (ka == Kind::Zero) return invalid(ctx);
        ctx.flags |= kZeroDivide;
        return make_inf(s);
    }
    if (ka == Kind::Zero) return make_zero(s);
    const Unpacked x = unpack(a), y = unpack(b);
    // Two 128/64 divisions give 128 quotient bits; the final remainder only feeds the sticky bit.
    const u128 n1 = static_cast<u128>(x.mant) << 64;
    const u128 q1 = n1 / y.mant;
    const u64 r1 = static_cast<u64>(n1 % y.mant);
    const u128 n2 = static_cast<u128>(r1) << 64;
    const u64 q2 = static_cast<u64>(n2 / y.mant);
    const u64 r2 = static_cast<u64>(n2 % y.mant);
    const u128 sig = (q1 << 63) | (q2 >> 1) | (((q2 & 1) | (r2 != 0)) ? 1 : 0);
    return round_pack(ctx, s, x.exp - y.exp - 127, sig, pc_bits(ctx));
}

Float80 sqrt(Context& ctx, Float80 a) {
    const Kind k = kind(a);
    ctx.c1 = false;
    if (k == Kind::Unsupported) return invalid(ctx);
    if (is_nan(k)) return propagate_nan1(ctx, a);
    if (k == Kind::Zero) return a;
    if (sign_of(a)) return invalid(ctx); // includes -inf and negative denormals
    if (k == Kind::Inf) return a;
    if (k == Kind::Denormal) ctx.flags |= kDenormal;
    const Unpacked x = unpack(a);
    // Make the power of two even so the root of the scaled integer is exact in exponent.
    const bool odd = (x.exp & 1) != 0;
    const u128 n = static_cast<u128>(x.mant) << (odd ? 64 : 63);
    const int half_exp = (x.exp - (odd ? 127 : 126)) / 2;
    u128 rem;
    const u64 root = isqrt128(n, rem);
    // sqrt(n) >= root + 1/2  <=>  rem > root. A root is never exactly on a half.
    const u128 sig = (static_cast<u128>(root) << 64) | (rem > root ? (1ull << 63) : 0) | (rem != 0 ? 1 : 0);
    return round_pack(ctx, false, half_exp - 64, sig, pc_bits(ctx));
}

} // namespace cpu::sf
