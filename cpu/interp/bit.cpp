// SPDX-License-Identifier: MIT
// Interpreter handlers: bit family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_bit(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
