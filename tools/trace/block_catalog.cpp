// SPDX-License-Identifier: MIT
// Instruction boundaries of a block (with tx86's decoder) and the expansion of a span into
// single instructions.
#include "tools/trace/block_catalog.h"

#include "cpu/decoder/decoder.h"

#include <algorithm>

namespace tools {
namespace {

cpu::CodeMode code_mode(u8 bits) {
    return bits == 16   ? cpu::CodeMode::Bits16
           : bits == 64 ? cpu::CodeMode::Bits64
                        : cpu::CodeMode::Bits32;
}

} // namespace

void layout_block(const cpu::BlockDef& def, const u8* bytes, BlockView& out) {
    out.def = def;
    out.bytes = bytes;
    out.offsets.assign(usize{def.ninsns} + 1, 0);
    const cpu::CodeMode mode = code_mode(def.code_bits);
    u32 at = 0;
    for (u32 i = 0; i < def.ninsns; ++i) {
        out.offsets[i] = static_cast<u16>(at);
        cpu::DecodedInsn insn;
        if (at < def.nbytes &&
            cpu::decode(bytes + at, def.nbytes - at, mode, insn) == cpu::DecodeError::None) {
            at += insn.length;
        } else if (i + 1 == def.ninsns) {
            // The last instruction may end beyond the bytes the block kept (it crossed into the
            // next page): it owns whatever is left.
            at = def.nbytes;
        }
    }
    out.offsets[def.ninsns] = static_cast<u16>(std::min<u32>(at, def.nbytes));
}

bool OwnedCatalog::define(u32 id, const cpu::BlockDef& def, const u8* bytes) {
    if (id >= cpu::kTraceTagFirst) {
        return false;
    }
    if (id >= m_views.size()) {
        m_views.resize(usize{id} + 1);
        m_bytes.resize(usize{id} + 1);
    }
    if (!m_views[id]) {
        ++m_count;
    }
    m_bytes[id] = std::make_unique<std::vector<u8>>(bytes, bytes + def.nbytes);
    m_views[id] = std::make_unique<BlockView>();
    layout_block(def, m_bytes[id]->data(), *m_views[id]);
    return true;
}

TracedInsn traced_insn(const BlockView& view, const ExecSpan& span, u32 index) {
    TracedInsn t;
    const u32 off = view.offsets[index];
    t.icount = span.icount + (index - span.first);
    t.lin = view.def.lin_pc + off;
    t.phys = view.def.phys_pc + off;
    const u64 offset_in_cs = t.lin - view.def.cs_base;
    t.eip = view.def.code_bits == 16   ? offset_in_cs & 0xFFFF
            : view.def.code_bits == 32 ? offset_in_cs & 0xFFFFFFFF
                                       : offset_in_cs;
    t.cr3 = span.cr3;
    t.bytes = view.bytes + off;
    t.length = static_cast<u8>(view.length(index));
    t.code_bits = view.def.code_bits;
    t.cpl = view.def.cpl;
    t.cs = view.def.cs_selector;
    t.block = span.block;
    t.index = index;
    return t;
}

} // namespace tools
