// SPDX-License-Identifier: MIT
// ExecTracer: the -d exec / -d int log. Disassembles each executed instruction with Capstone
// (the only place besides tests that includes it) and logs delivered interrupts with the CPL
// before and after.
#pragma once

#include "cpu/trace.h"

#include <memory>

namespace tools {

class ExecTracer final : public cpu::TraceSink {
public:
    ExecTracer(bool exec, bool interrupts);
    ~ExecTracer() override;
    void on_insn(const cpu::Cpu& cpu, u64 lin, const cpu::DecodedInsn& insn) override;
    void on_interrupt(const cpu::Cpu& cpu, u8 vector, cpu::IntSource src, bool has_error,
                      u32 error, u8 old_cpl) override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    bool m_exec;
    bool m_int;
};

} // namespace tools
