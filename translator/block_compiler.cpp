// SPDX-License-Identifier: MIT
// BlockCompiler: the per-block driver (prologue, one instruction after the other, exits, out-of-
// line slow paths) and the services lowerings share (guest register operands, the inline TLB
// fast path, EFLAGS capture). See block_compiler.h for the conventions.
#include "translator/block_compiler.h"

#include "base/check.h"
#include "translator/block_key.h"
#include "translator/helpers.h"
#include "translator/liveness.h"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace translator {

using namespace asmjit;
using cpu::CpuState;

namespace {

constexpr i32 kOffRip = offsetof(CpuState, rip);
constexpr i32 kOffEflags = offsetof(CpuState, eflags);
constexpr i32 kOffGpr = offsetof(CpuState, gpr);
constexpr i32 kOffSeg = offsetof(CpuState, seg);
constexpr i32 kOffSegBase = offsetof(cpu::Segment, base);

constexpr i32 kCtxJumpCache = offsetof(JitContext, jump_cache);
constexpr i32 kCtxRetStack = offsetof(JitContext, ret_stack);
constexpr i32 kCtxTlbEpoch = offsetof(JitContext, tlb_epoch);

constexpr i32 kTlbReadTag = offsetof(cpu::TlbEntry, read_tag);
constexpr i32 kTlbWriteTag = offsetof(cpu::TlbEntry, write_tag);
constexpr i32 kTlbAddend = offsetof(cpu::TlbEntry, addend);

const x86::Gp kState = x86::rbx;
const x86::Gp kCtx = x86::r12;
const x86::Gp kTlb = x86::r13;
const x86::Gp kDeferredFlags = x86::r10;

} // namespace

const LoweringTable& lowering_table() {
    static const LoweringTable t = [] {
        LoweringTable x;
        // TX86_JIT_LOWER=none turns every instruction into an interpreter call (bisecting a
        // translator bug: lowerings or the block machinery).
        const char* only = std::getenv("TX86_JIT_LOWER");
        if (only && std::string_view(only) == "none") {
            return x;
        }
        install_lower_alu(x);
        install_lower_control(x);
        install_lower_mul_shift(x);
        install_lower_system(x);
        install_lower_bit(x);
        install_lower_x87(x);
        install_lower_x87_host(x);
        install_lower_string(x);
        return x;
    }();
    return t;
}

BlockCompiler::BlockCompiler(const CpuLayout& layout, JitContext& ctx) : m_layout(layout), m_ctx(ctx) {}

namespace {

x86::Mem gpr_slot(unsigned idx, unsigned size, bool high) {
    const i32 off = high ? kOffGpr + static_cast<i32>(idx - 4) * 8 + 1 : kOffGpr + static_cast<i32>(idx) * 8;
    return x86::ptr(kState, off, size);
}

/// Host registers the register cache may use: used by nothing else in translated code. r11 is
/// caller-saved, which is fine: the only calls (interpreter calls) spill and reload around them.
const x86::Gp kCacheRegs[BlockCompiler::kCachedRegs] = {x86::r14, x86::r15, x86::r11, x86::rbp};
/// With a recorder attached, rbp holds its cursor across blocks (not in the register cache).
const x86::Gp kTraceCur = x86::rbp;

/// asmjit reports an instruction it cannot encode (say a REX register beside AH) here rather
/// than emitting it: the compile must fail then, not produce a block without it.
class RecordError : public ErrorHandler {
public:
    void handleError(Error, const char*, BaseEmitter*) override { failed = true; }
    bool failed = false;
};

} // namespace

Operand BlockCompiler::gpr(unsigned idx, unsigned size, bool high) {
    const unsigned reg = high ? idx - 4 : idx;
    if (reg < 8 && m_host_of[reg].isValid()) {
        if (high) {
            m_cache_failed = true; // AH..BH have no encoding beside the cache's REX registers
        } else {
            return size == 1 ? Operand(m_host_of[reg].r8()) : size == 2 ? Operand(m_host_of[reg].r16()) : Operand(m_host_of[reg].r32());
        }
    }
    return gpr_slot(idx, size, high);
}

Operand BlockCompiler::gpr_op(unsigned n) {
    const cpu::Operand& o = insn().op[n];
    return gpr(o.reg, o.size, o.high_byte);
}

x86::Mem BlockCompiler::gpr_mem(unsigned idx, unsigned size, bool high) {
    const unsigned reg = high ? idx - 4 : idx;
    if (reg < 8 && m_host_of[reg].isValid()) {
        m_cache_failed = true;
    }
    return gpr_slot(idx, size, high);
}

void BlockCompiler::spill_cached() {
    for (unsigned r = 0; r < 8; ++r) {
        if (m_host_of[r].isValid()) {
            m_a->mov(gpr_slot(r, 4, false), m_host_of[r].r32());
        }
    }
}

void BlockCompiler::reload_cached() {
    for (unsigned r = 0; r < 8; ++r) {
        if (m_host_of[r].isValid()) {
            m_a->mov(m_host_of[r].r32(), gpr_slot(r, 4, false));
        }
    }
}

namespace {

/// Lowered instructions that address the stack through ESP without naming it (lower_control,
/// lower_system): kernel code is full of them, so ESP must count for the register cache.
bool uses_esp_implicitly(cpu::InsnId id) {
    using cpu::InsnId;
    switch (id) {
    case InsnId::PUSH_Zv: case InsnId::PUSH_Iz: case InsnId::PUSH_Ib: case InsnId::PUSH_Ev:
    case InsnId::POP_Zv: case InsnId::CALL_Jz: case InsnId::CALL_Ev: case InsnId::RET:
    case InsnId::RET_Iw: case InsnId::LEAVE: case InsnId::PUSHF:
        return true;
    default:
        return false;
    }
}

} // namespace

bool BlockCompiler::choose_cached_regs() {
    for (x86::Gp& g : m_host_of) {
        g.reset();
    }
    // Worth it for a register the block's lowered instructions use at least twice more often
    // than the block makes interpreter calls (each costs a spill and a reload).
    unsigned uses[8] = {};
    bool excluded[8] = {};
    unsigned calls = 0;
    for (u32 i = 0; i < m_block->ninsns; ++i) {
        const cpu::DecodedInsn& in = m_block->insns[i];
        for (unsigned n = 0; n < in.nops; ++n) {
            const cpu::Operand& o = in.op[n];
            if (o.kind == cpu::OperandKind::Reg && o.reg < 8) {
                if (o.high_byte) {
                    excluded[o.reg - 4] = true;
                } else {
                    ++uses[o.reg];
                }
            }
        }
        if (in.has_mem()) {
            if (in.mem.base < 8) {
                ++uses[in.mem.base];
            }
            if (in.mem.index < 8) {
                ++uses[in.mem.index];
            }
        }
        if (!m_native[i]) {
            ++calls;
        } else if (uses_esp_implicitly(in.id)) {
            uses[cpu::kRsp] += 2; // read for the address, written back
        }
    }
    unsigned chosen = 0;
    const unsigned limit = m_layout.trace_cursor ? kCachedRegs - 1 : kCachedRegs; // rbp: see kTraceCur
    bool picked[8] = {};
    while (chosen < limit) {
        unsigned best = 8;
        for (unsigned r = 0; r < 8; ++r) {
            if (!excluded[r] && !picked[r] && uses[r] >= 2 + calls && (best == 8 || uses[r] > uses[best])) {
                best = r;
            }
        }
        if (best == 8) {
            break;
        }
        picked[best] = true;
        ++chosen;
    }
    // Host registers: where the predecessor that led here keeps the same guest register, so
    // that its chained jump can skip the reload (Block::entry_noreload); the rest in order.
    bool host_taken[kCachedRegs] = {};
    if (m_pred_hint) {
        for (unsigned r = 0; r < 8; ++r) {
            const i8 k = m_pred_hint->cached_in[r];
            if (picked[r] && k >= 0 && static_cast<unsigned>(k) < limit) {
                m_host_of[r] = kCacheRegs[k];
                host_taken[k] = true;
            }
        }
    }
    unsigned next = 0;
    for (unsigned r = 0; r < 8; ++r) {
        if (picked[r] && !m_host_of[r].isValid()) {
            while (host_taken[next]) {
                ++next;
            }
            m_host_of[r] = kCacheRegs[next];
            host_taken[next] = true;
        }
    }
    return chosen != 0;
}

x86::Mem BlockCompiler::state(i32 offset, unsigned size) {
    if (offset < kOffEflags + 4 && offset + static_cast<i32>(size) > kOffEflags) {
        materialize_flags();
    }
    return x86::ptr(kState, offset, size);
}

x86::Mem BlockCompiler::context(i32 offset, unsigned size) const { return x86::ptr(kCtx, offset, size); }

