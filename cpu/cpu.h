// SPDX-License-Identifier: MIT
// class Cpu: one x86 CPU. Owns the architectural state, a TLB of linear->physical translations
// that retains recent address spaces (mmu/shadow_spaces.h), and the memory-access paths
// (segmentation checks, paging, fast host-pointer hits). It runs instructions through an
// ExecutionEngine (the interpreter or the translator) and sees the rest of the machine only
// through mmu::PhysMap and CpuEnv.
#pragma once

#include "base/types.h"
#include "cpu/env.h"
#include "cpu/fault_chain.h"
#include "cpu/ring_events.h"
#include "cpu/state.h"
#include "cpu/status.h"
#include "cpu/trace.h"
#include "cpu/trace_record.h"
#include "mmu/paging.h"
#include "mmu/phys_map.h"
#include "mmu/shadow_spaces.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <vector>

namespace cpu {

enum class RunExit : u8 {
    Budget,   ///< executed the requested number of instructions (or an event needs service)
    Halted,   ///< HLT with no interrupt deliverable
    Shutdown, ///< triple fault or reset request (CpuEnv::shutdown was called)
    Stopped,  ///< request_stop() from outside
    Debug,    ///< a breakpoint or watchpoint hit (Cpu::debug_hit says which)
};

/// A data watchpoint on linear addresses [lin, lin+len) (gdb's Z2/Z3/Z4).
struct Watchpoint {
    enum Kind : u8 { Write, Read, Access };
    u64 lin = 0;
    u32 len = 1;
    Kind kind = Write;
    bool operator==(const Watchpoint&) const = default;
};

/// Why run() returned RunExit::Debug.
struct DebugHit {
    enum Kind : u8 { None, Breakpoint, Watch };
    Kind kind = None;
    /// Breakpoint: its linear address (the instruction there has not run; rIP points to it).
    /// Watch: the linear address accessed (the accessing instruction has completed).
    u64 addr = 0;
    Watchpoint watch; ///< the watchpoint that fired (kind Watch)
};

/// Who performs a memory access: the current privilege, or an implicit supervisor access
/// (descriptor tables, TSS, IDT) that ignores CPL.
enum class Priv : u8 { Current, Supervisor };

class Cpu;

/// Runs instructions. The interpreter and (later) the translator implement it.
class ExecutionEngine {
public:
    virtual ~ExecutionEngine() = default;
    virtual RunExit run(Cpu& cpu, u64 budget) = 0;
    /// Guest physical memory in [pa, pa+len) was written: drop anything cached from it.
    virtual void invalidate_code(u64 pa, u64 len) = 0;
    /// Some linear->physical translations were dropped (TLB flush, INVLPG): anything cached by
    /// linear address (the translator's jump cache) must be forgotten.
    virtual void tlb_flushed() {}
    /// Writes the engine's counters (the monitor's `stats`); nothing by default.
    virtual void print_stats(std::FILE* out) const { (void)out; }
};

/// One guest-memory write as the lockstep checker records it: where, and the bytes before.
struct WriteRecord {
    u64 pa;
    std::vector<u8> old_bytes;
};

/// One TLB entry (mmu/tlb_entry.h): translated code reads its tags and addend inline.
using TlbEntry = mmu::TlbEntry;

class Cpu {
public:
    /// Entries per TLB bank (direct-mapped by linear page number) and address spaces retained;
    /// chosen by measuring Linux (mmu/README.md).
    static constexpr unsigned kTlbBits = 12;
    static constexpr unsigned kTlbSize = 1u << kTlbBits;
    static constexpr unsigned kTlbSpaces = 8;

    Cpu(mmu::PhysMap& phys, CpuEnv& env);
    ~Cpu();
    Cpu(const Cpu&) = delete;
    Cpu& operator=(const Cpu&) = delete;

