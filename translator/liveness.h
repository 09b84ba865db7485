// SPDX-License-Identifier: MIT
// Flag liveness over a block: which arithmetic flags each instruction's result must leave in
// EFLAGS. A flag is live after an instruction when a later instruction of the block reads it,
// when a later instruction may fault before it is overwritten (the exception must see exact
// EFLAGS), or at the end of the block. Dead flag computations are not emitted.
#pragma once

#include "cpu/decoder/insn.h"

#include <vector>

namespace translator {

/// Arithmetic flags an instruction reads and writes, and whether it can fault, as the block
/// compiler will translate it (`native`: lowered to host code, else an interpreter call).
struct FlagUse {
    u32 reads = 0;
    u32 writes = 0; ///< flags written unconditionally (partial writers list only those)
    bool may_fault = true;
};

FlagUse flag_use(const cpu::DecodedInsn& insn, bool native);

/// live_after[i] = flags that must be correct in EFLAGS after instruction i.
std::vector<u32> flags_live_after(const std::vector<FlagUse>& uses);

} // namespace translator
