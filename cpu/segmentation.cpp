// SPDX-License-Identifier: MIT
// Segment-register loads (SDM Vol. 3A, 3.4 and 5.x): real/v86 now; protected-mode descriptor
// checks land with the system family.
#include "cpu/system.h"

namespace cpu {

void load_segment_real(Cpu& cpu, u8 seg, u16 selector) {
    Segment& sg = cpu.s.seg[seg];
    sg.selector = selector;
    sg.base = u64{selector} << 4;
    if (cpu.v86_mode()) {
        sg.limit = 0xFFFF;
        sg.attr = seg == kCs ? 0xF3 : 0xF3; // DPL 3 read/write data, as the SDM specifies
    } else if (seg == kCs) {
        sg.attr = (sg.attr & ~kAttrDpl) | kAttrP | kAttrS;
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

Status load_segment(Cpu& cpu, u8 seg, u16 selector) {
    if (!cpu.protected_mode() || cpu.v86_mode()) {
        load_segment_real(cpu, seg, selector);
        return Status::Ok;
    }
    return cpu.raise_gp(selector & 0xFFFC);
}

} // namespace cpu
