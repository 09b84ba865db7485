// SPDX-License-Identifier: MIT
// Placeholder: tasks lands with the system family.
#include "cpu/system.h"
