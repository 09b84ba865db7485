// SPDX-License-Identifier: MIT
// Model-specific registers for RDMSR/WRMSR (SDM Vol. 4 for the P6 family): TSC, APIC base,
// SYSENTER, PAT, MTRRs (capabilities, default type, fixed and variable ranges), MCA
// registers with zero banks, MISC_ENABLE, EFER (NXE; LME accepted for later), microcode
// signature and platform id. Unknown MSRs and reserved-bit writes return false (#GP(0) in
// the caller). Not here: any behaviour the MTRR/PAT memory types would imply (all memory is WB).
#include "cpu/system.h"

namespace cpu {
namespace {

constexpr u64 kPhysMask = (u64{1} << 36) - 1; // 36-bit physical addresses (PAE / PSE-36)

bool valid_mem_type(u64 t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }

int fixed_mtrr_index(u32 i) {
    if (i == 0x250) return 0;
    if (i == 0x258) return 1;
    if (i == 0x259) return 2;
    if (i >= 0x268 && i <= 0x26F) return static_cast<int>(3 + (i - 0x268));
    return -1;
}

} // namespace

bool read_msr(Cpu& cpu, u32 index, u64& v) {
    MsrState& m = cpu.s.msr;
    switch (index) {
    case 0x10: v = cpu.env().tsc() + m.tsc_offset; return true;
    case 0x17: v = 0; return true;   // IA32_PLATFORM_ID
    case 0x1B: v = m.apic_base; return true;
    case 0x2A: v = 0; return true;   // EBL_CR_POWERON: nothing configurable
    // P6 performance counters: kept as storage (they do not count), as guests probe them by
    // writing and reading back.
    case 0xC1: case 0xC2: v = m.perfctr[index - 0xC1] & 0xFFFFFFFFFFull; return true;
    case 0x186: case 0x187: v = m.evntsel[index - 0x186]; return true;
    case 0x8B: v = 0; return true;   // BIOS_SIGN_ID: no microcode loaded
    case 0xFE: v = 0x508; return true; // MTRRcap: 8 variable, fixed ranges, WC
    case 0x174: v = m.sysenter_cs; return true;
    case 0x175: v = m.sysenter_esp; return true;
    case 0x176: v = m.sysenter_eip; return true;
    case 0x179: v = 0; return true;  // MCG_CAP: no banks
    case 0x17A: v = 0; return true;  // MCG_STATUS
    case 0x1A0: v = m.misc_enable; return true;
    case 0x277: v = m.pat; return true;
    case 0x2FF: v = m.mtrr_def_type; return true;
    case 0xC0000080u: v = cpu.s.efer; return true;
    default: break;
    }
    if (index >= 0x200 && index < 0x210) {
        v = m.mtrr_var[index - 0x200];
        return true;
    }
    if (const int f = fixed_mtrr_index(index); f >= 0) {
        v = m.mtrr_fixed[f];
        return true;
    }
    return false;
}

bool write_msr(Cpu& cpu, u32 index, u64 v) {
    MsrState& m = cpu.s.msr;
    switch (index) {
    case 0x10: m.tsc_offset = v - cpu.env().tsc(); return true;
    case 0x1B:
        // Bits 0-7, 9, 10 and above the physical width are reserved; BSP (8) is read-only.
        if (v & (0xFFu | 0x600u | ~kPhysMask)) {
            return false;
        }
        m.apic_base = (v & ~u64{0x100}) | (m.apic_base & 0x100);
        cpu.env().apic_base_changed(m.apic_base);
        return true;
    case 0x8B: return true; // writing the signature slot is how microcode revision is read
    // PERFCTR writes take the low 32 bits sign-extended to 40 bits (SDM Vol. 3B, 19.6.1).
    case 0xC1: case 0xC2: m.perfctr[index - 0xC1] = static_cast<u64>(static_cast<i64>(static_cast<i32>(v))); return true;
    case 0x186: case 0x187: m.evntsel[index - 0x186] = v & 0xFFFFFFFF; return true;
    case 0x174: m.sysenter_cs = v & 0xFFFF; return true;
    case 0x175: m.sysenter_esp = v; return true;
    case 0x176: m.sysenter_eip = v; return true;
    case 0x17A: return v == 0;
    case 0x1A0: m.misc_enable = v; return true;
    case 0x277:
        for (unsigned i = 0; i < 8; ++i) {
            const u64 t = (v >> (8 * i)) & 0xFF;
            if (!(valid_mem_type(t) || t == 7)) {
                return false;
            }
        }
        m.pat = v;
        return true;
    case 0x2FF:
        if ((v & ~u64{0xCFF}) || !valid_mem_type(v & 0xFF)) {
            return false;
        }
        m.mtrr_def_type = v;
        return true;
    case 0xC0000080u: {
        // NXE (PAE execute-disable) works; LME is accepted ahead of long mode; SCE is
        // harmless. LMA is read-only.
        const u64 writable = kEferSCE | kEferLME | kEferNXE;
        if (v & ~(writable | kEferLMA)) {
            return false;
        }
        const u64 old = cpu.s.efer;
        cpu.s.efer = (v & writable) | (old & kEferLMA);
        cpu.on_paging_change(cpu.s.cr0, cpu.s.cr4, old);
        return true;
    }
    default: break;
    }
    if (index >= 0x200 && index < 0x210) {
        const bool mask_reg = (index & 1) != 0;
        const u64 rsvd = mask_reg ? ~(kPhysMask & ~u64{0xFFF}) & ~u64{0x800}
                                  : ~(kPhysMask & ~u64{0xFFF}) & ~u64{0xFF};
        if ((v & rsvd) || (!mask_reg && !valid_mem_type(v & 0xFF))) {
            return false;
        }
        m.mtrr_var[index - 0x200] = v;
        return true;
    }
    if (const int f = fixed_mtrr_index(index); f >= 0) {
        for (unsigned i = 0; i < 8; ++i) {
            if (!valid_mem_type((v >> (8 * i)) & 0xFF)) {
                return false;
            }
        }
        m.mtrr_fixed[f] = v;
        return true;
    }
    return false;
}

} // namespace cpu
