// SPDX-License-Identifier: MIT
// Lowerings of the bit-test and atomic-style rows: BT/BTS/BTR/BTC (immediate bit index, or a
// register index into a register), BSF/BSR, XADD and CMPXCHG. The guest is one CPU, so the
// host needs no LOCK prefix. Flags as the interpreter defines them (cpu/interp/bit.cpp,
// data.cpp): BT* write CF only; BSF/BSR write ZF only (and keep the destination for a zero
// source); XADD flags as ADD; CMPXCHG flags as CMP accumulator, destination.
#include "translator/lower_common.h"

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;
using cpu::OperandKind;
using lower::mem_ok;
using lower::sized;

namespace {

bool is_mem0(const DecodedInsn& in) { return in.op[0].kind == OperandKind::Mem; }

enum class Bt { Test, Set, Reset, Complement };

/// A register bit index into memory: the bit string starts at the operand and the index is
/// signed, so the dword holding the bit is at EA + (index >> 5) * 4 (32-bit operands only; the
/// kernel's test_bit and friends on bitmaps run it hundreds of times per fork+exec).
bool bit_string(const DecodedInsn& in) { return is_mem0(in) && in.op[1].kind != OperandKind::Imm; }

template <Bt Op> bool can_bt(const DecodedInsn& in, u32 flags) {
    if ((in.opsize != 4 && in.opsize != 2) || !mem_ok(in, flags)) {
        return false;
    }
    return !bit_string(in) || (in.opsize == 4 && in.addrsize == 4);
}

template <Bt Op> void emit_bt(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned size = in.opsize;
    const mmu::Access acc = Op == Bt::Test ? mmu::Access::Read : mmu::Access::Write;
    Operand dst = bc.gpr_op(0);
    if (bit_string(in)) {
        // Not through mem_host: its memory group (if any) would assume the plain address.
        bc.emit_ea();
        a.emit(x86::Inst::kIdMov, x86::esi, bc.gpr_op(1));
        a.sar(x86::esi, 5);
        a.lea(x86::ecx, x86::ptr(x86::ecx, x86::esi, 2)); // wraps at 4 GiB as the guest's
        bc.seg_host(in.mem.seg, acc, 4);
        dst = x86::ptr(x86::rdx, 0, 4);
    } else if (is_mem0(in)) {
        bc.mem_host(acc, size);
        dst = x86::ptr(x86::rdx, 0, size);
    }
    Operand bit;
    if (in.op[1].kind == OperandKind::Imm) {
        bit = imm(static_cast<u32>(in.imm & (size * 8 - 1)));
    } else {
        a.emit(x86::Inst::kIdMov, sized(x86::esi, size), bc.gpr_op(1));
        if (bit_string(in)) {
            a.and_(x86::esi, 31); // the host's BT on memory would address the string itself
        }
        bit = sized(x86::esi, size);
    }
    // A register operand is loaded into a host register: the host's BT on a memory operand
    // with a register index would address a bit string beyond the guest register's slot.
    const bool reg = !is_mem0(in);
    Operand target = dst;
    if (reg) {
        a.emit(x86::Inst::kIdMov, sized(x86::edi, size), dst);
        target = sized(x86::edi, size);
    }
    switch (Op) {
    case Bt::Test: a.emit(x86::Inst::kIdBt, target, bit); break;
    case Bt::Set: a.emit(x86::Inst::kIdBts, target, bit); break;
    case Bt::Reset: a.emit(x86::Inst::kIdBtr, target, bit); break;
    case Bt::Complement: a.emit(x86::Inst::kIdBtc, target, bit); break;
    }
    if (reg && Op != Bt::Test) {
        a.emit(x86::Inst::kIdMov, dst, sized(x86::edi, size)); // mov keeps the host flags
    }
    bc.flags_written(cpu::kCF);
}

bool can_bscan(const DecodedInsn& in, u32 flags) { return in.opsize == 4 && mem_ok(in, flags); }

template <bool Forward> void emit_bscan(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    if (in.op[1].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Read, 4);
        a.mov(x86::esi, x86::dword_ptr(x86::rdx));
    } else {
        a.emit(x86::Inst::kIdMov, x86::esi, bc.gpr_op(1));
    }
    // A zero source sets ZF and leaves the destination (the interpreter's rule).
    a.emit(x86::Inst::kIdMov, x86::edi, bc.gpr_op(0));
    if (Forward) {
        a.bsf(x86::esi, x86::esi);
    } else {
        a.bsr(x86::esi, x86::esi);
    }
    a.cmovnz(x86::edi, x86::esi);
    a.emit(x86::Inst::kIdMov, bc.gpr_op(0), x86::edi);
    bc.flags_written(cpu::kZF);
}

