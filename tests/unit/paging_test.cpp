// SPDX-License-Identifier: MIT
// Placeholder: tests land with their feature.
#include <catch2/catch.hpp>
