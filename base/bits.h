// SPDX-License-Identifier: MIT
// Small bit-manipulation helpers with defined behaviour for every input.
#pragma once

#include "base/types.h"

#include <bit>
#include <type_traits>

namespace base {

/// Bits [lo, lo+width) of v.
constexpr u64 extract(u64 v, unsigned lo, unsigned width) {
    return width >= 64 ? v >> lo : (v >> lo) & ((u64{1} << width) - 1);
}

/// Sign-extends the low `bits` bits of v to 64 bits.
constexpr u64 sign_extend(u64 v, unsigned bits) {
    if (bits >= 64) {
        return v;
    }
    const u64 m = u64{1} << (bits - 1);
    v &= (u64{1} << bits) - 1;
    return (v ^ m) - m;
}

/// Even parity of the low byte, as x86 PF defines it (true = even number of set bits).
constexpr bool parity_even(u64 v) { return (std::popcount(static_cast<u8>(v)) & 1) == 0; }

/// Mask of the low `bytes` bytes.
constexpr u64 size_mask(unsigned bytes) { return bytes >= 8 ? ~u64{0} : (u64{1} << (bytes * 8)) - 1; }

/// Sign bit of a value of `bytes` bytes.
constexpr u64 sign_bit(unsigned bytes) { return u64{1} << (bytes * 8 - 1); }

template <typename T> constexpr std::make_signed_t<T> as_signed(T v) {
    return static_cast<std::make_signed_t<T>>(v);
}

} // namespace base
