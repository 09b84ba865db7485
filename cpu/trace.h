// SPDX-License-Identifier: MIT
// TraceSink: hooks through which tracers watch the CPU (null by default, so untraced runs pay
// one pointer test). The Capstone tracer (tools/tracer) and the ring-transition log implement it.
#pragma once

#include "base/types.h"

namespace cpu {

class Cpu;
struct DecodedInsn;

enum class IntSource : u8 {
    Exception, ///< fault or trap raised by the CPU
    External,  ///< INTR from the interrupt controller
    Nmi,
    Software,  ///< INT n: gate DPL checked against CPL
    SoftwareException, ///< INT3 / INTO: like Software, but reported as exceptions
    Icebp,     ///< INT1 (F1): no DPL check
};

class TraceSink {
public:
    virtual ~TraceSink() = default;
    /// Before an instruction executes (lin = linear address of its first byte).
    virtual void on_insn(const Cpu& cpu, u64 lin, const DecodedInsn& insn) = 0;
    /// After an interrupt or exception was delivered (old CPL, new CPL).
    virtual void on_interrupt(const Cpu& cpu, u8 vector, IntSource src, bool has_error,
                              u32 error, u8 old_cpl) = 0;
};

} // namespace cpu
