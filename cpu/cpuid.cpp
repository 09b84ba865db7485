// SPDX-License-Identifier: MIT
// Placeholder: cpuid lands with the system family.
#include "cpu/system.h"
