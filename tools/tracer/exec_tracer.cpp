// SPDX-License-Identifier: MIT
#include "tools/tracer/exec_tracer.h"

#include "base/log.h"
#include "cpu/cpu.h"
#include "cpu/decoder/insn.h"

#include <capstone/capstone.h>

namespace tools {

struct ExecTracer::Impl {
    csh handle16 = 0;
    csh handle32 = 0;
    csh handle64 = 0;
    cs_insn* insn = nullptr;
};

ExecTracer::ExecTracer(bool exec, bool interrupts)
    : m_impl(std::make_unique<Impl>()), m_exec(exec), m_int(interrupts) {
    cs_open(CS_ARCH_X86, CS_MODE_16, &m_impl->handle16);
    cs_open(CS_ARCH_X86, CS_MODE_32, &m_impl->handle32);
    cs_open(CS_ARCH_X86, CS_MODE_64, &m_impl->handle64);
    m_impl->insn = cs_malloc(m_impl->handle32);
}

ExecTracer::~ExecTracer() {
    cs_free(m_impl->insn, 1);
    cs_close(&m_impl->handle16);
    cs_close(&m_impl->handle32);
    cs_close(&m_impl->handle64);
}

void ExecTracer::on_insn(const cpu::Cpu& cpu, u64 lin, const cpu::DecodedInsn& insn) {
    if (!m_exec) {
        return;
    }
    const csh h = insn.mode == cpu::CodeMode::Bits16   ? m_impl->handle16
                  : insn.mode == cpu::CodeMode::Bits32 ? m_impl->handle32
                                                       : m_impl->handle64;
    const u8* code = insn.bytes;
    size_t size = insn.length;
    uint64_t addr = cpu.s.rip;
    char bytes[64];
    int pos = 0;
    for (unsigned i = 0; i < insn.length; ++i) {
        pos += std::snprintf(bytes + pos, sizeof(bytes) - static_cast<size_t>(pos), "%02x", insn.bytes[i]);
    }
    if (cs_disasm_iter(h, &code, &size, &addr, m_impl->insn)) {
        base::log_printf("%04x:%08llx lin=%08llx cpl=%u %-30s %s %s\n", cpu.s.seg[cpu::kCs].selector,
                         static_cast<unsigned long long>(cpu.s.rip),
                         static_cast<unsigned long long>(lin), cpu.s.cpl, bytes,
                         m_impl->insn->mnemonic, m_impl->insn->op_str);
    } else {
        base::log_printf("%04x:%08llx lin=%08llx cpl=%u %-30s (%s)\n", cpu.s.seg[cpu::kCs].selector,
                         static_cast<unsigned long long>(cpu.s.rip),
                         static_cast<unsigned long long>(lin), cpu.s.cpl, bytes,
                         insn.info().mnemonic);
    }
}

void ExecTracer::on_interrupt(const cpu::Cpu& cpu, u8 vector, cpu::IntSource src, bool has_error,
                              u32 error, u8 old_cpl) {
    if (!m_int) {
        return;
    }
    static const char* const kSrc[] = {"exception", "external", "nmi", "software", "soft-exception",
                                       "icebp"};
    if (has_error) {
        base::log_printf("int: vector=0x%02x (%s) error=0x%04x cpl %u -> %u, handler %04x:%08llx\n",
                         vector, kSrc[static_cast<unsigned>(src)], error, old_cpl, cpu.s.cpl,
                         cpu.s.seg[cpu::kCs].selector, static_cast<unsigned long long>(cpu.s.rip));
    } else {
        base::log_printf("int: vector=0x%02x (%s) cpl %u -> %u, handler %04x:%08llx\n", vector,
                         kSrc[static_cast<unsigned>(src)], old_cpl, cpu.s.cpl,
                         cpu.s.seg[cpu::kCs].selector, static_cast<unsigned long long>(cpu.s.rip));
    }
}

} // namespace tools
