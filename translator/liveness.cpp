// SPDX-License-Identifier: MIT
// Flag liveness: a backward pass over the block (see liveness.h).
#include "translator/liveness.h"

#include "cpu/state.h"

#include <string_view>

namespace translator {

using cpu::InsnId;

FlagUse flag_use(const cpu::DecodedInsn& insn, bool native) {
    FlagUse u;
    if (!native) {
        // The interpreter's handler may read any flag and may fault.
        u.reads = cpu::kArithFlags;
        return u;
    }
    const cpu::InsnInfo& info = insn.info();
    u.may_fault = insn.has_mem();
    if (info.attrs & cpu::kWritesFlags) {
        u.writes = cpu::kArithFlags;
    }
    const std::string_view name = info.id_name;
    const bool by_cl = name.size() > 3 && name.substr(name.size() - 2) == "CL";
    switch (insn.id) {
    case InsnId::INC_Zv: case InsnId::DEC_Zv: case InsnId::INC_Eb: case InsnId::DEC_Eb:
    case InsnId::INC_Ev: case InsnId::DEC_Ev:
        u.writes = cpu::kArithFlags & ~cpu::kCF;
        break;
    case InsnId::CLC: case InsnId::STC: case InsnId::CMC:
    case InsnId::BT_EvIb: case InsnId::BT_EvGv: case InsnId::BTS_EvIb: case InsnId::BTS_EvGv:
    case InsnId::BTR_EvIb: case InsnId::BTR_EvGv: case InsnId::BTC_EvIb: case InsnId::BTC_EvGv:
        u.writes = cpu::kCF;
        break;
    case InsnId::CLD: case InsnId::STD: case InsnId::CLI: case InsnId::STI:
        u.writes = 0;
        break;
    case InsnId::BSF_GvEv: case InsnId::BSR_GvEv:
        u.writes = cpu::kZF;
        break;
    case InsnId::SAHF:
        u.writes = cpu::kSF | cpu::kZF | cpu::kAF | cpu::kPF | cpu::kCF;
        break;
    case InsnId::DIV_Ev: case InsnId::IDIV_Ev:
        u.writes = 0; // the interpreter leaves the (undefined) flags alone
        break;
    default:
        if (by_cl) {
            u.writes = 0; // a count of 0 leaves every flag as it was
        } else if (name.rfind("ROL_", 0) == 0 || name.rfind("ROR_", 0) == 0) {
            u.writes = cpu::kCF | cpu::kOF;
        }
        break;
    }
    if (info.attrs & cpu::kReadsFlags) {
        u.reads = cpu::kArithFlags;
    }
    // Stack operations and control transfers touch memory or the CS limit.
    switch (insn.id) {
    case InsnId::PUSH_Zv: case InsnId::POP_Zv: case InsnId::PUSH_Iz: case InsnId::PUSH_Ib:
    case InsnId::CALL_Jz: case InsnId::RET: case InsnId::RET_Iw: case InsnId::LEAVE:
    case InsnId::CALL_Ev:
    case InsnId::DIV_Ev: case InsnId::IDIV_Ev: // #DE
    // String instructions address memory through rSI/rDI (no memory operand).
    case InsnId::MOVSB: case InsnId::MOVS: case InsnId::STOSB: case InsnId::STOS:
    case InsnId::LODSB: case InsnId::LODS: case InsnId::SCASB: case InsnId::SCAS:
    case InsnId::CMPSB: case InsnId::CMPS:
        u.may_fault = true;
        break;
    default:
        break;
    }
    // x87 lowerings call the interpreter for #NM, #MF and operands they do not handle.
    if (info.attrs & cpu::kFpu) {
        u.may_fault = true;
    }
    return u;
}

std::vector<u32> flags_live_after(const std::vector<FlagUse>& uses) {
    std::vector<u32> live_after(uses.size());
    u32 live = cpu::kArithFlags; // the block's successors may read anything
    for (usize i = uses.size(); i-- > 0;) {
        live_after[i] = live;
        const FlagUse& u = uses[i];
        live = (live & ~u.writes) | u.reads;
        if (u.may_fault) {
            live = cpu::kArithFlags;
        }
    }
    return live_after;
}

} // namespace translator
