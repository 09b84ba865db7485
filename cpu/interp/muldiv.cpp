// SPDX-License-Identifier: MIT
// Interpreter handlers: muldiv family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_muldiv(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
