// SPDX-License-Identifier: MIT
// Lowerings of the frequent simple system and miscellany rows: CLI, CLD/STD, CLC/STC/CMC,
// SAHF, PUSHF and PUSH r/m at ring 0, RDTSC (a direct clock call), and the instructions that do nothing observable here (fences,
// hint NOPs). The IOPL/VME cases of CLI and PUSHF stay with the interpreter.
#include "translator/lower_common.h"
#include "translator/helpers.h"

namespace translator {

using namespace asmjit;
using cpu::DecodedInsn;
using cpu::InsnId;
using cpu::OperandKind;
using lower::flat_stack;

namespace {

constexpr i32 kOffEflags = offsetof(cpu::CpuState, eflags);

bool ring0(u32 flags) { return !(flags & kKeyVM) && (!(flags & kKeyPE) || key_cpl(flags) == 0); }

bool can_cli(const DecodedInsn&, u32 flags) { return ring0(flags); }
void emit_cli(BlockCompiler& bc) { bc.a().and_(bc.eflags_system_bits(), static_cast<i32>(~u32{cpu::kIF})); }

/// STI at ring 0 (IOPL never stops it there). The block runs the instruction in STI's shadow
/// itself and ends after it (JitEngine::translate; BlockCompiler keeps STI as a block's last
/// instruction for the interpreter), and blocks take interrupts only on entry: so a pending
/// interrupt that IF now unmasks only needs the next entry to leave for the dispatcher, what
/// Cpu::kick_translated_code does. (The kernel runs STI about 370 times per fork+exec; as an
/// interpreter call each cost a register spill and reload.)
bool can_sti(const DecodedInsn&, u32 flags) { return ring0(flags); }

void emit_sti(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    Label done = a.newLabel();
    a.test(bc.eflags_system_bits(), static_cast<i32>(cpu::kIF));
    a.jnz(done); // already set: no shadow, nothing unmasked
    a.or_(bc.eflags_system_bits(), static_cast<i32>(cpu::kIF));
    a.cmp(x86::byte_ptr(x86::rbx, bc.layout().intr_line), 0);
    a.je(done);
    a.mov(x86::qword_ptr(x86::rbx, bc.layout().icount_limit), 0);
    a.bind(done);
}

/// PUSH ES/CS/SS/DS/FS/GS with a 32-bit operand: the selector zero-extended, as the
/// interpreter's push_seg (the kernel's entry code pushes three per interrupt and system call).
bool can_push_seg(const DecodedInsn& in, u32 flags) { return flat_stack(flags) && in.opsize == 4; }

void emit_push_seg(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const i32 off = static_cast<i32>(offsetof(cpu::CpuState, seg) + bc.insn().op[0].reg * sizeof(cpu::Segment) +
                                     offsetof(cpu::Segment, selector));
    a.movzx(x86::esi, bc.state(off, 2));
    lower::emit_push_esi(bc);
}

bool can_always(const DecodedInsn&, u32) { return true; }
void emit_nothing(BlockCompiler&) {}
void emit_cld(BlockCompiler& bc) { bc.a().and_(bc.eflags_system_bits(), static_cast<i32>(~u32{cpu::kDF})); }
void emit_std(BlockCompiler& bc) { bc.a().or_(bc.eflags_system_bits(), static_cast<i32>(cpu::kDF)); }
void emit_clc(BlockCompiler& bc) { bc.emit_cf_op(x86::Inst::kIdAnd); }
void emit_stc(BlockCompiler& bc) { bc.emit_cf_op(x86::Inst::kIdOr); }
void emit_cmc(BlockCompiler& bc) { bc.emit_cf_op(x86::Inst::kIdXor); }

bool can_pushf(const DecodedInsn& in, u32 flags) { return ring0(flags) && flat_stack(flags) && in.opsize == 4; }

void emit_pushf(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    a.mov(x86::esi, bc.state(kOffEflags, 4));
    a.and_(x86::esi, static_cast<i32>(~u32{cpu::kVM | cpu::kRF}));
    lower::emit_push_esi(bc);
}

bool can_push_ev(const DecodedInsn& in, u32 flags) {
    if (!flat_stack(flags) || in.opsize != 4) {
        return false;
    }
    return (in.op[0].kind == OperandKind::Reg || in.op[0].kind == OperandKind::Mem) && lower::mem_ok(in, flags);
}

void emit_push_ev(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    const DecodedInsn& in = bc.insn();
    if (in.op[0].kind == OperandKind::Mem) {
        bc.mem_host(mmu::Access::Read, 4); // the address uses ESP before the push
        a.mov(x86::esi, x86::dword_ptr(x86::rdx));
    } else {
        a.emit(x86::Inst::kIdMov, x86::esi, bc.gpr_op(0));
    }
    lower::emit_push_esi(bc);
}

/// RDTSC through a direct helper call (the kernel's clock reads it millions of times): an
/// interpreter call costs a register spill, a decode-table dispatch and often the block.
void emit_rdtsc(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    bc.call_helper(reinterpret_cast<const void*>(&jit_rdtsc), 0);
    a.test(x86::edx, x86::edx);
    a.jz(bc.slow_label());
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRax, 4), x86::eax);
    a.shr(x86::rax, 32);
    a.emit(x86::Inst::kIdMov, bc.gpr(cpu::kRdx, 4), x86::eax);
}

