// SPDX-License-Identifier: MIT
#include "translator/mem_groups.h"

#include "cpu/state.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace translator {
namespace {

using cpu::DecodedInsn;
using cpu::InsnId;
using cpu::OperandKind;

/// What an instruction may do to the registers a group depends on, by mnemonic. Only forms
/// whose lowerings write nothing but their explicit operands (and, named here, ESP and EBP)
/// and leave r9 alone may sit inside a group; every other instruction ends the groups open
/// before it.
enum Class : u8 {
    kUnsafe = 0,
    kSafe,          ///< writes only its explicit operands
    kSafeNoAccess,  ///< as kSafe, and its memory operand is not accessed (LEA, NOP)
    kSafeStack,     ///< also writes ESP (PUSH: its memory operand is read before that)
    kSafePop,       ///< writes ESP; its memory operand is addressed after the pop: no member
    kSafeLeave,     ///< writes EBP and ESP, no memory operand
};

/// Mnemonics whose memory destination is only read (so it does not make its group a writer).
bool reads_destination(std::string_view m) {
    return m == "cmp" || m == "test" || m == "bt" || m == "push" || m == "jmp";
}

Class mnemonic_class(std::string_view m) {
    static constexpr std::string_view kSafeNames[] = {
        "mov", "movzx", "movsx", "add", "sub", "and", "or", "xor", "cmp", "test", "adc", "sbb",
        "inc", "dec", "neg", "not", "shl", "sal", "shr", "sar", "rol", "ror", "bt", "bts", "btr",
        "btc", "bsf", "bsr", "bswap", "xchg", "xadd", "j", "jmp", "set", "cmov", "imul"};
    if (m == "lea" || m == "nop") {
        return kSafeNoAccess;
    }
    if (m == "push") {
        return kSafeStack;
    }
    if (m == "pop") {
        return kSafePop;
    }
    if (m == "leave") {
        return kSafeLeave;
    }
    return std::find(std::begin(kSafeNames), std::end(kSafeNames), m) != std::end(kSafeNames) ? kSafe : kUnsafe;
}

const std::array<u8, cpu::kInsnCount>& class_table() {
    static const std::array<u8, cpu::kInsnCount> table = [] {
        std::array<u8, cpu::kInsnCount> t{};
        for (usize i = 0; i < cpu::kInsnCount; ++i) {
            t[i] = mnemonic_class(cpu::insn_info(static_cast<InsnId>(i)).mnemonic);
        }
        return t;
    }();
    return table;
}

struct InsnFacts {
    bool safe = false;
    bool eligible = false; ///< its memory operand (or stack access) may be a group access
    u16 key = 0;           ///< seg << 8 | base, when eligible
    /// GPRs (bit per index 0..7) it may write. ESP only when it changes it by an amount not
    /// known here; a known one is esp_step.
    u8 writes = 0;
    i64 disp = 0;          ///< through ESP: from ESP before the instruction
    u8 size = 0;
    bool writes_memory = false;
    bool stack = false;    ///< the access is PUSH/POP/CALL/RET's own, not a memory operand
    i64 esp_step = 0;      ///< ESP after less ESP before, when known
};

constexpr u16 kStackKey = cpu::kSs << 8 | cpu::kRsp;

/// Makes `f` an instruction's own stack access: 4 bytes at ESP + disp (before the
/// instruction), which moves ESP by `step`.
void set_stack_access(InsnFacts& f, i64 disp, bool write, i64 step) {
    f.stack = true;
    f.eligible = true;
    f.key = kStackKey;
    f.disp = disp;
    f.size = 4;
    f.writes_memory = write;
    f.esp_step = step;
}

/// CALL and RET, whose lowerings address the stack through BlockCompiler::stack_host. They
/// end their block, so they only ever join a group.
bool stack_facts(const DecodedInsn& in, InsnFacts& f) {
    switch (in.id) {
    case InsnId::CALL_Jz:
        break;
    case InsnId::CALL_Ev:
        if (in.op[0].kind != OperandKind::Reg) {
            return false; // its memory operand is the access a group could take
        }
        break;
    case InsnId::RET: case InsnId::RET_Iw:
        set_stack_access(f, 0, false, 4 + (in.id == InsnId::RET_Iw ? static_cast<i64>(in.imm & 0xFFFF) : 0));
        f.safe = true;
        return true;
    default:
        return false;
    }
    set_stack_access(f, -4, true, -4);
    f.safe = true;
    return true;
}

InsnFacts facts_of(const DecodedInsn& in, bool native) {
    InsnFacts f;
    if (native && in.mode == cpu::CodeMode::Bits32 && in.opsize == 4 && stack_facts(in, f)) {
        return f;
    }
    const u8 cls = class_table()[static_cast<usize>(in.id)];
    // One-operand IMUL writes EDX:EAX, which no operand names.
    const bool implicit_mul = in.nops < 2 && std::string_view(in.info().mnemonic) == "imul";
    if (!native || cls == kUnsafe || implicit_mul || in.mode != cpu::CodeMode::Bits32) {
        return f;
    }
    u8 mem_size = 0;
    int mem_op = -1;
    for (unsigned n = 0; n < in.nops; ++n) {
        const cpu::Operand& o = in.op[n];
        switch (o.kind) {
        case OperandKind::None: case OperandKind::Imm: case OperandKind::Const:
            break;
        case OperandKind::Reg:
            if (o.reg >= 8) {
                return f;
            }
            // Read or written, it counts as written (conservative and simple); but ESP only
            // as a destination (XCHG and XADD write their second operand too), which the
            // ADD/SUB ESP,imm case below may still turn into a known step.
            if (o.reg == cpu::kRsp && o.size == 4 && !o.high_byte && n != 0 &&
                std::string_view(in.info().mnemonic) != "xchg" && std::string_view(in.info().mnemonic) != "xadd") {
                break;
            }
            f.writes |= static_cast<u8>(1u << (o.high_byte ? o.reg - 4 : o.reg));
            break;
        case OperandKind::Mem:
            mem_size = o.size;
            mem_op = static_cast<int>(n);
            break;
        default:
            return f; // segment, control, x87, MMX, SSE operands: none of the plain forms
        }
    }
    // PUSH and POP move ESP by their size; POP ESP loads it; ADD/SUB ESP,imm move it by the
    // immediate.
    const bool pops_esp = cls == kSafePop && in.op[0].kind == OperandKind::Reg && in.op[0].reg == cpu::kRsp;
    if ((cls == kSafeStack || cls == kSafePop) && !pops_esp) {
        f.esp_step = cls == kSafeStack ? -static_cast<i64>(in.opsize) : static_cast<i64>(in.opsize);
    } else if (pops_esp) {
        f.writes |= 1u << cpu::kRsp;
    } else if ((f.writes & (1u << cpu::kRsp)) && in.opsize == 4 && in.nops == 2 &&
               in.op[0].kind == OperandKind::Reg && in.op[1].kind == OperandKind::Imm) {
        const std::string_view m = in.info().mnemonic;
        const i64 v = static_cast<i32>(static_cast<u32>(in.imm));
        if (m == "add" || m == "sub") {
            f.esp_step = m == "add" ? v : -v;
            f.writes &= static_cast<u8>(~(1u << cpu::kRsp));
        }
    }
    // The implicit stack access of PUSH/POP of a register or an immediate.
    const bool plain_push = cls == kSafeStack && mem_op < 0 && in.opsize == 4;
    const bool plain_pop = cls == kSafePop && mem_op < 0 && in.opsize == 4 && !pops_esp;
    if (cls == kSafeLeave) {
        f.writes |= (1u << cpu::kRsp) | (1u << cpu::kRbp);
    }
    f.safe = true;
    if ((plain_push || plain_pop) && in.mode == cpu::CodeMode::Bits32) {
        set_stack_access(f, plain_push ? -4 : 0, plain_push, f.esp_step);
        return f;
    }
    const cpu::MemRef& m = in.mem;
    // BT* with a register bit index address memory away from the operand (lower_bit.cpp).
    const bool bit_string = mem_op == 0 && in.nops >= 2 && in.op[1].kind == OperandKind::Reg &&
                            std::string_view(in.info().mnemonic).starts_with("bt");
    if (mem_op >= 0 && cls != kSafeNoAccess && cls != kSafePop && !bit_string && in.addrsize == 4 && m.base < 8 &&
        m.index == 0xFF && !m.rip_relative && mem_size >= 1 && mem_size <= 8) {
        f.eligible = true;
        f.key = static_cast<u16>(m.seg << 8 | m.base);
        f.disp = static_cast<i32>(static_cast<u32>(m.disp)); // 32-bit addressing
        f.size = mem_size;
        f.writes_memory = mem_op == 0 && !reads_destination(in.info().mnemonic);
    }
    return f;
}

/// Widest span a group may cover: wider, and its first check fails too often to pay.
constexpr i64 kMaxSpan = 2048;

} // namespace

