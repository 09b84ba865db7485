// SPDX-License-Identifier: MIT
// Segment-register loads and descriptor-table access (SDM Vol. 3A, 3.4 and 5.1-5.8): real and
// v86 loads, protected-mode data/stack loads with every protection check, descriptor reads,
// accessed/busy bits, and the data-segment nulling rule of returns to outer privilege.
// Not here: far control transfers (cpu/interp/far.cpp), task switches (cpu/tasks.cpp).
#include "cpu/flags.h"
#include "cpu/system.h"

namespace cpu {

void load_segment_real(Cpu& cpu, u8 seg, u16 selector) {
    Segment& sg = cpu.s.seg[seg];
    sg.selector = selector;
    sg.base = u64{selector} << 4;
    if (cpu.v86_mode()) {
        // SDM Vol. 3A, 20.1.1: v86 segments are 64 KiB, DPL 3, read/write (CS included).
        sg.limit = 0xFFFF;
        sg.attr = seg == kCs ? 0xF3 : 0xF3;
    } else if (seg == kCs) {
        // Real mode keeps the cached limit and most attributes ("unreal" mode survives).
        sg.attr = (sg.attr & ~kAttrDpl) | kAttrP | kAttrS;
    } else if (!(sg.attr & kAttrP)) {
        // A segment nulled in protected mode becomes usable again after a real-mode load.
        sg.attr = 0x93;
    }
    if (seg == kCs) {
        set_cs_cpl(cpu);
    }
}

void set_cs_cpl(Cpu& cpu) {
    if (!cpu.protected_mode()) {
        cpu.s.cpl = 0;
    } else if (cpu.v86_mode()) {
        cpu.s.cpl = 3;
    } else {
        cpu.s.cpl = static_cast<u8>(cpu.s.seg[kCs].selector & 3);
    }
}

Status descriptor_address(Cpu& cpu, u16 selector, u8 vector, u32 ext, u64& lin) {
    const u32 code = (selector & 0xFFFCu) | ext;
    u64 base;
    u32 limit;
    if (selector & 4) {
        // A null or unusable LDTR makes every LDT selector fault like an out-of-limit one.
        if ((cpu.s.ldtr.selector & 0xFFFC) == 0 || !(cpu.s.ldtr.attr & kAttrP)) {
            return cpu.raise(vector, code);
        }
        base = cpu.s.ldtr.base;
        limit = cpu.s.ldtr.limit;
    } else {
        base = cpu.s.gdtr.base;
        limit = cpu.s.gdtr.limit;
    }
    const u32 off = selector & 0xFFF8u;
    if (u64{off} + 7 > limit) {
        return cpu.raise(vector, code);
    }
    lin = (base + off) & 0xFFFFFFFFu;
    return Status::Ok;
}

Status read_descriptor(Cpu& cpu, u16 selector, u8 vector, u32 ext, Descriptor& d) {
    u64 lin;
    TRY(descriptor_address(cpu, selector, vector, ext, lin));
    return cpu.read_lin<u64>(lin, d.raw, Priv::Supervisor);
}

Status set_accessed(Cpu& cpu, u16 selector, Descriptor& d) {
    if (!d.s() || (d.type() & 1)) {
        return Status::Ok;
    }
    u64 lin;
    TRY(descriptor_address(cpu, selector, kVecGP, 0, lin));
    const u8 b = static_cast<u8>((d.raw >> 40) | 1);
    TRY(cpu.write_lin<u8>(lin + 5, b, Priv::Supervisor));
    d.raw |= u64{1} << 40;
    return Status::Ok;
}

Status set_tss_busy(Cpu& cpu, u16 selector, bool busy) {
    const u64 lin = (cpu.s.gdtr.base + (selector & 0xFFF8u)) & 0xFFFFFFFFu;
    u8 b;
    TRY(cpu.read_lin<u8>(lin + 5, b, Priv::Supervisor));
    b = busy ? (b | 2) : (b & ~2);
    return cpu.write_lin<u8>(lin + 5, b, Priv::Supervisor);
}

void commit_cs(Cpu& cpu, u16 selector, const Descriptor& d, u8 cpl) {
    cpu.s.seg[kCs] = d.to_segment(static_cast<u16>((selector & 0xFFFC) | cpl));
    cpu.s.cpl = cpl;
}

Status check_stack_segment(Cpu& cpu, u16 selector, u8 cpl, u8 fault_vec, u32 ext,
                           Descriptor& d) {
    const u32 code = (selector & 0xFFFCu) | ext;
    if ((selector & 0xFFFC) == 0) {
        return cpu.raise(fault_vec, ext);
    }
    TRY(read_descriptor(cpu, selector, fault_vec, ext, d));
    if ((selector & 3) != cpl || !d.writable_data() || d.dpl() != cpl) {
        return cpu.raise(fault_vec, code);
    }
    if (!d.present()) {
        return cpu.raise(kVecSS, code);
    }
    return set_accessed(cpu, selector, d);
}

Status load_segment(Cpu& cpu, u8 seg, u16 selector) {
    if (!cpu.protected_mode() || cpu.v86_mode()) {
        load_segment_real(cpu, seg, selector);
        return Status::Ok;
    }
    const u32 code = selector & 0xFFFCu;
    const u8 cpl = cpu.s.cpl;
    Descriptor d;
    if (seg == kSs) {
        // SDM Vol. 2, MOV/POP: a null SS is #GP(0) outside 64-bit mode; RPL and DPL must
        // equal CPL; only writable data segments are stacks.
        if (code == 0) {
            return cpu.raise_gp(0);
        }
        TRY(read_descriptor(cpu, selector, kVecGP, 0, d));
        if ((selector & 3) != cpl || !d.writable_data() || d.dpl() != cpl) {
            return cpu.raise_gp(code);
        }
        if (!d.present()) {
            return cpu.raise(kVecSS, code);
        }
    } else {
        if (code == 0) {
            // Null selector: loads fine, the first use faults. attr = 0 marks it unusable.
            Segment& sg = cpu.s.seg[seg];
            sg.selector = selector;
            sg.attr = 0;
            sg.base = 0;
            sg.limit = 0;
            return Status::Ok;
        }
        TRY(read_descriptor(cpu, selector, kVecGP, 0, d));
        if (!d.is_data() && !d.readable_code()) {
            return cpu.raise_gp(code);
        }
        if (!d.conforming() && ((selector & 3) > d.dpl() || cpl > d.dpl())) {
            return cpu.raise_gp(code);
        }
        if (!d.present()) {
            return cpu.raise(kVecNP, code);
        }
    }
    TRY(set_accessed(cpu, selector, d));
    cpu.s.seg[seg] = d.to_segment(selector);
    return Status::Ok;
}

void null_inaccessible_data_segments(Cpu& cpu) {
    for (u8 i : {kEs, kDs, kFs, kGs}) {
        Segment& sg = cpu.s.seg[i];
        const bool code = (sg.attr & 0x8) != 0;
        const bool conforming_code = code && (sg.attr & 0x4);
        const u8 dpl = static_cast<u8>((sg.attr >> 5) & 3);
        if ((sg.attr & kAttrS) && !conforming_code && dpl < cpu.s.cpl) {
            // SDM Vol. 2, RET/IRET: the selector is cleared; the cache becomes unusable.
            sg.selector = 0;
            sg.attr = 0;
        }
    }
}

void write_eflags(Cpu& cpu, u32 value, u32 mask) {
    flush_flags(cpu.s);
    cpu.s.eflags = ((cpu.s.eflags & ~mask) | (value & mask)) | kFixed1;
    cpu.s.eflags &= ~(u32{1} << 3 | u32{1} << 5 | u32{1} << 15 | 0xFFC00000u);
}

} // namespace cpu
