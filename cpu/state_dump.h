// SPDX-License-Identifier: MIT
// The `-d cpu` register dump, in the same fields and order as QEMU's i386 `-d cpu` output so
// that the two logs can be diffed line by line when hunting the first divergence.
#pragma once

#include <cstdio>

namespace cpu {

class Cpu;

/// Writes the register dump of `cpu` to `out`.
void dump_state_qemu_style(Cpu& cpu, std::FILE* out);

} // namespace cpu
