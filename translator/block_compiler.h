// SPDX-License-Identifier: MIT
// BlockCompiler: turns one block's decoded instructions into host code with asmjit. Each
// instruction is either lowered to host instructions (the lower_*.cpp files) or becomes a call
// of the interpreter's handler for that one instruction; a lowered instruction's rare cases
// (TLB miss, MMIO, a page holding code, a fault) take the same call, out of line, before the
// instruction has changed anything, so faults are precise without unwinding host frames.
// Not here: choosing the instructions of a block (jit_engine.cpp), the block cache.
#pragma once

#include "cpu/cpu.h"
#include "translator/block.h"
#include "translator/jit_context.h"
#include "translator/mem_groups.h"

#include <asmjit/x86.h>

#include <vector>

namespace translator {

/// Addresses generated code needs: fields of the Cpu as displacements from &cpu.s (rbx), and
/// the shared epilogue.
struct CpuLayout {
    i32 icount = 0;
    i32 icount_limit = 0; ///< Cpu::jit_icount_limit
    i32 intr_line = 0;    ///< Cpu::intr_line (a bool)
    i32 tlb_bank[2] = {};
    i32 cpu_from_state = 0; ///< &cpu - &cpu.s
    u8* epilogue = nullptr; ///< restores host registers and returns eax to the dispatcher
    /// Shared tails of every block's exits (JitEngine::init), so that each block's cold code
    /// holds a few bytes per exit instead of the flag merge and stores each time (a boot
    /// emits some 180,000 exits). Entered by jump with the flags all in r10:
    /// chain_exit: eax = the target EIP, rsi = the Block, edi = its slot; a chain request.
    u8* chain_exit = nullptr;
    /// budget_exit: eax = the block's start EIP; leaves with kExitBudget.
    u8* budget_exit = nullptr;
    /// The execution recorder's cursor (followed by its limit), or nullptr: blocks then write
    /// a TraceRecord from their prologue (cpu/trace_record.h).
    cpu::TraceRecord** trace_cursor = nullptr;
    u32 trace_wrap_bytes = 0; ///< the recorder's TraceRecorder::wrap_bytes
    /// PhysMap's chunk masks of code pages (mmu/chunk_masks.h), indexed by page number.
    const u64* code_chunks = nullptr;
    /// For blocks keyed kKeyDirectRam: physical [direct_lo, direct_hi) is plain RAM at
    /// direct_host + address (JitEngine::direct_window; empty when lo == hi). A change of the
    /// physical map flushes every block, so the window compiled into one stays true.
    uptr direct_host = 0; ///< host address of physical address 0 (within the window only)
    u32 direct_lo = 0;
    u32 direct_hi = 0;
};

class BlockCompiler;

/// A lowering: `can` says whether this form (operands, sizes, the block's mode flags) is
/// lowered; `emit` then emits it. Rows without one become interpreter calls.
struct Lowering {
    bool (*can)(const cpu::DecodedInsn& insn, u32 key_flags) = nullptr;
    void (*emit)(BlockCompiler& bc) = nullptr;
};

/// The lowering of each InsnId. Filled by the lower_*.cpp files.
struct LoweringTable {
    Lowering fn[cpu::kInsnCount] = {};
};

/// True when a block must end after `insn` because it may change what the block's key
/// describes (segment loads, privilege, control registers) or needs prompt device service.
bool ends_block_mode(const cpu::DecodedInsn& insn);
/// True for the mode changers after which a block checks the mode and, when unchanged, goes on
/// through the jump cache instead of the dispatcher (BlockEnd::ModeCheck).
bool continues_in_mode(const cpu::DecodedInsn& insn);
const LoweringTable& lowering_table();
void install_lower_alu(LoweringTable& t);
void install_lower_control(LoweringTable& t);
void install_lower_mul_shift(LoweringTable& t);
void install_lower_system(LoweringTable& t);
void install_lower_bit(LoweringTable& t);
void install_lower_x87(LoweringTable& t);
void install_lower_x87_host(LoweringTable& t);
void install_lower_string(LoweringTable& t);

/// Translated code keeps the arithmetic flags in the layout LAHF + SETO AL leave in eax (the
/// "capture layout": SF ZF AF PF CF at bits 8..15, OF as bit 0). These convert a register in
/// place: from EFLAGS layout (other bits of the result are garbage), and back (to be masked;
/// `with_of` false leaves OF out).
void emit_eflags_to_capture(asmjit::x86::Assembler& a, const asmjit::x86::Gp& reg);
void emit_capture_to_eflags(asmjit::x86::Assembler& a, const asmjit::x86::Gp& reg, bool with_of);

/// How the block ends.
enum class BlockEnd : u8 {
    Fallthrough, ///< the next instruction (chainable exit to next_eip)
    Taken,       ///< a lowering already emitted the exits
    Dispatcher,  ///< rip is set; return to the dispatcher (modes may have changed)
    Dynamic,     ///< rip is set and the mode unchanged: probe the jump cache
    ModeCheck,   ///< rip is set; probe the jump cache if the mode is still the block's
};

class BlockCompiler {
public:
    BlockCompiler(const CpuLayout& layout, JitContext& ctx);

