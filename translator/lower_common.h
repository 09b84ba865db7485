// SPDX-License-Identifier: MIT
// Small pieces the lower_*.cpp files share: host registers by operand size, the test that a
// memory operand can be addressed inline, the flat-stack test, the stack slot's TLB check and
// the inline PUSH of esi.
#pragma once

#include "translator/block_compiler.h"
#include "translator/block_key.h"

namespace translator::lower {

/// The host register `r` at an operand size of 1, 2 or 4 bytes.
inline asmjit::x86::Gp sized(const asmjit::x86::Gp& r, unsigned size) {
    switch (size) {
    case 1: return r.r8();
    case 2: return r.r16();
    default: return r.r32();
    }
}

/// True when the instruction has no memory operand, or one that generated code can address
/// inline: 32-bit addressing, not RIP-relative, through a segment the key marks fast.
inline bool mem_ok(const cpu::DecodedInsn& in, u32 flags) {
    if (!in.has_mem()) {
        return true;
    }
    return in.addrsize == 4 && !in.mem.rip_relative && in.mem.seg < 6 &&
           key_seg_class(flags, in.mem.seg) != kSegSlow;
}

/// A 32-bit stack through a fast SS.
inline bool flat_stack(u32 flags) {
    return (flags & kKeyStack32) && key_seg_class(flags, cpu::kSs) != kSegSlow;
}

/// Pushes esi (4 bytes): the SS:ESP-4 TLB check first, then the store and the ESP update.
/// Clobbers rcx, rdx, r8.
inline void emit_push_esi(BlockCompiler& bc) {
    asmjit::x86::Assembler& a = bc.a();
    bc.stack_host(-4, mmu::Access::Write);
    a.mov(asmjit::x86::dword_ptr(asmjit::x86::rdx), asmjit::x86::esi);
    a.emit(asmjit::x86::Inst::kIdSub, bc.gpr(cpu::kRsp, 4), 4);
}

} // namespace translator::lower
