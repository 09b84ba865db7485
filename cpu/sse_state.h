// SPDX-License-Identifier: MIT
// MMX/SSE/SSE2 architectural state. MMX registers alias the x87 significands (cpu/fpu_state.h).
#pragma once

#include "base/types.h"

namespace cpu {

struct SseState {
    U128 xmm[16];
    u32 mxcsr = 0x1F80;
};

} // namespace cpu
