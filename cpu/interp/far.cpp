// SPDX-License-Identifier: MIT
// Interpreter handlers: far control transfers and segment-register moves (SDM Vol. 2: JMP,
// CALL, RET, IRET, INT n/INT3/INTO/INT1, MOV Sreg, PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS) in
// real, v86 and 16/32-bit protected mode: code segments (conforming or not), call gates with
// parameter copying and the inner-privilege stack switch, TSS and task gates (task switch),
// returns to outer privilege with the data-segment nulling rule, IRET to v86 mode and nested
// task returns. Long mode's 64-bit forms come later. Not here: interrupt delivery itself
// (cpu/exceptions.cpp), the task switch (cpu/tasks.cpp).
#include "cpu/interp/handlers.h"
#include "cpu/ring_hooks.h"
#include "cpu/stack_frame.h"
#include "cpu/system.h"

namespace cpu {

namespace {

/// JMP/CALL through a call gate (SDM Vol. 2, CALL "CALL-GATE" and JMP "CALL-GATE").
Status call_gate_transfer(Cpu& cpu, FarKind kind, u16 gate_sel, const Descriptor& gate,
                          unsigned opsize) {
    (void)opsize; // the gate's size, not the instruction's, sizes the frame
    CpuState& s = cpu.s;
    const u16 cs_sel = gate.gate_selector();
    const u32 cs_code = cs_sel & 0xFFFCu;
    (void)gate_sel;
    if (cs_code == 0) {
        return cpu.raise_gp(0);
    }
    Descriptor cd;
    TRY(read_descriptor(cpu, cs_sel, kVecGP, 0, cd));
    if (!cd.is_code() || cd.dpl() > s.cpl) {
        return cpu.raise_gp(cs_code);
    }
    if (kind == FarKind::Jmp && !cd.conforming() && cd.dpl() != s.cpl) {
        return cpu.raise_gp(cs_code);
    }
    if (!cd.present()) {
        return cpu.raise(kVecNP, cs_code);
    }
    const bool gate32 = gate.type() == kSysCallGate32;
    const unsigned psize = gate32 ? 4 : 2;
    const u32 target = gate32 ? gate.gate_offset() : (gate.gate_offset() & 0xFFFF);

    if (kind == FarKind::Jmp) {
        if (target > cd.limit()) {
            return cpu.raise_gp(0);
        }
        TRY(set_accessed(cpu, cs_sel, cd));
        commit_cs(cpu, cs_sel, cd, s.cpl);
        cpu.next_rip = target;
        return Status::Ok;
    }

    if (!cd.conforming() && cd.dpl() < s.cpl) {
        // More privileged: new stack from the TSS, parameters copied across.
        const u8 ncpl = cd.dpl();
        u16 ss_sel;
        u32 esp;
        TRY(tss_stack(cpu, ncpl, 0, ss_sel, esp));
        Descriptor sd;
        TRY(check_stack_segment(cpu, ss_sel, ncpl, kVecTS, 0, sd));
        const Segment nss = sd.to_segment(ss_sel);
        StackFrame nf(cpu, nss, esp, sd.db() ? 4 : 2, ss_sel & 0xFFFCu, Priv::Supervisor);
        StackFrame of = StackFrame::current(cpu);
        const unsigned nparams = gate.gate_params();
        // Room check first (SDM: #SS(SS selector) if the whole frame does not fit).
        {
            StackFrame probe = nf;
            for (unsigned i = 0; i < 4 + nparams; ++i) {
                TRY(probe.push(0, psize));
            }
        }
        if (target > cd.limit()) {
            return cpu.raise_gp(0);
        }
        TRY(nf.push(s.seg[kSs].selector, psize));
        TRY(nf.push(s.gpr[kRsp], psize));
        for (unsigned i = nparams; i-- > 0;) {
            u64 v;
            TRY(of.read(u64{i} * psize, psize, v));
            TRY(nf.push(v, psize));
        }
        TRY(nf.push(s.seg[kCs].selector, psize));
        TRY(nf.push(cpu.next_rip, psize));
        TRY(set_accessed(cpu, cs_sel, cd));
        s.seg[kSs] = nss;
        nf.commit_rsp_full();
        commit_cs(cpu, cs_sel, cd, ncpl);
        cpu.next_rip = target;
        return Status::Ok;
    }

    StackFrame f = StackFrame::current(cpu);
    TRY(f.push(s.seg[kCs].selector, psize));
    TRY(f.push(cpu.next_rip, psize));
    if (target > cd.limit()) {
        return cpu.raise_gp(0);
    }
    TRY(set_accessed(cpu, cs_sel, cd));
    f.commit_rsp();
    commit_cs(cpu, cs_sel, cd, s.cpl);
    cpu.next_rip = target;
    return Status::Ok;
}

/// call_gate_transfer, reported to the ring-transition listener.
Status through_call_gate(Cpu& cpu, FarKind kind, u16 gate_sel, const Descriptor& gate,
                         unsigned opsize) {
    return observe_transition(
        cpu, [&] { return call_gate_transfer(cpu, kind, gate_sel, gate, opsize); },
        [&](const RingPoint& before) {
            report_call_gate(cpu, before, kind, gate.type() == kSysCallGate32 ? 4 : 2,
                             gate.gate_params());
        });
}

} // namespace

Status far_transfer(Cpu& cpu, FarKind kind, u16 selector, u64 offset, unsigned opsize) {
    CpuState& s = cpu.s;
    if (opsize == 2) {
        offset &= 0xFFFF;
    }
    if (!cpu.protected_mode() || cpu.v86_mode()) {
        if (offset > s.seg[kCs].limit) {
            return cpu.raise_gp(0);
        }
        if (kind == FarKind::Call) {
            StackFrame f = StackFrame::current(cpu);
            TRY(f.push(s.seg[kCs].selector, opsize));
            TRY(f.push(cpu.next_rip, opsize));
            f.commit_rsp();
        }
        load_segment_real(cpu, kCs, selector);
        cpu.next_rip = offset;
        return Status::Ok;
    }
    const u32 code = selector & 0xFFFCu;
    if (code == 0) {
        return cpu.raise_gp(0);
    }
    Descriptor d;
    TRY(read_descriptor(cpu, selector, kVecGP, 0, d));
    const u8 cpl = s.cpl;
    const u8 rpl = selector & 3;
    if (d.is_code()) {
        if (d.conforming() ? d.dpl() > cpl : (rpl > cpl || d.dpl() != cpl)) {
            return cpu.raise_gp(code);
        }
        if (!d.present()) {
            return cpu.raise(kVecNP, code);
        }
        StackFrame f = StackFrame::current(cpu);
        if (kind == FarKind::Call) {
            TRY(f.push(s.seg[kCs].selector, opsize));
            TRY(f.push(cpu.next_rip, opsize));
        }
        if (offset > d.limit()) {
            return cpu.raise_gp(0);
        }
        TRY(set_accessed(cpu, selector, d));
        f.commit_rsp();
        commit_cs(cpu, selector, d, cpl);
        cpu.next_rip = offset;
        return Status::Ok;
    }
    if (d.s()) {
        return cpu.raise_gp(code); // data segment
    }
    switch (d.type()) {
    case kSysCallGate16:
    case kSysCallGate32:
        if (d.dpl() < cpl || rpl > d.dpl()) {
            return cpu.raise_gp(code);
        }
        if (!d.present()) {
            return cpu.raise(kVecNP, code);
        }
        return through_call_gate(cpu, kind, selector, d, opsize);
    case kSysTaskGate: {
        if (d.dpl() < cpl || rpl > d.dpl()) {
            return cpu.raise_gp(code);
        }
        if (!d.present()) {
            return cpu.raise(kVecNP, code);
        }
        const u16 tss_sel = d.gate_selector();
        const u32 tcode = tss_sel & 0xFFFCu;
        if (tss_sel & 4) {
            return cpu.raise_gp(tcode);
        }
        Descriptor td;
        TRY(read_descriptor(cpu, tss_sel, kVecGP, 0, td));
        if (!td.is_tss() || td.tss_busy()) {
            return cpu.raise_gp(tcode);
        }
        if (!td.present()) {
            return cpu.raise(kVecNP, tcode);
        }
        return task_switch(cpu, tss_sel, td,
                           kind == FarKind::Call ? TaskReason::Call : TaskReason::Jmp,
                           cpu.next_rip, false, 0, 0);
    }
    case kSysTss16Avail:
    case kSysTss32Avail:
        if (d.dpl() < cpl || rpl > d.dpl()) {
            return cpu.raise_gp(code);
        }
        if (!d.present()) {
            return cpu.raise(kVecNP, code);
        }
        return task_switch(cpu, selector, d,
                           kind == FarKind::Call ? TaskReason::Call : TaskReason::Jmp,
                           cpu.next_rip, false, 0, 0);
    default:
        return cpu.raise_gp(code); // busy TSS, LDT, interrupt/trap gates, reserved types
    }
}

namespace interp {
namespace {

// ---- far JMP / CALL ----

Status far_ap(Cpu& cpu, const DecodedInsn& insn, FarKind kind) {
    return far_transfer(cpu, kind, static_cast<u16>(insn.imm2), insn.imm, insn.opsize);
}
Status far_mp(Cpu& cpu, const DecodedInsn& insn, FarKind kind) {
    const u64 off = ea_offset(cpu, insn);
    const unsigned n = insn.opsize == 2 ? 2 : 4;
    u64 target, sel;
    TRY(read_mem(cpu, insn.mem.seg, off, n, target));
    TRY(read_mem(cpu, insn.mem.seg, (off + n) & base::size_mask(insn.addrsize), 2, sel));
    return far_transfer(cpu, kind, static_cast<u16>(sel), target, insn.opsize);
}
Status jmpf_ap(Cpu& cpu, const DecodedInsn& insn) { return far_ap(cpu, insn, FarKind::Jmp); }
Status callf_ap(Cpu& cpu, const DecodedInsn& insn) { return far_ap(cpu, insn, FarKind::Call); }
Status jmpf_mp(Cpu& cpu, const DecodedInsn& insn) { return far_mp(cpu, insn, FarKind::Jmp); }
Status callf_mp(Cpu& cpu, const DecodedInsn& insn) { return far_mp(cpu, insn, FarKind::Call); }

// ---- RETF ----

/// Checks the CS a RETF/IRET returns to (SDM Vol. 2, RET "RETURN-TO-..." checks).
Status check_return_cs(Cpu& cpu, u16 cs, Descriptor& cd) {
    const u32 code = cs & 0xFFFCu;
    if (code == 0) {
        return cpu.raise_gp(0);
    }
    TRY(read_descriptor(cpu, cs, kVecGP, 0, cd));
    const u8 rpl = cs & 3;
    if (rpl < cpu.s.cpl || !cd.is_code() ||
        (cd.conforming() ? cd.dpl() > rpl : cd.dpl() != rpl)) {
        return cpu.raise_gp(code);
    }
    if (!cd.present()) {
        return cpu.raise(kVecNP, code);
    }
    return Status::Ok;
}

/// Checks the SS a return to an outer level loads (RPL must match the new CPL).
Status check_return_ss(Cpu& cpu, u16 ss, u8 rpl, Descriptor& sd) {
    const u32 code = ss & 0xFFFCu;
    if (code == 0) {
        return cpu.raise_gp(0);
    }
    TRY(read_descriptor(cpu, ss, kVecGP, 0, sd));
    if ((ss & 3) != rpl || !sd.writable_data() || sd.dpl() != rpl) {
        return cpu.raise_gp(code);
    }
    if (!sd.present()) {
        return cpu.raise(kVecSS, code);
    }
    return Status::Ok;
}

Status retf_common(Cpu& cpu, unsigned opsize, u64 imm) {
    CpuState& s = cpu.s;
    StackFrame f = StackFrame::current(cpu);
    u64 eip, cs;
    TRY(f.read(0, opsize, eip));
    TRY(f.read(opsize, opsize, cs));
    if (!cpu.protected_mode() || cpu.v86_mode()) {
        if (eip > s.seg[kCs].limit) {
            return cpu.raise_gp(0);
        }
        f.skip(2 * opsize + imm);
        f.commit_rsp();
        load_segment_real(cpu, kCs, static_cast<u16>(cs));
        cpu.next_rip = eip;
        return Status::Ok;
    }
    const u16 sel = static_cast<u16>(cs);
    Descriptor cd;
    TRY(check_return_cs(cpu, sel, cd));
    const u8 rpl = sel & 3;
    if (rpl == s.cpl) {
        if (eip > cd.limit()) {
            return cpu.raise_gp(0);
        }
        TRY(set_accessed(cpu, sel, cd));
        f.skip(2 * opsize + imm);
        f.commit_rsp();
        commit_cs(cpu, sel, cd, rpl);
        cpu.next_rip = eip;
        return Status::Ok;
    }
    // Return to an outer privilege level: the caller's SS:ESP sit above the parameters.
    u64 nesp, nss;
    TRY(f.read(2 * opsize + imm, opsize, nesp));
    TRY(f.read(3 * opsize + imm, opsize, nss));
    Descriptor sd;
    TRY(check_return_ss(cpu, static_cast<u16>(nss), rpl, sd));
    if (eip > cd.limit()) {
        return cpu.raise_gp(0);
    }
    TRY(set_accessed(cpu, sel, cd));
    TRY(set_accessed(cpu, static_cast<u16>(nss), sd));
    commit_cs(cpu, sel, cd, rpl);
    s.seg[kSs] = sd.to_segment(static_cast<u16>(nss));
    const u64 mask = sd.db() ? 0xFFFFFFFFu : 0xFFFFu;
    const u64 sp = (nesp + imm) & mask;
    s.gpr[kRsp] = sd.db() ? sp : ((s.gpr[kRsp] & ~u64{0xFFFF}) | sp);
    null_inaccessible_data_segments(cpu);
    cpu.next_rip = eip;
    return Status::Ok;
}

/// RETF releasing `imm` bytes of parameters; a return to an outer level is reported.
Status retf_observed(Cpu& cpu, unsigned opsize, u64 imm) {
    return observe_transition(
        cpu, [&] { return retf_common(cpu, opsize, imm); },
        [&](const RingPoint& before) {
            report_far_return(cpu, before, opsize, static_cast<u32>(imm));
        });
}

Status retf(Cpu& cpu, const DecodedInsn& insn) { return retf_observed(cpu, insn.opsize, 0); }
Status retf_iw(Cpu& cpu, const DecodedInsn& insn) {
    return retf_observed(cpu, insn.opsize, insn.imm & 0xFFFF);
}

// ---- IRET ----

constexpr u32 kStatusFlags = kCF | kPF | kAF | kZF | kSF | kTF | kDF | kOF | kNT;

Status iret_real(Cpu& cpu, unsigned opsize) {
    CpuState& s = cpu.s;
    StackFrame f = StackFrame::current(cpu);
    u64 eip, cs, fl;
    TRY(f.pop(opsize, eip));
    TRY(f.pop(opsize, cs));
    TRY(f.pop(opsize, fl));
    if (eip > s.seg[kCs].limit) {
        return cpu.raise_gp(0);
    }
    f.commit_rsp();
    load_segment_real(cpu, kCs, static_cast<u16>(cs));
    // SDM Vol. 2, IRET real mode: VM, VIP, VIF (and the 16-bit form's upper half) stay.
    const u32 mask = opsize == 4 ? 0x00257FD5u | kFixed1 : 0xFFFFu;
    write_eflags(cpu, static_cast<u32>(fl), mask & ~(kVM | kVIP | kVIF));
    cpu.next_rip = eip;
    return Status::Ok;
}

Status iret_v86(Cpu& cpu, unsigned opsize) {
    CpuState& s = cpu.s;
    const u8 iopl = static_cast<u8>((s.eflags >> 12) & 3);
    StackFrame f = StackFrame::current(cpu);
    u64 eip, cs, fl;
    TRY(f.read(0, opsize, eip));
    TRY(f.read(opsize, opsize, cs));
    TRY(f.read(2 * opsize, opsize, fl));
    if (iopl == 3) {
        if (eip > s.seg[kCs].limit) {
            return cpu.raise_gp(0);
        }
        f.skip(3 * opsize);
        f.commit_rsp();
        load_segment_real(cpu, kCs, static_cast<u16>(cs));
        const u32 mask = (opsize == 4 ? 0x003F7FD5u : 0xFFFFu) & ~(kIOPL | kVM | kVIP | kVIF);
        write_eflags(cpu, static_cast<u32>(fl), mask);
        cpu.next_rip = eip;
        return Status::Ok;
    }
    if ((s.cr4 & kCr4VME) && opsize == 2) {
        // SDM Vol. 3A, 20.3.1 (VME): IF goes to VIF; a pending VIP or TF traps to the monitor.
        if (((fl & kIF) && (s.eflags & kVIP)) || (fl & kTF)) {
            return cpu.raise_gp(0);
        }
        f.skip(6);
        f.commit_rsp();
        load_segment_real(cpu, kCs, static_cast<u16>(cs));
        const u32 mask = 0xFFFFu & ~(kIOPL | kIF);
        u32 v = static_cast<u32>(fl) & 0xFFFF;
        write_eflags(cpu, v, mask);
        write_eflags(cpu, (fl & kIF) ? u32{kVIF} : 0u, kVIF);
        cpu.next_rip = eip & 0xFFFF;
        return Status::Ok;
    }
    return cpu.raise_gp(0);
}

Status iret_to_v86(Cpu& cpu, StackFrame& f, u64 eip, u64 cs, u64 fl) {
    CpuState& s = cpu.s;
    u64 esp, ss, es, ds, fs, gs;
    TRY(f.read(12, 4, esp));
    TRY(f.read(16, 4, ss));
    TRY(f.read(20, 4, es));
    TRY(f.read(24, 4, ds));
    TRY(f.read(28, 4, fs));
    TRY(f.read(32, 4, gs));
    // SDM: EFLAGS is loaded whole (VM included) before the segments, so they load v86-style.
    write_eflags(cpu, static_cast<u32>(fl), 0x003F7FD5u);
    load_segment_real(cpu, kCs, static_cast<u16>(cs));
    load_segment_real(cpu, kSs, static_cast<u16>(ss));
    load_segment_real(cpu, kEs, static_cast<u16>(es));
    load_segment_real(cpu, kDs, static_cast<u16>(ds));
    load_segment_real(cpu, kFs, static_cast<u16>(fs));
    load_segment_real(cpu, kGs, static_cast<u16>(gs));
    s.gpr[kRsp] = esp & 0xFFFFFFFFu;
    s.cpl = 3;
    cpu.next_rip = eip & 0xFFFF;
    return Status::Ok;
}

Status iret_protected(Cpu& cpu, unsigned opsize) {
    CpuState& s = cpu.s;
    if (s.eflags & kNT) {
        // Return from a nested task through the back-link (SDM Vol. 3A, 7.3).
        u16 link;
        TRY(cpu.read_lin<u16>(s.tr.base & 0xFFFFFFFFu, link, Priv::Supervisor));
        const u32 code = link & 0xFFFCu;
        if (link & 4) {
            return cpu.raise(kVecTS, code);
        }
        Descriptor td;
        TRY(read_descriptor(cpu, link, kVecTS, 0, td));
        if (!td.is_tss() || !td.tss_busy()) {
            return cpu.raise(kVecTS, code);
        }
        if (!td.present()) {
            return cpu.raise(kVecNP, code);
        }
        return task_switch(cpu, link, td, TaskReason::Iret, cpu.next_rip, false, 0, 0);
    }
    StackFrame f = StackFrame::current(cpu);
    u64 eip, cs, fl;
    TRY(f.read(0, opsize, eip));
    TRY(f.read(opsize, opsize, cs));
    TRY(f.read(2 * opsize, opsize, fl));
    if (opsize == 4 && (fl & kVM) && s.cpl == 0) {
        return iret_to_v86(cpu, f, eip, cs, fl);
    }
    const u16 sel = static_cast<u16>(cs);
    Descriptor cd;
    TRY(check_return_cs(cpu, sel, cd));
    const u8 rpl = sel & 3;
    const u8 old_cpl = s.cpl;
    const u8 iopl = static_cast<u8>((s.eflags >> 12) & 3);
    u32 mask = kStatusFlags;
    if (opsize == 4) {
        mask |= kRF | kAC | kID;
    }
    if (old_cpl <= iopl) {
        mask |= kIF;
    }
    if (old_cpl == 0) {
        mask |= kIOPL | (opsize == 4 ? kVIF | kVIP : 0);
    }
    if (opsize == 2) {
        mask &= 0xFFFF;
    }
    if (rpl == old_cpl) {
        if (eip > cd.limit()) {
            return cpu.raise_gp(0);
        }
        TRY(set_accessed(cpu, sel, cd));
        f.skip(3 * opsize);
        f.commit_rsp();
        commit_cs(cpu, sel, cd, rpl);
        write_eflags(cpu, static_cast<u32>(fl), mask);
        cpu.next_rip = eip;
        return Status::Ok;
    }
    u64 nesp, nss;
    TRY(f.read(3 * opsize, opsize, nesp));
    TRY(f.read(4 * opsize, opsize, nss));
    Descriptor sd;
    TRY(check_return_ss(cpu, static_cast<u16>(nss), rpl, sd));
    if (eip > cd.limit()) {
        return cpu.raise_gp(0);
    }
    TRY(set_accessed(cpu, sel, cd));
    TRY(set_accessed(cpu, static_cast<u16>(nss), sd));
    commit_cs(cpu, sel, cd, rpl);
    write_eflags(cpu, static_cast<u32>(fl), mask);
    s.seg[kSs] = sd.to_segment(static_cast<u16>(nss));
    if (sd.db()) {
        s.gpr[kRsp] = nesp & 0xFFFFFFFFu;
    } else {
        s.gpr[kRsp] = (s.gpr[kRsp] & ~u64{0xFFFF}) | (nesp & 0xFFFF);
    }
    null_inaccessible_data_segments(cpu);
    cpu.next_rip = eip;
    return Status::Ok;
}

Status iret_by_mode(Cpu& cpu, unsigned opsize) {
    if (!cpu.protected_mode()) {
        return iret_real(cpu, opsize);
    }
    if (cpu.v86_mode()) {
        return iret_v86(cpu, opsize);
    }
    return iret_protected(cpu, opsize);
}

Status iret(Cpu& cpu, const DecodedInsn& insn) {
    return observe_transition(
        cpu, [&] { return iret_by_mode(cpu, insn.opsize); },
        [&](const RingPoint& before) { report_iret(cpu, before, insn.opsize); });
}

// ---- software interrupts ----

/// INT n in v86 mode with CR4.VME: the interrupt redirection bitmap (32 bytes below the I/O
/// bitmap) says whether the v86 task's own IVT handles it (SDM Vol. 3A, 20.3.3).
Status v86_int(Cpu& cpu, u8 vector, bool& handled) {
    CpuState& s = cpu.s;
    handled = false;
    const u8 iopl = static_cast<u8>((s.eflags >> 12) & 3);
    if (!(s.cr4 & kCr4VME)) {
        if (iopl < 3) {
            return cpu.raise_gp(0);
        }
        return Status::Ok;
    }
    const Segment& tr = s.tr;
    if ((tr.attr & 0x8) == 0 || tr.limit < 0x67) {
        return cpu.raise_gp(0);
    }
    u16 io_base;
    TRY(cpu.read_lin<u16>((tr.base + 0x66) & 0xFFFFFFFFu, io_base, Priv::Supervisor));
    const u32 off = u32{io_base} - 32 + vector / 8;
    if (io_base < 32 || off > tr.limit) {
        return cpu.raise_gp(0);
    }
    u8 bits;
    TRY(cpu.read_lin<u8>((tr.base + off) & 0xFFFFFFFFu, bits, Priv::Supervisor));
    if (bits & (1u << (vector & 7))) {
        // Bit set: protected-mode delivery, which IOPL < 3 turns into #GP(0).
        if (iopl < 3) {
            return cpu.raise_gp(0);
        }
        return Status::Ok;
    }
    // Bit clear: through the v86 task's IVT at linear 0, like real mode.
    u16 ip, cs;
    TRY(cpu.read_lin<u16>(u64{vector} * 4, ip));
    TRY(cpu.read_lin<u16>(u64{vector} * 4 + 2, cs));
    u32 fl = read_eflags(s) & 0xFFFF;
    if (iopl < 3) {
        fl = (fl & ~kIF) | ((s.eflags & kVIF) ? u32{kIF} : 0u);
        fl |= kIOPL;
    }
    StackFrame f = StackFrame::current(cpu);
    TRY(f.push(fl, 2));
    TRY(f.push(s.seg[kCs].selector, 2));
    TRY(f.push(cpu.next_rip, 2));
    f.commit_rsp();
    load_segment_real(cpu, kCs, cs);
    s.eflags &= ~(kTF | kRF);
    if (iopl < 3) {
        s.eflags &= ~kVIF;
    } else {
        s.eflags &= ~kIF;
    }
    cpu.next_rip = ip;
    handled = true;
    return Status::Ok;
}

Status int_ib(Cpu& cpu, const DecodedInsn& insn) {
    const u8 vector = static_cast<u8>(insn.imm);
    if (cpu.v86_mode()) {
        bool handled;
        TRY(v86_int(cpu, vector, handled));
        if (handled) {
            return Status::Ok;
        }
    }
    return deliver_interrupt(cpu, vector, IntSource::Software, cpu.next_rip, false, 0);
}

Status int3(Cpu& cpu, const DecodedInsn&) {
    return deliver_interrupt(cpu, kVecBP, IntSource::SoftwareException, cpu.next_rip, false, 0);
}

Status into(Cpu& cpu, const DecodedInsn&) {
    if (!(read_eflags(cpu.s) & kOF)) {
        return Status::Ok;
    }
    return deliver_interrupt(cpu, kVecOF, IntSource::SoftwareException, cpu.next_rip, false, 0);
}

Status int1(Cpu& cpu, const DecodedInsn&) {
    return deliver_interrupt(cpu, kVecDB, IntSource::Icebp, cpu.next_rip, false, 0);
}

// ---- segment register moves ----

Status mov_sw_ew(Cpu& cpu, const DecodedInsn& insn) {
    const u8 seg = insn.op[0].reg;
    if (seg == kCs) {
        return cpu.raise_ud(); // MOV CS is invalid (SDM Vol. 2, MOV)
    }
    u64 v;
    if (insn.op[1].kind == OperandKind::Mem) {
        TRY(read_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), 2, v));
    } else {
        v = cpu.reg(insn.op[1].reg, 2);
    }
    TRY(load_segment(cpu, seg, static_cast<u16>(v)));
    if (seg == kSs) {
        cpu.s.inhibit_irq = true;
    }
    return Status::Ok;
}

Status mov_ev_sw(Cpu& cpu, const DecodedInsn& insn) {
    const u16 sel = cpu.s.seg[insn.op[1].reg].selector;
    if (insn.op[0].kind == OperandKind::Mem) {
        // A memory destination is always 16 bits wide, whatever the operand size.
        return write_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), 2, sel);
    }
    // Register destination with a 32-bit operand size: zero-extended (P6 and later).
    cpu.set_reg(insn.op[0].reg, insn.opsize == 2 ? 2 : 4, sel);
    return Status::Ok;
}

