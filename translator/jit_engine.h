// SPDX-License-Identifier: MIT
// JitEngine: the translator's ExecutionEngine. Its dispatcher finds (or translates) the block
// for the current CPU state, enters its host code, and on return chains the block it came from
// to the one it goes to. Interrupts, HLT, the single-step trap and anything it cannot translate
// go through the interpreter's step(). Owns the block cache, the code buffer and the jump cache.
#pragma once

#include "base/huge_pages.h"
#include "cpu/cpu.h"
#include "translator/block.h"
#include "translator/block_compiler.h"
#include "translator/code_buffer.h"
#include "translator/jit_context.h"

#include <cstdio>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace translator {

class JitEngine final : public cpu::ExecutionEngine {
public:
    JitEngine();
    ~JitEngine() override;
    cpu::RunExit run(cpu::Cpu& cpu, u64 budget) override;
    void invalidate_code(u64 pa, u64 len) override;
    void tlb_flushed() override;

    const JitStats& stats() const { return m_ctx.stats; }

    /// The block that would run next (translated now if needed), or nullptr when the next
    /// instruction goes to the interpreter. For the lockstep checker.
    Block* block_at(cpu::Cpu& cpu);
    /// Executes exactly one instruction (or delivers its fault) as a translated block of one
    /// instruction: interp::step's contract, for the instruction test vectors.
    cpu::Status step_one(cpu::Cpu& cpu);
    /// Limits blocks to `n` instructions (flushing what is cached). For the lockstep checker,
    /// which narrows a divergence down to one instruction.
    void set_max_block_insns(u32 n);
    /// For a whole guest (the board): back the code buffer's first pages ahead of need
    /// (CodeBuffer::prefault_in_background), sized to what a Linux boot fills.
    void prefault_code_buffer();
    /// Counters and the most frequent interpreter fallbacks.
    void print_stats(std::FILE* out) const;
    /// `b` was left too often because a memory group's page was gone (jit_slow_insn_group):
    /// it goes, and its key is translated without groups from now on. `b` may be running: its
    /// caller leaves it at once.
    void translate_without_groups(Block& b);

private:
    using EnterFn = u32 (*)(cpu::CpuState* state, JitContext* ctx, const u8* code);

    void init(cpu::Cpu& cpu);
    /// The block for the current state, translated if needed; nullptr when the interpreter
    /// must run the next instruction (TLB miss on the fetch, MMIO code, undecodable bytes).
    Block* find_block(cpu::Cpu& cpu);
    Block* translate(cpu::Cpu& cpu, const BlockKey& key, const u8* host);
    /// The page after a block's, for a last instruction crossing into it.
    struct TailPage {
        u64 lin = 0;
        u64 phys = 0;
        uptr addend = 0;
        const u8* host = nullptr;
        u32 len = 0; ///< bytes of the instruction on that page
    };
    /// Fills `out` when the fetch TLB maps `lin` (no walk); sets m_retry_later when it does not.
    bool tail_page(cpu::Cpu& cpu, u64 lin, TailPage& out);
    bool m_retry_later = false; ///< the last translate() failed only for want of a TLB entry
    /// The block for `key` (`host`: its code bytes): the block cache, then the map, then a new
    /// translation; nullptr when the interpreter must run it.
    Block* lookup_or_translate(cpu::Cpu& cpu, const BlockKey& key, const u8* host);
    /// The budget translated code may run with: `budget`, less when a recorder is attached
    /// (see TraceRecorder::unchecked), whose full buffer is changed first.
    i64 record_budget(u64 budget);
    struct BlockCacheLine;
    BlockCacheLine& cache_line(const BlockKey& key);
    /// Sets CpuLayout's RAM window for a kKeyDirectRam block whose code is at `phys_pc`.
    void direct_window(const mmu::PhysMap& phys, u64 phys_pc);
    struct DirectRun {
        u64 lo, hi;
        uptr host; ///< host address of physical 0, valid in [lo, hi)
    };
    std::vector<DirectRun> m_direct_runs;
    static std::FILE* perf_map(); ///< TX86_PERF_MAP=1: perf's JIT symbol file, else nullptr
    static void write_perf_symbols(const Block& b);
    void invalidate_block(Block* b);
    void flush_all();
    void chain(Block* from, unsigned slot, Block* to, uptr addend);
    void unchain(Block* from, unsigned slot);
    static void patch_jump(u8* jmp, const u8* target);

    cpu::Cpu* m_cpu = nullptr;
    CodeBuffer m_code;
    usize m_code_mark = 0; ///< end of the permanent trampoline code
    EnterFn m_enter = nullptr;
    CpuLayout m_layout;
    JitContext m_ctx;
    std::unique_ptr<BlockCompiler> m_compiler;
    base::HugeArray<JumpCacheEntry> m_jump_cache;
    std::unique_ptr<Block*[]> m_jump_cache_blocks; ///< the Block of each jump-cache line
    std::unique_ptr<u64[]> m_fallback_counts;
    std::unique_ptr<u64[]> m_miss_counts; ///< jump-cache misses by the probing block's last row
    std::unordered_map<BlockKey, Block*, BlockKeyHash> m_map;
    /// Keys translated without memory groups (translate_without_groups); cleared when it
    /// reaches kMaxGroupless keys, which bounds it.
    std::unordered_set<BlockKey, BlockKeyHash> m_groupless;
    static constexpr usize kMaxGroupless = usize{1} << 16;
    /// A direct-mapped cache in front of m_map (by the key's hash), for the dispatcher's
    /// lookups that miss the jump cache: one line costs much less than the map's bucket walk.
    /// A line is cleared when its block is invalidated; all are when everything is flushed.
    struct BlockCacheLine {
        BlockKey key;
        Block* block = nullptr;
        bool untranslatable = false; ///< translate() failed for `key`: the interpreter runs it
    };
    static constexpr usize kBlockCacheSize = usize{1} << 16;
    std::unique_ptr<BlockCacheLine[]> m_block_cache;
    std::vector<std::unique_ptr<Block>> m_blocks;
    std::unordered_map<u64, std::vector<Block*>> m_by_page; ///< physical page -> its blocks
    u64 m_phys_generation = 0;
    u64 m_direct_generation = 0; ///< the physical map's generation the RAM window is for
    u32 m_max_block_insns;
    uptr m_last_addend = 0; ///< TLB addend of the page find_block last looked up
    cpu::TraceRecorder* m_recorder = nullptr; ///< the recorder blocks were emitted for
    u64 m_debug_generation = 0;  ///< breakpoints the cached blocks respect
};

} // namespace translator