x86::Mem BlockCompiler::eflags_system_bits() const { return x86::ptr(kState, kOffEflags, 4); }

namespace {

/// Where a flag mask's bits sit in the capture layout LAHF + SETO AL leave in eax: SF ZF AF PF
/// CF at bits 8..15 (as AH), OF as bit 0 (AL is 0 or 1).
u32 capture_layout(u32 mask) { return ((mask & 0xD5u) << 8) | ((mask & cpu::kOF) ? 1u : 0u); }

} // namespace

void emit_eflags_to_capture(x86::Assembler& a, const x86::Gp& reg) {
    a.shl(reg.r32(), 8);  // the flag byte to bits 8..15, OF to bit 19
    a.bt(reg.r32(), 19);
    a.setc(reg.r8());     // OF as bit 0 (the low byte was zero)
}

void emit_capture_to_eflags(x86::Assembler& a, const x86::Gp& reg, bool with_of) {
    a.rol(reg.r16(), 8); // the flag byte to bits 0..7, OF to bit 8
    if (with_of) {
        a.shl(reg.r8Hi(), 3); // OF to bit 11
    }
}

void BlockCompiler::emit_capture_merge(const x86::Gp& src, const x86::Gp& scratch, u32 mask, bool clear_af) {
    // Capture layout -> EFLAGS layout in the scratch register, then one read-modify-write of
    // EFLAGS (dword accesses only: a byte store under a later dword load stalls forwarding).
    x86::Assembler& as = *m_a;
    if (src.id() != scratch.id()) {
        as.mov(scratch.r32(), src.r32());
    }
    emit_capture_to_eflags(as, scratch, (mask & cpu::kOF) != 0);
    as.and_(scratch.r32(), static_cast<i32>(clear_af ? mask & ~u32{cpu::kAF} : mask));
    as.and_(x86::dword_ptr(kState, kOffEflags), static_cast<i32>(~mask));
    as.or_(x86::dword_ptr(kState, kOffEflags), scratch.r32());
}

void BlockCompiler::emit_flag_merge() {
    if (m_deferred == 0) {
        return;
    }
    // r10 is only read, so paths that merge twice are harmless. ecx is free wherever EFLAGS
    // is merged: at exits, before interpreter calls and in lowerings before their operands.
    emit_capture_merge(kDeferredFlags, x86::ecx, m_deferred, m_deferred_clear_af);
}

void BlockCompiler::materialize_flags() {
    emit_flag_merge();
    m_deferred = 0;
}

Label BlockCompiler::slow_label() {
    m_cur_slow_used = true;
    return m_cur_slow;
}

void BlockCompiler::emit_ea() {
    x86::Assembler& as = *m_a;
    const cpu::MemRef& m = insn().mem;
    const i32 disp = static_cast<i32>(static_cast<u32>(m.disp));
    if (m.base != 0xFF && m.index == 0xFF) {
        gpr_plus_into_ecx(m.base, disp);
    } else if (m.base != 0xFF) {
        as.emit(x86::Inst::kIdMov, x86::ecx, gpr(m.base, 4));
        as.emit(x86::Inst::kIdMov, x86::r8d, gpr(m.index, 4));
        as.lea(x86::ecx, x86::ptr(x86::rcx, x86::r8, m.scale, disp));
    } else if (m.index != 0xFF) {
        as.emit(x86::Inst::kIdMov, x86::ecx, gpr(m.index, 4));
        if (m.scale != 0) {
            as.shl(x86::ecx, m.scale);
        }
        if (disp != 0) {
            as.add(x86::ecx, disp);
        }
    } else {
        as.mov(x86::ecx, static_cast<u32>(m.disp));
    }
}

void BlockCompiler::gpr_plus_into_ecx(unsigned idx, i32 delta) {
    x86::Assembler& as = *m_a;
    const Operand r = gpr(idx, 4);
    if (r.isReg()) {
        // One LEA from a cached register (the 32-bit result wraps as the guest's does).
        as.lea(x86::ecx, x86::ptr(r.as<x86::Gp>().r64(), delta));
        return;
    }
    as.emit(x86::Inst::kIdMov, x86::ecx, r);
    if (delta != 0) {
        as.add(x86::ecx, delta);
    }
}

void BlockCompiler::seg_host(unsigned seg, mmu::Access acc, unsigned size, bool aligned) {
    seg_host_impl(seg, acc, size, aligned, true);
}

void BlockCompiler::seg_host_page(unsigned seg, mmu::Access acc) { seg_host_impl(seg, acc, 1, true, false); }

void BlockCompiler::seg_host_impl(unsigned seg, mmu::Access acc, unsigned size, bool aligned, bool chunk_test) {
    x86::Assembler& as = *m_a;
    const i32 seg_off = kOffSeg + static_cast<i32>(seg * sizeof(cpu::Segment));
    const SegClass cls = key_seg_class(key_flags(), seg);
    if (cls == kSegChecked) {
        // What seg_class() requires of kSegLarge: a 4 GiB limit and a present, writable,
        // expand-up data segment (attribute bits P, code, expand-down, writable: 1, 0, 0, 1).
        as.cmp(x86::dword_ptr(kState, seg_off + static_cast<i32>(offsetof(cpu::Segment, limit))), -1);
        as.jne(slow_label());
        as.movzx(x86::edx, x86::byte_ptr(kState, seg_off + static_cast<i32>(offsetof(cpu::Segment, attr))));
        as.and_(x86::edx, cpu::kAttrP | 0xE);
        as.cmp(x86::edx, cpu::kAttrP | 0x2);
        as.jne(slow_label());
    }
    if (cls == kSegLarge || cls == kSegChecked) {
        as.add(x86::ecx, x86::dword_ptr(kState, seg_off + kOffSegBase));
    }
    if (acc == mmu::Access::Read && chunk_test && (key_flags() & kKeyDirectRam) &&
        m_layout.direct_hi - m_layout.direct_lo > size) {
        // Paging off: the linear address is the physical one, and the RAM window needs no TLB
        // entry, so the load's address no longer waits on one (the kernel's decompressor ran
        // 8% faster). An address outside the window takes the TLB's way, out of line.
        Label outside = as.newLabel();
        Label done = as.newLabel();
        Section* const from = as.currentSection();
        as.lea(x86::edx, x86::ptr(x86::rcx, -static_cast<i32>(m_layout.direct_lo)));
        as.cmp(x86::edx, static_cast<i32>(m_layout.direct_hi - m_layout.direct_lo - size));
        as.ja(outside);
        as.mov(x86::rdx, imm(static_cast<u64>(m_layout.direct_host)));
        as.add(x86::rdx, x86::rcx);
        if (from == m_cold) {
            as.jmp(done); // already out of line (a group's full path): skip the TLB's way
        }
        as.section(m_cold);
        as.bind(outside);
        emit_tlb_check(acc, size, aligned, chunk_test);
        as.jmp(done);
        as.section(from);
        as.bind(done);
        return;
    }
    emit_tlb_check(acc, size, aligned, chunk_test);
}

void BlockCompiler::emit_tlb_check(mmu::Access acc, unsigned size, bool aligned, bool chunk_test) {
    // ecx = linear address: the TLB entry's tag compare, then rdx = its addend + ecx.
    x86::Assembler& as = *m_a;
    if (!aligned && size > 1) {
        // Operands the guest often leaves misaligned (doubles at 4-byte alignment in i386
        // structures): only a page crossing needs the slow path, so the tag compare below
        // ignores the low bits.
        as.mov(x86::edx, x86::ecx);
        as.and_(x86::edx, 0xFFF);
        as.cmp(x86::edx, static_cast<i32>(0x1000 - size));
        as.ja(slow_label());
    }
    const u32 low_bits = aligned ? size - 1 : 0;
    // Entry offset: ((lin >> 12) & (size - 1)) * 64 == (lin >> 6) & ((size - 1) << 6).
    as.mov(x86::r8d, x86::ecx);
    as.shr(x86::r8d, 6);
    as.and_(x86::r8d, static_cast<i32>((cpu::Cpu::kTlbSize - 1) << 6));
    // A misaligned access leaves low bits set and misses: the slow path handles page crossing.
    as.mov(x86::edx, x86::ecx);
    as.and_(x86::edx, static_cast<i32>(0xFFFFF000u | low_bits));
    as.cmp(x86::rdx, x86::qword_ptr(kTlb, x86::r8, 0, acc == mmu::Access::Write ? kTlbWriteTag : kTlbReadTag));
    if (acc == mmu::Access::Write && m_layout.code_chunks && chunk_test) {
        CodePageWrite w{as.newLabel(), as.newLabel(), slow_label(), size, aligned};
        as.jne(w.check);
        as.bind(w.hit);
        m_code_page_writes.push_back(w);
    } else {
        as.jne(slow_label());
    }
    as.mov(x86::rdx, x86::qword_ptr(kTlb, x86::r8, 0, kTlbAddend));
    as.add(x86::rdx, x86::rcx);
}

