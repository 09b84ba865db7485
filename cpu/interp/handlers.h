// SPDX-License-Identifier: MIT
// The interpreter's handler contract and the operand helpers handlers share. One handler per
// row of cpu/decoder/opcodes.inc; each family file installs its handlers into the table.
//
// Rules for handlers:
//   - Return Status::Ok after changing state, or Status::Fault (cpu.raise...) *before*
//     changing any architectural state, so the faulting instruction can be restarted.
//     (Write memory destinations first, registers last.)
//   - cpu.next_rip is already rip + length; control transfers assign it.
//   - Operand sizes come from the DecodedInsn (insn.opsize, insn.op[n].size).
#pragma once

#include "cpu/cpu.h"
#include "cpu/decoder/insn.h"
#include "cpu/flags.h"

namespace cpu::interp {

using Handler = Status (*)(Cpu&, const DecodedInsn&);

struct HandlerTable {
    Handler h[kInsnCount] = {};
};

/// Family installers (one per file in cpu/interp/).
void install_alu(HandlerTable& t);
void install_muldiv(HandlerTable& t);
void install_shift(HandlerTable& t);
void install_bit(HandlerTable& t);
void install_bcd(HandlerTable& t);
void install_data(HandlerTable& t);
void install_control(HandlerTable& t);
void install_string(HandlerTable& t);
void install_system(HandlerTable& t);
void install_far(HandlerTable& t);
void install_io(HandlerTable& t);
void install_fpu(HandlerTable& t);
void install_simd(HandlerTable& t);

/// The table with every family installed (rows without a handler raise #UD).
const HandlerTable& handler_table();

/// Offset part of the memory operand's effective address, wrapped to the address size.
inline u64 ea_offset(const Cpu& cpu, const DecodedInsn& insn) {
    const MemRef& m = insn.mem;
    u64 a = static_cast<u64>(m.disp);
    if (m.base != 0xFF) {
        a += cpu.s.gpr[m.base];
    }
    if (m.index != 0xFF) {
        a += cpu.s.gpr[m.index] << m.scale;
    }
    if (m.rip_relative) {
        a += cpu.next_rip;
    }
    switch (insn.addrsize) {
    case 2: return a & 0xFFFF;
    case 4: return a & 0xFFFFFFFF;
    default: return a;
    }
}

/// Reads a memory value of `size` bytes (1, 2, 4, 8) at seg:off.
inline Status read_mem(Cpu& cpu, u8 seg, u64 off, unsigned size, u64& v) {
    switch (size) {
    case 1: { u8 x; TRY(cpu.read<u8>(seg, off, x)); v = x; return Status::Ok; }
    case 2: { u16 x; TRY(cpu.read<u16>(seg, off, x)); v = x; return Status::Ok; }
    case 4: { u32 x; TRY(cpu.read<u32>(seg, off, x)); v = x; return Status::Ok; }
    default: return cpu.read<u64>(seg, off, v);
    }
}

inline Status write_mem(Cpu& cpu, u8 seg, u64 off, unsigned size, u64 v) {
    switch (size) {
    case 1: return cpu.write<u8>(seg, off, static_cast<u8>(v));
    case 2: return cpu.write<u16>(seg, off, static_cast<u16>(v));
    case 4: return cpu.write<u32>(seg, off, static_cast<u32>(v));
    default: return cpu.write<u64>(seg, off, v);
    }
}

/// Reads operand n (GPR, memory, immediate, constant) zero-extended to 64 bits.
inline Status read_op(Cpu& cpu, const DecodedInsn& insn, unsigned n, u64& v) {
    const Operand& o = insn.op[n];
    switch (o.kind) {
    case OperandKind::Reg: v = cpu.reg(o.reg, o.size, o.high_byte); return Status::Ok;
    case OperandKind::Mem: return read_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), o.size, v);
    case OperandKind::Imm: {
        // The second immediate operand of an instruction (ENTER) lives in imm2.
        const bool second = n > 0 && insn.op[0].kind == OperandKind::Imm;
        v = (second ? insn.imm2 : insn.imm) & base::size_mask(o.size ? o.size : 8);
        return Status::Ok;
    }
    case OperandKind::Const: v = o.reg; return Status::Ok;
    case OperandKind::Seg: v = cpu.s.seg[o.reg].selector; return Status::Ok;
    default: v = 0; return Status::Ok;
    }
}

/// Writes operand n (GPR or memory).
inline Status write_op(Cpu& cpu, const DecodedInsn& insn, unsigned n, u64 v) {
    const Operand& o = insn.op[n];
    if (o.kind == OperandKind::Reg) {
        cpu.set_reg(o.reg, o.size, v, o.high_byte);
        return Status::Ok;
    }
    return write_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), o.size, v);
}

/// Sign-extends an operand-size value to 64 bits.
inline u64 sx(u64 v, unsigned size) { return base::sign_extend(v, size * 8); }

/// Masks a value to the operand size.
inline u64 trunc(u64 v, unsigned size) { return v & base::size_mask(size); }

/// Sets the next instruction pointer for a near branch, applying the operand-size mask
/// (IP wraps to 16 bits with a 16-bit operand size) and the CS limit check.
Status branch_near(Cpu& cpu, u64 target, unsigned opsize);

} // namespace cpu::interp
