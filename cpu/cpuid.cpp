// SPDX-License-Identifier: MIT
// CPUID (SDM Vol. 2, CPUID): a P6-family Pentium M (family 6, model 13, stepping 6, the value
// cpu.cpp's reset EDX reports) that advertises only what tx86 implements. Leaves 0, 1, 2 and
// 0x80000000..0x80000004. Not here: anything a guest could change (CPUID has no state).
#include "cpu/system.h"

#include <cstring>

namespace cpu {
namespace {

constexpr u32 kMaxBasic = 2;
constexpr u32 kMaxExtended = 0x80000004;

// Leaf 1 EDX (SDM Vol. 2, Table 3-11).
constexpr u32 kFpu = 1u << 0, kVme = 1u << 1, kDe = 1u << 2, kPse = 1u << 3, kTsc = 1u << 4,
              kMsr = 1u << 5, kPae = 1u << 6, kMce = 1u << 7, kCx8 = 1u << 8, kSep = 1u << 11,
              kMtrr = 1u << 12, kPge = 1u << 13, kMca = 1u << 14, kCmov = 1u << 15,
              kPat = 1u << 16, kPse36 = 1u << 17, kClfsh = 1u << 19, kMmx = 1u << 23,
              kFxsr = 1u << 24, kSse = 1u << 25, kSse2 = 1u << 26;
// APIC (bit 9) is reported while IA32_APIC_BASE has the global enable bit, as the SDM says.
constexpr u32 kApic = 1u << 9;
// PSE-36: mmu/paging.cpp maps PDE bits 13..20 to physical bits 32..39.
constexpr u32 kLeaf1Edx = kFpu | kVme | kDe | kPse | kTsc | kMsr | kPae | kMce | kCx8 | kSep |
                          kMtrr | kPge | kMca | kCmov | kPat | kPse36 | kClfsh | kMmx | kFxsr |
                          kSse | kSse2;
constexpr u32 kExtNx = 1u << 20; // PAE paging implements XD (mmu/paging.cpp)

u32 chars(const char* p) {
    u32 v;
    std::memcpy(&v, p, 4);
    return v;
}

CpuidResult brand(u32 part) {
    static const char kBrand[48] = "tx86 virtual CPU";
    const char* p = kBrand + 16 * part;
    return CpuidResult{chars(p), chars(p + 4), chars(p + 8), chars(p + 12)};
}

CpuidResult basic(const Cpu& cpu, u32 leaf) {
    switch (leaf) {
    case 0: return CpuidResult{kMaxBasic, chars("Genu"), chars("ntel"), chars("ineI")};
    case 1:
        // EBX: CLFLUSH line 8 * 8 = 64 bytes, one logical processor, APIC ID 0.
        return CpuidResult{0x6D6, (1u << 16) | (8u << 8), 0,
                           kLeaf1Edx | ((cpu.s.msr.apic_base & 0x800) ? kApic : 0)};
    default:
        // Leaf 2: one round; L1I 32 KiB (0x30), L1D 32 KiB (0x2C), L2 2 MiB (0x7D).
        return CpuidResult{0x7D2C3001u, 0, 0, 0};
    }
}

} // namespace

CpuidResult cpuid(const Cpu& cpu, u32 leaf, u32 subleaf) {
    (void)subleaf;
    if (leaf >= 0x80000000u) {
        switch (leaf) {
        case 0x80000000u: return CpuidResult{kMaxExtended, 0, 0, 0};
        case 0x80000001u: return CpuidResult{0, 0, 0, kExtNx};
        case 0x80000002u: return brand(0);
        case 0x80000003u: return brand(1);
        case 0x80000004u: return brand(2);
        default: break;
        }
        // Intel: leaves beyond the maximum return the highest basic leaf's data.
        return basic(cpu, kMaxBasic);
    }
    return basic(cpu, leaf > kMaxBasic ? kMaxBasic : leaf);
}

} // namespace cpu
