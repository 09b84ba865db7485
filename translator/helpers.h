// SPDX-License-Identifier: MIT
// Functions translated code calls. They follow the SysV ABI and return an ExitCode.
#pragma once

#include "cpu/cpu.h"
#include "translator/block.h"
#include "translator/jit_context.h"

namespace translator {

/// Runs one instruction with the interpreter's handler, as interp::step would after decoding:
/// cpu.s.rip must hold the instruction's EIP (translated code stores it) and cpu.icount the
/// count before it. Returns kExitContinue when the block may go on with the next instruction;
/// otherwise the instruction faulted (and the exception was delivered), jumped elsewhere, or
/// wrote over translated code of `block`, and the block must end (rip and icount are exact).
u32 jit_exec_insn(cpu::Cpu* cpu, const cpu::DecodedInsn* insn, Block* block);

/// A slow path's call: instruction `index` of `block` through jit_exec_insn, with rip and the
/// instruction count set first as they are before it (and the count after it, when it ran).
u32 jit_slow_insn(cpu::Cpu* cpu, u32 index, Block* block);

/// jit_slow_insn for an instruction inside a memory group whose later accesses use r9 without
/// a check (mem_groups.h): after the instruction, the group's page (ctx->group_site) is looked
/// up again in the TLB, as the group's first check would, and its host base goes to
/// ctx->group_base. Where that fails (no entry, the span leaves the page, no write access),
/// the block is left after the instruction (kExitNext, the count exact); after
/// kMaxGroupExits such exits the block is translated again without groups.
u32 jit_slow_insn_group(cpu::Cpu* cpu, u32 index, Block* block, JitContext* ctx);
inline constexpr u32 kMaxGroupExits = 8;

/// A 64-bit result and whether the fast path may use it (SysV: returned in rax, rdx).
struct JitValue {
    u64 value;
    u64 ok;
};

/// RDTSC for translated code: the guest's TSC, or ok = 0 when the instruction must go through
/// the interpreter instead (#GP under CR4.TSD outside ring 0, or a lockstep reference run that
/// must not read the clock).
JitValue jit_rdtsc(cpu::Cpu* cpu, u64);

/// After a segment load, POPF, STI or IRET run by the interpreter at the end of `block`: 1
/// when the CPU is still in the mode the block was translated for (its key flags and CS base),
/// so translated code may go on through the jump cache with the block's mode instead of
/// returning to the dispatcher; 0 when the dispatcher must look (another mode, an interrupt
/// shadow or TF to honour, the CPU halted).
u64 jit_same_mode(cpu::Cpu* cpu, const Block* block);

/// The interpreter's whole step (fetch, decode, execute, exception delivery) at cpu.s.rip: a
/// block's page-crossing last instruction whose second page is no longer mapped as when the
/// block was translated. Returns kExitNext, or kExitStop for a shutdown.
u32 jit_interp_step(cpu::Cpu* cpu);

/// Counts how often each InsnId goes through jit_exec_insn (-d jit); nullptr disables.
void set_fallback_profile(JitContext* ctx);

} // namespace translator