void BlockCompiler::emit_code_page_writes() {
    // In: ecx = linear address, r8 = its TLB entry's offset, rdx = the address as the write
    // tag compare masked it (its page, with an aligned access's low bits, zero when it is
    // aligned). Only rdx and the flags may change here (the lowering may hold its value in any
    // other register, r9 a memory group's base), so rax is saved around its use. The access
    // lies on its page (an aligned one cannot cross it; an unaligned one was checked inline),
    // and an aligned one, or a byte, in one 64-byte chunk.
    x86::Assembler& as = *m_a;
    for (const CodePageWrite& w : m_code_page_writes) {
        Label slow_pop = as.newLabel();
        as.bind(w.check);
        as.cmp(x86::byte_ptr(kTlb, x86::r8, 0, offsetof(cpu::TlbEntry, code_only)), 0);
        as.je(w.slow);
        // The entry is this page's (the read tag is the page for every RAM entry).
        as.cmp(x86::rdx, x86::qword_ptr(kTlb, x86::r8, 0, kTlbReadTag));
        as.jne(w.slow);
        as.push(x86::rax);
        as.mov(x86::rax, x86::qword_ptr(kTlb, x86::r8, 0, offsetof(cpu::TlbEntry, ppage)));
        as.shr(x86::rax, 12);
        as.mov(x86::rdx, x86::qword_ptr(kCtx, static_cast<i32>(offsetof(JitContext, code_chunks))));
        as.mov(x86::rax, x86::qword_ptr(x86::rdx, x86::rax, 3));
        // The chunks of the first and the last byte must both be free of code.
        as.mov(x86::edx, x86::ecx);
        as.and_(x86::edx, 0xFFF);
        as.shr(x86::edx, 6);
        as.bt(x86::rax, x86::rdx);
        as.jc(slow_pop);
        if (w.size > 1 && !w.aligned) {
            as.lea(x86::edx, x86::ptr(x86::rcx, static_cast<i32>(w.size - 1)));
            as.and_(x86::edx, 0xFFF);
            as.shr(x86::edx, 6);
            as.bt(x86::rax, x86::rdx);
            as.jc(slow_pop);
        }
        as.pop(x86::rax);
        as.jmp(w.hit);
        as.bind(slow_pop);
        as.pop(x86::rax);
        as.jmp(w.slow);
    }
}

void BlockCompiler::mem_host(mmu::Access acc, unsigned size, bool aligned) { planned_access(false, 0, acc, size, aligned); }

void BlockCompiler::stack_host(i32 delta, mmu::Access acc) { planned_access(true, delta, acc, 4, true); }

void BlockCompiler::planned_access(bool stack, i32 stack_delta, mmu::Access acc, unsigned size, bool aligned) {
    // The planner took either the instruction's memory operand or its own stack access
    // (MemGroupPlan::stack): a group role belongs to that one only.
    const bool planned = !m_groups.role.empty() && m_groups.stack[m_index] == stack;
    const u8 role = planned ? m_groups.role[m_index] : u8{MemGroupPlan::kNone};
    if (role == MemGroupPlan::kMember) {
        if (emit_group_access(acc, size)) {
            return;
        }
        m_member_fallback |= m_members_nonfaulting; // flag liveness counted on the group
    }
    emit_full_access(stack, stack_delta, acc, size, aligned);
    if (role == MemGroupPlan::kFirst) {
        emit_group_start(m_groups.groups[m_groups.group[m_index]]);
    }
}

void BlockCompiler::emit_full_access(bool stack, i32 stack_delta, mmu::Access acc, unsigned size, bool aligned) {
    if (stack) {
        gpr_plus_into_ecx(cpu::kRsp, stack_delta);
        seg_host(cpu::kSs, acc, 4);
    } else {
        emit_ea();
        seg_host(insn().mem.seg, acc, size, aligned);
    }
}

void BlockCompiler::emit_group_start(const MemGroup& g) {
    // The page offset of the first access, less its distance above the lowest displacement,
    // must leave room for the span: one unsigned compare covers both ends. A failed check
    // sends the instruction (nothing of it done yet) to the interpreter through its slow path,
    // which looks the group's page up again afterwards (a group site: emit_slow_paths).
    x86::Assembler& as = *m_a;
    const Label fail = slow_label();
    as.mov(x86::r9d, x86::ecx);
    as.and_(x86::r9d, 0xFFF);
    if (g.disp_first != g.disp_min) {
        as.sub(x86::r9d, static_cast<i32>(g.disp_first - g.disp_min));
    }
    as.cmp(x86::r9d, static_cast<i32>(0x1000 - g.span));
    as.ja(fail);
    if (g.write) {
        // Writable through the TLB's write tag itself: a page holding code has none (its
        // writes are checked chunk by chunk), nor a page table's or a clean page's.
        as.mov(x86::r9d, x86::ecx);
        as.and_(x86::r9d, static_cast<i32>(0xFFFFF000u));
        as.cmp(x86::r9, x86::qword_ptr(kTlb, x86::r8, 0, kTlbWriteTag));
        as.jne(fail);
    }
    as.lea(x86::r9, x86::ptr(x86::rdx, static_cast<i32>(-g.disp_first)));
    m_group_live = true;
    ++m_ctx.stats.mem_groups;
}

bool BlockCompiler::emit_group_access(mmu::Access acc, unsigned size) {
    const MemGroup& g = m_groups.groups[m_groups.group[m_index]];
    const i64 disp = m_groups.disp[m_index];
    if (!m_group_live || m_groups.group[m_index] != m_group_index || (acc == mmu::Access::Write && !g.write) ||
        disp < g.disp_min || disp + static_cast<i64>(size) > g.disp_min + g.span) {
        return false;
    }
    // r9 is right here: every way that could have left it wrong went through a group site.
    m_a->lea(x86::rdx, x86::ptr(x86::r9, static_cast<i32>(disp)));
    ++m_ctx.stats.mem_group_accesses;
    return true;
}

void BlockCompiler::flags_written(u32 written, bool clear_af) {
    x86::Assembler& as = *m_a;
    const u32 mask = written & m_live_after[m_index];
    if (mask == 0) {
        // Deferred bits this instruction overwrites are dead now as well.
        m_deferred &= ~written;
        return;
    }
    // LAHF and SETO capture the host flags into eax without changing them; PUSHFQ + POP took
    // four times as long on the hosts measured (and flag writers are every third instruction).
    as.lahf();
    if (mask & cpu::kOF) {
        as.seto(x86::al);
    }
    const u32 kept = m_deferred & ~written;
    if (kept != 0) {
        // r10 holds bits this instruction keeps (INC after ADD keeps CF): combine in registers.
        as.and_(x86::eax, static_cast<i32>(capture_layout(mask)));
        as.and_(kDeferredFlags.r32(), static_cast<i32>(capture_layout(kept)));
        as.or_(kDeferredFlags.r32(), x86::eax);
        if (mask & cpu::kAF) {
            m_deferred_clear_af = clear_af;
        }
        m_deferred = kept | mask;
        return;
    }
    as.mov(kDeferredFlags.r32(), x86::eax);
    m_deferred = mask;
    m_deferred_clear_af = clear_af;
    // A flag writer directly followed by the block's final Jcc leaves it the host flags, if
    // its lowering emits nothing after this (the compile loop checks the offset).
    m_host_flags_valid = m_fuse_next;
    m_host_flags_end = as.offset();
}

void BlockCompiler::flags_store(const x86::Gp& value, u32 written) {
    const u32 kept = m_deferred & ~written; // the rest is stored here (when live) or dead
    const u32 mask = written & m_live_after[m_index];
    if (mask == 0) {
        m_deferred = kept;
        return;
    }
    // EFLAGS layout -> capture layout, combined into r10 (no read-modify-write of memory).
    x86::Assembler& as = *m_a;
    emit_eflags_to_capture(as, value);
    as.and_(value.r32(), static_cast<i32>(capture_layout(mask)));
    as.and_(kDeferredFlags.r32(), static_cast<i32>(capture_layout(kept)));
    as.or_(kDeferredFlags.r32(), value.r32());
    if (mask & cpu::kAF) {
        m_deferred_clear_af = false;
    }
    m_deferred = kept | mask;
}

void BlockCompiler::emit_cf_to_host() {
    // The guest's CF is in r10 when deferred, else in memory (no merge needed to read it).
    if (m_deferred & cpu::kCF) {
        m_a->bt(kDeferredFlags.r32(), 8);
    } else {
        m_a->bt(x86::dword_ptr(kState, kOffEflags), 0);
    }
}

