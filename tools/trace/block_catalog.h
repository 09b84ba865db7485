// SPDX-License-Identifier: MIT
// BlockCatalog: how a consumer looks up the block a span names, with the instruction
// boundaries inside it (found once per block with tx86's own decoder, the one the engines
// used), and how a span becomes single instructions (TracedInsn: icount, CS:EIP, linear and
// physical address, bytes, mode, CPL, CR3). The live recorder and the trace-file reader each
// provide a catalog; everything downstream is shared. Not here: disassembly (disassembler.h).
#pragma once

#include "base/types.h"
#include "cpu/trace_record.h"
#include "tools/trace/stream.h"

#include <memory>
#include <vector>

namespace tools {

/// A block definition with its instruction boundaries.
struct BlockView {
    cpu::BlockDef def;
    const u8* bytes = nullptr; ///< def.nbytes bytes, owned by the catalog's source
    /// def.ninsns + 1 offsets into `bytes`: instruction i is [offsets[i], offsets[i+1]). An
    /// instruction the decoder could not split (never expected) has length 0.
    std::vector<u16> offsets;

    u64 lin(u32 index) const { return def.lin_pc + offsets[index]; }
    u32 length(u32 index) const { return offsets[index + 1] - offsets[index]; }
};

/// Builds a view: splits `bytes` into def.ninsns instructions.
void layout_block(const cpu::BlockDef& def, const u8* bytes, BlockView& out);

class BlockCatalog {
  public:
    virtual ~BlockCatalog() = default;
    /// The block with this id, or nullptr if the stream never defined it (a corrupt stream).
    virtual const BlockView* find(u32 id) = 0;
};

/// A catalog that owns its views (the trace-file reader's, and unit tests').
class OwnedCatalog final : public BlockCatalog {
  public:
    /// Defines (or redefines) block `id`; false for ids a record could not use.
    bool define(u32 id, const cpu::BlockDef& def, const u8* bytes);
    const BlockView* find(u32 id) override {
        return id < m_views.size() ? m_views[id].get() : nullptr;
    }
    usize size() const { return m_count; }

  private:
    std::vector<std::unique_ptr<BlockView>> m_views;
    std::vector<std::unique_ptr<std::vector<u8>>> m_bytes;
    usize m_count = 0;
};

/// One executed instruction.
struct TracedInsn {
    u64 icount = 0;
    u64 lin = 0;  ///< linear address of its first byte
    u64 phys = 0; ///< physical address of its first byte
    u64 eip = 0;  ///< offset in CS (16 bits in 16-bit code)
    u64 cr3 = 0;
    const u8* bytes = nullptr;
    u8 length = 0;
    u8 code_bits = 32; ///< 16, 32 or 64
    u8 cpl = 0;
    u16 cs = 0;
    u32 block = 0;
    u32 index = 0; ///< in the block
};

/// The instruction `index` of `view` as part of `span` (span.first <= index < first+count).
TracedInsn traced_insn(const BlockView& view, const ExecSpan& span, u32 index);

} // namespace tools
