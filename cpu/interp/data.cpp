// SPDX-License-Identifier: MIT
// Interpreter handlers: data family (placeholder until the family lands).
#include "cpu/interp/handlers.h"

namespace cpu::interp {

void install_data(HandlerTable& t) { (void)t; }

} // namespace cpu::interp
