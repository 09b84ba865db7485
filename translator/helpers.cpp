// SPDX-License-Identifier: MIT
// The interpreter call of translated code (helpers.h).
#include "translator/helpers.h"

#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "cpu/system.h"

namespace translator {

namespace {
JitContext* g_profile = nullptr;
}

void set_fallback_profile(JitContext* ctx) { g_profile = ctx; }

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
    const cpu::Status st = cpu::interp::handler_table().h[static_cast<usize>(insn->id)](*cpu, *insn);
    // Translated code keeps the arithmetic flags in EFLAGS (no lazy record between blocks).
    cpu::flush_flags(s);
    if (st == cpu::Status::Ok) [[likely]] {
        s.rip = cpu->next_rip;
        ++cpu->icount;
        if (s.rip != fallthrough || !block->valid || (s.eflags & cpu::kTF)) [[unlikely]] {
            return kExitNext;
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
