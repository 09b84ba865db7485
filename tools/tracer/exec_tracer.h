// SPDX-License-Identifier: MIT
// ExecTracer: the logs printed synchronously from the CPU's hooks (cpu::TraceSink), for the
// cases the recorder (tools/trace) does not serve: -d int without -d exec, and -d exec beside
// -d cpu (the interpreter prints each register dump before its instruction, and the exec line
// must sit next to it). Lines match the recorder's -d exec and -d int lines, without the
// physical address the hook does not know.
#pragma once

#include "cpu/trace.h"

#include <memory>

namespace tools {

class Disassembler;

class ExecTracer final : public cpu::TraceSink {
  public:
    ExecTracer(bool exec, bool interrupts);
    ~ExecTracer() override;
    void on_insn(const cpu::Cpu& cpu, u64 lin, const cpu::DecodedInsn& insn) override;
    void on_interrupt(const cpu::Cpu& cpu, u8 vector, cpu::IntSource src, bool has_error, u32 error,
                      u8 old_cpl) override;

  private:
    std::unique_ptr<Disassembler> m_disasm;
    bool m_exec;
    bool m_int;
};

} // namespace tools
