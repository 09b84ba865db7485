// SPDX-License-Identifier: MIT
// Placeholder: SingleStepTests vector runner.
#include <catch2/catch.hpp>
