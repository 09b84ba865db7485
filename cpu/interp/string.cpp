// SPDX-License-Identifier: MIT
// Interpreter handlers: string family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_string(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
