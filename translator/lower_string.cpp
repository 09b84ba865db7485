// SPDX-License-Identifier: MIT
// Lowerings of the string instructions the Linux workloads run most (ranked by -d jit):
//  - MOVS, STOS, LODS, SCAS without REP: one element through the inline TLB path, either
//    direction (DF read at run time);
//  - REP MOVS and REP STOS forward (DF = 0) when the whole instruction stays inside one page on
//    each side: one TLB check per side, then the host's own REP MOVS / REP STOS on host memory.
// Both need 32-bit addressing through fast segments (the key says which). Everything else takes
// the interpreter's handler out of line, before anything changed: a TLB miss or page crossing,
// MMIO, watchpoints, code (single writes: seg_host's chunk test; REP writes: any page holding
// translated code), DF = 1 or a count beyond the first page for REP. So faults are precise and
// writes onto translated code still reach Cpu::access_slow, which invalidates blocks.
//
// The interpreter (cpu/interp/string.cpp) retires a REP instruction after at most 4096
// elements, restarting it for the rest. A REP done inline moves at most one page, so it always
// completes in that one step: instruction counts, lockstep and interrupt latency (the block
// ends after a REP instruction, translate() in jit_engine.cpp) are as with the interpreter.
#include "translator/lower_common.h"

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;
using lower::sized;

namespace {

constexpr i32 kOffEflags = offsetof(cpu::CpuState, eflags);
constexpr unsigned kDfBit = 10;
static_assert(cpu::kDF == 1u << kDfBit);

bool is_rep(const DecodedInsn& in) { return (in.prefixes & (cpu::kPfxRep | cpu::kPfxRepne)) != 0; }
unsigned elem_size(const DecodedInsn& in) { return (in.opcode & 1) ? in.opsize : 1; }
bool fast_seg(u32 flags, unsigned seg) { return seg < 6 && key_seg_class(flags, seg) != kSegSlow; }

/// The common conditions: 32-bit addressing, 1/2/4-byte elements, fast DS-side (source, with
/// its override) and ES-side segments where the instruction uses them.
template <bool Src, bool Dst> bool can_common(const DecodedInsn& in, u32 flags) {
    return in.addrsize == 4 && elem_size(in) <= 4 && (!Src || fast_seg(flags, in.mem.seg)) &&
           (!Dst || fast_seg(flags, cpu::kEs));
}

/// MOVS and STOS: with or without REP (REPNE repeats them as REP does).
template <bool Src> bool can_rep_ok(const DecodedInsn& in, u32 flags) { return can_common<Src, true>(in, flags); }
/// LODS and SCAS: without REP only (REP LODS is rare; REPE/REPNE SCAS already runs memchr
/// page by page in the interpreter).
template <bool Src, bool Dst> bool can_single(const DecodedInsn& in, u32 flags) {
    return !is_rep(in) && can_common<Src, Dst>(in, flags);
}

/// ecx = the index step: +size with DF = 0, -size with DF = 1. Clobbers the host flags.
void emit_step(BlockCompiler& bc, unsigned size) {
    x86::Assembler& a = bc.a();
    a.bt(bc.eflags_system_bits(), kDfBit);
    a.sbb(x86::ecx, x86::ecx); // 0 or -1
    a.and_(x86::ecx, -2 * static_cast<i32>(size));
    a.add(x86::ecx, static_cast<i32>(size));
}

x86::Mem host_elem(unsigned size) { return x86::ptr(x86::rdx, 0, size); }

/// The source element at DS:ESI (or its override) into eax (sized).
void load_src(BlockCompiler& bc, unsigned size) {
    x86::Assembler& a = bc.a();
    a.emit(x86::Inst::kIdMov, x86::ecx, bc.gpr(cpu::kRsi, 4));
    bc.seg_host(bc.insn().mem.seg, mmu::Access::Read, size, false);
    a.mov(sized(x86::eax, size), host_elem(size));
}

/// Host address of the destination element at ES:EDI into rdx (rax is kept).
void dst_host(BlockCompiler& bc, mmu::Access acc, unsigned size) {
    bc.a().emit(x86::Inst::kIdMov, x86::ecx, bc.gpr(cpu::kRdi, 4));
    bc.seg_host(cpu::kEs, acc, size, false);
}

// ---- one element ----

void emit_movs1(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned size = elem_size(bc.insn());
    load_src(bc, size);
    dst_host(bc, mmu::Access::Write, size);
    a.mov(host_elem(size), sized(x86::eax, size));
    emit_step(bc, size);
    a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRsi, 4), x86::ecx);
    a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRdi, 4), x86::ecx);
}

void emit_stos1(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned size = elem_size(bc.insn());
    dst_host(bc, mmu::Access::Write, size);
    a.emit(x86::Inst::kIdMov, sized(x86::eax, size), bc.gpr(cpu::kRax, size));
    a.mov(host_elem(size), sized(x86::eax, size));
    emit_step(bc, size);
    a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRdi, 4), x86::ecx);
}

