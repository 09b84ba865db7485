// SPDX-License-Identifier: MIT
// Hardware task switching (SDM Vol. 3A, chapter 7): 32- and 16-bit TSSs, busy bits, back-link
// and NT, CR3 and LDT loads and the #TS/#NP/#SS checks of the new task's segments. Also the TSS
// lookups other code needs: the inner-privilege stacks (ESP0..2) and the I/O permission bitmap.
// Not here: the gate/TSS-descriptor privilege checks of the instruction that switches (the
// callers: far.cpp, exceptions.cpp, IRET).
#include "cpu/flags.h"
#include "cpu/ring_hooks.h"
#include "cpu/stack_frame.h"
#include "cpu/system.h"

namespace cpu {
namespace {

/// The register image a TSS holds (both formats widened to 32 bits).
struct TssImage {
    u32 cr3 = 0, eip = 0, eflags = 0;
    u32 gpr[8] = {};
    u16 seg[6] = {};
    u16 ldt = 0;
};

// 32-bit TSS offsets (SDM Vol. 3A, Figure 7-2) and 16-bit ones (Figure 7-11).
constexpr u32 k32Cr3 = 0x1C, k32Eip = 0x20, k32Eflags = 0x24, k32Gpr = 0x28, k32Seg = 0x48,
              k32Ldt = 0x60, k32IoBase = 0x66;
constexpr u32 k16Ip = 0x0E, k16Flags = 0x10, k16Gpr = 0x12, k16Seg = 0x22, k16Ldt = 0x2A;

template <typename T> Status rd(Cpu& cpu, u64 base, u32 off, T& v) {
    return cpu.read_lin<T>((base + off) & 0xFFFFFFFFu, v, Priv::Supervisor);
}
template <typename T> Status wr(Cpu& cpu, u64 base, u32 off, T v) {
    return cpu.write_lin<T>((base + off) & 0xFFFFFFFFu, v, Priv::Supervisor);
}

Status read_tss(Cpu& cpu, u64 base, bool is32, TssImage& t) {
    if (is32) {
        TRY(rd<u32>(cpu, base, k32Cr3, t.cr3));
        TRY(rd<u32>(cpu, base, k32Eip, t.eip));
        TRY(rd<u32>(cpu, base, k32Eflags, t.eflags));
        for (unsigned i = 0; i < 8; ++i) {
            TRY(rd<u32>(cpu, base, k32Gpr + 4 * i, t.gpr[i]));
        }
        for (unsigned i = 0; i < 6; ++i) {
            TRY(rd<u16>(cpu, base, k32Seg + 4 * i, t.seg[i]));
        }
        TRY(rd<u16>(cpu, base, k32Ldt, t.ldt));
    } else {
        u16 v;
        TRY(rd<u16>(cpu, base, k16Ip, v));
        t.eip = v;
        TRY(rd<u16>(cpu, base, k16Flags, v));
        t.eflags = v;
        for (unsigned i = 0; i < 8; ++i) {
            TRY(rd<u16>(cpu, base, k16Gpr + 2 * i, v));
            t.gpr[i] = v;
        }
        // The 16-bit TSS has no FS/GS slots: they are loaded as null.
        for (unsigned i = 0; i < 4; ++i) {
            TRY(rd<u16>(cpu, base, k16Seg + 2 * i, t.seg[i]));
        }
        TRY(rd<u16>(cpu, base, k16Ldt, t.ldt));
    }
    return Status::Ok;
}

Status save_tss(Cpu& cpu, u64 base, bool is32, u32 eip, u32 eflags) {
    const CpuState& s = cpu.s;
    if (is32) {
        TRY(wr<u32>(cpu, base, k32Eip, eip));
        TRY(wr<u32>(cpu, base, k32Eflags, eflags));
        for (unsigned i = 0; i < 8; ++i) {
            TRY(wr<u32>(cpu, base, k32Gpr + 4 * i, static_cast<u32>(s.gpr[i])));
        }
        for (unsigned i = 0; i < 6; ++i) {
            TRY(wr<u16>(cpu, base, k32Seg + 4 * i, s.seg[i].selector));
        }
    } else {
        TRY(wr<u16>(cpu, base, k16Ip, static_cast<u16>(eip)));
        TRY(wr<u16>(cpu, base, k16Flags, static_cast<u16>(eflags)));
        for (unsigned i = 0; i < 8; ++i) {
            TRY(wr<u16>(cpu, base, k16Gpr + 2 * i, static_cast<u16>(s.gpr[i])));
        }
        for (unsigned i = 0; i < 4; ++i) {
            TRY(wr<u16>(cpu, base, k16Seg + 2 * i, s.seg[i].selector));
        }
    }
    return Status::Ok;
}

/// Loads the new task's LDTR and segment registers with their checks (SDM Vol. 3A, 7.3 step
/// 12; faults are reported in the new task's context).
Status load_task_segments(Cpu& cpu, const TssImage& t, u32 ext) {
    CpuState& s = cpu.s;
    // LDT first: the other selectors may point into it.
    const u16 ldt = t.ldt;
    if ((ldt & 0xFFFC) == 0) {
        s.ldtr = Segment{ldt, 0, 0, 0};
    } else {
        const u32 code = (ldt & 0xFFFCu) | ext;
        if (ldt & 4) {
            return cpu.raise(kVecTS, code);
        }
        Descriptor d;
        TRY(read_descriptor(cpu, ldt, kVecTS, ext, d));
        if (d.s() || d.type() != kSysLdt || !d.present()) {
            return cpu.raise(kVecTS, code);
        }
        s.ldtr = d.to_segment(ldt);
    }
    if (cpu.v86_mode()) {
        for (u8 i = 0; i < 6; ++i) {
            load_segment_real(cpu, i, t.seg[i]);
        }
        return Status::Ok;
    }
    // CS decides the CPL of the new task.
    const u16 cs = t.seg[kCs];
    const u32 cs_code = (cs & 0xFFFCu) | ext;
    if ((cs & 0xFFFC) == 0) {
        return cpu.raise(kVecTS, cs_code);
    }
    Descriptor cd;
    TRY(read_descriptor(cpu, cs, kVecTS, ext, cd));
    if (!cd.is_code() || (cd.conforming() ? cd.dpl() > (cs & 3) : cd.dpl() != (cs & 3))) {
        return cpu.raise(kVecTS, cs_code);
    }
    if (!cd.present()) {
        return cpu.raise(kVecNP, cs_code);
    }
    TRY(set_accessed(cpu, cs, cd));
    commit_cs(cpu, cs, cd, static_cast<u8>(cs & 3));
    const u8 cpl = s.cpl;

    Descriptor sd;
    TRY(check_stack_segment(cpu, t.seg[kSs], cpl, kVecTS, ext, sd));
    s.seg[kSs] = sd.to_segment(t.seg[kSs]);

    for (u8 i : {kEs, kDs, kFs, kGs}) {
        const u16 sel = t.seg[i];
        const u32 code = (sel & 0xFFFCu) | ext;
        if ((sel & 0xFFFC) == 0) {
            s.seg[i] = Segment{sel, 0, 0, 0};
            continue;
        }
        Descriptor d;
        TRY(read_descriptor(cpu, sel, kVecTS, ext, d));
        if (!d.is_data() && !d.readable_code()) {
            return cpu.raise(kVecTS, code);
        }
        if (!d.conforming() && (d.dpl() < cpl || d.dpl() < (sel & 3))) {
            return cpu.raise(kVecTS, code);
        }
        if (!d.present()) {
            return cpu.raise(kVecNP, code);
        }
        TRY(set_accessed(cpu, sel, d));
        s.seg[i] = d.to_segment(sel);
    }
    return Status::Ok;
}

Status switch_task(Cpu& cpu, u16 selector, Descriptor d, TaskReason reason, u64 return_rip,
                   bool has_error, u32 error, u32 ext) {
    CpuState& s = cpu.s;
    const u32 code = (selector & 0xFFFCu) | ext;
    const bool new32 = d.tss32();
    if (d.limit() < (new32 ? 0x67u : 0x2Bu)) {
        return cpu.raise(kVecTS, code);
    }
    // Read everything that can fault before the old task's state changes.
    const u64 nbase = d.base();
    TssImage t;
    TRY(read_tss(cpu, nbase, new32, t));
    const bool old32 = (s.tr.attr & 0x8) != 0;
    const u64 obase = s.tr.base;
    u32 eflags = read_eflags(s);
    if (reason == TaskReason::Iret) {
        eflags &= ~kNT;
    }
    // Probe the old TSS and the back-link slot so that the writes below cannot fault half-way.
    {
        u64 pa;
        TRY(cpu.translate((obase + (old32 ? k32Eip : k16Ip)) & 0xFFFFFFFFu, mmu::Access::Write,
                          Priv::Supervisor, pa));
        TRY(cpu.translate((obase + (old32 ? k32Ldt - 1 : k16Ldt - 1)) & 0xFFFFFFFFu,
                          mmu::Access::Write, Priv::Supervisor, pa));
        TRY(cpu.translate(nbase & 0xFFFFFFFFu, mmu::Access::Write, Priv::Supervisor, pa));
    }
    if (reason == TaskReason::Jmp || reason == TaskReason::Iret) {
        TRY(set_tss_busy(cpu, s.tr.selector, false));
    }
    TRY(save_tss(cpu, obase, old32, static_cast<u32>(return_rip), eflags));
    if (reason == TaskReason::Call || reason == TaskReason::Int) {
        TRY(wr<u16>(cpu, nbase, 0, s.tr.selector));
        t.eflags |= kNT;
    }
    if (reason != TaskReason::Iret) {
        TRY(set_tss_busy(cpu, selector, true));
    }
    d.raw |= u64{2} << 40; // busy, as the cached TR shows it
    s.tr = d.to_segment(selector);
    s.cr0 |= kCr0TS;

    // Load the new task's state. From here on faults belong to the new task.
    if (new32 && cpu.paging() && t.cr3 != static_cast<u32>(s.cr3)) {
        s.cr3 = t.cr3;
        cpu.tlb_flush_nonglobal();
    }
    const u32 fl_mask = new32 ? 0x003F7FD7u : 0x7FD7u;
    write_eflags(cpu, t.eflags | kFixed1, fl_mask);
    for (unsigned i = 0; i < 8; ++i) {
        cpu.set_reg(i, new32 ? 4 : 2, t.gpr[i]);
    }
    // Selectors first with unusable caches, so a fault below leaves a consistent new task.
    for (u8 i = 0; i < 6; ++i) {
        s.seg[i].selector = t.seg[i];
        if (i != kCs) {
            s.seg[i].attr = 0;
        }
    }
    s.rip = new32 ? t.eip : (t.eip & 0xFFFF);
    cpu.next_rip = s.rip;
    TRY(load_task_segments(cpu, t, ext));
    if (s.rip > s.seg[kCs].limit) {
        return cpu.raise_gp(0);
    }
    if (has_error) {
        StackFrame f = StackFrame::current(cpu);
        TRY(f.push(error, new32 ? 4 : 2));
        f.commit_rsp();
    }
    return Status::Ok;
}

} // namespace

Status task_switch(Cpu& cpu, u16 selector, Descriptor d, TaskReason reason, u64 return_rip,
                   bool has_error, u32 error, u32 ext) {
    return observe_transition(
        cpu, [&] { return switch_task(cpu, selector, d, reason, return_rip, has_error, error, ext); },
        [&](const RingPoint& before) { report_task_switch(cpu, before, reason); });
}

Status tss_stack(Cpu& cpu, u8 dpl, u32 ext, u16& ss, u32& esp) {
    const Segment& tr = cpu.s.tr;
    const u32 code = (tr.selector & 0xFFFCu) | ext;
    if (tr.attr & 0x8) {
        const u32 off = 4 + 8u * dpl;
        if (off + 5 > tr.limit) {
            return cpu.raise(kVecTS, code);
        }
        TRY(rd<u32>(cpu, tr.base, off, esp));
        TRY(rd<u16>(cpu, tr.base, off + 4, ss));
    } else {
        const u32 off = 2 + 4u * dpl;
        if (off + 3 > tr.limit) {
            return cpu.raise(kVecTS, code);
        }
        u16 sp;
        TRY(rd<u16>(cpu, tr.base, off, sp));
        esp = sp;
        TRY(rd<u16>(cpu, tr.base, off + 2, ss));
    }
    return Status::Ok;
}

Status check_io(Cpu& cpu, u16 port, unsigned size) {
    if (!cpu.protected_mode()) {
        return Status::Ok;
    }
    const u8 iopl = static_cast<u8>((cpu.s.eflags >> 12) & 3);
    if (!cpu.v86_mode() && cpu.s.cpl <= iopl) {
        return Status::Ok;
    }
    // SDM Vol. 3A, 19.5.2: only a 32-bit TSS has a bitmap; every bit covering the access
    // must be clear, and the two bytes read must lie within the TSS limit.
    const Segment& tr = cpu.s.tr;
    if ((tr.attr & 0x8) == 0 || !(tr.attr & kAttrP) || tr.limit < k32IoBase + 1) {
        return cpu.raise_gp(0);
    }
    u16 io_base;
    TRY(rd<u16>(cpu, tr.base, k32IoBase, io_base));
    const u32 off = u32{io_base} + port / 8;
    if (off + 1 > tr.limit) {
        return cpu.raise_gp(0);
    }
    u16 bits;
    TRY(rd<u16>(cpu, tr.base, off, bits));
    const u32 mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask) {
        return cpu.raise_gp(0);
    }
    return Status::Ok;
}

} // namespace cpu