    CpuState s;
    /// Address of the next instruction, set before a handler runs; control transfers change it.
    u64 next_rip = 0;
    /// The pending exception when a step returned Status::Fault.
    Fault fault;
    /// Instructions retired since reset.
    u64 icount = 0;
    /// Interrupt request lines, driven by the board (PIC/APIC output), which also kicks
    /// translated code (kick_translated_code) when it raises one.
    bool intr_line = false;
    bool nmi_line = false;
    std::atomic<bool> stop_requested{false};
    /// Tracer hooks (nullptr = none).
    TraceSink* trace = nullptr;
    /// Ring-transition listener (the ring log, tools/ringlog), nullptr = none: privilege and
    /// mode transitions report to it through cpu/ring_hooks.h, from both engines.
    RingEventSink* ring_events = nullptr;
    /// Execution recorder (flight recorder, -d exec, trace files; tools/trace), nullptr = none.
    /// Attach it before the first run(): translated code is emitted with or without it.
    TraceRecorder* recorder = nullptr;
    /// -trace-regs: the interpreter records the registers each instruction changes (the
    /// translator does not; the frontend selects the interpreter with it).
    bool trace_regs = false;
    /// The last exception whose delivery faulted, step by step (cpu/fault_explain.h explains it).
    FaultChain fault_chain;

    // ---- checking hooks (the lockstep engine, translator/lockstep.h) ----
    /// When set, every guest write is recorded here with the bytes it replaced.
    std::vector<WriteRecord>* write_log = nullptr;
    /// When set, an access to MMIO or unmapped memory, a port, the clock (RDTSC, the TSC MSR)
    /// or any other CpuEnv service is not performed: it sets mmio_touched and the instruction
    /// returns Status::Stop before changing anything (a run that must not touch devices twice).
    bool mmio_guard = false;
    bool mmio_touched = false;
    /// The check at each such place: true when the access must not happen.
    bool device_guarded() {
        if (mmio_guard) [[unlikely]] {
            mmio_touched = true;
            return true;
        }
        return false;
    }
    /// Copies the TLB out and back (the lockstep engine undoes a reference run).
    void log_write(u64 pa, const u8* old, unsigned n) {
        write_log->push_back(WriteRecord{pa, std::vector<u8>(old, old + n)});
    }

    // ---- debugging (gdb stub, monitor): both engines honour these ----
    /// Replaces the set of breakpoints (linear addresses). run() returns RunExit::Debug before
    /// executing an instruction that starts at one of them, unless `skip_breakpoint_at` is
    /// that address (set it to step or continue past the breakpoint rIP points to; run()
    /// clears it once rIP moves on).
    void set_breakpoints(std::vector<u64> lin_addrs);
    const std::vector<u64>& breakpoints() const { return m_breakpoints; }
    bool is_breakpoint(u64 lin) const;
    /// Replaces the set of watchpoints. run() returns RunExit::Debug after the instruction
    /// whose access touched one completes (debug_hit says which and where).
    void set_watchpoints(std::vector<Watchpoint> w);
    const std::vector<Watchpoint>& watchpoints() const { return m_watchpoints; }
    /// Bumped whenever breakpoints or watchpoints change (engines drop what they cached).
    u64 debug_generation = 0;
    u64 skip_breakpoint_at = ~u64{0};
    DebugHit debug_hit;
    /// True while any breakpoint or watchpoint is set or a skip is pending: the engines' one
    /// per-instruction (interpreter) or per-dispatch (translator) test.
    bool debug_armed() const { return m_debug_armed || skip_breakpoint_at != ~u64{0}; }
    /// For the engines, before running the instruction at `lin`: true when a breakpoint stops
    /// it (debug_hit is set). A pending skip of `lin` is consumed by the caller (see run loops).
    bool breakpoint_stops(u64 lin) {
        if (lin == skip_breakpoint_at || !is_breakpoint(lin)) {
            return false;
        }
        debug_hit = DebugHit{DebugHit::Breakpoint, lin, {}};
        return true;
    }

