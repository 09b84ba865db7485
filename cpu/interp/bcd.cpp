// SPDX-License-Identifier: MIT
// Interpreter handlers: bcd family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_bcd(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
