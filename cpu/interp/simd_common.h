// SPDX-License-Identifier: MIT
// Shared helpers of the MMX/SSE/SSE2 handler files (simd.cpp, simd_int.cpp, simd_fp.cpp): the
// 128-bit working value, the CR0/CR4 pre-checks, MMX/XMM register and memory operand access
// with the 16-byte alignment rule, the x87->MMX transition, and the MXCSR exception commit.
// Private to cpu/interp/; not an interface for other families.
#pragma once

#include "cpu/interp/handlers.h"

#include <cstring>

namespace cpu::interp::simd {

/// Up to 128 bits of packed data; MMX values use the low 8 bytes.
struct Vec {
    u8 b[16] = {};

    template <typename T> T get(unsigned i) const {
        T v;
        std::memcpy(&v, b + i * sizeof(T), sizeof(T));
        return v;
    }
    template <typename T> void set(unsigned i, T v) {
        std::memcpy(b + i * sizeof(T), &v, sizeof(T));
    }
    u64 lo() const { return get<u64>(0); }
    u64 hi() const { return get<u64>(1); }
    static Vec from(u64 lo, u64 hi = 0) {
        Vec v;
        v.set<u64>(0, lo);
        v.set<u64>(1, hi);
        return v;
    }
};

// MXCSR bits.
enum : u32 {
    kMxIE = 1u << 0, kMxDE = 1u << 1, kMxZE = 1u << 2, kMxOE = 1u << 3, kMxUE = 1u << 4,
    kMxPE = 1u << 5, kMxFlags = 0x3F, kMxDAZ = 1u << 6, kMxMasks = 0x3Fu << 7,
    kMxFTZ = 1u << 15,
};
/// Writable MXCSR bits. DAZ is supported (the Pentium M has it), so the mask is 0xFFFF;
/// FXSAVE stores it in the MXCSR_MASK field and LDMXCSR/FXRSTOR fault on any other bit.
constexpr u32 kMxcsrMask = 0xFFFF;

/// MMX-register instructions: #UD if CR0.EM, #NM if CR0.TS, #MF on a pending x87 exception.
inline Status mmx_check(Cpu& cpu) {
    if (cpu.s.cr0 & kCr0EM) {
        return cpu.raise_ud();
    }
    if (cpu.s.cr0 & kCr0TS) {
        return cpu.raise(kVecNM);
    }
    if (cpu.s.fpu.fsw & 0x80) { // ES: an unmasked x87 exception waits for the next x87/MMX op
        return cpu.raise(kVecMF);
    }
    return Status::Ok;
}

/// SSE/SSE2 instructions: #UD if CR0.EM or !CR4.OSFXSR, #NM if CR0.TS.
inline Status sse_check(Cpu& cpu) {
    if ((cpu.s.cr0 & kCr0EM) || !(cpu.s.cr4 & kCr4OSFXSR)) {
        return cpu.raise_ud();
    }
    if (cpu.s.cr0 & kCr0TS) {
        return cpu.raise(kVecNM);
    }
    return Status::Ok;
}

/// SSE instructions with an MMX register operand (CVTPI2PS mm, MOVQ2DQ...): the SSE checks,
/// then the x87 pending-exception check of MMX instructions.
inline Status sse_mmx_check(Cpu& cpu) {
    TRY(sse_check(cpu));
    if (cpu.s.fpu.fsw & 0x80) {
        return cpu.raise(kVecMF);
    }
    return Status::Ok;
}

/// The x87->MMX transition every MMX-register access performs: TOP = 0, all tags valid.
inline void mmx_enter(Cpu& cpu) {
    cpu.s.fpu.fsw = static_cast<u16>(cpu.s.fpu.fsw & ~0x3800);
    cpu.s.fpu.ftw = 0;
}

inline u64 get_mmx(const Cpu& cpu, unsigned r) { return cpu.s.fpu.st[r & 7].mant; }

/// Writes MM(r): the significand of physical register r, exponent/sign all ones.
inline void set_mmx(Cpu& cpu, unsigned r, u64 v) {
    cpu.s.fpu.st[r & 7].mant = v;
    cpu.s.fpu.st[r & 7].sign_exp = 0xFFFF;
    mmx_enter(cpu);
}

inline Vec get_xmm(const Cpu& cpu, unsigned r) {
    return Vec::from(cpu.s.sse.xmm[r].lo, cpu.s.sse.xmm[r].hi);
}
inline void set_xmm(Cpu& cpu, unsigned r, const Vec& v) { cpu.s.sse.xmm[r] = U128{v.lo(), v.hi()}; }

enum class Align : u8 { None, Need16 };

/// Linear address of the memory operand after segment checks and, for Align::Need16 with a
/// 16-byte access, the alignment check (#GP(0)).
inline Status mem_linear(Cpu& cpu, const DecodedInsn& insn, unsigned size, bool write,
                         Align align, u64& lin) {
    TRY(cpu.seg_linear(insn.mem.seg, ea_offset(cpu, insn), size, write, lin));
    if (align == Align::Need16 && size == 16 && (lin & 15) != 0) {
        return cpu.raise_gp(0);
    }
    return Status::Ok;
}

inline Status read_bytes(Cpu& cpu, const DecodedInsn& insn, unsigned size, Align align, Vec& v) {
    u64 lin;
    TRY(mem_linear(cpu, insn, size, false, align, lin));
    v = Vec{};
    return cpu.access_slow(lin, v.b, size, mmu::Access::Read, Priv::Current);
}

inline Status write_bytes(Cpu& cpu, const DecodedInsn& insn, unsigned size, Align align,
                          const Vec& v) {
    u64 lin;
    TRY(mem_linear(cpu, insn, size, true, align, lin));
    Vec tmp = v;
    return cpu.access_slow(lin, tmp.b, size, mmu::Access::Write, Priv::Current);
}

/// Reads operand n (MMX or XMM register, or memory of the operand's size, zero-extended).
/// 16-byte memory operands need alignment unless `align` is None (the MOVU* forms).
inline Status load(Cpu& cpu, const DecodedInsn& insn, unsigned n, Vec& v,
                   Align align = Align::Need16) {
    const Operand& o = insn.op[n];
    switch (o.kind) {
    case OperandKind::Mmx: v = Vec::from(get_mmx(cpu, o.reg)); return Status::Ok;
    case OperandKind::Xmm: v = get_xmm(cpu, o.reg); return Status::Ok;
    case OperandKind::Mem: return read_bytes(cpu, insn, o.size, align, v);
    default: {
        u64 x = 0;
        TRY(read_op(cpu, insn, n, x));
        v = Vec::from(x);
        return Status::Ok;
    }
    }
}

/// Writes a whole register operand n (MMX: low 8 bytes; XMM: 16 bytes) or memory of the
/// operand's size.
inline Status store(Cpu& cpu, const DecodedInsn& insn, unsigned n, const Vec& v,
                    Align align = Align::Need16) {
    const Operand& o = insn.op[n];
    switch (o.kind) {
    case OperandKind::Mmx: set_mmx(cpu, o.reg, v.lo()); return Status::Ok;
    case OperandKind::Xmm: set_xmm(cpu, o.reg, v); return Status::Ok;
    case OperandKind::Mem: return write_bytes(cpu, insn, o.size, align, v);
    default: return write_op(cpu, insn, n, v.lo());
    }
}

/// Commits the exception flags `raised` of an SSE FP operation computed with every exception
/// masked. Unmasked ones fault (#XM with CR4.OSXMMEXCPT, else #UD) without writing the
/// destination; when an unmasked pre-computation exception (IE, DE, ZE) is among them, the
/// post-computation flags (OE, UE, PE) are not reported (SDM Vol. 1, 11.5.2).
inline Status mxcsr_commit(Cpu& cpu, u32 raised) {
    raised &= kMxFlags;
    u32& mx = cpu.s.sse.mxcsr;
    const u32 masked = (mx >> 7) & kMxFlags;
    const u32 unmasked = raised & ~masked;
    if (unmasked) {
        const u32 pre = raised & (kMxIE | kMxDE | kMxZE);
        if (pre & ~masked) {
            raised = pre;
        }
        mx |= raised;
        return (cpu.s.cr4 & kCr4OSXMMEXCPT) ? cpu.raise(kVecXM) : cpu.raise_ud();
    }
    mx |= raised;
    return Status::Ok;
}

void install_simd_int(HandlerTable& t);
void install_simd_fp(HandlerTable& t);

inline void set_handler(HandlerTable& t, InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; }

} // namespace cpu::interp::simd