    mmu::PhysMap& phys() { return m_phys; }
    const mmu::PhysMap& phys() const { return m_phys; }
    CpuEnv& env() { return m_env; }
    void set_engine(ExecutionEngine* e) { m_engine = e; }
    /// True when the physical memory map changed since the TLB last looked (A20, PAM, ROM
    /// mapping): code translated under the old map may be stale.
    bool phys_changed() const { return m_phys_generation != m_phys.generation(); }
    ExecutionEngine* engine() { return m_engine; }

    /// Power-on / RESET state (SDM Vol. 3A, 9.1.1).
    void reset();
    /// Runs up to `budget` instructions.
    RunExit run(u64 budget);
    void request_stop() { stop_requested.store(true, std::memory_order_relaxed); }
    /// The translator's budget, as the instruction count translated code may reach before it
    /// returns to its dispatcher (which sets it): a block enters only if its whole length fits.
    /// Translated code checks nothing else at block entry. (A limit rather than a count left:
    /// the entry compares the count it updates anyway with it, instead of subtracting from a
    /// second counter in memory, a load and a store per block.)
    u64 jit_icount_limit = 0;
    /// The caller of run() accepts up to one translated block (at most 64 instructions) more
    /// than its budget: the board without -icount, whose deadlines are host times anyway. A
    /// block longer than what is left then runs whole instead of being stepped through by the
    /// interpreter, which also translated a block at each of those steps (a boot made
    /// thousands of such suffix blocks, one per instruction of long blocks where chunks ended).
    bool budget_may_overrun = false;
    /// Whether translated code may read RAM without the TLB while paging is off
    /// (translator/block_key.h, kKeyDirectRam); tests turn it off to reach the TLB's paths.
    bool jit_direct_ram = true;
    /// Makes translated code return to its dispatcher at the next block entry: for whoever
    /// raises an interrupt line or asks for a stop, on the CPU's thread. (The budget lives here,
    /// not in the translator, so that no pointer ties the two objects' lifetimes.)
    void kick_translated_code() { jit_icount_limit = 0; }

    // ---- exceptions ----
    /// Records a fault (vector with error code) and returns Status::Fault.
    Status raise(u8 vector, u32 error) {
        fault = Fault{vector, true, error};
        return Status::Fault;
    }
    Status raise(u8 vector) {
        fault = Fault{vector, false, 0};
        return Status::Fault;
    }
    Status raise_gp(u32 error = 0) { return raise(kVecGP, error); }
    Status raise_ud() { return raise(kVecUD); }

    // ---- modes ----
    bool protected_mode() const { return (s.cr0 & kCr0PE) != 0; }
    bool v86_mode() const { return (s.eflags & kVM) != 0; }
    bool real_mode() const { return !protected_mode(); }
    bool long_mode() const { return (s.efer & kEferLMA) != 0; }
    bool paging() const { return (s.cr0 & kCr0PG) != 0; }
    /// Default code size of the current CS (2, 4 or 8 bytes). Inline: the interpreter asks for
    /// it at every instruction.
    unsigned code_size() const {
        if (!protected_mode() || v86_mode()) {
            return 2;
        }
        const u16 a = s.seg[kCs].attr;
        if (long_mode() && (a & kAttrL)) {
            return 8;
        }
        return (a & kAttrDB) ? 4 : 2;
    }
    /// Stack address size (2 or 4 from SS.B, 8 in 64-bit mode).
    unsigned stack_size() const {
        if (long_mode() && code_size() == 8) {
            return 8;
        }
        if (!protected_mode() || v86_mode()) {
            return 2;
        }
        return (s.seg[kSs].attr & kAttrDB) ? 4 : 2;
    }

    // ---- registers ----
    u64 reg(unsigned idx, unsigned size, bool high_byte = false) const {
        const u64 v = s.gpr[high_byte ? idx - 4 : idx];
        switch (size) {
        case 1: return high_byte ? (v >> 8) & 0xFF : v & 0xFF;
        case 2: return v & 0xFFFF;
        case 4: return v & 0xFFFFFFFF;
        default: return v;
        }
    }
    void set_reg(unsigned idx, unsigned size, u64 value, bool high_byte = false) {
        u64& r = s.gpr[high_byte ? idx - 4 : idx];
        switch (size) {
        case 1:
            if (high_byte) {
                r = (r & ~u64{0xFF00}) | ((value & 0xFF) << 8);
            } else {
                r = (r & ~u64{0xFF}) | (value & 0xFF);
            }
            break;
        case 2: r = (r & ~u64{0xFFFF}) | (value & 0xFFFF); break;
        case 4: r = value & 0xFFFFFFFF; break; // writes of 32 bits zero-extend (x86-64 rule)
        default: r = value; break;
        }
    }

