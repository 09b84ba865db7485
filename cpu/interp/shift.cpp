// SPDX-License-Identifier: MIT
// Interpreter handlers: shift family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_shift(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
