// SPDX-License-Identifier: MIT
// Expands cpu/decoder/opcodes.inc into the InsnInfo array.
#include "cpu/decoder/insn.h"
#include "cpu/state.h"

namespace cpu {
namespace {

#include "cpu/decoder/table_macros.h"

constexpr InsnInfo kTable[] = {
#define INSN(id, mnem, map, opc, ext, pfx, o1, o2, o3, attrs, undef)                              \
    InsnInfo{#id, mnem, map, opc, ext, pfx, {o1, o2, o3}, static_cast<u32>(attrs),                 \
             static_cast<u32>(undef)},
#include "cpu/decoder/opcodes.inc"
#undef INSN
};

static_assert(sizeof(kTable) / sizeof(kTable[0]) == kInsnCount);

} // namespace

const InsnInfo& insn_info(InsnId id) { return kTable[static_cast<usize>(id)]; }

} // namespace cpu
