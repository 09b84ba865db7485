// SPDX-License-Identifier: MIT
// A minimal SMBIOS 2.4 table set for direct kernel boot (no BIOS to provide one): BIOS
// information (type 0), system information (type 1) and the end marker (type 127), with the
// "_SM_" entry point that guests find in 0xF0000-0xFFFFF. SeaBIOS builds its own.
#pragma once

#include "base/types.h"

#include <vector>

namespace devices::firmware {

struct SmbiosImage {
    std::vector<u8> entry; ///< 31-byte entry point: copy to a 16-byte boundary in 0xF0000-0xFFFFF
    std::vector<u8> table; ///< structures: copy to `table_addr`
};

/// Builds the tables for a structure area placed at `table_addr`.
SmbiosImage build_smbios(u32 table_addr);

} // namespace devices::firmware
