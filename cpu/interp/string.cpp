// SPDX-License-Identifier: MIT
// Interpreter handlers: string instructions MOVS CMPS STOS LODS SCAS, with REP / REPE / REPNE.
// Not here: INS/OUTS (io.cpp).
//
// The counter (rCX) and the index registers (rSI, rDI) have the address size; DF picks the
// direction; a segment override applies to the source (DS:rSI) only, the destination is always
// ES:rDI. A REP instruction runs its iterations in a loop but commits rCX/rSI/rDI after each
// one, so a fault in the middle leaves the registers describing the remaining work and RIP at
// the instruction: restarting it finishes the job (SDM Vol. 2B, REP, "interrupted"). Long runs
// are also cut into chunks (the instruction restarts itself), so that interrupts and the
// single-step trap are seen between iterations, as on hardware.
#include "cpu/interp/handlers.h"

namespace cpu::interp {
namespace {

enum class StrOp { Movs, Cmps, Stos, Lods, Scas };

/// Iterations done per step before the instruction restarts itself.
constexpr u64 kChunk = 4096;

/// The REP prefix that counts: the last of F2/F3 before the opcode (hardware takes the last).
u8 rep_prefix(const DecodedInsn& insn) {
    u8 last = 0;
    for (unsigned i = 0; i < insn.length; ++i) {
        const u8 b = insn.bytes[i];
        if (b == 0xF2 || b == 0xF3) {
            last = b;
        } else if (b == 0xF0 || b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 ||
                   b == 0x65 || b == 0x66 || b == 0x67 ||
                   (insn.mode == CodeMode::Bits64 && (b & 0xF0) == 0x40)) {
            continue;
        } else {
            break;
        }
    }
    return last;
}

template <StrOp Op> Status string_op(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = (insn.opcode & 1) ? insn.opsize : 1;
    const unsigned asz = insn.addrsize;
    const u8 src_seg = insn.mem.seg;
    const u8 rep = (insn.prefixes & (kPfxRep | kPfxRepne)) ? rep_prefix(insn) : 0;
    const u64 step = (cpu.s.eflags & kDF) ? u64{0} - size : u64{size};
    const bool uses_si = Op == StrOp::Movs || Op == StrOp::Cmps || Op == StrOp::Lods;
    const bool uses_di = Op != StrOp::Lods;
    for (u64 n = 0;; ++n) {
        if (rep) {
            if (cpu.reg(kRcx, asz) == 0) {
                return Status::Ok;
            }
            if (n == kChunk) {
                cpu.next_rip = cpu.s.rip; // run again: the registers hold the remaining work
                return Status::Ok;
            }
        }
        const u64 si = cpu.reg(kRsi, asz);
        const u64 di = cpu.reg(kRdi, asz);
        u64 a = 0, b = 0;
        switch (Op) {
        case StrOp::Movs:
            TRY(read_mem(cpu, src_seg, si, size, a));
            TRY(write_mem(cpu, kEs, di, size, a));
            break;
        case StrOp::Cmps:
            TRY(read_mem(cpu, src_seg, si, size, a));
            TRY(read_mem(cpu, kEs, di, size, b));
            set_lazy(cpu.s, kFlagsSub, size, a, b, trunc(a - b, size));
            break;
        case StrOp::Stos:
            TRY(write_mem(cpu, kEs, di, size, cpu.reg(kRax, size)));
            break;
        case StrOp::Lods:
            TRY(read_mem(cpu, src_seg, si, size, a));
            cpu.set_reg(kRax, size, a);
            break;
        case StrOp::Scas:
            a = cpu.reg(kRax, size);
            TRY(read_mem(cpu, kEs, di, size, b));
            set_lazy(cpu.s, kFlagsSub, size, a, b, trunc(a - b, size));
            break;
        }
        if (uses_si) {
            cpu.set_reg(kRsi, asz, si + step);
        }
        if (uses_di) {
            cpu.set_reg(kRdi, asz, di + step);
        }
        if (!rep) {
            return Status::Ok;
        }
        cpu.set_reg(kRcx, asz, cpu.reg(kRcx, asz) - 1);
        if (Op == StrOp::Cmps || Op == StrOp::Scas) {
            const bool zf = (read_eflags(cpu.s) & kZF) != 0;
            if ((rep == 0xF3 && !zf) || (rep == 0xF2 && zf)) {
                return Status::Ok;
            }
        }
    }
}

} // namespace

void install_string(HandlerTable& t) {
    auto set = [&](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
    set(InsnId::MOVSB, string_op<StrOp::Movs>);
    set(InsnId::MOVS, string_op<StrOp::Movs>);
    set(InsnId::CMPSB, string_op<StrOp::Cmps>);
    set(InsnId::CMPS, string_op<StrOp::Cmps>);
    set(InsnId::STOSB, string_op<StrOp::Stos>);
    set(InsnId::STOS, string_op<StrOp::Stos>);
    set(InsnId::LODSB, string_op<StrOp::Lods>);
    set(InsnId::LODS, string_op<StrOp::Lods>);
    set(InsnId::SCASB, string_op<StrOp::Scas>);
    set(InsnId::SCAS, string_op<StrOp::Scas>);
}

} // namespace cpu::interp