    // ---- memory through segments ----
    /// Checks a data access of `size` bytes at seg:off and returns its linear address.
    /// Inline: every data access of the interpreter goes through it.
    Status seg_linear(u8 seg, u64 off, unsigned size, bool write, u64& lin) {
        const Segment& sg = s.seg[seg];
        if (long_mode() && code_size() == 8) {
            lin = off + (seg >= kFs ? sg.base : 0);
            return Status::Ok;
        }
        const u8 vec = seg == kSs ? kVecSS : kVecGP;
        if (protected_mode() && !v86_mode()) {
            const u16 a = sg.attr;
            if (!(a & kAttrP)) {
                return raise(vec, 0); // null or unusable selector
            }
            const bool code = (a & 0x8) != 0;
            if (write) {
                if (code || !(a & 0x2)) {
                    return raise(vec, 0);
                }
            } else if (code && !(a & 0x2)) {
                return raise(vec, 0); // execute-only code segment
            }
            if (!code && (a & 0x4)) {
                // Expand-down: valid offsets are (limit, top].
                const u64 top = (a & kAttrDB) ? 0xFFFFFFFFu : 0xFFFFu;
                if (off <= sg.limit || off + size - 1 > top) {
                    return raise(vec, 0);
                }
                lin = (sg.base + off) & 0xFFFFFFFFu;
                return Status::Ok;
            }
        }
        if (off + size - 1 > sg.limit) {
            return raise(vec, 0);
        }
        lin = (sg.base + off) & 0xFFFFFFFFu;
        return Status::Ok;
    }

    template <typename T> Status read(u8 seg, u64 off, T& out) {
        u64 lin;
        TRY(seg_linear(seg, off, sizeof(T), false, lin));
        return read_lin(lin, out);
    }
    template <typename T> Status write(u8 seg, u64 off, T value) {
        u64 lin;
        TRY(seg_linear(seg, off, sizeof(T), true, lin));
        return write_lin(lin, value);
    }
    /// Checks that a write at seg:off would succeed (segment and paging) without writing.
    Status probe_write(u8 seg, u64 off, unsigned size);

