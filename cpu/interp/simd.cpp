// SPDX-License-Identifier: MIT
// Interpreter handlers: simd family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_simd(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
