// SPDX-License-Identifier: MIT
// Interpreter handlers: two-operand integer arithmetic and logic (ADD OR ADC SBB AND SUB XOR CMP,
// TEST) and the one-operand ones (INC DEC NEG NOT) in all their forms. One template per
// operation; the rows select it. Not here: MUL/DIV (muldiv.cpp), shifts (shift.cpp), BCD.
#include "cpu/interp/handlers.h"

namespace cpu::interp {
namespace {

enum class AluOp { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test };

template <AluOp Op> Status alu(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    u64 a, b;
    TRY(read_op(cpu, insn, 0, a));
    if (insn.op[1].kind == OperandKind::Imm) {
        // The decoder sign-extends Ib(s)/Iz to 64 bits; an Iz of a 64-bit operation is 32 bits
        // wide in the instruction, so read_op's mask to the immediate's own size would lose
        // the extension. Cut to the operand size instead.
        b = insn.imm;
    } else {
        TRY(read_op(cpu, insn, 1, b));
    }
    b = trunc(b, size);
    u64 r = 0;
    FlagOp fop = kFlagsLogic;
    switch (Op) {
    case AluOp::Add: r = a + b; fop = kFlagsAdd; break;
    case AluOp::Adc: r = a + b + (get_cf(cpu.s) ? 1 : 0); fop = kFlagsAdc; break;
    case AluOp::Sub:
    case AluOp::Cmp: r = a - b; fop = kFlagsSub; break;
    case AluOp::Sbb: r = a - b - (get_cf(cpu.s) ? 1 : 0); fop = kFlagsSbb; break;
    case AluOp::Or: r = a | b; break;
    case AluOp::And:
    case AluOp::Test: r = a & b; break;
    case AluOp::Xor: r = a ^ b; break;
    }
    r = trunc(r, size);
    if constexpr (Op != AluOp::Cmp && Op != AluOp::Test) {
        TRY(write_op(cpu, insn, 0, r));
    }
    set_lazy(cpu.s, fop, size, a, b, r);
    return Status::Ok;
}

enum class UnOp { Inc, Dec, Neg, Not };

template <UnOp Op> Status unary(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    u64 a;
    TRY(read_op(cpu, insn, 0, a));
    u64 r = 0;
    switch (Op) {
    case UnOp::Inc: r = a + 1; break;
    case UnOp::Dec: r = a - 1; break;
    case UnOp::Neg: r = u64{0} - a; break;
    case UnOp::Not: r = ~a; break;
    }
    r = trunc(r, size);
    TRY(write_op(cpu, insn, 0, r));
    switch (Op) {
    case UnOp::Inc: set_lazy(cpu.s, kFlagsInc, size, a, 1, r); break;
    case UnOp::Dec: set_lazy(cpu.s, kFlagsDec, size, a, 1, r); break;
    // NEG is 0 - a for every flag (CF = a != 0), so it shares SUB's lazy kind.
    case UnOp::Neg: set_lazy(cpu.s, kFlagsSub, size, 0, a, r); break;
    case UnOp::Not: break; // NOT leaves the flags alone
    }
    return Status::Ok;
}

} // namespace

void install_alu(HandlerTable& t) {
#define ALU_ROWS(NAME, OP)                                                                         \
    t.h[static_cast<usize>(InsnId::NAME##_EbGb)] = alu<AluOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_EvGv)] = alu<AluOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_GbEb)] = alu<AluOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_GvEv)] = alu<AluOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_ALIb)] = alu<AluOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_eAXIz)] = alu<AluOp::OP>;                                \
    t.h[static_cast<usize>(InsnId::NAME##_EbIb)] = alu<AluOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_EvIz)] = alu<AluOp::OP>;                                 \
    t.h[static_cast<usize>(InsnId::NAME##_EbIb_82)] = alu<AluOp::OP>;                              \
    t.h[static_cast<usize>(InsnId::NAME##_EvIb)] = alu<AluOp::OP>;
    ALU_ROWS(ADD, Add)
    ALU_ROWS(OR, Or)
    ALU_ROWS(ADC, Adc)
    ALU_ROWS(SBB, Sbb)
    ALU_ROWS(AND, And)
    ALU_ROWS(SUB, Sub)
    ALU_ROWS(XOR, Xor)
    ALU_ROWS(CMP, Cmp)
#undef ALU_ROWS
    for (InsnId id : {InsnId::TEST_EbGb, InsnId::TEST_EvGv, InsnId::TEST_ALIb, InsnId::TEST_eAXIz,
                      InsnId::TEST_EbIb_F6, InsnId::TEST_EvIz_F7, InsnId::TEST_EbIb_F6_alias,
                      InsnId::TEST_EvIz_F7_alias}) {
        t.h[static_cast<usize>(id)] = alu<AluOp::Test>;
    }
    t.h[static_cast<usize>(InsnId::INC_Zv)] = unary<UnOp::Inc>;
    t.h[static_cast<usize>(InsnId::INC_Eb)] = unary<UnOp::Inc>;
    t.h[static_cast<usize>(InsnId::INC_Ev)] = unary<UnOp::Inc>;
    t.h[static_cast<usize>(InsnId::DEC_Zv)] = unary<UnOp::Dec>;
    t.h[static_cast<usize>(InsnId::DEC_Eb)] = unary<UnOp::Dec>;
    t.h[static_cast<usize>(InsnId::DEC_Ev)] = unary<UnOp::Dec>;
    t.h[static_cast<usize>(InsnId::NEG_Eb)] = unary<UnOp::Neg>;
    t.h[static_cast<usize>(InsnId::NEG_Ev)] = unary<UnOp::Neg>;
    t.h[static_cast<usize>(InsnId::NOT_Eb)] = unary<UnOp::Not>;
    t.h[static_cast<usize>(InsnId::NOT_Ev)] = unary<UnOp::Not>;
}

} // namespace cpu::interp