    /// Where a block's code goes: its hot part (entry, body, chained jumps) at `hot`, its cold
    /// part (slow paths, exit stubs) at `cold`, each with room for that many bytes.
    struct Dest {
        u8* hot;
        usize hot_cap;
        u8* cold;
        usize cold_cap;
    };
    /// Sizes of the two parts written; {0, 0} if the block does not fit or cannot be compiled.
    struct Sizes {
        usize hot = 0;
        usize cold = 0;
    };

    /// Compiles `block` (key, insns, ninsns set) into `dst`. `pred`, when known, is the block
    /// whose exit led here: guest registers both cache go in the host registers it uses.
    Sizes compile(Block& block, const Dest& dst, const Block* pred = nullptr);

    // ---- for lowerings ----
    asmjit::x86::Assembler& a() { return *m_a; }
    const cpu::DecodedInsn& insn() const { return m_block->insns[m_index]; }
    u64 eip() const { return m_eip; }           ///< this instruction's EIP
    u64 next_eip() const { return m_next_eip; } ///< the one after it
    u32 key_flags() const { return m_block->key.flags; }
    bool last() const { return m_index + 1 == m_block->ninsns; }

    /// The guest GPR `idx` of `size` bytes (high byte registers for AH..BH): the host
    /// register that holds it in this block (register cache below), or its CpuState slot.
    /// Emit with `a().emit(id, ...)`, which takes either.
    asmjit::Operand gpr(unsigned idx, unsigned size, bool high = false);
    asmjit::Operand gpr_op(unsigned n); ///< operand n, which must be a GPR
    /// The guest GPR's CpuState slot, for lowerings that need a memory operand. Fails the
    /// cached compile (the block is then compiled again without the register cache) when the
    /// register is cached.
    asmjit::x86::Mem gpr_mem(unsigned idx, unsigned size, bool high = false);
    /// A CpuState field. A range covering EFLAGS first brings the deferred flags (below) to
    /// memory, so the lowering may read or change any bit of it; call it where the code is
    /// straight-line (not on one side of a branch only).
    asmjit::x86::Mem state(i32 offset, unsigned size);
    /// EFLAGS in CpuState for bits outside the arithmetic flags (DF, IF), which are never
    /// deferred: no merge is emitted.
    asmjit::x86::Mem eflags_system_bits() const;

    /// Emits the effective address, the segment base and the TLB check for an access of
    /// `size` bytes; on a hit the host address is in rdx (clobbers rcx, r8). A miss runs the
    /// whole instruction in the interpreter. `aligned`: a misaligned access misses too (one
    /// compare); otherwise only one that crosses its page does (two more instructions).
    void mem_host(mmu::Access acc, unsigned size, bool aligned = true);
    /// The same for an instruction's own stack access, 4 bytes at SS:ESP + delta (flat
    /// stack): rdx = host address. A memory group may cover it (MemGroupPlan::stack).
    void stack_host(i32 delta, mmu::Access acc);
    /// The effective address of the memory operand into ecx (32-bit addressing).
    void emit_ea();
    /// ecx = guest GPR `idx` + `delta` (32 bits, wrapping): one LEA when it is cached.
    void gpr_plus_into_ecx(unsigned idx, i32 delta);
    /// Given an offset in ecx: adds segment `seg`'s base and does the TLB check as mem_host.
    void seg_host(unsigned seg, mmu::Access acc, unsigned size, bool aligned = true);
    /// As seg_host for the page of the byte at segment offset ecx, for a run of accesses
    /// within that page that the caller bounds: the TLB must allow `acc` on the fast path.
    /// Writes to a page holding translated code always miss (no chunk test, which looks at
    /// one access only). On a hit: rdx = host address of the byte, ecx = its linear address.
    void seg_host_page(unsigned seg, mmu::Access acc);

