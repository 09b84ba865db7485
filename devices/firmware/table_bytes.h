// SPDX-License-Identifier: MIT
// Little helpers shared by the firmware-table builders (MADT, MP table, SMBIOS): appending
// little-endian fields and fixed-width space-padded text to a byte vector, and the 8-bit
// checksum that makes a structure sum to zero, as ACPI, MPS and SMBIOS all define it.
#pragma once

#include "base/types.h"

#include <vector>

namespace devices::table_bytes {

inline void put8(std::vector<u8>& t, u32 v) { t.push_back(static_cast<u8>(v)); }
inline void put16(std::vector<u8>& t, u32 v) {
    put8(t, v);
    put8(t, v >> 8);
}
inline void put32(std::vector<u8>& t, u32 v) {
    put16(t, v);
    put16(t, v >> 16);
}
/// A fixed-width ASCII field of `n` bytes, padded with spaces.
inline void put_text(std::vector<u8>& t, const char* s, usize n) {
    for (usize i = 0; i < n; ++i) {
        put8(t, *s ? static_cast<u8>(*s++) : u8{' '});
    }
}
/// The byte that makes t[from, from + n) sum to zero (mod 256) when stored inside it.
inline u8 checksum(const std::vector<u8>& t, usize from, usize n) {
    u8 sum = 0;
    for (usize i = from; i < from + n; ++i) {
        sum = static_cast<u8>(sum + t[i]);
    }
    return static_cast<u8>(-sum);
}

} // namespace devices::table_bytes