    // ---- memory by linear address ----
    template <typename T> Status read_lin(u64 lin, T& out, Priv priv = Priv::Current) {
        const TlbEntry& e = tlb_slot(user_index(priv), lin);
        if ((lin & 0xFFF) <= 0x1000 - sizeof(T) && e.read_tag == (lin & ~u64{0xFFF})) [[likely]] {
            std::memcpy(&out, reinterpret_cast<const u8*>(e.addend + lin), sizeof(T));
            return Status::Ok;
        }
        u64 v = 0;
        TRY(access_slow(lin, &v, sizeof(T), mmu::Access::Read, priv));
        std::memcpy(&out, &v, sizeof(T));
        return Status::Ok;
    }
    template <typename T> Status write_lin(u64 lin, T value, Priv priv = Priv::Current) {
        const TlbEntry& e = tlb_slot(user_index(priv), lin);
        if ((lin & 0xFFF) <= 0x1000 - sizeof(T) && e.write_tag == (lin & ~u64{0xFFF})) [[likely]] {
            u8* host = reinterpret_cast<u8*>(e.addend + lin);
            if (write_log) [[unlikely]] {
                log_write(e.ppage | (lin & 0xFFF), host, sizeof(T));
            }
            std::memcpy(host, &value, sizeof(T));
            return Status::Ok;
        }
        return access_slow(lin, &value, sizeof(T), mmu::Access::Write, priv);
    }
    /// Reads/writes any number of bytes (page crossings, MMIO, faults handled).
    Status access_slow(u64 lin, void* buf, unsigned size, mmu::Access acc, Priv priv);
    /// Linear -> physical for one byte, filling the TLB; sets `fault` (with CR2) on failure.
    Status translate(u64 lin, mmu::Access acc, Priv priv, u64& phys);
    /// Fetches up to `max` instruction bytes at linear `lin`; returns how many were readable
    /// in `got` (a fault on the first byte is returned as Status::Fault).
    Status fetch_bytes(u64 lin, u8* buf, unsigned max, unsigned& got);
    /// Host pointer for an instruction fetch at `lin` valid to the end of its page, or nullptr.
    const u8* fetch_ptr(u64 lin);
    /// The TLB entry an access of kind `acc` at `lin` by the current privilege may use without
    /// a walk (its fast tag for that kind matches the page: for a fetch, a RAM/ROM page with
    /// execute permission), or nullptr.
    const TlbEntry* fast_entry(u64 lin, mmu::Access acc) const {
        const TlbEntry& e = tlb_slot(user_index(Priv::Current), lin);
        const u64 tag = acc == mmu::Access::Execute ? e.exec_tag
                        : acc == mmu::Access::Write ? e.write_tag
                                                    : e.read_tag;
        return tag == (lin & ~u64{0xFFF}) && space_in_sync() ? &e : nullptr;
    }
    const TlbEntry* fetch_entry(u64 lin) const { return fast_entry(lin, mmu::Access::Execute); }

    // ---- bulk access (REP string page runs, cpu/interp/string.cpp) ----
    /// Host address of `lin` for data accesses of kind `acc` (Read or Write) by the current
    /// privilege, valid to the end of its page, decided as read_lin/write_lin decide: their
    /// fast-path tag, and on a miss the TLB fill of their slow path (A/D bits; a #PF sets CR2
    /// and returns Status::Fault). `host` is nullptr when such accesses take the slow path:
    /// MMIO or unmapped, and for writes ROM and pages whose writes the slow path must see
    /// (cached code, watched page tables).
    Status host_ptr_for(u64 lin, mmu::Access acc, u8*& host);

    // ---- TLB ----
    /// Drops every translation of every address space, global ones included, and picks the
    /// space of the current CR3 (also after the state was set from outside: reset, tests).
    void tlb_flush_all();
    /// What a CR3 load (MOV CR3, task switch) does to the TLB, called after CR3 is set: it
    /// switches to the retained space of the new CR3, or a new empty one. Architecturally the
    /// load flushes every non-global entry. We keep them, because every retained entry is
    /// coherent with the page tables: each guest write to a paging structure invalidates the
    /// entries derived from it at once, in every space (mmu/shadow_spaces.h). A hardware TLB
    /// may hold any entry that matches the current page tables, so a guest cannot tell; and
    /// reloading the same CR3 keeps everything for the same reason.
    void tlb_flush_nonglobal();
    /// INVLPG.
    void tlb_flush_page(u64 lin);
    /// Makes every write to physical page `ppage` take the slow path (the page now holds
    /// cached code; see mmu::PhysMap::code_add).
    void tlb_revoke_write(u64 ppage);
    /// Called after CR0/CR3/CR4/EFER writes with the old values.
    void on_paging_change(u64 old_cr0, u64 old_cr4, u64 old_efer);
    const mmu::TlbStats& tlb_stats() { return m_spaces.stats(); }
    const mmu::ShadowSpaces& tlb_spaces() const { return m_spaces; }

    // ---- stack helpers (size = operand size of the push/pop) ----
    // Inline: CALL/RET/PUSH/POP use them at every execution.
    Status push(u64 value, unsigned size) {
        const unsigned ss = stack_size();
        const u64 mask = ss == 2 ? 0xFFFF : (ss == 4 ? 0xFFFFFFFFu : ~u64{0});
        const u64 sp = (s.gpr[kRsp] - size) & mask;
        switch (size) {
        case 2: TRY(write<u16>(kSs, sp, static_cast<u16>(value))); break;
        case 4: TRY(write<u32>(kSs, sp, static_cast<u32>(value))); break;
        default: TRY(write<u64>(kSs, sp, value)); break;
        }
        s.gpr[kRsp] = (s.gpr[kRsp] & ~mask) | sp;
        return Status::Ok;
    }

