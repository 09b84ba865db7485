// SPDX-License-Identifier: MIT
// Placeholder: msr lands with the system family.
#include "cpu/system.h"
