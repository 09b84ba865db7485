// SPDX-License-Identifier: MIT
// Memory groups: accesses in one block through the same segment and base register (no index),
// with that register unchanged between them: [ebp-8], [ebp-12], [ebp+8] in a stack frame,
// [esi+4], [esi+16] in a structure. ESP may move by known amounts in between (PUSH, POP,
// ADD/SUB ESP,imm), and the stack accesses of PUSH, POP, CALL and RET count as accesses
// through it: a prologue's pushes share one check. A group's first access takes the full TLB check and also
// checks, once, that the span of all the group's displacements lies on its page with the
// strongest access the group makes; then r9 holds the host address of base + 0 and each later
// access is [r9 + disp] after one test (r9 zero: the check failed or a call intervened, and
// the access takes the full check out of line). Not here: the code (block_compiler.cpp).
#pragma once

#include "cpu/decoder/insn.h"

#include <vector>

namespace translator {

struct MemGroup {
    i64 disp_first = 0; ///< the first access's displacement
    i64 disp_min = 0;   ///< lowest displacement of any access
    i64 span = 0;       ///< bytes from disp_min to the end of the highest access
    bool write = false; ///< some access writes: the first checks the page is writable
};

struct MemGroupPlan {
    enum Role : u8 { kNone = 0, kFirst = 1, kMember = 2 };
    std::vector<u8> role;          ///< per instruction
    std::vector<u16> group;        ///< per instruction with a role: index into groups
    /// Per instruction with a role: its access's displacement from the group's base. For
    /// groups on ESP the base is ESP where the block (or the last unknown change of ESP)
    /// left it, and PUSH, POP and ADD/SUB ESP,imm move the displacements of later accesses.
    std::vector<i32> disp;
    /// Per instruction with a role: the access is the implicit stack one of PUSH, POP, CALL
    /// or RET (4 bytes at ESP-4 or ESP), not a memory operand.
    std::vector<bool> stack;
    std::vector<bool> close_before; ///< no group survives into this instruction's code
    std::vector<MemGroup> groups;
};

/// Plans the groups of a block; `native[i]` says whether instruction i is lowered to host code
/// (interpreter calls end every group). `reads_skip_tlb`: the block's reads do not look up
/// their TLB entry (kKeyDirectRam), so a write joins a group only when its first access
/// writes too (the first checks a writing group's page through that entry).
MemGroupPlan plan_mem_groups(const cpu::DecodedInsn* insns, u32 n, const std::vector<bool>& native,
                             bool reads_skip_tlb = false);

} // namespace translator