Status push_seg(Cpu& cpu, const DecodedInsn& insn) {
    // A 32-bit push of a segment register stores the selector zero-extended (as QEMU does;
    // some later CPUs write only the low word, which the SDM also allows).
    return cpu.push(cpu.s.seg[insn.op[0].reg].selector, insn.opsize);
}

Status pop_seg(Cpu& cpu, const DecodedInsn& insn) {
    const u8 seg = insn.op[0].reg;
    u64 v;
    TRY(cpu.stack_read(0, v, insn.opsize));
    // Load first (it may fault), then move the stack pointer. A stack-size change by POP SS
    // applies to the increment: the SDM increments with the old stack's size.
    const unsigned ss = cpu.stack_size();
    const u64 mask = ss == 2 ? 0xFFFF : 0xFFFFFFFFu;
    const u64 old_sp = cpu.s.gpr[kRsp];
    TRY(load_segment(cpu, seg, static_cast<u16>(v)));
    cpu.s.gpr[kRsp] = (old_sp & ~mask) | ((old_sp + insn.opsize) & mask);
    if (seg == kSs) {
        cpu.s.inhibit_irq = true;
    }
    return Status::Ok;
}

template <u8 Seg> Status load_far_pointer(Cpu& cpu, const DecodedInsn& insn) {
    const u64 off = ea_offset(cpu, insn);
    const unsigned n = insn.opsize == 2 ? 2 : 4;
    u64 value, sel;
    TRY(read_mem(cpu, insn.mem.seg, off, n, value));
    TRY(read_mem(cpu, insn.mem.seg, (off + n) & base::size_mask(insn.addrsize), 2, sel));
    TRY(load_segment(cpu, Seg, static_cast<u16>(sel)));
    cpu.set_reg(insn.op[0].reg, n, value);
    return Status::Ok;
}

} // namespace