/// SAHF: SF ZF AF PF CF from AH (OF and the rest kept), as the interpreter's set_flags.
void emit_sahf(BlockCompiler& bc) {
    x86::Assembler& a = bc.a();
    a.emit(x86::Inst::kIdMovzx, x86::eax, bc.gpr(4, 1, true)); // AH: register 4, high byte
    bc.flags_store(x86::eax, cpu::kSF | cpu::kZF | cpu::kAF | cpu::kPF | cpu::kCF);
}

} // namespace

void install_lower_system(LoweringTable& t) {
    auto set = [&](InsnId id, auto can, auto emit) {
        t.fn[static_cast<usize>(id)] = Lowering{can, emit};
    };
    set(InsnId::CLI, can_cli, emit_cli);
    set(InsnId::STI, can_sti, emit_sti);
    for (InsnId id : {InsnId::PUSH_ES, InsnId::PUSH_CS, InsnId::PUSH_SS, InsnId::PUSH_DS, InsnId::PUSH_FS,
                      InsnId::PUSH_GS}) {
        set(id, can_push_seg, emit_push_seg);
    }
    set(InsnId::CLD, can_always, emit_cld);
    set(InsnId::STD, can_always, emit_std);
    set(InsnId::CLC, can_always, emit_clc);
    set(InsnId::STC, can_always, emit_stc);
    set(InsnId::CMC, can_always, emit_cmc);
    set(InsnId::PUSHF, can_pushf, emit_pushf);
    set(InsnId::PUSH_Ev, can_push_ev, emit_push_ev);
    set(InsnId::SAHF, can_always, emit_sahf);
    set(InsnId::RDTSC, can_always, emit_rdtsc);
    for (InsnId id : {InsnId::LFENCE, InsnId::MFENCE, InsnId::SFENCE, InsnId::NOP_Ev, InsnId::NOP_Ev_0F18_4,
                      InsnId::NOP_Ev_0F18_5, InsnId::NOP_Ev_0F18_6, InsnId::NOP_Ev_0F18_7, InsnId::NOP_Ev_0F19,
                      InsnId::NOP_Ev_0F1A, InsnId::NOP_Ev_0F1B, InsnId::NOP_Ev_0F1C, InsnId::NOP_Ev_0F1D,
                      InsnId::NOP_Ev_0F1E}) {
        set(id, can_always, emit_nothing);
    }
}

} // namespace translator