void emit_lods(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned size = elem_size(bc.insn());
    load_src(bc, size);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, size), sized(x86::eax, size));
    emit_step(bc, size);
    a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRsi, 4), x86::ecx);
}

/// SCAS: the flags of rAX - ES:[EDI] (the host's CMP gives the interpreter's SUB flags).
void emit_scas(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned size = elem_size(bc.insn());
    dst_host(bc, mmu::Access::Read, size);
    a.emit(x86::Inst::kIdMov, sized(x86::esi, size), bc.gpr(cpu::kRax, size));
    a.cmp(sized(x86::esi, size), host_elem(size));
    bc.flags_written(cpu::kArithFlags);
    emit_step(bc, size);
    a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRdi, 4), x86::ecx);
}

// ---- REP MOVS / REP STOS within one page ----

/// With the byte count of the run in r9d: host address of the run at segment `seg`:offset
/// `index` into `host`, or the slow path unless the run stays inside that page.
void run_host(BlockCompiler& bc, unsigned seg, unsigned index, mmu::Access acc, const x86::Gp& host) {
    x86::Assembler& a = bc.a();
    a.emit(x86::Inst::kIdMov, x86::ecx, bc.gpr(index, 4));
    bc.seg_host_page(seg, acc);
    a.mov(x86::r8d, x86::ecx);
    a.and_(x86::r8d, 0xFFF);
    a.add(x86::r8d, x86::r9d);
    a.cmp(x86::r8d, 0x1000);
    a.ja(bc.slow_label());
    a.mov(host, x86::rdx);
}

template <bool Movs> void emit_rep(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const unsigned size = elem_size(bc.insn());
    const unsigned shift = size == 4 ? 2 : size == 2 ? 1 : 0;
    Label done = a.newLabel();
    a.emit(x86::Inst::kIdMov, x86::eax, bc.gpr(cpu::kRcx, 4));
    a.test(x86::eax, x86::eax);
    a.jz(done); // ECX = 0: nothing at all, in either direction
    a.bt(bc.eflags_system_bits(), kDfBit);
    a.jc(bc.slow_label());
    // At most one page: checked on the count first so that the byte count cannot overflow.
    a.cmp(x86::eax, static_cast<i32>(0x1000 >> shift));
    a.ja(bc.slow_label());
    a.mov(x86::r9d, x86::eax);
    a.shl(x86::r9d, shift);
    // Both sides are checked before anything changes, so their order does not matter.
    if (Movs) {
        run_host(bc, bc.insn().mem.seg, cpu::kRsi, mmu::Access::Read, x86::rsi);
    }
    run_host(bc, cpu::kEs, cpu::kRdi, mmu::Access::Write, x86::rdi);
    a.mov(x86::ecx, x86::eax); // zero-extends: the host count is rcx
    const x86::Mem dst = x86::ptr(x86::rdi, 0, size);
    if (Movs) {
        // The host's REP MOVS is defined element by element as the guest's, overlapping
        // (replicating) copies included.
        a.rep().movs(dst, x86::ptr(x86::rsi, 0, size));
        a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRsi, 4), x86::r9d);
    } else {
        a.emit(x86::Inst::kIdMov, sized(x86::eax, size), bc.gpr(cpu::kRax, size));
        a.rep().stos(dst, sized(x86::eax, size));
    }
    a.emit(x86::Inst::kIdAdd, bc.gpr(cpu::kRdi, 4), x86::r9d);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRcx, 4), 0);
    a.bind(done);
}

void emit_movs(BlockCompiler& bc) {
    if (is_rep(bc.insn())) {
        emit_rep<true>(bc);
    } else {
        emit_movs1(bc);
    }
}

void emit_stos(BlockCompiler& bc) {
    if (is_rep(bc.insn())) {
        emit_rep<false>(bc);
    } else {
        emit_stos1(bc);
    }
}

} // namespace

void install_lower_string(LoweringTable& t) {
    auto set = [&](InsnId id, auto can, auto emit) { t.fn[static_cast<usize>(id)] = Lowering{can, emit}; };
    set(InsnId::MOVSB, can_rep_ok<true>, emit_movs);
    set(InsnId::MOVS, can_rep_ok<true>, emit_movs);
    set(InsnId::STOSB, can_rep_ok<false>, emit_stos);
    set(InsnId::STOS, can_rep_ok<false>, emit_stos);
    set(InsnId::LODSB, can_single<true, false>, emit_lods);
    set(InsnId::LODS, can_single<true, false>, emit_lods);
    set(InsnId::SCASB, can_single<false, true>, emit_scas);
    set(InsnId::SCAS, can_single<false, true>, emit_scas);
}

} // namespace translator
