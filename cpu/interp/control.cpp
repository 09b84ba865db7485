// SPDX-License-Identifier: MIT
// Interpreter handlers: control family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_control(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
