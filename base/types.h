// SPDX-License-Identifier: MIT
// Fixed-width integer names used everywhere in tx86. Nothing emulator-specific lives here.
#pragma once

#include <cstddef>
#include <cstdint>

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i8 = std::int8_t;
using i16 = std::int16_t;
using i32 = std::int32_t;
using i64 = std::int64_t;
using usize = std::size_t;
using uptr = std::uintptr_t;

/// A 128-bit value as two 64-bit halves (XMM registers, FXSAVE slots).
struct U128 {
    u64 lo = 0;
    u64 hi = 0;
    bool operator==(const U128&) const = default;
};
