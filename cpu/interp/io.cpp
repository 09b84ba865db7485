// SPDX-License-Identifier: MIT
// Interpreter handlers: io family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_io(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
