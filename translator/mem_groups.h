// SPDX-License-Identifier: MIT
// Memory groups: accesses in one block through the same segment and base register (no index),
// with that register unchanged between them: [ebp-8], [ebp-12], [ebp+8] in a stack frame,
// [esi+4], [esi+16] in a structure. ESP may move by known amounts in between (PUSH, POP,
// ADD/SUB ESP,imm), and the stack accesses of PUSH, POP, CALL and RET count as accesses
// through it: a prologue's pushes share one check. A group's first access takes the full TLB check and also
// checks, once, that the span of all the group's displacements lies on its page with the
// strongest access the group makes; then r9 holds the host address of base + 0 and each later
// access is [r9 + disp], with no check at all. Whatever could leave r9 wrong sends the
// instruction to the interpreter: the first access missing the TLB or the group's check
// failing, or another access's slow path inside the group. After it the group's page is looked
// up again (jit_slow_insn_group); where that fails, the block is left after the instruction,
// and a block left that way again and again is translated anew without groups. Not here: the
// code (block_compiler.cpp).
#pragma once

#include "cpu/decoder/insn.h"

#include <vector>

namespace translator {

struct MemGroup {
    i64 disp_first = 0; ///< the first access's displacement
    i64 disp_min = 0;   ///< lowest displacement of any access
    i64 span = 0;       ///< bytes from disp_min to the end of the highest access
    bool write = false; ///< some access writes: the first checks the page is writable
    u8 seg = 0;         ///< the accesses' segment register
    u8 base = 0;        ///< and base register (kRsp: a group on ESP, see MemGroupPlan::disp)
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
    /// Per instruction: ESP after it less the base of groups on ESP (see `disp`), so that ESP
    /// then gives the base back (a group's slow paths find its page again from it).
    std::vector<i32> esp_after;
    /// Per group: the index of its last access (r9 is needed up to there).
    std::vector<u32> last_access;
    std::vector<MemGroup> groups;
};

/// Plans the groups of a block; `native[i]` says whether instruction i is lowered to host code
/// (interpreter calls end every group). `reads_skip_tlb`: the block's reads do not look up
/// their TLB entry (kKeyDirectRam), so a write joins a group only when its first access
/// writes too (the first checks a writing group's page through that entry).
MemGroupPlan plan_mem_groups(const cpu::DecodedInsn* insns, u32 n, const std::vector<bool>& native,
                             bool reads_skip_tlb = false);

} // namespace translator
