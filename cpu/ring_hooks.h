// SPDX-License-Identifier: MIT
// The hooks through which the code that performs a privilege or mode transition reports it to
// Cpu::ring_events (cpu/ring_events.h). Each site wraps the transition in observe_transition:
// with nobody listening that is one pointer test and a direct call; with a listener the state
// before is captured, the transition runs, and on success a report_* function builds the
// event from the state before and after. The frames are rebuilt from those two states (what
// the SDM says the instruction pushes or pops), so no hook reads guest memory.
// Both engines reach these hooks: the translator runs every transition instruction, fault and
// interrupt through the interpreter's handlers and delivery code (cpu/README.md).
#pragma once

#include "cpu/cpu.h"
#include "cpu/ring_events.h"
#include "cpu/system.h"

namespace cpu {

/// The CPU as a transition found it.
struct RingPoint {
    u64 icount = 0;
    u32 eip = 0;      ///< cpu.s.rip: the instruction being executed, or the next to run
    u32 next_eip = 0; ///< cpu.next_rip: the instruction after it (a CALL's return address)
    u32 esp = 0, eflags = 0, eax = 0, cr0 = 0;
    u16 cs = 0, ss = 0, es = 0, ds = 0, fs = 0, gs = 0;
    u8 cpl = 0;
    RingMode mode = RingMode::Real;
};

RingMode ring_mode(const Cpu& cpu);
RingPoint ring_point(Cpu& cpu);

/// Runs `transition` (returning Status) and, when a sink listens and it succeeds, calls
/// `report(before)`.
template <typename Transition, typename Report>
inline Status observe_transition(Cpu& cpu, Transition&& transition, Report&& report) {
    if (!cpu.ring_events) [[likely]] {
        return transition();
    }
    const RingPoint before = ring_point(cpu);
    const Status st = transition();
    if (st == Status::Ok) {
        report(before);
    }
    return st;
}

/// An interrupt or exception was delivered with `return_rip` saved. `frame_width` is the
/// pushed word size (2 or 4), 0 when a task gate switched tasks instead.
void report_delivery(Cpu& cpu, const RingPoint& before, u8 vector, IntSource src,
                     u64 return_rip, bool has_error, u32 error, unsigned frame_width);
/// IRET with operand size `opsize` (not reported when it returned from a nested task: the
/// task switch reports itself).
void report_iret(Cpu& cpu, const RingPoint& before, unsigned opsize);
/// RETF / RETF imm16: reported only when it returned to an outer privilege level.
void report_far_return(Cpu& cpu, const RingPoint& before, unsigned opsize, u32 released);
/// Far CALL/JMP through a call gate of `width`-byte words that copied `params` parameters.
void report_call_gate(Cpu& cpu, const RingPoint& before, FarKind kind, unsigned width,
                      unsigned params);
/// A task switch by JMP, CALL or IRET (INT through a task gate is reported as a delivery).
void report_task_switch(Cpu& cpu, const RingPoint& before, TaskReason reason);
/// SYSENTER, SYSEXIT, SYSCALL, SYSRET, VMCALL: no frame.
void report_plain(Cpu& cpu, const RingPoint& before, RingEventKind kind);
/// CR0 changed from `old_cr0` by MOV CR0/LMSW (called only when PE or PG changed).
void report_cr0_change(Cpu& cpu, u64 old_cr0);

} // namespace cpu