    /// Emits the capture of the host flags just set into guest EFLAGS: the bits of `written`
    /// that are live after this instruction. `clear_af`: AF is architecturally 0 (logic ops).
    void flags_written(u32 written, bool clear_af = false);
    /// Loads guest EFLAGS into the host flags for condition `cc` (Jcc/SETcc/CMOVcc).
    void load_flags_for_cond(unsigned cc);
    /// Host flags already hold the guest flags (the previous instruction set them and this one
    /// is the fused consumer).
    bool host_flags_valid() const { return m_host_flags_valid; }
    /// True when some flag of `written` must reach EFLAGS after this instruction.
    bool flags_live(u32 written) const { return (written & m_live_after[m_index]) != 0; }
    /// Takes the flags computed in `value` (EFLAGS layout) as the live bits of `written`: they
    /// join the deferred flags in r10. Clobbers `value` and the host flags.
    void flags_store(const asmjit::x86::Gp& value, u32 written);
    /// The guest's CF into the host's CF (ADC, SBB), wherever it is deferred or stored.
    void emit_cf_to_host();
    /// For INC and DEC, which keep CF, right before the host instruction: the flags it will
    /// leave for flags_written(). A CF deferred in r10 is put into the host's CF (which the
    /// host's INC/DEC keeps as well), so all six are captured at once, with no merge, and a
    /// fused Jcc may use the host flags.
    u32 flags_of_cf_keeper();
    /// CLC (kIdAnd), STC (kIdOr), CMC (kIdXor) on the guest's CF wherever it is.
    void emit_cf_op(asmjit::x86::Inst::Id op);

    /// Block exits for lowerings of control transfers (the last instruction of a block).
    void exit_static(u64 target_eip);          ///< chainable when on the block's page
    void exit_dynamic_eax();                   ///< new EIP in eax: jump cache, then dispatcher
    /// A RET's exit (new EIP in eax, ESP already moved up by `esp_moved`): its return
    /// prediction (ReturnPrediction), then as exit_dynamic_eax.
    void exit_return_eax(i32 esp_moved);
    /// A CALL returning to `ret_eip`, after its push: stores a ReturnPrediction for the block's
    /// extra chainable exit, the return exit. Uses rcx and rdx. Before the CALL's own exit.
    void push_return_prediction(u64 ret_eip);
    void end_taken() { m_end = BlockEnd::Taken; }

    /// Calls `fn(Cpu*, arg)` (SysV) in the middle of a lowering, with cpu.icount exact at this
    /// instruction (the clock reads it) and the deferred flags and register cache kept; the
    /// result is in rax (and rdx). Guest registers in CpuState are not brought up to date:
    /// `fn` must not read them.
    void call_helper(const void* fn, u64 arg);

    /// Label of this instruction's out-of-line interpreter call.
    asmjit::Label slow_label();

    const CpuLayout& layout() const { return m_layout; }
    /// A JitContext field (offsetof(JitContext, ...)), addressed through the context register.
    asmjit::x86::Mem context(i32 offset, unsigned size) const;

    /// Register cache: up to kCachedRegs guest GPRs live in callee-saved host registers for
    /// the whole block, loaded after the prologue and stored back before anything that reads
    /// CpuState (interpreter calls, exits, chained jumps). Spill and reload are plain MOVs,
    /// so host flags survive them.
    static constexpr unsigned kCachedRegs = 4;
    void spill_cached();  ///< cached guest registers -> CpuState
    void reload_cached(); ///< CpuState -> cached guest registers

