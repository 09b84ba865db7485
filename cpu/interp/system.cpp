// SPDX-License-Identifier: MIT
// Interpreter handlers: system family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_system(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