bool can_xchg_op(const DecodedInsn& in, u32 flags) {
    const unsigned size = in.op[0].size;
    return (size == 1 || size == 2 || size == 4) && in.op[1].kind == OperandKind::Reg && mem_ok(in, flags);
}

void emit_xadd(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned size = in.op[0].size;
    Operand dst = bc.gpr_op(0);
    if (is_mem0(in)) {
        bc.mem_host(mmu::Access::Write, size);
        dst = x86::ptr(x86::rdx, 0, size);
    }
    a.emit(x86::Inst::kIdMov, sized(x86::esi, size), bc.gpr_op(1));
    a.emit(x86::Inst::kIdMov, sized(x86::edi, size), dst);     // old destination
    a.emit(x86::Inst::kIdAdd, dst, sized(x86::esi, size));     // dest += src (flags as ADD)
    a.emit(x86::Inst::kIdMov, bc.gpr_op(1), sized(x86::edi, size));
    if (!is_mem0(in)) {
        // Two registers: the SDM writes SRC first, then DEST, so the sum wins when they are one.
        a.lea(x86::esi, x86::ptr(x86::rsi, x86::rdi));
        a.emit(x86::Inst::kIdMov, dst, sized(x86::esi, size));
        // lea keeps the host flags of the add above.
    }
    bc.flags_written(cpu::kArithFlags);
}

void emit_cmpxchg(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    const unsigned size = in.op[0].size;
    Operand dst = bc.gpr_op(0);
    if (is_mem0(in)) {
        bc.mem_host(mmu::Access::Write, size);
        dst = x86::ptr(x86::rdx, 0, size);
    }
    a.emit(x86::Inst::kIdMov, sized(x86::esi, size), bc.gpr_op(1));
    a.emit(x86::Inst::kIdMov, sized(x86::eax, size), bc.gpr(cpu::kRax, size));
    if (is_mem0(in)) {
        a.emit(x86::Inst::kIdCmpxchg, dst, sized(x86::esi, size), sized(x86::eax, size));
        a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, size), sized(x86::eax, size));
    } else {
        // In host registers: the destination may be the accumulator itself, and its write
        // (dest = src when equal) must come last.
        a.emit(x86::Inst::kIdMov, sized(x86::edi, size), dst);
        a.cmpxchg(sized(x86::edi, size), sized(x86::esi, size), sized(x86::eax, size));
        a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, size), sized(x86::eax, size));
        a.emit(x86::Inst::kIdMov, dst, sized(x86::edi, size));
    }
    bc.flags_written(cpu::kArithFlags);
}

/// BSWAP r32 (the 16-bit form, which clears the register, stays with the interpreter).
bool can_bswap(const DecodedInsn& in, u32) { return in.opsize == 4; }

void emit_bswap(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    a.emit(x86::Inst::kIdMov, x86::eax, bc.gpr_op(0));
    a.bswap(x86::eax);
    a.emit(x86::Inst::kIdMov, bc.gpr_op(0), x86::eax);
}

} // namespace

void install_lower_bit(LoweringTable& t) {
    auto set = [&](InsnId id, auto can, auto emit) {
        t.fn[static_cast<usize>(id)] = Lowering{can, emit};
    };
    set(InsnId::BSWAP_Zy, can_bswap, emit_bswap);
    set(InsnId::BT_EvIb, can_bt<Bt::Test>, emit_bt<Bt::Test>);
    set(InsnId::BT_EvGv, can_bt<Bt::Test>, emit_bt<Bt::Test>);
    set(InsnId::BTS_EvIb, can_bt<Bt::Set>, emit_bt<Bt::Set>);
    set(InsnId::BTS_EvGv, can_bt<Bt::Set>, emit_bt<Bt::Set>);
    set(InsnId::BTR_EvIb, can_bt<Bt::Reset>, emit_bt<Bt::Reset>);
    set(InsnId::BTR_EvGv, can_bt<Bt::Reset>, emit_bt<Bt::Reset>);
    set(InsnId::BTC_EvIb, can_bt<Bt::Complement>, emit_bt<Bt::Complement>);
    set(InsnId::BTC_EvGv, can_bt<Bt::Complement>, emit_bt<Bt::Complement>);
    set(InsnId::BSF_GvEv, can_bscan, emit_bscan<true>);
    set(InsnId::BSR_GvEv, can_bscan, emit_bscan<false>);
    set(InsnId::XADD_EbGb, can_xchg_op, emit_xadd);
    set(InsnId::XADD_EvGv, can_xchg_op, emit_xadd);
    set(InsnId::CMPXCHG_EbGb, can_xchg_op, emit_cmpxchg);
    set(InsnId::CMPXCHG_EvGv, can_xchg_op, emit_cmpxchg);
}

} // namespace translator
