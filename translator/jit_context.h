// SPDX-License-Identifier: MIT
// JitContext: the per-CPU data translated code reaches through r12 (jump cache, the chain
// request of the last exit; the budget is Cpu::jit_budget_left, through rbx), the exit codes
// blocks return to the dispatcher, and the counters `-d jit` prints. Register conventions of
// translated code: rbx = &cpu.s (CpuState), r12 = &JitContext, r13 = the TLB bank for the
// block's privilege; everything else is scratch.
#pragma once

#include "base/types.h"
#include "cpu/trace_record.h"

namespace translator {

struct Block;
class JitEngine;

/// Why translated code returned to the dispatcher (cpu.s.rip is always the next instruction).
enum ExitCode : u32 {
    kExitContinue = 0, ///< (helpers only) keep running the block
    kExitNext = 1,     ///< look up the block at rip
    kExitChain = 2,    ///< as kExitNext, and chain_block/chain_slot may be patched to it
    // 3 was kExitIrq: a pending interrupt now zeroes the budget (Cpu::kick_translated_code).
    kExitBudget = 4,   ///< not enough budget left for the next block
    kExitStop = 5,     ///< shutdown (triple fault, reset)
};

/// One jump-cache line: linear address and mode of a block's start -> its checked entry.
struct JumpCacheEntry {
    u64 lin_pc = ~u64{0};
    u64 mode = 0; ///< key flags | cs_base << 32
    u8* code = nullptr;
    /// The TLB addend (host - linear) of the block's page when it was entered here: a probe hits
    /// only while the current TLB still maps the page to the same host page, so TLB flushes
    /// need not clear the jump cache.
    uptr addend = 1;
};
static_assert(sizeof(JumpCacheEntry) == 32);

/// 128K lines (4 MiB). With 8K, lines of the Linux workloads' blocks kept evicting each other
/// (about 5M conflict misses on boot + bench/linux_bench.py). With 32K, 600 fork+exec still
/// met 310 misses each on a line holding another address (mostly RETs), each a trip through
/// the dispatcher; with 128K, 90, and the loop took about 4% less (the boot the same).
constexpr unsigned kJumpCacheBits = 17;
constexpr u32 kJumpCacheSize = 1u << kJumpCacheBits;

/// Hash of a linear address into the jump cache (generated code computes the same).
inline u32 jump_cache_index(u64 lin) {
    return static_cast<u32>((lin ^ (lin >> kJumpCacheBits)) & (kJumpCacheSize - 1));
}

/// One return prediction, in a small table indexed by the guest's stack pointer. A guest CALL
/// stores there the address it will return to (with its block's key flags), the TLB epoch
/// (mmu::ShadowSpaces::epoch) and its block's return exit: a chainable exit of the CALL's
/// block towards that address, chained by storing the target's entry in a code word instead
/// of patching a jump (unchained, the word leads to the exit's stub, which asks the dispatcher
/// for the chain). A RET that finds its target, mode and the same epoch in the entry of its
/// stack slot jumps through the word. Without a match it probes the jump cache, whose lines
/// the returns of a busy callee (a PIC thunk, a getc) scatter over 4 MiB.
///
/// Why the epoch is enough: the return address is on the CALL's page (else no prediction), so
/// at the CALL the TLB maps it as when the CALL's block was entered, and a return exit is
/// chained only to a block found through that mapping (JitEngine::chain). The epoch moves with
/// every TLB flush, space switch and dropped entry, so while it stands the mapping does too.
/// Unlike the jump cache's check, it needs no load from the TLB entry of the code page, which
/// no data access keeps in the host's cache.
///
/// Indexed by ESP rather than by a pushed and popped top: a top in memory made every CALL and
/// RET wait on the one before (pipe 8MB 5% slower). Any entry whose tag and epoch match leads
/// to the right block, whoever stored it, so the table is only a cache: unbalanced calls,
/// other stacks and collisions just miss.
struct ReturnPrediction {
    u64 tag = ~u64{0}; ///< return EIP | key flags << 32 (key flags never reach 0xFFFFFFFF)
    u8* const* code_word = nullptr;
    u64 epoch = 0;
    u64 unused = 0;
};
static_assert(sizeof(ReturnPrediction) == 32);
/// Slots: 256 dwords of stack (1 KiB) before two frames share one.
constexpr u32 kReturnStackSize = 256;
/// (ESP & this) * 8 is the byte offset of the slot.
constexpr u32 kReturnStackMask = (kReturnStackSize - 1) << 2;

struct JitStats {
    u64 blocks_translated = 0;
    u64 insns_translated = 0;
    u64 insns_native = 0;       ///< of insns_translated, lowered to host code
    u64 blocks_invalidated = 0;
    u64 flushes = 0;            ///< whole translation cache flushes
    u64 dispatches = 0;         ///< returns to the dispatcher
    u64 chains = 0;             ///< jumps patched block to block
    u64 chains_noreload = 0;    ///< ... of them past the register reload (same registers)
    u64 return_chains = 0;      ///< ... of them return exits (ReturnPrediction)
    u64 helper_calls = 0;       ///< interpreter handler calls (fallbacks and slow paths)
    u64 interp_steps = 0;       ///< instructions run by the interpreter outside any block
    u64 jump_cache_fills = 0;
    u64 map_lookups = 0;        ///< dispatcher lookups that missed the jump and block caches
    u64 smc_writes = 0;         ///< writes to pages holding translated code
    u64 exits[6] = {};          ///< dispatcher returns by ExitCode
    u64 jump_cache_clears = 0;  ///< TLB flushes that emptied the jump cache
    u64 blocks_reg_cached = 0;  ///< blocks compiled with guest registers in host registers
    u64 reg_cache_fallbacks = 0; ///< ... compiled again without (a lowering needed memory)
    u64 self_loops = 0;          ///< back edges compiled inside their block
    u64 mem_groups = 0;          ///< memory groups compiled (mem_groups.h)
    u64 mem_group_accesses = 0;  ///< accesses compiled as [r9 + disp] after a group's first
    u64 group_exits = 0;         ///< blocks left because a group's page could not be found again
    u64 groupless_blocks = 0;    ///< blocks translated again without groups (left too often)
    u64 member_fallbacks = 0;    ///< compiled again: a group's later access took its full check
};

/// Where a memory group's page is after an instruction of the group ran in the interpreter:
/// base = segment base + guest register `base` (less `esp_after` for a group on ESP), the
/// group's accesses [base + disp_min, + span) with writes if `write` (JitContext::group_site).
struct GroupSite {
    i32 disp_min = 0;
    i32 esp_after = 0;
    u16 span = 0;
    u8 seg = 0;
    u8 base = 0;
    u8 write = 0;
    u8 pad[3] = {};
};
static_assert(sizeof(GroupSite) == 16);

struct JitContext {
    Block* chain_block = nullptr; ///< set by a chainable exit: its block and slot
    u64 chain_slot = 0;
    JumpCacheEntry* jump_cache = nullptr;
    u64* fallback_counts = nullptr; ///< per InsnId, when profiling (-d jit)
    Block* probe_miss = nullptr;    ///< set by a jump-cache miss: the block that probed
    /// The recorder's cursor field, when one is attached: translated code keeps the cursor in
    /// rbp (the trampoline loads it from here, the epilogue stores it back).
    cpu::TraceRecord** trace_cursor = nullptr;
    /// For lowerings that compute on the host's x87 (lower_x87_host.cpp): the control word
    /// they load (the guest's precision and rounding, every exception masked), the host's
    /// own (JitEngine::init reads it), and where a result waits until it is checked.
    u16 x87_guest_fcw = 0;
    u16 x87_host_fcw = 0x037F;
    alignas(16) u8 x87_tmp[16] = {};
    const u64* tlb_epoch = nullptr; ///< mmu::ShadowSpaces::epoch of the CPU
    /// A memory group's slow path (jit_slow_insn_group): where to find the group's page after
    /// the interpreter ran the instruction (GroupSite, stored by the slow path's stub), and
    /// r9's new value, which the stub loads back.
    GroupSite group_site;
    u8* group_base = nullptr;
    JitEngine* engine = nullptr; ///< for helpers that must retranslate their block
    const u64* code_chunks = nullptr; ///< mmu::PhysMap's chunk masks of code pages
    alignas(16) ReturnPrediction ret_stack[kReturnStackSize];
    JitStats stats;
};

} // namespace translator
