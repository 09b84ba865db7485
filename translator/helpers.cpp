// SPDX-License-Identifier: MIT
// The interpreter call of translated code (helpers.h).
#include "translator/helpers.h"

#include "translator/block.h"
#include "translator/block_key.h"

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/interp/interpreter.h"
#include "cpu/system.h"
#include "translator/jit_engine.h"

namespace translator {

namespace {
JitContext* g_profile = nullptr;
}

void set_fallback_profile(JitContext* ctx) { g_profile = ctx; }

u32 jit_interp_step(cpu::Cpu* cpu) {
    const cpu::Status st = cpu::interp::step(*cpu);
    cpu::flush_flags(cpu->s);
    return st == cpu::Status::Stop ? kExitStop : kExitNext;
}

u64 jit_same_mode(cpu::Cpu* cpu, const Block* block) {
    const cpu::CpuState& s = cpu->s;
    if (s.inhibit_irq || (s.eflags & cpu::kTF) || s.halted || cpu->long_mode()) {
        return 0;
    }
    return block_flags(*cpu) == block->key.flags && s.seg[cpu::kCs].base == block->key.cs_base;
}

u32 jit_slow_insn(cpu::Cpu* cpu, u32 index, Block* block) {
    // As the inline code before an interpreter call did: EIP of the instruction (wrapping as
    // the block's code size does) and the count of the instructions before it.
    const u64 ip_mask = (block->key.flags & kKeyCode32) ? 0xFFFFFFFFu : 0xFFFF;
    u64 eip = (block->key.lin_pc - block->key.cs_base) & ip_mask;
    for (u32 i = 0; i < index; ++i) {
        eip = (eip + block->insns[i].length) & ip_mask;
    }
    cpu->s.rip = eip;
    cpu->icount -= block->ninsns - index;
    const u32 st = jit_exec_insn(cpu, &block->insns[index], block);
    if (st == 0) {
        cpu->icount += block->ninsns - index - 1;
    }
    return st;
}

namespace {

/// The host address of the group's base (GroupSite), or nullptr: the TLB entry of its page as
/// the group's first check wants it (read or write tag), the whole span on that page.
u8* group_base_now(const cpu::Cpu& cpu, const GroupSite& g) {
    const cpu::CpuState& s = cpu.s;
    // What the group's first check relied on: the key's promise, or for FS and GS the check
    // translated code makes at run time.
    if (!segment_large(cpu, g.seg)) {
        return nullptr;
    }
    const u32 base = static_cast<u32>(s.seg[g.seg].base + s.gpr[g.base]) -
                     (g.base == cpu::kRsp ? static_cast<u32>(g.esp_after) : 0u);
    const u32 lo = base + static_cast<u32>(g.disp_min);
    if ((lo & 0xFFF) + g.span > 0x1000) {
        return nullptr;
    }
    const mmu::TlbEntry* e = cpu.fast_entry(lo, g.write ? mmu::Access::Write : mmu::Access::Read);
    if (!e) {
        return nullptr;
    }
    // As the group's first check sets r9: the host address of its lowest access less that
    // access's displacement (64-bit arithmetic: the base itself may lie below address 0).
    return reinterpret_cast<u8*>(e->addend + lo - static_cast<i64>(g.disp_min));
}

} // namespace

u32 jit_slow_insn_group(cpu::Cpu* cpu, u32 index, Block* block, JitContext* ctx) {
    const u32 st = jit_slow_insn(cpu, index, block);
    if (st != kExitContinue) {
        return st;
    }
    if (u8* base = group_base_now(*cpu, ctx->group_site)) {
        ctx->group_base = base;
        return kExitContinue;
    }
    // Leave after the instruction: its count stays, the block's rest is not counted.
    cpu->icount -= block->ninsns - index - 1;
    ++ctx->stats.group_exits;
    if (++block->group_exits == kMaxGroupExits) {
        ctx->engine->translate_without_groups(*block);
    }
    return kExitNext;
}

JitValue jit_rdtsc(cpu::Cpu* cpu, u64) {
    const cpu::CpuState& s = cpu->s;
    // The interpreter's rdtsc decides the #GP and the guarded case (its call is the slow path).
    if (((s.cr4 & cpu::kCr4TSD) && s.cpl != 0 && cpu->protected_mode()) || cpu->mmio_guard) {
        return {0, 0};
    }
    return {cpu->env().tsc() + s.msr.tsc_offset, 1};
}

u32 jit_exec_insn(cpu::Cpu* cpu, const cpu::DecodedInsn* insn, Block* block) {
    cpu::CpuState& s = cpu->s;
    if (g_profile) [[unlikely]] {
        ++g_profile->stats.helper_calls;
        if (g_profile->fallback_counts) {
            ++g_profile->fallback_counts[static_cast<usize>(insn->id)];
        }
    }
    const u64 ip_mask = (insn->mode == cpu::CodeMode::Bits16) ? 0xFFFF : 0xFFFFFFFFu;
    const u64 fallthrough = (s.rip + insn->length) & ip_mask;
    cpu->next_rip = fallthrough;
    const bool if_before = s.eflags & cpu::kIF;
    const cpu::Status st = cpu::interp::handler_table().h[static_cast<usize>(insn->id)](*cpu, *insn);
    // Translated code keeps the arithmetic flags in EFLAGS (no lazy record between blocks).
    cpu::flush_flags(s);
    if (st == cpu::Status::Ok) [[likely]] {
        s.rip = cpu->next_rip;
        ++cpu->icount;
        // A watchpoint hit (the access went here: watched pages have no fast tags) ends the
        // block after the instruction, so the debugger stops exactly there. So does a changed
        // physical map (a port write to the PAM registers or A20, a device's MMIO): the
        // dispatcher flushes every block and the TLB (blocks keyed kKeyDirectRam compiled the
        // old map's RAM window into their reads).
        if (s.rip != fallthrough || !block->valid || (s.eflags & cpu::kTF) ||
            cpu->debug_hit.kind != cpu::DebugHit::None || cpu->phys_changed()) [[unlikely]] {
            return kExitNext;
        }
        if (!if_before && (s.eflags & cpu::kIF) && cpu->intr_line) [[unlikely]] {
            // STI, POPF, IRET unmasked a pending interrupt: no block entry tests the line, the
            // dispatcher takes it (after STI's shadow) before the next block.
            return kExitNext;
        }
        if (insn->info().attrs & cpu::kIoPriv) [[unlikely]] {
            // A device access (port I/O) may have raised an interrupt or asked the CPU to stop
            // (a remapped memory was handled above): the dispatcher must see it before the
            // next instruction, as the interpreter would.
            // An interrupt the guest keeps masked (IF=0: printk's polling of the UART, the
            // PIT calibration loop) cannot be taken before the next instruction either; the
            // block that follows STI, POPF or IRET sees it on entry.
            if ((cpu->intr_line && (s.eflags & cpu::kIF)) || cpu->nmi_line ||
                cpu->stop_requested.load(std::memory_order_relaxed)) {
                return kExitNext;
            }
        }
        return kExitContinue;
    }
    if (st == cpu::Status::Fault) {
        const cpu::Status d = cpu::deliver_exception(*cpu);
        cpu::flush_flags(s);
        return d == cpu::Status::Stop ? kExitStop : kExitNext;
    }
    return kExitStop;
}

} // namespace translator