u32 BlockCompiler::flags_of_cf_keeper() {
    if ((m_deferred & cpu::kCF) == 0) {
        return cpu::kArithFlags & ~cpu::kCF; // CF stays where it is, in EFLAGS or dead
    }
    emit_cf_to_host(); // from r10
    return cpu::kArithFlags;
}

void BlockCompiler::emit_cf_op(x86::Inst::Id op) {
    // CLC (and), STC (or), CMC (xor) on CF where it is: r10 or memory.
    const u32 bits = op == x86::Inst::kIdAnd ? ~u32{0} : 0;
    if (m_deferred & cpu::kCF) {
        m_a->emit(op, kDeferredFlags.r32(), imm(static_cast<i32>(bits ^ 0x100u)));
    } else {
        m_a->emit(op, x86::dword_ptr(kState, kOffEflags), imm(static_cast<i32>(bits ^ cpu::kCF)));
    }
}

void BlockCompiler::emit_reload_flags() {
    m_a->mov(kDeferredFlags.r32(), x86::dword_ptr(kState, kOffEflags));
    emit_eflags_to_capture(*m_a, kDeferredFlags);
}

void BlockCompiler::emit_host_flags_from_r10(bool with_of) {
    x86::Assembler& as = *m_a;
    as.mov(x86::eax, kDeferredFlags.r32());
    if (with_of) {
        as.add(x86::al, 0x7F); // OF (0 or 1) + 0x7F overflows exactly when OF is 1
    }
    as.sahf(); // SF ZF AF PF CF from bits 8..15 (OF untouched)
}

void BlockCompiler::flags_all_in_r10() {
    // Chained jumps and jump-cache hits enter the next block with every arithmetic flag in r10
    // (and EFLAGS in memory stale in those bits): see the header.
    x86::Assembler& as = *m_a;
    const u32 missing = cpu::kArithFlags & ~m_deferred;
    if (missing != 0) {
        as.mov(x86::ecx, x86::dword_ptr(kState, kOffEflags));
        emit_eflags_to_capture(as, x86::ecx);
        as.and_(x86::ecx, static_cast<i32>(capture_layout(missing)));
        as.and_(kDeferredFlags.r32(), static_cast<i32>(capture_layout(m_deferred)));
        as.or_(kDeferredFlags.r32(), x86::ecx);
    }
    if (m_deferred_clear_af && (m_deferred & cpu::kAF)) {
        as.and_(kDeferredFlags.r32(), static_cast<i32>(~capture_layout(cpu::kAF)));
    }
    // The compile-time deferral is left alone: this runs on one path (an exit) only, and the
    // code after it, on other paths, did not run it.
}

void BlockCompiler::emit_merge_all() {
    // After flags_all_in_r10 (or at a block's entry): all six from r10 into EFLAGS.
    emit_capture_merge(kDeferredFlags, x86::ecx, cpu::kArithFlags, false);
}

void BlockCompiler::load_flags_for_cond(unsigned cc) {
    if (m_host_flags_valid) {
        return;
    }
    x86::Assembler& as = *m_a;
    static constexpr u32 kCondReads[8] = {cpu::kOF, cpu::kCF, cpu::kZF, cpu::kCF | cpu::kZF,
                                          cpu::kSF, cpu::kPF, cpu::kSF | cpu::kOF,
                                          cpu::kZF | cpu::kSF | cpu::kOF};
    const u32 reads = kCondReads[(cc >> 1) & 7];
    const bool needs_of = (reads & cpu::kOF) != 0;
    if ((reads & ~m_deferred) == 0) {
        emit_host_flags_from_r10(needs_of); // all it reads is deferred: no merge
        return;
    }
    materialize_flags();
    if (needs_of) {
        // OF: 0x7F + OF overflows exactly when OF is 1; SAHF then loads SF ZF AF PF CF.
        as.mov(x86::eax, x86::dword_ptr(kState, kOffEflags));
        as.bt(x86::eax, 11);
        as.setc(x86::cl);
        as.add(x86::cl, 0x7F);
        as.mov(x86::ah, x86::al);
    } else {
        as.mov(x86::ah, x86::byte_ptr(kState, kOffEflags));
    }
    as.sahf();
}

void BlockCompiler::emit_jmp_to(const void* target) {
    if (!emit_rel32(0xE9, target)) {
        m_a->mov(x86::rcx, imm(reinterpret_cast<u64>(target)));
        m_a->jmp(x86::rcx);
    }
}

bool BlockCompiler::emit_rel32(u8 opcode, const void* target) {
    // asmjit computes a CALL/JMP to an address from the offset in the current section alone;
    // the cold section is elsewhere (compile_once), so the displacement is written here.
    x86::Assembler& as = *m_a;
    const u64 here = as.code()->baseAddress() + as.currentSection()->offset() + as.offset();
    const i64 rel = static_cast<i64>(reinterpret_cast<uptr>(target) - (here + 5));
    if (rel < INT32_MIN || rel > INT32_MAX) {
        return false;
    }
    as.embedUInt8(opcode);
    as.embedInt32(static_cast<i32>(rel));
    return true;
}

void BlockCompiler::emit_call(const void* fn) {
    if (!emit_rel32(0xE8, fn)) {
        m_a->mov(x86::rax, imm(reinterpret_cast<u64>(fn)));
        m_a->call(x86::rax);
    }
}

void BlockCompiler::call_helper(const void* fn, u64 arg) {
    x86::Assembler& as = *m_a;
    const i64 ahead = static_cast<i64>(m_block->ninsns) - m_index; // counted at block entry
    emit_icount_adjust(-ahead);
    // Caller-saved registers translated code keeps values in (two pushes: rsp stays aligned).
    as.push(kDeferredFlags);
    as.push(x86::r11);
    as.lea(x86::rdi, x86::ptr(kState, m_layout.cpu_from_state));
    as.mov(x86::rsi, imm(arg));
    emit_call(fn);
    as.pop(x86::r11);
    as.pop(kDeferredFlags);
    emit_icount_adjust(ahead);
}

void BlockCompiler::emit_icount_adjust(i64 delta) {
    if (delta > 0) {
        m_a->add(x86::qword_ptr(kState, m_layout.icount), static_cast<i32>(delta));
    } else if (delta < 0) {
        m_a->sub(x86::qword_ptr(kState, m_layout.icount), static_cast<i32>(-delta));
    }
}

void BlockCompiler::emit_exit_code(u32 code) {
    m_a->mov(x86::eax, code);
    m_a->jmp(m_exit_label);
}

void BlockCompiler::emit_state_at_insn() {
    x86::Assembler& as = *m_a;
    spill_cached();
    emit_flag_merge();
    as.mov(x86::eax, static_cast<u32>(m_eip));
    as.mov(x86::qword_ptr(kState, kOffRip), x86::rax);
    emit_icount_adjust(-(static_cast<i64>(m_block->ninsns) - m_index));
}

void BlockCompiler::emit_interp_call(bool) {
    x86::Assembler& as = *m_a;
    const i64 n = m_block->ninsns;
    emit_state_at_insn();
    as.lea(x86::rdi, x86::ptr(kState, m_layout.cpu_from_state));
    as.mov(x86::rsi, imm(reinterpret_cast<u64>(&m_block->insns[m_index])));
    as.mov(x86::rdx, imm(reinterpret_cast<u64>(m_block)));
    store_trace_cursor();
    emit_call(reinterpret_cast<const void*>(&jit_exec_insn));
    load_trace_cursor(); // the interpreter may have recorded events (and exits store rbp)
    as.test(x86::eax, x86::eax);
    as.jnz(m_exit_label);
    emit_icount_adjust(n - m_index - 1);
    reload_cached();
    reload_tlb_bank(); // the instruction may have switched address spaces (MOV CR3)
    // EFLAGS in memory is the truth after the call (which clobbered r10): all six back in r10.
    emit_reload_flags();
    m_deferred = cpu::kArithFlags;
    m_deferred_clear_af = false;
}

