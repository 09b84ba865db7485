// SPDX-License-Identifier: MIT
#include "tools/tracer/exec_tracer.h"

#include "base/log.h"
#include "cpu/cpu.h"
#include "cpu/decoder/insn.h"
#include "tools/trace/disassembler.h"
#include "tools/trace/text_printer.h"

#include <string>

namespace tools {

ExecTracer::ExecTracer(bool exec, bool interrupts)
    : m_disasm(std::make_unique<Disassembler>()), m_exec(exec), m_int(interrupts) {}

ExecTracer::~ExecTracer() = default;

void ExecTracer::on_insn(const cpu::Cpu& cpu, u64 lin, const cpu::DecodedInsn& insn) {
    if (!m_exec) {
        return;
    }
    const u8 bits = insn.mode == cpu::CodeMode::Bits16   ? 16
                    : insn.mode == cpu::CodeMode::Bits32 ? 32
                                                         : 64;
    char bytes[64];
    int pos = 0;
    for (unsigned i = 0; i < insn.length; ++i) {
        pos += std::snprintf(bytes + pos, sizeof(bytes) - static_cast<size_t>(pos), "%02x",
                             insn.bytes[i]);
    }
    const std::string text = m_disasm->text(insn.bytes, insn.length, bits, cpu.s.rip);
    base::log_printf("%04x:%08llx lin=%08llx cpl=%u %-30s %s\n", cpu.s.seg[cpu::kCs].selector,
                     static_cast<unsigned long long>(cpu.s.rip),
                     static_cast<unsigned long long>(lin), cpu.s.cpl, bytes,
                     text == "(bad)" ? insn.info().mnemonic : text.c_str());
}

void ExecTracer::on_interrupt(const cpu::Cpu& cpu, u8 vector, cpu::IntSource src, bool has_error,
                              u32 error, u8 old_cpl) {
    if (!m_int) {
        return;
    }
    const char* source = interrupt_source_name(static_cast<u8>(src));
    if (has_error) {
        base::log_printf("int: vector=0x%02x (%s) error=0x%04x cpl %u -> %u, handler %04x:%08llx\n",
                         vector, source, error, old_cpl, cpu.s.cpl, cpu.s.seg[cpu::kCs].selector,
                         static_cast<unsigned long long>(cpu.s.rip));
    } else {
        base::log_printf("int: vector=0x%02x (%s) cpl %u -> %u, handler %04x:%08llx\n", vector,
                         source, old_cpl, cpu.s.cpl, cpu.s.seg[cpu::kCs].selector,
                         static_cast<unsigned long long>(cpu.s.rip));
    }
}

} // namespace tools
