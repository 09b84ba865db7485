// SPDX-License-Identifier: MIT
// TextPrinter: the human-readable end of the chain. One line per instruction (CS:EIP, linear
// and physical address, CPL, bytes, Capstone's disassembly) and one per event (interrupts as
// -d int prints them, CR3 loads, port writes, gaps). Used by -d exec (on the recorder's
// consumer thread, into the -D log), tx86-trace print and the flight-recorder dump. An
// instruction's text is made once per block and kept, so hot loops print at memcpy speed.
#pragma once

#include "tools/trace/block_catalog.h"
#include "tools/trace/disassembler.h"
#include "tools/trace/stream.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace tools {

class TextPrinter final : public StreamSink {
  public:
    struct Style {
        bool icount_column = false; ///< start each line with the instruction count
        bool instructions = true;   ///< instruction lines
        bool interrupts = true;     ///< interrupt lines (as -d int)
        bool other_events = true;   ///< CR3 loads and port writes (gaps are always printed)
        /// -trace-regs: "; eax=... eflags=..." after an instruction, what it changed
        bool registers = true;
    };

    TextPrinter(BlockCatalog& catalog, std::FILE* out, Style style);
    ~TextPrinter() override;
    void exec(const ExecSpan& span) override;
    void event(const TraceEvent& ev) override;
    /// Writes what is buffered and flushes the FILE.
    void finish() override;

    /// The line for one instruction, without the icount column or newline.
    std::string insn_line(const TracedInsn& insn);
    /// The line for one event, without the icount column or newline.
    std::string event_line(const TraceEvent& ev);

  private:
    const std::string& insn_text(const BlockView& view, u32 block, u32 index);
    void append_insn(std::string& buf, const BlockView& view, const TracedInsn& insn);
    void write_buffer();

    BlockCatalog& m_catalog;
    std::FILE* m_out;
    Style m_style;
    Disassembler m_disasm;
    /// By block id: "bytes  disassembly" of each instruction, made on first use.
    std::vector<std::unique_ptr<std::vector<std::string>>> m_text;
    std::string m_buf;
    /// The instruction count of the instruction line m_buf ends with (kNoLine: something
    /// else), so that the registers it changed join its line.
    static constexpr u64 kNoLine = ~u64{0};
    u64 m_line_icount = kNoLine;
    bool m_line_has_regs = false;
    void register_write(const TraceEvent& ev);
};

/// The name -trace-regs prints for a cpu::TraceReg ("eax", "eflags", "cs", "cr3", ...).
const char* trace_reg_name(u8 reg);
/// " name=value" as -trace-regs prints it (selectors in 4 hex digits, the rest in 8).
std::string trace_reg_text(u8 reg, u32 value);

/// The name -d int uses for an interrupt source (cpu::IntSource's order).
const char* interrupt_source_name(u8 source);

} // namespace tools