void BlockCompiler::emit_probe_jump_cache(bool spill) {
    // eax holds the new EIP (already stored in CpuState::rip).
    x86::Assembler& as = *m_a;
    if (spill) {
        spill_cached();
    }
    flags_all_in_r10();
    const u64 cs_base = m_block->key.cs_base;
    if (cs_base != 0) {
        as.lea(x86::ecx, x86::ptr(x86::rax, static_cast<i32>(static_cast<u32>(cs_base))));
    } else {
        as.mov(x86::ecx, x86::eax);
    }
    Label miss = as.newLabel();
    as.mov(x86::edx, x86::ecx);
    as.shr(x86::edx, kJumpCacheBits);
    as.xor_(x86::edx, x86::ecx);
    as.and_(x86::edx, static_cast<i32>(kJumpCacheSize - 1));
    as.shl(x86::edx, 5);
    as.add(x86::rdx, x86::qword_ptr(kCtx, kCtxJumpCache));
    as.cmp(x86::rcx, x86::qword_ptr(x86::rdx, offsetof(JumpCacheEntry, lin_pc)));
    as.jne(miss);
    const u64 mode = u64{m_block->key.flags} | (cs_base << 32);
    if (mode <= 0x7FFFFFFF) {
        as.cmp(x86::qword_ptr(x86::rdx, offsetof(JumpCacheEntry, mode)), static_cast<i32>(mode));
    } else {
        as.mov(x86::rax, imm(mode));
        as.cmp(x86::rax, x86::qword_ptr(x86::rdx, offsetof(JumpCacheEntry, mode)));
    }
    as.jne(miss);
    // The TLB must still map the target page to the host page the block was found through.
    as.mov(x86::r8d, x86::ecx);
    as.shr(x86::r8d, 6);
    as.and_(x86::r8d, static_cast<i32>((cpu::Cpu::kTlbSize - 1) << 6));
    as.and_(x86::ecx, static_cast<i32>(0xFFFFF000u));
    as.cmp(x86::rcx, x86::qword_ptr(kTlb, x86::r8, 0, offsetof(cpu::TlbEntry, exec_tag)));
    as.jne(miss);
    as.mov(x86::rax, x86::qword_ptr(kTlb, x86::r8, 0, kTlbAddend));
    as.cmp(x86::rax, x86::qword_ptr(x86::rdx, offsetof(JumpCacheEntry, addend)));
    as.jne(miss);
    as.jmp(x86::qword_ptr(x86::rdx, offsetof(JumpCacheEntry, code)));
    Section* const from = as.currentSection();
    as.section(m_cold);
    as.bind(miss);
    emit_merge_all();
    as.mov(x86::rcx, imm(reinterpret_cast<u64>(m_block)));
    as.mov(x86::qword_ptr(kCtx, offsetof(JitContext, probe_miss)), x86::rcx);
    emit_exit_code(kExitNext);
    as.section(from);
}

void BlockCompiler::exit_dynamic_eax() {
    m_a->mov(x86::qword_ptr(kState, kOffRip), x86::rax);
    emit_probe_jump_cache();
}

void BlockCompiler::exit_static(u64 target_eip) {
    x86::Assembler& as = *m_a;
    const u64 target_lin = (m_block->key.cs_base + target_eip) & 0xFFFFFFFFu;
    const bool same_page = (target_lin >> 12) == (m_block->key.lin_pc >> 12);
    if (target_lin == m_block->key.lin_pc && m_block->self_loop) {
        // A loop that is this block: its back edge stays inside, past the register reload, as
        // a chained jump from a block with the same registers does (emit_prologue).
        spill_cached();
        flags_all_in_r10();
        as.jmp(m_entry_noreload);
        ++m_ctx.stats.self_loops;
        return;
    }
    if (m_exits.size() >= 2) {
        as.mov(x86::eax, static_cast<u32>(target_eip));
        exit_dynamic_eax();
        return;
    }
    spill_cached();
    flags_all_in_r10();
    StaticExit e{as.newLabel(), as.newLabel(), target_eip, static_cast<u8>(m_exits.size()), !same_page,
                 as.newLabel()};
    if (!same_page) {
        emit_page_check(target_lin, e.stub, e.expect);
    }
    as.bind(e.jmp);
    as.long_().jmp(e.stub);
    m_exits.push_back(e);
}

void BlockCompiler::emit_page_check(u64 target_lin, Label fail, Label expect) {
    // A chained jump to another page is taken only while the TLB maps that page to the host
    // page it had when chained (its fetch entry and addend are checked inline). Uses rax.
    x86::Assembler& as = *m_a;
    const i32 slot = static_cast<i32>(((target_lin >> 12) & (cpu::Cpu::kTlbSize - 1)) * 64);
    as.mov(x86::rax, imm(target_lin & ~u64{0xFFF}));
    as.cmp(x86::rax, x86::qword_ptr(kTlb, slot + static_cast<i32>(offsetof(cpu::TlbEntry, exec_tag))));
    as.jne(fail);
    as.mov(x86::rax, x86::qword_ptr(kTlb, slot + kTlbAddend));
    as.cmp(x86::rax, x86::qword_ptr(expect));
    as.jne(fail);
}

void BlockCompiler::push_return_prediction(u64 ret_eip) {
    // Only where the RET can check the same tag (a flat CS: the tag has no room for a base),
    // for a return to this block's page (ReturnPrediction says why), and with both exits free
    // (a CALL ends its block, so nothing took them yet). After the push: the slot is that of
    // the return address's dword.
    if (m_block->key.cs_base != 0 || (ret_eip >> 12) != (m_block->key.lin_pc >> 12) || !m_exits.empty()) {
        return;
    }
    x86::Assembler& as = *m_a;
    StaticExit e{as.newLabel(), as.newLabel(), ret_eip, static_cast<u8>(m_exits.size()), false, as.newLabel()};
    e.ret_exit = true;
    emit_return_slot(0);
    as.mov(x86::rcx, imm(ret_eip | u64{m_block->key.flags} << 32));
    as.mov(x86::qword_ptr(kCtx, x86::rdx, 3, kCtxRetStack + offsetof(ReturnPrediction, tag)), x86::rcx);
    as.lea(x86::rcx, x86::ptr(e.jmp));
    as.mov(x86::qword_ptr(kCtx, x86::rdx, 3, kCtxRetStack + offsetof(ReturnPrediction, code_word)), x86::rcx);
    emit_tlb_epoch_into_rcx();
    as.mov(x86::qword_ptr(kCtx, x86::rdx, 3, kCtxRetStack + offsetof(ReturnPrediction, epoch)), x86::rcx);
    m_exits.push_back(e);
}

void BlockCompiler::emit_return_slot(i32 esp_moved) {
    // edx = the ReturnPrediction slot of the return address's dword (ESP less esp_moved), as
    // an index scaled by 8 in the addressing.
    x86::Assembler& as = *m_a;
    as.emit(x86::Inst::kIdMov, x86::edx, gpr(cpu::kRsp, 4));
    if (esp_moved != 0) {
        as.sub(x86::edx, esp_moved);
    }
    as.and_(x86::edx, static_cast<i32>(kReturnStackMask));
}

void BlockCompiler::emit_tlb_epoch_into_rcx() {
    m_a->mov(x86::rcx, x86::qword_ptr(kCtx, kCtxTlbEpoch));
    m_a->mov(x86::rcx, x86::qword_ptr(x86::rcx));
}

void BlockCompiler::exit_return_eax(i32 esp_moved) {
    x86::Assembler& as = *m_a;
    as.mov(x86::qword_ptr(kState, kOffRip), x86::rax);
    if (m_block->key.cs_base != 0) {
        emit_probe_jump_cache();
        return;
    }
    spill_cached();
    flags_all_in_r10();
    Label miss = as.newLabel();
    emit_return_slot(esp_moved);
    as.mov(x86::rcx, imm(u64{m_block->key.flags} << 32));
    as.or_(x86::rcx, x86::rax); // rax: the target, zero-extended
    as.cmp(x86::rcx, x86::qword_ptr(kCtx, x86::rdx, 3, kCtxRetStack + offsetof(ReturnPrediction, tag)));
    as.jne(miss);
    emit_tlb_epoch_into_rcx();
    as.cmp(x86::rcx, x86::qword_ptr(kCtx, x86::rdx, 3, kCtxRetStack + offsetof(ReturnPrediction, epoch)));
    as.jne(miss);
    as.mov(x86::rcx, x86::qword_ptr(kCtx, x86::rdx, 3, kCtxRetStack + offsetof(ReturnPrediction, code_word)));
    as.jmp(x86::qword_ptr(x86::rcx));
    as.bind(miss);
    emit_probe_jump_cache(false);
}

void BlockCompiler::reload_tlb_bank() {
    const unsigned u = key_cpl(m_block->key.flags) == 3 ? 1 : 0;
    m_a->mov(kTlb, x86::qword_ptr(kState, m_layout.tlb_bank[u]));
}

void BlockCompiler::emit_prologue() {
    x86::Assembler& as = *m_a;
    // The dispatcher's entry loads the TLB bank. A chained jump or a jump-cache hit comes from
    // a block of the same key (CPL included) in the same address space, whose bank is still
    // in r13: the space changes only inside an interpreter call (which reloads it) or the
    // dispatcher.
    as.bind(m_entry_dispatch);
    reload_tlb_bank();
    // The jump cache and chained jumps come here; a chained jump from a block that holds the
    // same guest registers in the same host registers comes to m_entry_noreload (its exits
    // store them but leave them in place: a reload right after waited on those stores, block
    // after block). The budget is the one check: whatever needs the dispatcher (an interrupt
    // or NMI line raised, a stop request) sets its limit to zero (Cpu::kick_translated_code),
    // so no block tests the lines themselves.
    as.bind(m_entry);
    reload_cached();
    as.bind(m_entry_noreload);
    emit_entry_accounting();
    as.bind(m_body);
}

