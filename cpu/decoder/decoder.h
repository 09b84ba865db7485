// SPDX-License-Identifier: MIT
// The pure x86 decoder: bytes and a code mode in, a DecodedInsn or a DecodeError out.
// It reads no CPU state and no memory beyond the bytes it is given.
#pragma once

#include "cpu/decoder/insn.h"

namespace cpu {

/// Decodes one instruction from `bytes` (at most `avail` bytes are read). On success fills
/// `out` and returns DecodeError::None. DecodeError::Truncated means more bytes are needed
/// (the instruction may be up to 15 bytes long).
DecodeError decode(const u8* bytes, usize avail, CodeMode mode, DecodedInsn& out);

/// Operand size in bytes of a size code given the instruction's operand size.
unsigned resolve_size(OpSize size, unsigned opsize, CodeMode mode);

} // namespace cpu
