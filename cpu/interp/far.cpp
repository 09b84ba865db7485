// SPDX-License-Identifier: MIT
// Interpreter handlers: far family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_far(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