void BlockCompiler::emit_entry_accounting() {
    x86::Assembler& as = *m_a;
    const u32 n = m_block->ninsns;
    // The count after the block against the limit (unsigned: a kick's limit 0 stops any
    // block). The record is written before the check but kept (rbp advanced) only after it.
    as.mov(x86::rcx, x86::qword_ptr(kState, m_layout.icount));
    if (m_layout.trace_cursor) {
        emit_trace_record();
    }
    as.add(x86::rcx, static_cast<i32>(n));
    as.cmp(x86::rcx, x86::qword_ptr(kState, m_layout.icount_limit));
    as.ja(m_budget_exit);
    if (m_layout.trace_cursor) {
        as.add(kTraceCur, static_cast<i32>(sizeof(cpu::TraceRecord)));
        if (m_layout.trace_wrap_bytes) {
            // A ring that wraps in place (TraceRecorder::wrap_bytes): one past its end
            // differs from its start in that one bit.
            as.and_(kTraceCur, ~static_cast<i32>(m_layout.trace_wrap_bytes));
        }
    }
    as.mov(x86::qword_ptr(kState, m_layout.icount), x86::rcx);
}

void BlockCompiler::emit_tail_check() {
    // The last instruction's bytes on the next page were decoded through the TLB entry of
    // that page: it must still map the same host page, or the interpreter fetches afresh.
    x86::Assembler& as = *m_a;
    const i32 slot = static_cast<i32>(((m_block->tail_lin >> 12) & (cpu::Cpu::kTlbSize - 1)) * 64);
    Label ok = as.newLabel();
    Label stale = as.newLabel();
    as.mov(x86::rax, imm(m_block->tail_lin));
    as.cmp(x86::rax, x86::qword_ptr(kTlb, slot + static_cast<i32>(offsetof(cpu::TlbEntry, exec_tag))));
    as.jne(stale);
    as.mov(x86::rax, imm(static_cast<u64>(m_block->tail_addend)));
    as.cmp(x86::rax, x86::qword_ptr(kTlb, slot + kTlbAddend));
    as.je(ok);
    as.bind(stale);
    emit_state_at_insn();
    as.lea(x86::rdi, x86::ptr(kState, m_layout.cpu_from_state));
    store_trace_cursor();
    emit_call(reinterpret_cast<const void*>(&jit_interp_step));
    load_trace_cursor();
    as.jmp(m_exit_label);
    as.bind(ok);
}

void BlockCompiler::emit_trace_record() {
    // { id, aux = 0, icount before the block } at the recorder's cursor. Only stores on the
    // way: consumers (filters, disassembly, compression) work later, elsewhere.
    // The cursor lives in rbp from block to block: kept in the recorder's field, its load and
    // store made a chain through memory from each block to the next, which cost more than the
    // stores themselves (pipe 1.29 s against 1.11 s without the chain, 0.95 s with no record).
    // icount is in rcx (emit_entry_accounting); the caller advances the cursor.
    x86::Assembler& as = *m_a;
    as.mov(x86::qword_ptr(kTraceCur), static_cast<i32>(m_block->trace_id)); // aux = 0
    as.mov(x86::qword_ptr(kTraceCur, 8), x86::rcx);
    if (m_block->trace_needed) {
        as.mov(x86::rdx, imm(reinterpret_cast<u64>(m_layout.trace_cursor)));
        as.mov(x86::byte_ptr(x86::rdx, cpu::TraceRecorder::kNeededOffset), 1);
    }
    // No compare with the buffer's limit: the dispatcher bounds the budget so that the
    // records written past it fit (TraceRecorder::unchecked). Two instructions less per block
    // entry and no ring-full path in every block's cold code.
}

void BlockCompiler::emit_end() {
    x86::Assembler& as = *m_a;
    switch (m_end) {
    case BlockEnd::Fallthrough: exit_static(m_next_eip); break;
    case BlockEnd::Taken: break;
    case BlockEnd::Dispatcher:
        spill_cached();
        emit_flag_merge();
        emit_exit_code(kExitNext);
        break;
    case BlockEnd::ModeCheck: {
        // State is in CpuState (the interpreter call just ran); the call clobbers r10/r11, so
        // the probe after it stores nothing.
        spill_cached();
        emit_flag_merge();
        Label other_mode = as.newLabel();
        as.lea(x86::rdi, x86::ptr(kState, m_layout.cpu_from_state));
        as.mov(x86::rsi, imm(reinterpret_cast<u64>(m_block)));
        emit_call(reinterpret_cast<const void*>(&jit_same_mode));
        as.test(x86::eax, x86::eax);
        as.jz(other_mode);
        emit_reload_flags(); // the call clobbered r10; EFLAGS was merged before it
        as.mov(x86::rax, x86::qword_ptr(kState, kOffRip));
        emit_probe_jump_cache(false);
        as.bind(other_mode);
        emit_exit_code(kExitNext);
        break;
    }
    case BlockEnd::Dynamic:
        as.mov(x86::rax, x86::qword_ptr(kState, kOffRip));
        emit_probe_jump_cache();
        break;
    }
}

void BlockCompiler::store_trace_cursor() {
    // Before a call into the interpreter, which records through the recorder's field (rcx is
    // free at every call site: arguments go in rdi, rsi, rdx).
    if (m_layout.trace_cursor) {
        m_a->mov(x86::rcx, imm(reinterpret_cast<u64>(m_layout.trace_cursor)));
        m_a->mov(x86::qword_ptr(x86::rcx), kTraceCur);
    }
}

void BlockCompiler::load_trace_cursor() {
    // After the call (eax holds its result): the cursor, which may be in another buffer now.
    if (m_layout.trace_cursor) {
        m_a->mov(x86::rcx, imm(reinterpret_cast<u64>(m_layout.trace_cursor)));
        m_a->mov(kTraceCur, x86::qword_ptr(x86::rcx));
    }
}

void BlockCompiler::emit_shared_slow_path(bool group) {
    // Called (a host CALL) with esi = index | written deferral << 8 | its value bits << 20
    // (EFLAGS layout): CpuState as the interpreter must find it, the instruction through
    // jit_slow_insn, then back with registers and flags reloaded; an exit leaves from here.
    x86::Assembler& as = *m_a;
    Label exit = as.newLabel();
    as.sub(x86::rsp, 8); // the CALL's return address: 16-byte alignment again for the helper
    spill_cached();
    as.mov(x86::ecx, kDeferredFlags.r32()); // r10 in EFLAGS layout, then masked at run time
    emit_capture_to_eflags(as, x86::ecx, true);
    as.mov(x86::eax, x86::esi);
    as.shr(x86::eax, 20);
    as.and_(x86::ecx, x86::eax);
    as.mov(x86::eax, x86::esi);
    as.shr(x86::eax, 8);
    as.and_(x86::eax, 0xFFF);
    as.not_(x86::eax);
    as.and_(x86::dword_ptr(kState, kOffEflags), x86::eax);
    as.or_(x86::dword_ptr(kState, kOffEflags), x86::ecx);
    as.and_(x86::esi, 0xFF);
    as.lea(x86::rdi, x86::ptr(kState, m_layout.cpu_from_state));
    as.mov(x86::rdx, imm(reinterpret_cast<u64>(m_block)));
    store_trace_cursor();
    if (group) {
        as.mov(x86::rcx, kCtx);
        emit_call(reinterpret_cast<const void*>(&jit_slow_insn_group));
    } else {
        emit_call(reinterpret_cast<const void*>(&jit_slow_insn));
    }
    load_trace_cursor();
    as.test(x86::eax, x86::eax);
    as.jnz(exit);
    as.add(x86::rsp, 8);
    reload_cached();
    reload_tlb_bank();
    emit_reload_flags();
    if (group) {
        as.mov(x86::r9, x86::qword_ptr(kCtx, static_cast<i32>(offsetof(JitContext, group_base))));
    }
    as.ret();
    as.bind(exit);
    as.add(x86::rsp, 16); // and the return address
    as.jmp(m_exit_label);
}