MemGroupPlan plan_mem_groups(const DecodedInsn* insns, u32 n, const std::vector<bool>& native,
                             bool reads_skip_tlb) {
    MemGroupPlan plan;
    plan.role.assign(n, MemGroupPlan::kNone);
    plan.group.assign(n, 0);
    plan.close_before.assign(n, false);
    plan.disp.assign(n, 0);
    plan.stack.assign(n, false);
    plan.esp_after.assign(n, 0);
    std::vector<InsnFacts> facts(n);
    for (u32 i = 0; i < n; ++i) {
        facts[i] = facts_of(insns[i], native[i]);
    }
    // Displacements through ESP from one reference: ESP at the block's start, or after the
    // last instruction that moved it by an amount not known here (no group spans that).
    i64 esp_delta = 0;
    for (u32 i = 0; i < n; ++i) {
        InsnFacts& f = facts[i];
        if (f.eligible && (f.key & 0xFF) == cpu::kRsp) {
            f.disp += esp_delta;
        }
        if (!f.safe || (f.writes & (1u << cpu::kRsp))) {
            esp_delta = 0;
        } else {
            esp_delta += f.esp_step;
        }
        plan.esp_after[i] = static_cast<i32>(esp_delta);
    }
    // Whether an access with `key` at an instruction from `from` on could join a group.
    const auto has_future = [&](u16 key, u32 from) {
        for (u32 j = from; j < n; ++j) {
            if (!facts[j].safe) {
                return false;
            }
            if (facts[j].eligible && facts[j].key == key) {
                return true;
            }
            if (facts[j].writes & (1u << (key & 0xFF))) {
                return false;
            }
        }
        return false;
    };
    int cur = -1;
    u16 cur_key = 0;
    i64 cur_end = 0; // highest displacement + size
    std::vector<u32> members_of; // per group: accesses after the first
    const auto close = [&] {
        if (cur >= 0) {
            MemGroup& g = plan.groups[static_cast<usize>(cur)];
            g.span = cur_end - g.disp_min;
        }
        cur = -1;
    };
    for (u32 i = 0; i < n; ++i) {
        const InsnFacts& f = facts[i];
        if (!f.safe) {
            plan.close_before[i] = true;
            close();
            continue;
        }
        if (f.eligible) {
            bool joined = false;
            // With reads_skip_tlb, a group's `write` is its first access's: a write after a
            // first read stays an ordinary access (the group goes on past it).
            if (cur >= 0 && f.key == cur_key &&
                !(reads_skip_tlb && f.writes_memory && !plan.groups[static_cast<usize>(cur)].write)) {
                MemGroup& g = plan.groups[static_cast<usize>(cur)];
                const i64 lo = std::min(g.disp_min, f.disp);
                const i64 hi = std::max(cur_end, f.disp + f.size);
                if (hi - lo <= kMaxSpan) {
                    g.disp_min = lo;
                    cur_end = hi;
                    g.write |= f.writes_memory;
                    plan.role[i] = MemGroupPlan::kMember;
                    plan.group[i] = static_cast<u16>(cur);
                    plan.disp[i] = static_cast<i32>(f.disp);
                    plan.stack[i] = f.stack;
                    ++members_of[static_cast<usize>(cur)];
                    joined = true;
                }
            }
            const bool writes_own_base = f.writes & (1u << (f.key & 0xFF));
            if (!joined && !writes_own_base && (cur < 0 || !has_future(cur_key, i)) && has_future(f.key, i + 1)) {
                close();
                cur = static_cast<int>(plan.groups.size());
                cur_key = f.key;
                cur_end = f.disp + f.size;
                plan.groups.push_back(MemGroup{f.disp, f.disp, 0, f.writes_memory, static_cast<u8>(f.key >> 8),
                                               static_cast<u8>(f.key & 0xFF)});
                members_of.push_back(0);
                plan.role[i] = MemGroupPlan::kFirst;
                plan.group[i] = static_cast<u16>(cur);
                plan.disp[i] = static_cast<i32>(f.disp);
                plan.stack[i] = f.stack;
            }
        }
        if (cur >= 0 && (f.writes & (1u << (cur_key & 0xFF)))) {
            close();
        }
    }
    close();
    // A first access that nobody joined is an ordinary access.
    plan.last_access.assign(plan.groups.size(), 0);
    for (u32 i = 0; i < n; ++i) {
        if (plan.role[i] == MemGroupPlan::kFirst && members_of[plan.group[i]] == 0) {
            plan.role[i] = MemGroupPlan::kNone;
        }
        if (plan.role[i] != MemGroupPlan::kNone) {
            plan.last_access[plan.group[i]] = i;
        }
    }
    return plan;
}

} // namespace translator