    /// Reads the stack at offset `delta` above the current top without popping.
    Status stack_read(u64 delta, u64& value, unsigned size) {
        const unsigned ss = stack_size();
        const u64 mask = ss == 2 ? 0xFFFF : (ss == 4 ? 0xFFFFFFFFu : ~u64{0});
        const u64 sp = (s.gpr[kRsp] + delta) & mask;
        switch (size) {
        case 2: {
            u16 v;
            TRY(read<u16>(kSs, sp, v));
            value = v;
            break;
        }
        case 4: {
            u32 v;
            TRY(read<u32>(kSs, sp, v));
            value = v;
            break;
        }
        default: TRY(read<u64>(kSs, sp, value)); break;
        }
        return Status::Ok;
    }

    Status pop(u64& value, unsigned size) {
        TRY(stack_read(0, value, size));
        const unsigned ss = stack_size();
        const u64 mask = ss == 2 ? 0xFFFF : (ss == 4 ? 0xFFFFFFFFu : ~u64{0});
        s.gpr[kRsp] = (s.gpr[kRsp] & ~mask) | ((s.gpr[kRsp] + size) & mask);
        return Status::Ok;
    }

    /// Instruction pointer mask for the current code size (0xFFFF in 16-bit code).
    u64 ip_mask() const {
        switch (code_size()) {
        case 2: return 0xFFFF;
        case 4: return 0xFFFFFFFF;
        default: return ~u64{0};
        }
    }

    mmu::PagingContext paging_context() const {
        return mmu::PagingContext{s.cr0, s.cr3, s.cr4, s.efer};
    }

    /// The TLB banks of the current address space: [0] supervisor accesses, [1] CPL-3
    /// accesses, kTlbSize entries each. They change at CR3 loads (and flushes); translated code
    /// loads them at every block entry.
    TlbEntry* tlb_bank[2] = {};

private:
    unsigned user_index(Priv priv) const { return priv == Priv::Current && s.cpl == 3 ? 1 : 0; }
    /// The entry of bank `u` that `lin` maps to (whatever page it holds).
    const TlbEntry& tlb_slot(unsigned u, u64 lin) const { return tlb_bank[u][(lin >> 12) & (kTlbSize - 1)]; }
    /// False when CR3 changed without a CR3 load (the state was restored wholesale, as the
    /// lockstep checker does): the banks may belong to another space, and the fetch paths
    /// send the caller to the slow path, which re-selects the space (fill_tlb).
    bool space_in_sync() const { return s.cr3 == m_space_cr3; }
    /// Makes the space of the current paging state current (tlb_bank follows); true when it
    /// changed.
    bool select_space();
    void point_banks();
    Status fill_tlb(u64 lin, mmu::Access acc, unsigned uidx, TlbEntry*& out);

    /// The access [lin, lin+size) of kind `acc` completed: records a watchpoint it touched.
    void check_watchpoints(u64 lin, unsigned size, mmu::Access acc);
    /// Keeps data accesses to linear pages holding a watchpoint off the fast paths.
    void scrub_watched(TlbEntry& e, u64 vpn) const;

    std::vector<u64> m_breakpoints; ///< sorted
    std::vector<Watchpoint> m_watchpoints;
    bool m_debug_armed = false;

    mmu::PhysMap& m_phys;
    CpuEnv& m_env;
    ExecutionEngine* m_engine = nullptr;
    mmu::ShadowSpaces m_spaces;
    u64 m_space_cr3 = 0;     ///< CR3 when the current space was selected
    u64 m_phys_generation = 0;
    u64 m_pf_logged = 0;     ///< #PF lines `-d mmu` printed (the first kPfLogLines)
};

} // namespace cpu