void BlockCompiler::emit_slow_paths() {
    x86::Assembler& as = *m_a;
    emit_code_page_writes();
    const u64 start_eip = m_block->key.lin_pc - m_block->key.cs_base;
    Label common = as.newLabel();
    Label common_group = as.newLabel();
    bool common_used = false;
    bool common_group_used = false;
    for (const Slow& s : m_slow) {
        as.bind(s.label);
        if (!s.ends_block) {
            // The common case, compact (about 15 bytes instead of 130): the instruction's index
            // and deferral for the block's shared slow path (emit_shared_slow_path).
            const u32 written = s.deferred;
            const u32 value = s.deferred_clear_af ? written & ~u32{cpu::kAF} : written;
            if (s.group) {
                // Where the group's page is, for jit_slow_insn_group.
                u64 site[2];
                std::memcpy(site, &s.site, sizeof site);
                for (int k = 0; k < 2; ++k) {
                    as.mov(x86::rax, imm(site[k]));
                    as.mov(x86::qword_ptr(kCtx, static_cast<i32>(offsetof(JitContext, group_site) + 8 * k)), x86::rax);
                }
            }
            as.mov(x86::esi, s.index | (written << 8) | (value << 20));
            as.call(s.group ? common_group : common);
            (s.group ? common_group_used : common_used) = true;
            if (s.host_flags) {
                emit_host_flags_from_r10(true); // the fused Jcc after it reads the host flags
            }
            as.jmp(s.resume);
            continue;
        }
        const u32 saved_index = m_index;
        const u64 saved_eip = m_eip;
        m_index = s.index;
        m_eip = s.eip;
        m_deferred = s.deferred; // as the instruction began
        m_deferred_clear_af = s.deferred_clear_af;
        // A control transfer (the block's last instruction: never a fused flag writer, so no
        // host flags to restore). The call leaves all six flags in r10 for the probe.
        emit_interp_call(true);
        m_index = saved_index;
        m_eip = saved_eip;
        as.mov(x86::rax, x86::qword_ptr(kState, kOffRip));
        emit_probe_jump_cache();
    }
    if (common_used) {
        as.bind(common);
        emit_shared_slow_path(false);
    }
    if (common_group_used) {
        as.bind(common_group);
        emit_shared_slow_path(true);
    }
    for (const StaticExit& e : m_exits) {
        as.bind(e.stub); // flags_all_in_r10 ran before the chained jump
        as.mov(x86::eax, static_cast<u32>(e.target));
        as.mov(x86::rsi, imm(reinterpret_cast<u64>(m_block)));
        as.mov(x86::edi, e.slot);
        emit_jmp_to(m_layout.chain_exit);
    }
    as.align(AlignMode::kData, 8);
    for (const StaticExit& e : m_exits) {
        if (e.ret_exit) {
            as.bind(e.jmp); // the code word: compile() points it at the stub
            as.embedUInt64(0);
        } else if (e.cross_page) {
            as.bind(e.expect);
            as.embedUInt64(1);
        }
    }
    as.bind(m_budget_exit);
    as.mov(x86::eax, static_cast<u32>(start_eip));
    emit_jmp_to(m_layout.budget_exit);
    as.bind(m_exit_label);
    emit_jmp_to(m_layout.epilogue);
}

BlockCompiler::Sizes BlockCompiler::compile(Block& b, const Dest& dst, const Block* pred) {
    m_pred_hint = pred;
    static const bool cache_off = [] {
        const char* v = std::getenv("TX86_JIT_REGCACHE");
        return v && std::string_view(v) == "0";
    }();
    m_block = &b;
    mark_native();
    static const bool groups_off = [] {
        const char* v = std::getenv("TX86_JIT_MEMGROUPS");
        return v && std::string_view(v) == "0";
    }();
    m_groups = groups_off || b.no_groups
                   ? MemGroupPlan{}
                   : plan_mem_groups(b.insns.get(), b.ninsns, m_native, (b.key.flags & kKeyDirectRam) != 0);
    // First assuming every group's later accesses go through it (flag liveness counts on
    // them not faulting); a lowering that takes another way for one makes it compile again
    // without that.
    const u64 native_before = m_ctx.stats.insns_native;
    m_members_nonfaulting = !m_groups.groups.empty();
    Sizes sizes = compile_cached_or_not(b, dst, cache_off);
    if (sizes.hot == 0 && m_member_fallback) {
        ++m_ctx.stats.member_fallbacks;
        m_ctx.stats.insns_native = native_before;
        m_members_nonfaulting = false;
        sizes = compile_cached_or_not(b, dst, cache_off);
    }
    return sizes;
}

BlockCompiler::Sizes BlockCompiler::compile_cached_or_not(Block& b, const Dest& dst, bool cache_off) {
    for (x86::Gp& g : m_host_of) {
        g.reset();
    }
    m_use_cache = !cache_off && choose_cached_regs();
    if (m_use_cache) {
        const u64 native_before = m_ctx.stats.insns_native;
        const Sizes sizes = compile_once(b, dst);
        if (sizes.hot != 0 || m_member_fallback) {
            if (sizes.hot != 0) {
                ++m_ctx.stats.blocks_reg_cached;
            }
            return sizes;
        }
        // A lowering needed a cached register in memory: compile it plainly.
        ++m_ctx.stats.reg_cache_fallbacks;
        m_ctx.stats.insns_native = native_before;
        m_use_cache = false;
        for (x86::Gp& g : m_host_of) {
            g.reset();
        }
    }
    return compile_once(b, dst);
}

void BlockCompiler::mark_native() {
    const LoweringTable& lt = lowering_table();
    m_native.assign(m_block->ninsns, false);
    for (u32 i = 0; i < m_block->ninsns; ++i) {
        const Lowering& l = lt.fn[static_cast<usize>(m_block->insns[i].id)];
        m_native[i] = l.can && l.can(m_block->insns[i], m_block->key.flags);
    }
    // STI as a block's last instruction (at a page end): its shadow is in the next block,
    // which a pending interrupt must not precede; the interpreter's STI sets inhibit_irq,
    // which the dispatcher honours.
    if (m_block->ninsns != 0 && m_block->insns[m_block->ninsns - 1].id == cpu::InsnId::STI) {
        m_native[m_block->ninsns - 1] = false;
    }
}

