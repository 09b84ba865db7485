// SPDX-License-Identifier: MIT
// Interpreter handlers: near control transfers — JMP/Jcc (rel8, rel16/32), near CALL and JMP
// (relative and indirect), near RET (with an optional stack release), LOOP/LOOPE/LOOPNE and
// JCXZ/JECXZ/JRCXZ. Targets are wrapped to the operand size and checked against the CS limit
// by branch_near() before anything else changes. Not here: far transfers, INT/IRET (far.cpp,
// system.cpp).
#include "cpu/interp/handlers.h"

namespace cpu::interp {
namespace {

u64 stack_mask(const Cpu& cpu) {
    const unsigned ss = cpu.stack_size();
    return ss == 2 ? 0xFFFF : (ss == 4 ? 0xFFFFFFFFu : ~u64{0});
}

Status jmp_rel(Cpu& cpu, const DecodedInsn& insn) {
    return branch_near(cpu, cpu.next_rip + insn.imm, insn.opsize);
}

Status jcc(Cpu& cpu, const DecodedInsn& insn) {
    if (!eval_cond(cpu.s, insn.opcode & 0xF)) {
        return Status::Ok;
    }
    return branch_near(cpu, cpu.next_rip + insn.imm, insn.opsize);
}

/// CALL rel / CALL r/m: the target is checked before the return address is pushed, so a bad
/// target faults with the stack untouched (SDM Vol. 2A, CALL).
Status call_common(Cpu& cpu, const DecodedInsn& insn, u64 target) {
    const u64 ret = cpu.next_rip;
    TRY(branch_near(cpu, target, insn.opsize));
    return cpu.push(ret, insn.opsize);
}

Status call_rel(Cpu& cpu, const DecodedInsn& insn) {
    return call_common(cpu, insn, cpu.next_rip + insn.imm);
}

Status call_ev(Cpu& cpu, const DecodedInsn& insn) {
    u64 target;
    TRY(read_op(cpu, insn, 0, target));
    return call_common(cpu, insn, target);
}

Status jmp_ev(Cpu& cpu, const DecodedInsn& insn) {
    u64 target;
    TRY(read_op(cpu, insn, 0, target));
    return branch_near(cpu, target, insn.opsize);
}

/// RET / RET imm16: the return address is read and checked before rSP moves.
Status ret(Cpu& cpu, const DecodedInsn& insn) {
    u64 target;
    TRY(cpu.stack_read(0, target, insn.opsize));
    TRY(branch_near(cpu, target, insn.opsize));
    const u64 release = insn.id == InsnId::RET_Iw ? (insn.imm & 0xFFFF) : 0;
    const u64 m = stack_mask(cpu);
    cpu.s.gpr[kRsp] = (cpu.s.gpr[kRsp] & ~m) | ((cpu.s.gpr[kRsp] + insn.opsize + release) & m);
    return Status::Ok;
}

enum class LoopKind { Loop, Loope, Loopne };

/// LOOPcc: the counter is rCX of the address size. The branch is checked first so that a bad
/// target faults with the counter unchanged.
template <LoopKind K> Status loop(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned asz = insn.addrsize;
    const u64 count = trunc(cpu.reg(kRcx, asz) - 1, asz);
    bool take = count != 0;
    if (K == LoopKind::Loope) {
        take = take && (read_eflags(cpu.s) & kZF);
    } else if (K == LoopKind::Loopne) {
        take = take && !(read_eflags(cpu.s) & kZF);
    }
    if (take) {
        TRY(branch_near(cpu, cpu.next_rip + insn.imm, insn.opsize));
    }
    cpu.set_reg(kRcx, asz, count);
    return Status::Ok;
}

Status jcxz(Cpu& cpu, const DecodedInsn& insn) {
    if (cpu.reg(kRcx, insn.addrsize) != 0) {
        return Status::Ok;
    }
    return branch_near(cpu, cpu.next_rip + insn.imm, insn.opsize);
}

} // namespace

void install_control(HandlerTable& t) {
    auto set = [&](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
    set(InsnId::JMP_Jb, jmp_rel);
    set(InsnId::JMP_Jz, jmp_rel);
    set(InsnId::JCC_Jb, jcc);
    set(InsnId::JCC_Jz, jcc);
    set(InsnId::CALL_Jz, call_rel);
    set(InsnId::CALL_Ev, call_ev);
    set(InsnId::JMP_Ev, jmp_ev);
    set(InsnId::RET, ret);
    set(InsnId::RET_Iw, ret);
    set(InsnId::LOOP_Jb, loop<LoopKind::Loop>);
    set(InsnId::LOOPE_Jb, loop<LoopKind::Loope>);
    set(InsnId::LOOPNE_Jb, loop<LoopKind::Loopne>);
    set(InsnId::JCXZ_Jb, jcxz);
}

} // namespace cpu::interp
