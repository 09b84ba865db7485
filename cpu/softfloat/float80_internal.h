// SPDX-License-Identifier: MIT
// Private helpers shared by the float80 implementation files: operand classification,
// unpacking into a normalised (sign, exponent, significand) triple, the single rounding
// routine every inexact result goes through, and x87 NaN propagation. Not part of the API.
#pragma once

#include "cpu/softfloat/float80.h"

namespace cpu::sf::detail {

using u128 = unsigned __int128;

constexpr int kBias = 16383;
constexpr int kMaxExp = 0x7FFF;

enum class Kind : u8 { Zero, Normal, Denormal, Inf, QNaN, SNaN, Unsupported };

inline bool sign_of(Float80 a) { return (a.sign_exp >> 15) != 0; }
inline int bexp_of(Float80 a) { return a.sign_exp & 0x7FFF; }
inline Float80 make(bool sign, int bexp, u64 mant) {
    return Float80{mant, static_cast<u16>((sign ? 0x8000 : 0) | (bexp & 0x7FFF))};
}
inline Float80 make_zero(bool sign) { return make(sign, 0, 0); }
inline Float80 make_inf(bool sign) { return make(sign, kMaxExp, 0x8000000000000000ull); }
inline Float80 negate(Float80 a) { return Float80{a.mant, static_cast<u16>(a.sign_exp ^ 0x8000)}; }
inline Float80 with_sign(Float80 a, bool s) { return make(s, bexp_of(a), a.mant); }

/// 387+ view of an encoding: unnormals, pseudo-NaNs and pseudo-infinities are unsupported;
/// pseudo-denormals (exp 0, J=1) are accepted as denormals.
Kind kind(Float80 a);
inline bool is_nan(Kind k) { return k == Kind::QNaN || k == Kind::SNaN; }

/// A finite non-zero value: mant * 2^(exp - 63), mant has bit 63 set. exp is unbiased and
/// may lie below the format's minimum (denormal inputs are normalised).
struct Unpacked {
    bool sign;
    int exp;
    u64 mant;
};
Unpacked unpack(Float80 a); ///< requires kind Normal or Denormal

inline int clz128(u128 v) {
    const u64 hi = static_cast<u64>(v >> 64);
    if (hi) return __builtin_clzll(hi);
    return 64 + __builtin_clzll(static_cast<u64>(v));
}
/// Right shift that ORs every shifted-out bit into bit 0 (keeps "inexact" information).
inline u128 shr_jam(u128 v, int n) {
    if (n <= 0) return v;
    if (n >= 128) return v != 0 ? 1 : 0;
    return (v >> n) | (((v << (128 - n)) != 0) ? 1 : 0);
}

/// Target format description for the generic rounder.
struct Format {
    int pbits; ///< significand bits kept (including the integer bit)
    int bias;
    int max_bexp;      ///< all-ones exponent (inf/NaN)
    /// Tininess detection. The x87 detects it after rounding (to the target precision with
    /// an unbounded exponent) for register results and stores alike, as measured on hardware.
    bool tiny_after_rounding = true;
};
constexpr Format kSingle{24, 127, 0xFF, true};
constexpr Format kDouble{53, 1023, 0x7FF, true};

/// Result of rounding: mant is left-aligned (integer bit at 63); bexp 0 means denormal/zero.
struct Rounded {
    bool sign;
    int bexp;
    u64 mant;
};
/// Rounds sig * 2^e0 (sig != 0) to `fmt` with the context rounding mode, raising PE/UE/OE and
/// setting C1. Masked responses: denormalise on underflow, inf/max-finite on overflow.
Rounded round_generic(Context& ctx, bool sign, int e0, u128 sig, const Format& fmt);

/// round_generic to extended exponent range with `pbits` significand bits, packed.
inline Float80 round_pack(Context& ctx, bool sign, int e0, u128 sig, int pbits) {
    const Rounded r = round_generic(ctx, sign, e0, sig, Format{pbits, kBias, kMaxExp, true});
    return make(r.sign, r.bexp, r.mant);
}
/// Significand width selected by FCW.PC.
inline int pc_bits(const Context& ctx) {
    return ctx.precision == kPrec24 ? 24 : ctx.precision == kPrec53 ? 53 : 64;
}

inline Float80 quiet(Float80 a) { return Float80{a.mant | 0x4000000000000000ull, a.sign_exp}; }
/// x87 NaN propagation for two operands, at least one a NaN (SDM Vol.1 Table 4-7).
Float80 propagate_nan(Context& ctx, Float80 a, Float80 b);
/// One NaN operand: IE if signaling, result quieted.
inline Float80 propagate_nan1(Context& ctx, Float80 a) {
    if (kind(a) == Kind::SNaN) ctx.flags |= kInvalid;
    return quiet(a);
}
inline Float80 invalid(Context& ctx) {
    ctx.flags |= kInvalid;
    return kIndefinite;
}
/// Exact conversion of a non-zero magnitude with sign to Float80 (no rounding needed).
Float80 pack_exact_u64(bool sign, u64 mag);

/// Integer square root of a 128-bit value (bit-serial, exact floor) and its remainder.
inline u64 isqrt128(u128 n, u128& rem_out) {
    u128 rem = 0;
    u64 root = 0;
    for (int i = 63; i >= 0; --i) {
        rem = (rem << 2) | ((n >> (2 * i)) & 3);
        root <<= 1;
        const u128 trial = (static_cast<u128>(root) << 1) | 1;
        if (rem >= trial) {
            rem -= trial;
            root |= 1;
        }
    }
    rem_out = rem;
    return root;
}


} // namespace cpu::sf::detail
