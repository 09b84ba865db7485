// SPDX-License-Identifier: MIT
// StackFrame: pushes and pops on a stack that need not be the current one (the new stack of a
// privilege change, or the current stack without committing ESP), with the segment-limit checks
// of SS and #SS error codes the caller chooses. Used by interrupt delivery, far calls and
// returns, and task switches, which must not change ESP until every check has passed.
// Not here: the plain PUSH/POP path (Cpu::push/pop).
#pragma once

#include "cpu/cpu.h"

namespace cpu {

class StackFrame {
public:
    /// `ss` describes the stack, `sp` its current top, `size` the stack address size (2 or 4),
    /// `fault_code` the #SS error code on a limit violation, `priv` the page-level privilege.
    StackFrame(Cpu& cpu, const Segment& ss, u64 top, unsigned size, u32 fault_code, Priv priv)
        : m_cpu(cpu), m_ss(ss), m_mask(size == 2 ? 0xFFFF : 0xFFFFFFFFu), m_code(fault_code),
          m_priv(priv), sp(top & m_mask) {}

    /// A frame on the current stack, reached with the current privilege.
    static StackFrame current(Cpu& cpu) {
        return StackFrame(cpu, cpu.s.seg[kSs], cpu.s.gpr[kRsp], cpu.stack_size(), 0,
                          Priv::Current);
    }

    Status push(u64 value, unsigned size) {
        const u64 nsp = (sp - size) & m_mask;
        u64 lin;
        TRY(check(nsp, size, lin));
        if (size == 2) {
            TRY(m_cpu.write_lin<u16>(lin, static_cast<u16>(value), m_priv));
        } else if (size == 4) {
            TRY(m_cpu.write_lin<u32>(lin, static_cast<u32>(value), m_priv));
        } else {
            TRY(m_cpu.write_lin<u64>(lin, value, m_priv));
        }
        sp = nsp;
        return Status::Ok;
    }

    /// Reads `size` bytes at sp + delta (no pop).
    Status read(u64 delta, unsigned size, u64& value) {
        const u64 a = (sp + delta) & m_mask;
        u64 lin;
        TRY(check(a, size, lin));
        if (size == 2) {
            u16 v;
            TRY(m_cpu.read_lin<u16>(lin, v, m_priv));
            value = v;
        } else if (size == 4) {
            u32 v;
            TRY(m_cpu.read_lin<u32>(lin, v, m_priv));
            value = v;
        } else {
            TRY(m_cpu.read_lin<u64>(lin, value, m_priv));
        }
        return Status::Ok;
    }

    Status pop(unsigned size, u64& value) {
        TRY(read(0, size, value));
        sp = (sp + size) & m_mask;
        return Status::Ok;
    }

    void skip(u64 bytes) { sp = (sp + bytes) & m_mask; }

    /// Writes the new top into RSP, keeping the bits above the stack size (SDM: a 16-bit stack
    /// changes only SP).
    void commit_rsp() { m_cpu.s.gpr[kRsp] = (m_cpu.s.gpr[kRsp] & ~m_mask) | sp; }
    /// Replaces RSP entirely (after a stack switch).
    void commit_rsp_full() { m_cpu.s.gpr[kRsp] = sp; }

private:
    Status check(u64 off, unsigned size, u64& lin) {
        const u16 a = m_ss.attr;
        const bool enforce = m_cpu.protected_mode() && !m_cpu.v86_mode();
        if (enforce && (a & 0x4) && !(a & 0x8)) {
            const u64 top = (a & kAttrDB) ? 0xFFFFFFFFu : 0xFFFFu;
            if (off <= m_ss.limit || off + size - 1 > top) {
                return m_cpu.raise(kVecSS, m_code);
            }
        } else if (off + size - 1 > m_ss.limit) {
            return m_cpu.raise(kVecSS, m_code);
        }
        lin = (m_ss.base + off) & 0xFFFFFFFFu;
        return Status::Ok;
    }

    Cpu& m_cpu;
    Segment m_ss;
    u64 m_mask;
    u32 m_code;
    Priv m_priv;

public:
    u64 sp;
};

} // namespace cpu
