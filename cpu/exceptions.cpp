// SPDX-License-Identifier: MIT
// Interrupt and exception delivery (SDM Vol. 3A, chapter 6, and Vol. 2 "INT n"): the real-mode
// IVT, protected-mode IDT interrupt/trap/task gates with their privilege checks, the stack
// switch through the TSS, v86-mode delivery, error codes with the EXT and IDT bits, and the
// double-fault / triple-fault escalation. 16- and 32-bit only; long-mode 16-byte gates come
// later (the gate is read through Descriptor, so the 64-bit form slots in beside it).
// Not here: the INT instructions' own checks (IOPL in v86 mode: cpu/interp/far.cpp).
#include "base/log.h"
#include "cpu/flags.h"
#include "cpu/ring_hooks.h"
#include "cpu/stack_frame.h"
#include "cpu/system.h"

namespace cpu {
namespace {

bool contributory(u8 v) { return v == kVecDE || (v >= kVecTS && v <= kVecGP); }

Status deliver_real(Cpu& cpu, u8 vector, u64 return_rip) {
    CpuState& s = cpu.s;
    const u64 entry = u64{vector} * 4;
    if (entry + 3 > s.idtr.limit) {
        return cpu.raise_gp(u32{vector} * 8 + 2);
    }
    u16 ip, cs;
    TRY(cpu.read_lin<u16>(s.idtr.base + entry, ip, Priv::Supervisor));
    TRY(cpu.read_lin<u16>(s.idtr.base + entry + 2, cs, Priv::Supervisor));
    const u32 fl = read_eflags(s);
    StackFrame f = StackFrame::current(cpu);
    TRY(f.push(fl & 0xFFFF, 2));
    TRY(f.push(s.seg[kCs].selector, 2));
    TRY(f.push(return_rip & 0xFFFF, 2));
    f.commit_rsp();
    s.eflags &= ~(kIF | kTF | kAC | kRF);
    load_segment_real(cpu, kCs, cs);
    s.rip = ip;
    cpu.next_rip = ip;
    return Status::Ok;
}

/// `frame_width` receives the size of the words pushed (2 or 4), or 0 when a task gate
/// switched tasks (the ring-transition report needs it).
Status deliver_protected(Cpu& cpu, u8 vector, IntSource src, u64 return_rip, bool has_error,
                         u32 error, unsigned& frame_width) {
    CpuState& s = cpu.s;
    const bool soft = src == IntSource::Software || src == IntSource::SoftwareException;
    // EXT (SDM Vol. 3A, 6.13): set unless the event is INT n / INT3 / INTO.
    const u32 ext = soft ? 0 : 1;
    const u32 idt_code = u32{vector} * 8 + 2 + ext;
    if (u32{vector} * 8 + 7 > s.idtr.limit) {
        return cpu.raise_gp(idt_code);
    }
    Descriptor gate;
    TRY(cpu.read_lin<u64>((s.idtr.base + u64{vector} * 8) & 0xFFFFFFFFu, gate.raw,
                          Priv::Supervisor));
    const u8 type = gate.type();
    const bool valid = !gate.s() && (type == kSysTaskGate || type == kSysIntGate16 ||
                                     type == kSysTrapGate16 || type == kSysIntGate32 ||
                                     type == kSysTrapGate32);
    if (!valid) {
        return cpu.raise_gp(idt_code);
    }
    // Software interrupts may only use gates at or below their privilege (INT1 is exempt).
    if (soft && gate.dpl() < s.cpl) {
        return cpu.raise_gp(u32{vector} * 8 + 2);
    }
    if (!gate.present()) {
        return cpu.raise(kVecNP, idt_code);
    }

    if (type == kSysTaskGate) {
        frame_width = 0;
        const u16 tss_sel = gate.gate_selector();
        if (tss_sel & 4) {
            return cpu.raise(kVecTS, (tss_sel & 0xFFFCu) | ext);
        }
        Descriptor td;
        TRY(read_descriptor(cpu, tss_sel, kVecTS, ext, td));
        if (!td.is_tss() || td.tss_busy()) {
            return cpu.raise(kVecTS, (tss_sel & 0xFFFCu) | ext);
        }
        if (!td.present()) {
            return cpu.raise(kVecNP, (tss_sel & 0xFFFCu) | ext);
        }
        return task_switch(cpu, tss_sel, td, TaskReason::Int, return_rip, has_error, error, ext);
    }

    const u16 cs_sel = gate.gate_selector();
    const u32 cs_code = (cs_sel & 0xFFFCu) | ext;
    if ((cs_sel & 0xFFFC) == 0) {
        return cpu.raise_gp(ext);
    }
    Descriptor cd;
    TRY(read_descriptor(cpu, cs_sel, kVecGP, ext, cd));
    if (!cd.is_code() || cd.dpl() > s.cpl) {
        return cpu.raise_gp(cs_code);
    }
    if (!cd.present()) {
        return cpu.raise(kVecNP, cs_code);
    }
    const bool gate32 = (type & 8) != 0;
    const unsigned psize = gate32 ? 4 : 2;
    frame_width = psize;
    const u32 target = gate32 ? gate.gate_offset() : (gate.gate_offset() & 0xFFFF);
    const bool v86 = cpu.v86_mode();
    const u32 eflags = read_eflags(s);

    if (!cd.conforming() && cd.dpl() < s.cpl) {
        // Inner privilege: switch to the stack the TSS names for the new level.
        const u8 ncpl = cd.dpl();
        if (v86 && ncpl != 0) {
            return cpu.raise_gp(cs_code);
        }
        u16 ss_sel;
        u32 esp;
        TRY(tss_stack(cpu, ncpl, ext, ss_sel, esp));
        Descriptor sd;
        TRY(check_stack_segment(cpu, ss_sel, ncpl, kVecTS, ext, sd));
        const Segment nss = sd.to_segment(ss_sel);
        StackFrame f(cpu, nss, esp, sd.db() ? 4 : 2, (ss_sel & 0xFFFCu) | ext,
                     Priv::Supervisor);
        if (target > cd.limit()) {
            return cpu.raise_gp(ext);
        }
        if (v86) {
            TRY(f.push(s.seg[kGs].selector, psize));
            TRY(f.push(s.seg[kFs].selector, psize));
            TRY(f.push(s.seg[kDs].selector, psize));
            TRY(f.push(s.seg[kEs].selector, psize));
        }
        TRY(f.push(s.seg[kSs].selector, psize));
        TRY(f.push(s.gpr[kRsp], psize));
        TRY(f.push(eflags, psize));
        TRY(f.push(s.seg[kCs].selector, psize));
        TRY(f.push(return_rip, psize));
        if (has_error) {
            TRY(f.push(error, psize));
        }
        // Commit: nothing below can fault.
        if (v86) {
            for (u8 i : {kEs, kDs, kFs, kGs}) {
                s.seg[i] = Segment{0, 0, 0, 0};
            }
        }
        s.seg[kSs] = nss;
        f.commit_rsp_full();
        s.eflags &= ~kVM;
        commit_cs(cpu, cs_sel, cd, ncpl);
    } else if (cd.conforming() || cd.dpl() == s.cpl) {
        if (v86) {
            // A v86 task may only be interrupted into ring 0 through a non-conforming segment.
            return cpu.raise_gp(cs_code);
        }
        StackFrame f = StackFrame::current(cpu);
        if (target > cd.limit()) {
            return cpu.raise_gp(ext);
        }
        TRY(f.push(eflags, psize));
        TRY(f.push(s.seg[kCs].selector, psize));
        TRY(f.push(return_rip, psize));
        if (has_error) {
            TRY(f.push(error, psize));
        }
        f.commit_rsp();
        commit_cs(cpu, cs_sel, cd, s.cpl);
    } else {
        return cpu.raise_gp(cs_code);
    }
    Descriptor acc = cd;
    (void)set_accessed(cpu, cs_sel, acc); // the descriptor was just read: this cannot fault
    s.eflags &= ~(kTF | kNT | kRF | kVM);
    if (type == kSysIntGate16 || type == kSysIntGate32) {
        s.eflags &= ~kIF;
    }
    s.rip = target;
    cpu.next_rip = target;
    return Status::Ok;
}

} // namespace

Status deliver_interrupt(Cpu& cpu, u8 vector, IntSource src, u64 return_rip, bool has_error,
                         u32 error) {
    const u8 old_cpl = cpu.s.cpl;
    unsigned frame_width = 2;
    const Status st = observe_transition(
        cpu,
        [&] {
            // Real mode pushes no error code (SDM Vol. 3A, 20.1.4).
            return cpu.protected_mode()
                       ? deliver_protected(cpu, vector, src, return_rip, has_error, error, frame_width)
                       : deliver_real(cpu, vector, return_rip);
        },
        [&](const RingPoint& before) {
            report_delivery(cpu, before, vector, src, return_rip, has_error, error, frame_width);
        });
    if (st == Status::Ok) {
        cpu.s.halted = false;
        if (base::log_enabled(base::kLogInt)) {
            base::log_printf("int: vec=0x%02x src=%u err=%d:0x%x cpl %u->%u ret=0x%llx\n",
                             vector, static_cast<unsigned>(src), has_error ? 1 : 0, error,
                             old_cpl, cpu.s.cpl, static_cast<unsigned long long>(return_rip));
        }
        if (cpu.trace) {
            cpu.trace->on_interrupt(cpu, vector, src, has_error, error, old_cpl);
        }
        if (cpu.recorder) [[unlikely]] {
            cpu.recorder->put_event(kTraceInterrupt,
                                    vector | static_cast<u32>(src) << 8 | u32{old_cpl} << 12 |
                                        u32{cpu.s.cpl} << 14 | (has_error ? 1u << 16 : 0u),
                                    cpu.icount, old_cpl);
            if (has_error) {
                cpu.recorder->put_event(kTraceErrorCode, error, cpu.icount, old_cpl);
            }
        }
    }
    return st;
}

Status deliver_exception(Cpu& cpu) {
    Fault f = cpu.fault;
    const u64 entry_cr2 = cpu.s.cr2;
    for (unsigned step = 0;; ++step) {
        const Status st = deliver_interrupt(cpu, f.vector, IntSource::Exception, cpu.s.rip,
                                            f.has_error, f.error);
        if (st != Status::Fault) {
            return st;
        }
        const Fault second = cpu.fault;
        // Each failed step is kept for the triple-fault explanation (cpu/fault_explain.h).
        cpu.fault_chain.record(step, f, second, cpu.s.cr2, entry_cr2, cpu.icount);
        if (base::log_enabled(base::kLogInt)) {
            base::log_printf("int: delivering vec=0x%02x faulted: vec=0x%02x err=0x%x\n",
                             f.vector, second.vector, second.error);
        }
        if (f.vector == kVecDF) {
            if (base::log_enabled(base::kLogInt)) {
                base::log_printf("int: triple fault\n");
            }
            if (!cpu.device_guarded()) {
                cpu.env().shutdown(ShutdownKind::TripleFault);
            }
            return Status::Stop;
        }
        // SDM Vol. 3A, Table 6-5: which pairs become a double fault.
        const bool df = (contributory(f.vector) && contributory(second.vector)) ||
                        (f.vector == kVecPF && (contributory(second.vector) || second.vector == kVecPF));
        f = df ? Fault{kVecDF, true, 0} : second;
    }
}

} // namespace cpu
