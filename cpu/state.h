// SPDX-License-Identifier: MIT
// CpuState: the architectural state of one x86 CPU as a plain struct (offsetof-able for the JIT).
// Shaped for x86-64 from the start (16 GPRs of 64 bits, RIP, EFER), though long mode comes later.
// Not here: how instructions change it (cpu/interp/), memory (mmu/), devices.
#pragma once

#include "base/types.h"
#include "cpu/fpu_state.h"
#include "cpu/sse_state.h"

namespace cpu {

enum GprIndex : u8 {
    kRax = 0, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
    kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};

enum SegIndex : u8 { kEs = 0, kCs = 1, kSs = 2, kDs = 3, kFs = 4, kGs = 5, kNoSeg = 7 };

/// EFLAGS bits.
enum : u32 {
    kCF = 1u << 0, kFixed1 = 1u << 1, kPF = 1u << 2, kAF = 1u << 4, kZF = 1u << 6,
    kSF = 1u << 7, kTF = 1u << 8, kIF = 1u << 9, kDF = 1u << 10, kOF = 1u << 11,
    kIOPL = 3u << 12, kNT = 1u << 14, kRF = 1u << 16, kVM = 1u << 17, kAC = 1u << 18,
    kVIF = 1u << 19, kVIP = 1u << 20, kID = 1u << 21,
    kArithFlags = kCF | kPF | kAF | kZF | kSF | kOF,
};

/// CR0 / CR4 / EFER bits.
enum : u64 {
    kCr0PE = 1u << 0, kCr0MP = 1u << 1, kCr0EM = 1u << 2, kCr0TS = 1u << 3, kCr0ET = 1u << 4,
    kCr0NE = 1u << 5, kCr0WP = 1u << 16, kCr0AM = 1u << 18, kCr0NW = 1u << 29,
    kCr0CD = 1u << 30, kCr0PG = 1ull << 31,
    kCr4VME = 1u << 0, kCr4PVI = 1u << 1, kCr4TSD = 1u << 2, kCr4DE = 1u << 3,
    kCr4PSE = 1u << 4, kCr4PAE = 1u << 5, kCr4MCE = 1u << 6, kCr4PGE = 1u << 7,
    kCr4PCE = 1u << 8, kCr4OSFXSR = 1u << 9, kCr4OSXMMEXCPT = 1u << 10,
    kEferSCE = 1u << 0, kEferLME = 1u << 8, kEferLMA = 1u << 10, kEferNXE = 1u << 11,
};

/// A segment register's hidden part, descriptor-cache style.
/// `attr` holds descriptor bits 40..47 in its bits 0..7 (type, S, DPL, P) and
/// bits 52..55 in its bits 12..15 (AVL, L, D/B, G), the VMCB/QEMU layout.
struct Segment {
    u16 selector = 0;
    u16 attr = 0;
    u32 limit = 0xFFFF; ///< byte-granular limit (G already applied)
    u64 base = 0;
};

enum : u16 {
    kAttrType = 0x000F, kAttrS = 0x0010, kAttrDpl = 0x0060, kAttrP = 0x0080,
    kAttrAvl = 0x1000, kAttrL = 0x2000, kAttrDB = 0x4000, kAttrG = 0x8000,
};

struct TableReg {
    u64 base = 0;
    u32 limit = 0xFFFF;
};

/// Deferred arithmetic-flag computation (cpu/flags.h). When `op` is kFlagsNone the
/// arithmetic bits of `eflags` are current.
struct LazyFlags {
    u64 result = 0;
    u64 src1 = 0;
    u64 src2 = 0;
    u8 op = 0;    ///< cpu::FlagOp
    u8 size = 0;  ///< operand size in bytes
};

struct MsrState {
    u64 tsc_offset = 0; ///< TSC = virtual ticks + offset
    u64 sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
    u64 apic_base = 0xFEE00900;
    u64 pat = 0x0007040600070406ull;
    u64 star = 0, lstar = 0, cstar = 0, sfmask = 0;
    u64 fs_base = 0, gs_base = 0, kernel_gs_base = 0;
    u64 mtrr_def_type = 0;
    u64 mtrr_fixed[11] = {};
    u64 mtrr_var[16] = {};
    u64 misc_enable = 1; ///< fast strings
    u64 perfctr[2] = {};  ///< P6 PERFCTR0/1 (stored, do not count)
    u64 evntsel[2] = {};  ///< P6 EVNTSEL0/1
};

struct CpuState {
    u64 gpr[16] = {};
    u64 rip = 0;
    u32 eflags = kFixed1; ///< arithmetic bits valid only when lazy.op == kFlagsNone
    LazyFlags lazy;

    Segment seg[6];
    Segment ldtr;
    Segment tr;
    TableReg gdtr;
    TableReg idtr;

    u64 cr0 = kCr0ET | 0x60000000; ///< CD|NW|ET at reset
    u64 cr2 = 0;
    u64 cr3 = 0;
    u64 cr4 = 0;
    u64 cr8 = 0;
    u64 efer = 0;
    u64 dr[8] = {0, 0, 0, 0, 0xFFFF0FF0, 0x400, 0xFFFF0FF0, 0x400};
    MsrState msr;

    FpuState fpu;
    SseState sse;

    u8 cpl = 0;
    bool halted = false;
    /// Interrupts are inhibited for one instruction after MOV SS / POP SS / STI.
    bool inhibit_irq = false;
    /// Set when an exception is being delivered (for double-fault detection).
    u8 delivering = 0;
};

} // namespace cpu