    /// Deferred flags: a lowered instruction's live arithmetic flags are captured into r10
    /// (LAHF + SETO layout: SF ZF AF PF CF at bits 8..15, OF as bit 0) and merged into
    /// CpuState's EFLAGS only when something reads it there: an interpreter call (slow paths
    /// included, with the state as of their instruction), an exit to the dispatcher, or a
    /// lowering that reads EFLAGS. Between blocks they stay in r10: every block is entered
    /// with all six arithmetic flags in r10 (the trampoline loads them from EFLAGS; chained
    /// jumps and jump-cache hits pass them on, flags_all_in_r10), and EFLAGS in memory is
    /// stale in those bits until an exit merges them. This keeps read-modify-writes of EFLAGS
    /// in memory off flag writers and block boundaries.
    void materialize_flags(); ///< merge now (straight-line code); nothing deferred after it
    void emit_flag_merge();   ///< merge on this path only (exits); the deferral stays
    void flags_all_in_r10();  ///< before a jump into another block: all six in r10
    void emit_reload_flags(); ///< r10 <- EFLAGS (after an interpreter call)
    void emit_host_flags_from_r10(bool with_of); ///< the deferred flags into the host's (eax clobbered)
    void emit_merge_all();    ///< all six from r10 into EFLAGS (exits after flags_all_in_r10)
    /// Merges flags in capture layout from src into EFLAGS through scratch (clobbered).
    void emit_capture_merge(const asmjit::x86::Gp& src, const asmjit::x86::Gp& scratch, u32 mask, bool clear_af);
    /// A jump to shared code (CpuLayout), by rel32 when in reach.
    void emit_jmp_to(const void* target);
private:
    bool choose_cached_regs();
    void mark_native(); ///< m_native: which instructions have a lowering for their form
    Sizes compile_once(Block& block, const Dest& dst);
    /// compile_once with the register cache, and again without it when a lowering could not
    /// work with a cached register.
    Sizes compile_cached_or_not(Block& block, const Dest& dst, bool cache_off);
    void emit_prologue();
    void reload_tlb_bank(); ///< r13 = the bank of the block's privilege in the current space
    void emit_trace_record();
    /// The budget check, the recorder's record and the icount add of a block entry.
    void emit_entry_accounting();
    void emit_tail_check(); ///< before a page-crossing last instruction (Block::tail_len)
    /// CpuState as the interpreter must find it at this instruction: cached registers and
    /// deferred flags stored (the deferral stays), rip and icount exact.
    void emit_state_at_insn();
    void emit_instruction();
    void emit_interp_call(bool out_of_line);
    void emit_end();
    void emit_slow_paths();
    /// The one out-of-line interpreter call slow paths share; `group`: the one of group sites
    /// (Slow::group), through jit_slow_insn_group, with r9 loaded back after it.
    void emit_shared_slow_path(bool group);
    void store_trace_cursor(); ///< rbp -> the recorder's cursor (before interpreter calls)
    void load_trace_cursor();  ///< the recorder's cursor -> rbp (after them)
    void emit_exit_code(u32 code);
    void emit_probe_jump_cache(bool spill = true); ///< rip in eax (and stored)
    void emit_call(const void* fn);
    /// CALL (E8) or JMP (E9) rel32 to an address; false if it is out of reach.
    bool emit_rel32(u8 opcode, const void* target);
    void emit_icount_adjust(i64 delta);
    void seg_host_impl(unsigned seg, mmu::Access acc, unsigned size, bool aligned, bool chunk_test);
    /// seg_host's TLB lookup of the linear address in ecx (the part after the segment).
    void emit_tlb_check(mmu::Access acc, unsigned size, bool aligned, bool chunk_test);
    /// mem_host and stack_host: the group's way for the access the planner took (`stack`:
    /// the instruction's own stack access at ESP + stack_delta), else the full check.
    void planned_access(bool stack, i32 stack_delta, mmu::Access acc, unsigned size, bool aligned);
    /// The full check of the memory operand, or of the stack access at ESP + stack_delta.
    void emit_full_access(bool stack, i32 stack_delta, mmu::Access acc, unsigned size, bool aligned);
    /// After the full check of a group's first access (rdx, ecx, r8 as seg_host leaves them):
    /// r9 = host address of base + 0 when the group's span is on the page with its access,
    /// else the instruction's slow path.
    void emit_group_start(const MemGroup& g);
    /// A later access of the open group: rdx = r9 + disp, with no check. False when this
    /// access cannot go through the group (the caller emits the full check).
    bool emit_group_access(mmu::Access acc, unsigned size);

