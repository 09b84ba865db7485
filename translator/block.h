// SPDX-License-Identifier: MIT
// Block: one translated run of guest instructions, the state it assumes (BlockKey), where its
// host code lives and how its exits are chained to other blocks. Not here: building blocks
// (block_compiler.h), finding them (block_cache.h).
#pragma once

#include "base/types.h"
#include "cpu/decoder/insn.h"

#include <memory>
#include <vector>

namespace translator {

/// The CPU state a block's code was specialised for. Two executions may share a block only
/// when all of it matches (see block_key.h for `flags`).
struct BlockKey {
    u64 lin_pc = 0;  ///< linear address of the first instruction
    u64 phys_pc = 0; ///< its physical address
    u64 cs_base = 0;
    u32 flags = 0;
    bool operator==(const BlockKey&) const = default;
};

struct BlockKeyHash {
    usize operator()(const BlockKey& k) const {
        u64 h = k.phys_pc * 0x9E3779B97F4A7C15ull;
        h ^= (k.lin_pc + (u64{k.flags} << 32)) * 0xC2B2AE3D27D4EB4Full;
        h ^= k.cs_base;
        return static_cast<usize>(h ^ (h >> 29));
    }
};

struct Block;

/// An exit of a block towards a statically known guest address: a `jmp rel32` in the block's
/// code that first leads to the exit stub (back to the dispatcher) and is later patched to jump
/// straight into the target block.
struct ChainSlot {
    u8* jmp = nullptr;    ///< the E9 opcode byte of the patchable jump
    u8* stub = nullptr;   ///< where the jump leads while unchained
    Block* target = nullptr;
    /// Cross-page exits: the TLB addend the target page must still have for the chained jump
    /// to be taken (patched with the jump; 1, never a real addend, while unchained).
    uptr* expect = nullptr;
    /// A return exit (ReturnPrediction, jit_context.h): no jump to patch (`jmp` is null); the
    /// target's entry goes into this word, which RETs jump through. Taken from a RET in another
    /// block, whose registers are not this block's, so always the reloading entry.
    u8** code_word = nullptr;
};

struct Block {
    BlockKey key;
    u32 ninsns = 0;
    u32 nbytes = 0;       ///< guest bytes covered, from phys_pc; the last tail_len of them on the next page
    /// A last instruction that crosses into the next page (tail_len > 0): that page's linear
    /// and physical address and the TLB addend it had at translation time, which the block
    /// checks before running the instruction.
    u32 tail_len = 0;
    u64 tail_lin = 0;
    u64 tail_phys = 0;
    uptr tail_addend = 0;
    /// The TLB addend (host - linear) of its page: fixed by the key (physical and linear pc).
    uptr page_addend = 0;
    u8* code = nullptr;   ///< start of the host code's hot part (CodeBuffer)
    u32 code_size = 0;
    u8* cold = nullptr;   ///< ... and of its cold part
    u32 cold_size = 0;
    u8* entry = nullptr;  ///< chained jumps and the jump cache: reloads the cached registers
    u8* entry_dispatch = nullptr; ///< the dispatcher: loads the TLB bank, then as `entry`
    /// Past the register reload: for a chained jump from a block that caches every guest
    /// register this one caches in the same host register (JitEngine::chain decides).
    u8* entry_noreload = nullptr;
    /// Per guest GPR: its register-cache slot in this block's code (BlockCompiler), or -1.
    i8 cached_in[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    bool valid = true;
    /// A static exit to its own start may jump back inside the block (no breakpoint was set
    /// at the start when it was translated; setting one retranslates everything).
    bool self_loop = false;
    /// Its id with the execution recorder (the prologue writes it), when one is attached.
    u32 trace_id = 0;
    /// A trace consumer may keep its records: its prologue marks the recorder's buffer needed.
    bool trace_needed = false;
    /// Compiled without memory groups (it left too often when a group's page was gone).
    bool no_groups = false;
    u8 group_exits = 0; ///< times it was left for that (jit_slow_insn_group)
    std::unique_ptr<cpu::DecodedInsn[]> insns; ///< decoded instructions (fallback calls use them)
    ChainSlot slots[2];
    /// Blocks whose slots jump here: (block, slot index), unpatched when this block goes.
    std::vector<std::pair<Block*, u8>> incoming;
};

} // namespace translator
