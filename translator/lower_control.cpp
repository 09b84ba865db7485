// SPDX-License-Identifier: MIT
// Lowerings of near control transfers and the stack: Jcc, JMP (relative and indirect), CALL
// (relative and indirect), RET, PUSH/POP of registers and immediates, LEAVE. They need a 32-bit
// stack through a fast SS and a 4 GiB CS limit (the block key says so); otherwise the
// interpreter runs them. Direct targets become chainable exits, indirect ones probe the jump
// cache.
#include "translator/lower_common.h"

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;
using cpu::OperandKind;
using lower::flat_stack;

namespace {

bool near_ok(const DecodedInsn& in, u32 flags) {
    return (flags & kKeyCs4G) && (flags & kKeyCode32) && in.opsize == 4;
}

u64 rel_target(const BlockCompiler& bc) {
    return (bc.next_eip() + bc.insn().imm) & 0xFFFFFFFFu;
}

bool can_jcc(const DecodedInsn& in, u32 flags) { return near_ok(in, flags); }

void emit_jcc(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned cc = bc.insn().opcode & 0xF;
    bc.load_flags_for_cond(cc);
    Label taken = a.newLabel();
    a.j(static_cast<x86::CondCode>(cc), taken);
    bc.exit_static(bc.next_eip());
    a.bind(taken);
    bc.exit_static(rel_target(bc));
    bc.end_taken();
}

bool can_jmp(const DecodedInsn& in, u32 flags) { return near_ok(in, flags); }

void emit_jmp(BlockCompiler& bc) {
    bc.exit_static(rel_target(bc));
    bc.end_taken();
}

bool can_call(const DecodedInsn& in, u32 flags) { return near_ok(in, flags) && flat_stack(flags); }

void emit_call(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    bc.stack_host(-4, mmu::Access::Write);
    a.mov(x86::dword_ptr(x86::rdx), static_cast<u32>(bc.next_eip()));
    a.emit(x86::Inst::kIdSub, bc.gpr(cpu::kRsp, 4), 4);
    bc.push_return_prediction(bc.next_eip());
    bc.exit_static(rel_target(bc));
    bc.end_taken();
}

bool can_ret(const DecodedInsn& in, u32 flags) { return near_ok(in, flags) && flat_stack(flags); }

void emit_ret(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    bc.stack_host(0, mmu::Access::Read);
    a.mov(x86::eax, x86::dword_ptr(x86::rdx));
    const i32 release = in.id == InsnId::RET_Iw ? static_cast<i32>(in.imm & 0xFFFF) : 0;
    a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRsp, 4), 4 + release);
    bc.exit_return_eax(4 + release);
    bc.end_taken();
}

/// JMP/CALL r/m32: the target from a register or memory.
bool can_indirect(const DecodedInsn& in, u32 flags) {
    if (!near_ok(in, flags) || !flat_stack(flags)) {
        return false;
    }
    return (in.op[0].kind == OperandKind::Mem || in.op[0].kind == OperandKind::Reg) && lower::mem_ok(in, flags);
}

template <bool Call> void emit_indirect(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    if (in.op[0].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Read, 4);
        a.mov(x86::esi, x86::dword_ptr(x86::rdx));
    } else {
        a.emit(x86::Inst::kIdMov, x86::esi, bc.gpr_op(0));
    }
    if (Call) {
        bc.stack_host(-4, mmu::Access::Write);
        a.mov(x86::dword_ptr(x86::rdx), static_cast<u32>(bc.next_eip()));
        a.emit(x86::Inst::kIdSub, bc.gpr(cpu::kRsp, 4), 4);
        bc.push_return_prediction(bc.next_eip());
    }
    a.mov(x86::eax, x86::esi);
    bc.exit_dynamic_eax();
    bc.end_taken();
}

bool can_push(const DecodedInsn& in, u32 flags) {
    return flat_stack(flags) && in.opsize == 4 &&
           (in.op[0].kind == OperandKind::Reg || in.op[0].kind == OperandKind::Imm);
}

void emit_push(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    if (in.op[0].kind == OperandKind::Reg) {
        a.emit(x86::Inst::kIdMov, x86::esi, bc.gpr_op(0)); // before ESP moves (PUSH ESP pushes the old value)
    } else {
        a.mov(x86::esi, static_cast<u32>(in.imm));
    }
    lower::emit_push_esi(bc);
}

bool can_pop(const DecodedInsn& in, u32 flags) {
    return flat_stack(flags) && in.opsize == 4 && in.op[0].kind == OperandKind::Reg;
}

void emit_pop(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    bc.stack_host(0, mmu::Access::Read);
    a.mov(x86::esi, x86::dword_ptr(x86::rdx));
    a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRsp, 4), 4);
    a.emit(x86::Inst::kIdMov, bc.gpr_op(0), x86::esi); // after ESP moves: POP ESP loads the popped value
}

bool can_leave(const DecodedInsn& in, u32 flags) { return flat_stack(flags) && in.opsize == 4; }

void emit_leave(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    a.emit(x86::Inst::kIdMov, x86::ecx, bc.gpr(cpu::kRbp, 4));
    a.mov(x86::edi, x86::ecx);
    bc.seg_host(cpu::kSs, mmu::Access::Read, 4);
    a.mov(x86::esi, x86::dword_ptr(x86::rdx));
    a.add(x86::edi, 4);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRsp, 4), x86::edi);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRbp, 4), x86::esi);
}

} // namespace

void install_lower_control(LoweringTable& t) {
    auto set = [&](InsnId id, auto can, auto emit) {
        t.fn[static_cast<usize>(id)] = Lowering{can, emit};
    };
    set(InsnId::JCC_Jb, can_jcc, emit_jcc);
    set(InsnId::JCC_Jz, can_jcc, emit_jcc);
    set(InsnId::JMP_Jb, can_jmp, emit_jmp);
    set(InsnId::JMP_Jz, can_jmp, emit_jmp);
    set(InsnId::CALL_Jz, can_call, emit_call);
    set(InsnId::RET, can_ret, emit_ret);
    set(InsnId::RET_Iw, can_ret, emit_ret);
    set(InsnId::JMP_Ev, can_indirect, emit_indirect<false>);
    set(InsnId::CALL_Ev, can_indirect, emit_indirect<true>);
    set(InsnId::PUSH_Zv, can_push, emit_push);
    set(InsnId::PUSH_Iz, can_push, emit_push);
    set(InsnId::PUSH_Ib, can_push, emit_push);
    set(InsnId::POP_Zv, can_pop, emit_pop);
    set(InsnId::LEAVE, can_leave, emit_leave);
}

} // namespace translator
