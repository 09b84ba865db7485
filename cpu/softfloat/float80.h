// SPDX-License-Identifier: MIT
// Exact software model of the x87 80-bit extended-precision arithmetic used by the FPU
// emulation. Every operation is a pure function of its operands and a Context carrying
// the FCW rounding/precision controls; it returns the x87 result bit pattern and ORs the
// exception flags (and C1) the real instruction would raise with all exceptions masked.
// The x87 instruction layer owns stack handling, tags and unmasked-exception delivery.
#pragma once

#include "base/types.h"
#include "cpu/fpu_state.h"

namespace cpu::sf {

/// Exception flag bits, laid out as in the x87 status word (FSW bits 0..5).
enum : u16 {
    kInvalid = 0x01,     ///< IE
    kDenormal = 0x02,    ///< DE (denormal operand)
    kZeroDivide = 0x04,  ///< ZE
    kOverflow = 0x08,    ///< OE
    kUnderflow = 0x10,   ///< UE
    kPrecision = 0x20,   ///< PE (inexact)
};

/// Rounding controls (FCW.RC values).
enum : u8 { kRoundNearest = 0, kRoundDown = 1, kRoundUp = 2, kRoundZero = 3 };
/// Precision controls (FCW.PC values). 1 is reserved; it is treated as 64-bit.
enum : u8 { kPrec24 = 0, kPrec53 = 2, kPrec64 = 3 };

struct Context {
    u8 rounding = kRoundNearest; ///< FCW.RC
    u8 precision = kPrec64;      ///< FCW.PC (only add/sub/mul/div/sqrt honour it)
    u16 flags = 0;               ///< sticky: operations OR exception bits in, never clear
    bool c1 = false;             ///< written by each rounding operation: true = rounded up in magnitude

    /// Builds a context from an x87 control word (RC bits 11..10, PC bits 9..8).
    static Context from_fcw(u16 fcw) {
        Context c;
        c.rounding = static_cast<u8>((fcw >> 10) & 3);
        c.precision = static_cast<u8>((fcw >> 8) & 3);
        return c;
    }
};

// ---- constants -------------------------------------------------------------------------
/// The x87 "real indefinite" QNaN produced by masked invalid operations.
constexpr Float80 kIndefinite{0xC000000000000000ull, 0xFFFF};
constexpr Float80 kPosZero{0, 0};
constexpr Float80 kPosOne{0x8000000000000000ull, 0x3FFF};

// ---- basic arithmetic (honour FCW.PC) ------------------------------------------------------
Float80 add(Context& ctx, Float80 a, Float80 b);
Float80 sub(Context& ctx, Float80 a, Float80 b); ///< a - b
Float80 mul(Context& ctx, Float80 a, Float80 b);
Float80 div(Context& ctx, Float80 a, Float80 b); ///< a / b
Float80 sqrt(Context& ctx, Float80 a);

// ---- other arithmetic (always 64-bit precision) ------------------------------------------
struct RemResult {
    Float80 value;
    u8 quotient = 0;         ///< low three quotient bits: bit0 -> C1, bit1 -> C3, bit2 -> C0
    bool incomplete = false; ///< C2: partial remainder, instruction must be repeated
};
RemResult prem(Context& ctx, Float80 a, Float80 b);  ///< FPREM: a rem b, truncating quotient
RemResult prem1(Context& ctx, Float80 a, Float80 b); ///< FPREM1: IEEE remainder (nearest-even quotient)
Float80 round_to_int(Context& ctx, Float80 a);       ///< FRNDINT with FCW.RC
Float80 scale(Context& ctx, Float80 a, Float80 b);   ///< FSCALE: a * 2^trunc(b)

struct XtractResult {
    Float80 exponent;    ///< goes to ST(1)
    Float80 significand; ///< pushed, becomes ST(0)
};
XtractResult xtract(Context& ctx, Float80 a); ///< FXTRACT

enum class Ordering : u8 { Less, Equal, Greater, Unordered };
/// FCOM/FCOMI (signaling=true: any NaN raises IE) and FUCOM/FUCOMI (signaling=false: only SNaN).
Ordering compare(Context& ctx, Float80 a, Float80 b, bool signaling);

// ---- conversions --------------------------------------------------------------------------
Float80 from_int(i64 v); ///< FILD m16/m32/m64: always exact, never raises
i16 to_i16(Context& ctx, Float80 a); ///< FIST m16 with FCW.RC; out of range -> 0x8000 + IE
i32 to_i32(Context& ctx, Float80 a);
i64 to_i64(Context& ctx, Float80 a);
Float80 from_f32(Context& ctx, u32 bits); ///< FLD m32: exact; DE for denormals, SNaN -> IE + quiet
Float80 from_f64(Context& ctx, u64 bits);
u32 to_f32(Context& ctx, Float80 a); ///< FST m32: rounds with FCW.RC to binary32
u64 to_f64(Context& ctx, Float80 a);
/// FBLD: 18 packed BCD digits (byte 0 holds the two lowest), sign in bit 7 of byte 9.
Float80 from_bcd(const u8 (&bcd)[10]);
/// FBSTP: rounds with FCW.RC; out of range or NaN -> IE and the BCD indefinite.
void to_bcd(Context& ctx, Float80 a, u8 (&bcd)[10]);

// ---- transcendental ------------------------------------------------------------------------
Float80 f2xm1(Context& ctx, Float80 x);              ///< 2^x - 1 (x in [-1, 1])
Float80 fyl2x(Context& ctx, Float80 x, Float80 y);   ///< y * log2(x): x = ST(0), y = ST(1)
Float80 fyl2xp1(Context& ctx, Float80 x, Float80 y); ///< y * log2(x + 1)
Float80 fpatan(Context& ctx, Float80 x, Float80 y);  ///< atan(y / x) with quadrant: x = ST(0), y = ST(1)

struct TrigResult {
    Float80 value;
    /// C2: |x| >= 2^63, nothing computed, the operand must be left unchanged (value = x).
    bool out_of_range = false;
};
TrigResult fsin(Context& ctx, Float80 x);
TrigResult fcos(Context& ctx, Float80 x);
/// FPTAN: value = tan(x); the instruction then pushes 1.0 unless out_of_range.
TrigResult fptan(Context& ctx, Float80 x);
struct SinCosResult {
    Float80 sin; ///< replaces ST(0)
    Float80 cos; ///< pushed, becomes ST(0)
    bool out_of_range = false;
};
SinCosResult fsincos(Context& ctx, Float80 x);

// ---- classification ------------------------------------------------------------------------
/// FSW condition bits as FXAM sets them (C0=0x100, C1=0x200 (sign), C2=0x400, C3=0x4000);
/// `empty` is the register's tag state, which the value alone cannot tell.
u16 fxam(Float80 a, bool empty);
/// Two-bit tag for the full tag word: 0 valid, 1 zero, 2 special (NaN, inf, denormal,
/// unsupported). 3 (empty) is never returned: emptiness is not a property of the value.
u8 tag(Float80 a);

} // namespace cpu::sf
