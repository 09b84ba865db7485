// SPDX-License-Identifier: MIT
// Interpreter handlers: fpu family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_fpu(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