void install_far(HandlerTable& t) {
    auto set = [&](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
    set(InsnId::JMPF_Ap, jmpf_ap);
    set(InsnId::CALLF_Ap, callf_ap);
    set(InsnId::JMPF_Mp, jmpf_mp);
    set(InsnId::CALLF_Mp, callf_mp);
    set(InsnId::RETF, retf);
    set(InsnId::RETF_Iw, retf_iw);
    set(InsnId::IRET, iret);
    set(InsnId::INT_Ib, int_ib);
    set(InsnId::INT3, int3);
    set(InsnId::INTO, into);
    set(InsnId::INT1, int1);
    set(InsnId::MOV_SwEw, mov_sw_ew);
    set(InsnId::MOV_EvSw, mov_ev_sw);
    for (InsnId id : {InsnId::PUSH_ES, InsnId::PUSH_CS, InsnId::PUSH_SS, InsnId::PUSH_DS,
                      InsnId::PUSH_FS, InsnId::PUSH_GS}) {
        set(id, push_seg);
    }
    for (InsnId id : {InsnId::POP_ES, InsnId::POP_SS, InsnId::POP_DS, InsnId::POP_FS,
                      InsnId::POP_GS}) {
        set(id, pop_seg);
    }
    set(InsnId::LES_GzMp, load_far_pointer<kEs>);
    set(InsnId::LDS_GzMp, load_far_pointer<kDs>);
    set(InsnId::LSS_GzMp, load_far_pointer<kSs>);
    set(InsnId::LFS_GzMp, load_far_pointer<kFs>);
    set(InsnId::LGS_GzMp, load_far_pointer<kGs>);
}

} // namespace interp
} // namespace cpu
