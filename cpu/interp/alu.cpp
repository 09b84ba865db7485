// SPDX-License-Identifier: MIT
// Interpreter handlers: two-operand integer arithmetic and logic (ADD OR ADC SBB AND SUB XOR CMP,
// TEST) in all their forms. One template per operation; the rows select it.
#include "cpu/interp/handlers.h"

namespace cpu::interp {
namespace {

enum class AluOp { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test };

template <AluOp Op> Status alu(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    u64 a, b;
    TRY(read_op(cpu, insn, 0, a));
    TRY(read_op(cpu, insn, 1, b));
    b = trunc(b, size); // sign-extended immediates are cut to the operand size
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
}

} // namespace cpu::interp
