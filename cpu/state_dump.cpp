// SPDX-License-Identifier: MIT
#include "cpu/state_dump.h"

#include "cpu/cpu.h"
#include "cpu/flags.h"

namespace cpu {
namespace {

/// QEMU prints the descriptor's high dword bits 8..23 (type, S, DPL, P, AVL, L, D/B, G).
u32 qemu_flags(const Segment& s) { return (u32{s.attr} & 0xFF) << 8 | (u32{s.attr} & 0xF000) << 8; }

void seg_line(std::FILE* out, const char* name, const Segment& s) {
    std::fprintf(out, "%s=%04x %08x %08x %08x\n", name, s.selector, static_cast<u32>(s.base),
                 s.limit, qemu_flags(s));
}

} // namespace

void dump_state_qemu_style(Cpu& cpu, std::FILE* out) {
    CpuState& s = cpu.s;
    const u32 fl = read_eflags(s);
    auto r = [&](unsigned i) { return static_cast<u32>(s.gpr[i]); };
    std::fprintf(out, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", r(kRax), r(kRbx), r(kRcx), r(kRdx));
    std::fprintf(out, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", r(kRsi), r(kRdi), r(kRbp), r(kRsp));
    char fstr[8] = {
        (fl & kDF) ? 'D' : '-', (fl & kOF) ? 'O' : '-', (fl & kSF) ? 'S' : '-',
        (fl & kZF) ? 'Z' : '-', (fl & kAF) ? 'A' : '-', (fl & kPF) ? 'P' : '-',
        (fl & kCF) ? 'C' : '-', 0,
    };
    std::fprintf(out, "EIP=%08x EFL=%08x [%s] CPL=%u II=%u A20=%u SMM=0 HLT=%u\n",
                 static_cast<u32>(s.rip), fl, fstr, s.cpl, s.inhibit_irq ? 1 : 0,
                 cpu.phys().a20() ? 1 : 0, s.halted ? 1 : 0);
    static const char* const kNames[6] = {"ES ", "CS ", "SS ", "DS ", "FS ", "GS "};
    for (unsigned i = 0; i < 6; ++i) {
        seg_line(out, kNames[i], s.seg[i]);
    }
    seg_line(out, "LDT", s.ldtr);
    seg_line(out, "TR ", s.tr);
    std::fprintf(out, "GDT=     %08x %08x\n", static_cast<u32>(s.gdtr.base), s.gdtr.limit);
    std::fprintf(out, "IDT=     %08x %08x\n", static_cast<u32>(s.idtr.base), s.idtr.limit);
    std::fprintf(out, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", static_cast<u32>(s.cr0),
                 static_cast<u32>(s.cr2), static_cast<u32>(s.cr3), static_cast<u32>(s.cr4));
    std::fprintf(out, "DR0=%08x DR1=%08x DR2=%08x DR3=%08x \n", static_cast<u32>(s.dr[0]),
                 static_cast<u32>(s.dr[1]), static_cast<u32>(s.dr[2]), static_cast<u32>(s.dr[3]));
    std::fprintf(out, "DR6=%08x DR7=%08x\n", static_cast<u32>(s.dr[6]), static_cast<u32>(s.dr[7]));
    std::fprintf(out, "EFER=%016llx\n", static_cast<unsigned long long>(s.efer));
}

} // namespace cpu