BlockCompiler::Sizes BlockCompiler::compile_once(Block& b, const Dest& dst) {
    CodeHolder code;
    RecordError errors;
    code.init(Environment::host(), reinterpret_cast<u64>(dst.hot));
    code.setErrorHandler(&errors);
    // The cold section's offset from the hot one is where it will be copied: set before any
    // code, so that calls (emit_call) and links between the sections resolve to the final
    // addresses (nothing calls flatten(), which would lay the sections end to end instead).
    Section* cold = nullptr;
    if (code.newSection(&cold, ".cold", SIZE_MAX, SectionFlags::kExecutable, 16) != kErrorOk ||
        dst.cold < dst.hot) {
        return {};
    }
    cold->setOffset(static_cast<u64>(dst.cold - dst.hot));
    m_cold = cold;
    x86::Assembler as(&code);
    m_cache_failed = false;
    m_member_fallback = false;
    m_a = &as;
    m_block = &b;
    m_slow.clear();
    m_exits.clear();
    m_code_page_writes.clear();
    m_group_live = false;
    m_end = BlockEnd::Fallthrough;
    m_host_flags_valid = false;
    m_deferred = cpu::kArithFlags; // the trampoline or the previous block left them in r10
    m_deferred_clear_af = false;
    m_exit_label = as.newLabel();
    m_budget_exit = as.newLabel();
    m_entry_dispatch = as.newLabel();
    m_entry = as.newLabel();
    m_entry_noreload = as.newLabel();
    m_body = as.newLabel();

    // Which instructions are lowered, and which flags each must leave in EFLAGS.
    const LoweringTable& lt = lowering_table();
    std::vector<FlagUse> uses(b.ninsns); // m_native: compile() marked it
    for (u32 i = 0; i < b.ninsns; ++i) {
        uses[i] = flag_use(b.insns[i], m_native[i]);
        // A group's later access cannot fault (its page was checked for the whole span), and
        // but for PUSH of a memory operand (which writes the stack as well) it is the
        // instruction's only access: no flag needs capturing for it.
        if (m_members_nonfaulting && m_groups.role[i] == MemGroupPlan::kMember &&
            (m_groups.stack[i] || b.insns[i].id != cpu::InsnId::PUSH_Ev)) {
            uses[i].may_fault = false;
        }
    }
    m_live_after = flags_live_after(uses);

    emit_prologue();
    const u64 ip_mask = (b.key.flags & kKeyCode32) ? 0xFFFFFFFFu : 0xFFFF;
    u64 eip = b.key.lin_pc - b.key.cs_base;
    for (m_index = 0; m_index < b.ninsns; ++m_index) {
        const cpu::DecodedInsn& in = b.insns[m_index];
        m_eip = eip & ip_mask;
        m_next_eip = (eip + in.length) & ip_mask;
        eip = m_next_eip;
        m_host_flags_valid = false;
        m_insn_deferred = m_deferred;
        m_insn_deferred_clear_af = m_deferred_clear_af;
        // A flag writer directly followed by the block's final Jcc leaves the host flags to it
        // (not one with a slow path: its interpreter call leaves no host flags behind).
        m_fuse_next = m_index + 2 == b.ninsns && b.tail_len == 0 && m_native[m_index] && m_native[m_index + 1] &&
                      uses[m_index].writes == cpu::kArithFlags &&
                      (b.insns[m_index + 1].id == cpu::InsnId::JCC_Jb ||
                       b.insns[m_index + 1].id == cpu::InsnId::JCC_Jz);
        const bool carry_host_flags = m_host_flags_valid;
        (void)carry_host_flags;
        if (m_index + 1 == b.ninsns && b.tail_len != 0) {
            emit_tail_check();
        }
        if (!m_groups.role.empty()) {
            if (m_groups.close_before[m_index]) {
                m_group_live = false;
            }
            if (m_groups.role[m_index] == MemGroupPlan::kFirst) {
                // Live once the first access establishes it (emit_group_start): a lowering
                // that takes another way leaves the later accesses their full checks.
                m_group_live = false;
                m_group_index = m_groups.group[m_index];
            }
        }
        if (m_native[m_index]) {
            m_cur_slow = as.newLabel();
            m_cur_slow_used = false;
            const Lowering& l = lt.fn[static_cast<usize>(in.id)];
            l.emit(*this);
            if (m_host_flags_valid && as.offset() != m_host_flags_end) {
                m_host_flags_valid = false; // code after the capture (string steps) clobbers them
            }
            if (m_cur_slow_used) {
                const bool ends = m_index + 1 == b.ninsns && m_end == BlockEnd::Taken;
                Slow s{m_cur_slow, as.newLabel(), m_index, m_eip, ends, m_insn_deferred,
                       m_insn_deferred_clear_af, m_host_flags_valid};
                if (m_group_live && m_index < m_groups.last_access[m_group_index]) {
                    const MemGroup& g = m_groups.groups[m_group_index];
                    s.group = true;
                    s.site.disp_min = static_cast<i32>(g.disp_min);
                    s.site.esp_after = m_groups.esp_after[m_index];
                    s.site.span = static_cast<u16>(g.span);
                    s.site.seg = g.seg;
                    s.site.base = g.base;
                    s.site.write = g.write;
                }
                if (!ends) {
                    as.bind(s.resume);
                }
                m_slow.push_back(s);
            }
            ++m_ctx.stats.insns_native;
        } else {
            emit_interp_call(false);
            if (in.id == cpu::InsnId::STI && m_index + 1 < b.ninsns) {
                // The next instruction, in STI's interrupt shadow, runs in this block, and
                // blocks take interrupts only on entry: the shadow is kept without the flag,
                // which the dispatcher would otherwise honour by interpreting one instruction.
                as.mov(x86::byte_ptr(kState, static_cast<i32>(offsetof(CpuState, inhibit_irq))), 0);
            }
            if (m_index + 1 == b.ninsns) {
                // The handler set rip; a block ends after an instruction only when it changes
                // control flow or mode, or at a page end / the length limit.
                const u32 attrs = in.info().attrs;
                m_end = (attrs & (cpu::kEndsBlock | cpu::kSerializing)) || ends_block_mode(in)
                            ? (continues_in_mode(in) ? BlockEnd::ModeCheck : BlockEnd::Dispatcher)
                            : BlockEnd::Fallthrough;
            }
        }
        // Carry a fused writer's host flags into the next instruction.
        if (m_fuse_next && m_host_flags_valid) {
            ++m_index;
            const cpu::DecodedInsn& jin = b.insns[m_index];
            m_eip = eip & ip_mask;
            m_next_eip = (eip + jin.length) & ip_mask;
            eip = m_next_eip;
            m_cur_slow = as.newLabel();
            m_cur_slow_used = false;
            lt.fn[static_cast<usize>(jin.id)].emit(*this);
            m_host_flags_valid = false;
            ++m_ctx.stats.insns_native;
        }
    }
    m_index = b.ninsns - 1;
    emit_end();
    as.section(m_cold);
    emit_slow_paths();

    if (errors.failed || m_cache_failed || m_member_fallback) {
        return {};
    }
    if (code.resolveUnresolvedLinks() != kErrorOk || code.relocateToBase(reinterpret_cast<u64>(dst.hot)) != kErrorOk) {
        return {};
    }
    Section* hot = code.textSection();
    const Sizes sizes{hot->bufferSize(), cold->bufferSize()};
    if (sizes.hot > dst.hot_cap || sizes.cold > dst.cold_cap) {
        return {};
    }
    std::memcpy(dst.hot, hot->data(), sizes.hot);
    std::memcpy(dst.cold, cold->data(), sizes.cold);
    const auto at = [&](const Label& l) { return dst.hot + code.labelOffsetFromBase(l); };
    b.code = dst.hot;
    b.code_size = static_cast<u32>(sizes.hot);
    b.cold = dst.cold;
    b.cold_size = static_cast<u32>(sizes.cold);
    b.entry = at(m_entry);
    b.entry_dispatch = at(m_entry_dispatch);
    b.entry_noreload = at(m_entry_noreload);
    for (unsigned r = 0; r < 8; ++r) {
        b.cached_in[r] = -1;
        for (unsigned k = 0; k < kCachedRegs; ++k) {
            if (m_host_of[r].isValid() && m_host_of[r] == kCacheRegs[k]) {
                b.cached_in[r] = static_cast<i8>(k);
            }
        }
    }
    for (const StaticExit& e : m_exits) {
        ChainSlot& s = b.slots[e.slot];
        s.jmp = e.ret_exit ? nullptr : at(e.jmp);
        s.stub = at(e.stub);
        s.target = nullptr;
        s.expect = e.cross_page ? reinterpret_cast<uptr*>(at(e.expect)) : nullptr;
        s.code_word = e.ret_exit ? reinterpret_cast<u8**>(at(e.jmp)) : nullptr;
        if (s.code_word) {
            *s.code_word = s.stub;
        }
    }
    return sizes;
}

bool continues_in_mode(const cpu::DecodedInsn& in) {
    // The kernel's entry and exit paths reload segments and flags with values that leave the
    // block key as it was; other mode changers (control registers, I/O that may remap memory,
    // HLT, far transfers between rings) keep the dispatcher.
    using cpu::InsnId;
    switch (in.id) {
    case InsnId::MOV_SwEw: case InsnId::POP_DS: case InsnId::POP_ES: case InsnId::POP_FS:
    case InsnId::POP_GS: case InsnId::POPF: case InsnId::STI: case InsnId::IRET:
        return true;
    default:
        return false;
    }
}

bool ends_block_mode(const cpu::DecodedInsn& in) {
    using cpu::InsnId;
    // Instructions that load a segment register change the block's key (segment classes);
    // PUSH Sreg and MOV r/m, Sreg only read one.
    const bool reads_sreg = in.id == InsnId::MOV_EvSw || in.id == InsnId::PUSH_ES || in.id == InsnId::PUSH_CS ||
                            in.id == InsnId::PUSH_SS || in.id == InsnId::PUSH_DS || in.id == InsnId::PUSH_FS ||
                            in.id == InsnId::PUSH_GS;
    for (unsigned i = 0; i < in.nops; ++i) {
        if (in.op[i].kind == cpu::OperandKind::Seg && i == 0 && !reads_sreg) {
            return true;
        }
    }
    switch (in.id) {
    case InsnId::LDS_GzMp: case InsnId::LES_GzMp: case InsnId::LFS_GzMp: case InsnId::LGS_GzMp:
    case InsnId::LSS_GzMp: case InsnId::POP_ES: case InsnId::POP_SS: case InsnId::POP_DS:
    case InsnId::POP_FS: case InsnId::POP_GS: case InsnId::CLTS:
        return true;
    case InsnId::IN_ALDX: case InsnId::IN_eAXDX: case InsnId::OUT_DXAL: case InsnId::OUT_DXeAX:
    case InsnId::IN_ALIb: case InsnId::IN_eAXIb: case InsnId::OUT_IbAL: case InsnId::OUT_IbeAX:
    case InsnId::INSB: case InsnId::INS: case InsnId::OUTSB: case InsnId::OUTS:
        // Port I/O does not end a block: its interpreter call leaves the block only when the
        // device access changed something the block depends on (jit_exec_insn).
        return false;
    default:
        break;
    }
    const u32 attrs = in.info().attrs;
    return (attrs & (cpu::kEndsBlock | cpu::kSerializing | cpu::kPriv0 | cpu::kIoPriv)) != 0;
}

} // namespace translator