    const CpuLayout& m_layout;
    JitContext& m_ctx;
    asmjit::x86::Assembler* m_a = nullptr;
    Block* m_block = nullptr;
    u32 m_index = 0;
    u64 m_eip = 0;
    u64 m_next_eip = 0;
    std::vector<u32> m_live_after;
    std::vector<bool> m_native;
    BlockEnd m_end = BlockEnd::Fallthrough;
    bool m_host_flags_valid = false;
    usize m_host_flags_end = 0; ///< code offset right after the capture that left them valid
    bool m_fuse_next = false;

    struct Slow {
        asmjit::Label label;
        asmjit::Label resume;
        u32 index;
        u64 eip;
        bool ends_block; ///< the instruction was a control transfer: probe after the call
        u32 deferred;    ///< flags deferred in r10 before the instruction
        bool deferred_clear_af;
        bool host_flags; ///< the fused Jcc after it reads host flags: restore them on resume
        /// Inside a memory group whose later accesses use r9: the interpreter call is
        /// jit_slow_insn_group's, which finds the group's page again (or leaves the block).
        bool group = false;
        GroupSite site;
    };
    std::vector<Slow> m_slow;
    /// A write whose TLB tag missed: before the slow path, a page of code may still take the
    /// write directly when it lands in chunks without code (emit_code_page_writes).
    struct CodePageWrite {
        asmjit::Label check;
        asmjit::Label hit;  ///< computes the host address, as after a tag hit
        asmjit::Label slow;
        unsigned size;
        bool aligned; ///< the tag compare required alignment (so: one chunk)
    };
    std::vector<CodePageWrite> m_code_page_writes;
    void emit_code_page_writes();
    asmjit::Label m_cur_slow;
    bool m_cur_slow_used = false;

    struct StaticExit {
        asmjit::Label jmp;
        asmjit::Label stub;
        u64 target;
        u8 slot;
        bool cross_page;
        asmjit::Label expect; ///< cross-page: the patched expected TLB addend (8 bytes)
        bool ret_exit = false; ///< a return exit: `jmp` labels its code word, no jump
    };
    void emit_page_check(u64 target_lin, asmjit::Label fail, asmjit::Label expect);
    void emit_return_slot(i32 esp_moved);
    void emit_tlb_epoch_into_rcx();
    std::vector<StaticExit> m_exits;
    asmjit::Label m_exit_label; ///< common "return eax" tail
    asmjit::Label m_budget_exit;
    asmjit::Label m_entry_dispatch; ///< the dispatcher's entry: loads the TLB bank, then as m_entry
    asmjit::Label m_entry;         ///< chained jumps and jump-cache hits: the interrupt check
    asmjit::Label m_entry_noreload; ///< after the register reload, before the entry accounting
    asmjit::Label m_body;           ///< after both
    /// The section for code that runs rarely (compile_once; CodeBuffer says why).
    asmjit::Section* m_cold = nullptr;

    /// Host register caching each guest GPR (an invalid Gp: not cached).
    asmjit::x86::Gp m_host_of[8];
    /// Memory groups of the block (mem_groups.h), and whether one may be open here: a call
    /// then leaves r9 zero, so the group's later accesses take the full check.
    MemGroupPlan m_groups;
    const Block* m_pred_hint = nullptr; ///< compile()'s `pred`
    /// This compile counts on every group's later accesses going through the group (flag
    /// liveness treats them as unable to fault); m_member_fallback: one did not.
    bool m_members_nonfaulting = false;
    bool m_member_fallback = false;
    bool m_group_live = false;  ///< r9 holds the base of group m_group_index
    u16 m_group_index = 0;
    bool m_use_cache = false;
    bool m_cache_failed = false; ///< a lowering could not work with a cached register
    u32 m_deferred = 0;           ///< EFLAGS bits whose value is in r10, not yet in memory
    bool m_deferred_clear_af = false;
    u32 m_insn_deferred = 0;      ///< m_deferred as the current instruction began
    bool m_insn_deferred_clear_af = false;
};

} // namespace translator
