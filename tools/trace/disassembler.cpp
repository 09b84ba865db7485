// SPDX-License-Identifier: MIT
// Disassembler: Capstone handles for the three code sizes.
#include "tools/trace/disassembler.h"

#include <capstone/capstone.h>

namespace tools {

struct Disassembler::Impl {
    csh h16 = 0;
    csh h32 = 0;
    csh h64 = 0;
    cs_insn* insn = nullptr;
};

Disassembler::Disassembler() : m_impl(std::make_unique<Impl>()) {
    cs_open(CS_ARCH_X86, CS_MODE_16, &m_impl->h16);
    cs_open(CS_ARCH_X86, CS_MODE_32, &m_impl->h32);
    cs_open(CS_ARCH_X86, CS_MODE_64, &m_impl->h64);
    m_impl->insn = cs_malloc(m_impl->h32);
}

Disassembler::~Disassembler() {
    cs_free(m_impl->insn, 1);
    cs_close(&m_impl->h16);
    cs_close(&m_impl->h32);
    cs_close(&m_impl->h64);
}

std::string Disassembler::text(const u8* bytes, usize length, u8 code_bits, u64 address,
                               unsigned* decoded) {
    const csh h = code_bits == 16 ? m_impl->h16 : code_bits == 64 ? m_impl->h64 : m_impl->h32;
    const u8* code = bytes;
    size_t size = length;
    uint64_t addr = address;
    if (decoded) {
        *decoded = 1;
    }
    if (h == 0 || length == 0 || !cs_disasm_iter(h, &code, &size, &addr, m_impl->insn)) {
        return "(bad)";
    }
    if (decoded) {
        *decoded = m_impl->insn->size;
    }
    std::string out = m_impl->insn->mnemonic;
    if (m_impl->insn->op_str[0] != '\0') {
        out += ' ';
        out += m_impl->insn->op_str;
    }
    return out;
}

} // namespace tools
