// SPDX-License-Identifier: MIT
// Builds ring-transition events (cpu/ring_events.h) from the CPU state before and after a
// transition and hands them to Cpu::ring_events. The frame layouts follow the SDM: Vol. 3A,
// 6.12.1 (interrupt and exception stack frames, figures 6-4 and 20-2 for virtual-8086 mode),
// Vol. 2 CALL/RET (call gates, returns to an outer level) and IRET. Not here: deciding when a
// transition happens (the callers: cpu/exceptions.cpp, cpu/tasks.cpp, cpu/interp/far.cpp,
// cpu/interp/system.cpp).
#include "cpu/ring_hooks.h"

#include "cpu/flags.h"

namespace cpu {
namespace {

u32 mask_of(unsigned width) { return width == 2 ? 0xFFFFu : 0xFFFFFFFFu; }

/// An event with the old side taken from `before` and the new side from the CPU now.
RingEvent event_from(Cpu& cpu, const RingPoint& before, RingEventKind kind, bool retired) {
    const CpuState& s = cpu.s;
    RingEvent e;
    e.icount = before.icount + (retired ? 1 : 0);
    e.kind = kind;
    e.from_cpl = before.cpl;
    e.to_cpl = s.cpl;
    e.from_mode = before.mode;
    e.to_mode = ring_mode(cpu);
    e.old_cs = before.cs;
    e.old_eip = before.eip;
    e.old_ss = before.ss;
    e.old_esp = before.esp;
    e.new_cs = s.seg[kCs].selector;
    // Handlers leave the target in next_rip; delivery code sets rip and next_rip alike.
    e.new_eip = static_cast<u32>(cpu.next_rip);
    e.new_ss = s.seg[kSs].selector;
    e.new_esp = static_cast<u32>(s.gpr[kRsp]);
    e.cr3 = static_cast<u32>(s.cr3);
    e.cr0 = static_cast<u32>(s.cr0);
    e.eax = before.eax;
    return e;
}

void emit(Cpu& cpu, const RingEvent& e) { cpu.ring_events->on_ring_event(e); }

RingEventKind delivery_kind(IntSource src, u8 vector) {
    switch (src) {
    case IntSource::Software: return RingEventKind::Int;
    case IntSource::SoftwareException: return vector == kVecBP ? RingEventKind::Int3 : RingEventKind::Into;
    case IntSource::Icebp: return RingEventKind::Int1;
    case IntSource::External: return RingEventKind::External;
    case IntSource::Nmi: return RingEventKind::Nmi;
    case IntSource::Exception: break;
    }
    return RingEventKind::Exception;
}

} // namespace

RingMode ring_mode(const Cpu& cpu) {
    if (!cpu.protected_mode()) {
        return RingMode::Real;
    }
    return cpu.v86_mode() ? RingMode::V86 : RingMode::Protected;
}

RingPoint ring_point(Cpu& cpu) {
    CpuState& s = cpu.s;
    RingPoint p;
    p.icount = cpu.icount;
    p.eip = static_cast<u32>(s.rip);
    p.next_eip = static_cast<u32>(cpu.next_rip);
    p.esp = static_cast<u32>(s.gpr[kRsp]);
    p.eflags = read_eflags(s); // materialising lazy flags changes nothing a guest can see
    p.eax = static_cast<u32>(s.gpr[kRax]);
    p.cr0 = static_cast<u32>(s.cr0);
    p.cs = s.seg[kCs].selector;
    p.ss = s.seg[kSs].selector;
    p.es = s.seg[kEs].selector;
    p.ds = s.seg[kDs].selector;
    p.fs = s.seg[kFs].selector;
    p.gs = s.seg[kGs].selector;
    p.cpl = s.cpl;
    p.mode = ring_mode(cpu);
    return p;
}

void report_delivery(Cpu& cpu, const RingPoint& before, u8 vector, IntSource src,
                     u64 return_rip, bool has_error, u32 error, unsigned frame_width) {
    // INT n, INT3, INTO and INT1 retire before their handler runs; faults and interrupts
    // come between instructions.
    const bool retired = src == IntSource::Software || src == IntSource::SoftwareException ||
                         src == IntSource::Icebp;
    RingEvent e = event_from(cpu, before, delivery_kind(src, vector), retired);
    e.vector = vector;
    const bool real = before.mode == RingMode::Real;
    // Real mode pushes no error code (SDM Vol. 3A, 20.1.4).
    if (has_error && !real) {
        e.flags |= kRingHasError;
        e.error = error;
    }
    if (frame_width == 0) {
        // A task gate: the old state went to the old TSS; only the error code is pushed,
        // on the new task's stack, sized by its TSS.
        e.flags |= kRingViaTaskGate;
        if (e.flags & kRingHasError) {
            e.frame_width = (cpu.s.tr.attr & 0x8) ? 4 : 2;
            e.push_frame(FrameSlot::Error, error & mask_of(e.frame_width));
        }
        emit(cpu, e);
        return;
    }
    const u32 m = mask_of(frame_width);
    e.frame_width = static_cast<u8>(frame_width);
    // A more privileged handler gets a new stack from the TSS; the old SS:ESP go first, and
    // from virtual-8086 mode the data segments before them (SDM Vol. 3A, figure 20-2).
    const bool stack_switch = !real && e.to_cpl < e.from_cpl;
    if (stack_switch && before.mode == RingMode::V86) {
        e.push_frame(FrameSlot::Gs, before.gs);
        e.push_frame(FrameSlot::Fs, before.fs);
        e.push_frame(FrameSlot::Ds, before.ds);
        e.push_frame(FrameSlot::Es, before.es);
    }
    if (stack_switch) {
        e.push_frame(FrameSlot::Ss, before.ss);
        e.push_frame(FrameSlot::Esp, before.esp & m);
    }
    e.push_frame(FrameSlot::Eflags, before.eflags & m);
    e.push_frame(FrameSlot::Cs, before.cs);
    e.push_frame(FrameSlot::Eip, static_cast<u32>(return_rip) & m);
    if (e.flags & kRingHasError) {
        e.push_frame(FrameSlot::Error, error & m);
    }
    emit(cpu, e);
}

void report_iret(Cpu& cpu, const RingPoint& before, unsigned opsize) {
    if (before.mode == RingMode::Protected && (before.eflags & kNT)) {
        return; // returned from a nested task: task_switch reported it
    }
    RingEvent e = event_from(cpu, before, RingEventKind::Iret, true);
    const CpuState& s = cpu.s;
    const u32 m = mask_of(opsize);
    e.frame_width = static_cast<u8>(opsize);
    if (e.to_mode == RingMode::V86 && before.mode == RingMode::Protected) {
        e.push_frame(FrameSlot::Gs, s.seg[kGs].selector);
        e.push_frame(FrameSlot::Fs, s.seg[kFs].selector);
        e.push_frame(FrameSlot::Ds, s.seg[kDs].selector);
        e.push_frame(FrameSlot::Es, s.seg[kEs].selector);
    }
    if (e.to_cpl > e.from_cpl) {
        e.push_frame(FrameSlot::Ss, s.seg[kSs].selector);
        e.push_frame(FrameSlot::Esp, static_cast<u32>(s.gpr[kRsp]) & m);
    }
    // The EFLAGS image as loaded (bits the CPL may not change kept their old values).
    e.push_frame(FrameSlot::Eflags, read_eflags(cpu.s) & m);
    e.push_frame(FrameSlot::Cs, s.seg[kCs].selector);
    e.push_frame(FrameSlot::Eip, e.new_eip & m);
    emit(cpu, e);
}

void report_far_return(Cpu& cpu, const RingPoint& before, unsigned opsize, u32 released) {
    if (cpu.s.cpl <= before.cpl) {
        return; // same level: not a ring transition
    }
    RingEvent e = event_from(cpu, before, RingEventKind::FarRet, true);
    const u32 m = mask_of(opsize);
    e.frame_width = static_cast<u8>(opsize);
    // The caller's SS:ESP sit above the released parameters; ESP was popped before them.
    e.push_frame(FrameSlot::Ss, e.new_ss);
    e.push_frame(FrameSlot::Esp, (e.new_esp - released) & m);
    e.push_frame(FrameSlot::Cs, e.new_cs);
    e.push_frame(FrameSlot::Eip, e.new_eip & m);
    emit(cpu, e);
}

void report_call_gate(Cpu& cpu, const RingPoint& before, FarKind kind, unsigned width,
                      unsigned params) {
    const bool call = kind == FarKind::Call;
    RingEvent e = event_from(cpu, before, call ? RingEventKind::CallGate : RingEventKind::JmpGate, true);
    if (call) {
        const u32 m = mask_of(width);
        e.frame_width = static_cast<u8>(width);
        if (e.to_cpl < e.from_cpl) {
            e.push_frame(FrameSlot::Ss, before.ss);
            e.push_frame(FrameSlot::Esp, before.esp & m);
            e.params_copied = static_cast<u8>(params);
        }
        e.push_frame(FrameSlot::Cs, before.cs);
        e.push_frame(FrameSlot::Eip, before.next_eip & m);
    }
    emit(cpu, e);
}

void report_task_switch(Cpu& cpu, const RingPoint& before, TaskReason reason) {
    if (reason == TaskReason::Int) {
        return; // reported by the delivery, with kRingViaTaskGate
    }
    RingEvent e = event_from(cpu, before, RingEventKind::TaskSwitch, true);
    if (reason == TaskReason::Call) {
        e.flags |= kRingTaskByCall;
    } else if (reason == TaskReason::Iret) {
        e.flags |= kRingTaskByIret;
    }
    emit(cpu, e);
}

void report_plain(Cpu& cpu, const RingPoint& before, RingEventKind kind) {
    emit(cpu, event_from(cpu, before, kind, true));
}

void report_cr0_change(Cpu& cpu, u64 old_cr0) {
    // MOV CR0 changes neither CS:EIP nor SS:ESP; only the mode (and, for PE, the CPL rule).
    RingPoint before = ring_point(cpu);
    before.cr0 = static_cast<u32>(old_cr0);
    before.mode = (old_cr0 & kCr0PE) ? RingMode::Protected : RingMode::Real;
    before.cpl = 0; // MOV CR0 and LMSW run at CPL 0 (real mode counts as 0)
    const u64 changed = old_cr0 ^ cpu.s.cr0;
    const bool pg_on = (changed & kCr0PG) && (cpu.s.cr0 & kCr0PG);
    const bool pg_off = (changed & kCr0PG) && !(cpu.s.cr0 & kCr0PG);
    // Paging is turned off before leaving protected mode and on after entering it.
    if (pg_off) {
        RingEvent e = event_from(cpu, before, RingEventKind::PagingOff, true);
        e.to_mode = before.mode;
        emit(cpu, e);
    }
    if (changed & kCr0PE) {
        emit(cpu, event_from(cpu, before, RingEventKind::ModeChange, true));
    }
    if (pg_on) {
        RingEvent e = event_from(cpu, before, RingEventKind::PagingOn, true);
        e.from_mode = ring_mode(cpu);
        emit(cpu, e);
    }
}

} // namespace cpu
