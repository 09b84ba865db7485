// SPDX-License-Identifier: MIT
// The mode bits a translated block depends on, computed from the CPU state at lookup time.
// Anything that changes them (segment loads, CR0 writes, far transfers, IRET, SYSENTER...) ends
// a block and returns to the dispatcher, so chained blocks always share their flags.
#pragma once

#include "cpu/cpu.h"

namespace translator {

enum KeyBits : u32 {
    kKeyCode32 = 1u << 0,  ///< 32-bit code segment (else 16-bit)
    kKeyStack32 = 1u << 1, ///< SS.B: ESP (else SP)
    kKeyCplShift = 2,      ///< two bits of CPL
    kKeyPE = 1u << 4,
    kKeyVM = 1u << 5,
    kKeyCs4G = 1u << 6,    ///< CS limit is 4 GiB: near branches need no limit check
    /// Paging off, A20 on, no watchpoint: a linear address is the physical one, so reads in
    /// the RAM window (CpuLayout::direct_host) go straight to host memory, without the TLB.
    kKeyDirectRam = 1u << 7,
    kKeySegShift = 8,      ///< two bits per segment register ES..GS: SegClass
};

/// How inline code may address through a segment register.
enum SegClass : u32 {
    kSegSlow = 0,  ///< checks needed: memory operands through it take the interpreter's path
    kSegLarge = 1, ///< expand-up, 4 GiB limit, readable and writable: linear = base + offset
    kSegFlat = 2,  ///< the same with base 0: linear = offset
    /// FS and GS in protected mode: not fixed by the key. Processes differ in them (a thread
    /// pointer or none) while the kernel runs the same code for all of them, so keying on
    /// them made a copy of every kernel block per kind of process, each evicting the other's
    /// jump-cache lines. Each access checks at run time what kSegLarge promises.
    kSegChecked = 3,
};

/// What kSegLarge promises of segment register `seg` now: a 4 GiB limit and, in protected
/// mode, a present, writable, expand-up data segment. (Translated code checks the same of FS
/// and GS at run time, kSegChecked; so does a memory group's slow path, helpers.cpp.)
inline bool segment_large(const cpu::Cpu& c, unsigned seg) {
    const cpu::Segment& sg = c.s.seg[seg];
    if (sg.limit != 0xFFFFFFFFu) {
        return false;
    }
    if (c.protected_mode() && !c.v86_mode()) {
        const u16 a = sg.attr;
        // Present, data (not code), writable, expand-up.
        if (!(a & cpu::kAttrP) || (a & 0x8) || !(a & 0x2) || (a & 0x4)) {
            return false;
        }
    }
    return true;
}

inline SegClass seg_class(const cpu::Cpu& c, unsigned seg) {
    if (seg >= cpu::kFs && c.protected_mode() && !c.v86_mode()) {
        return kSegChecked;
    }
    if (!segment_large(c, seg)) {
        return kSegSlow;
    }
    return c.s.seg[seg].base == 0 ? kSegFlat : kSegLarge;
}

inline u32 block_flags(const cpu::Cpu& c) {
    u32 f = 0;
    if (c.code_size() == 4) {
        f |= kKeyCode32;
    }
    if (c.stack_size() == 4) {
        f |= kKeyStack32;
    }
    f |= u32{c.s.cpl} << kKeyCplShift;
    if (c.protected_mode()) {
        f |= kKeyPE;
    }
    if (c.v86_mode()) {
        f |= kKeyVM;
    }
    if (c.s.seg[cpu::kCs].limit == 0xFFFFFFFFu) {
        f |= kKeyCs4G;
    }
    if (c.jit_direct_ram && !c.paging() && c.phys().a20() && c.watchpoints().empty()) {
        f |= kKeyDirectRam;
    }
    for (unsigned i = 0; i < 6; ++i) {
        f |= u32{seg_class(c, i)} << (kKeySegShift + 2 * i);
    }
    return f;
}

inline SegClass key_seg_class(u32 flags, unsigned seg) {
    return static_cast<SegClass>((flags >> (kKeySegShift + 2 * seg)) & 3);
}
inline unsigned key_cpl(u32 flags) { return (flags >> kKeyCplShift) & 3; }

} // namespace translator
