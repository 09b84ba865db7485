// SPDX-License-Identifier: MIT
// CHECK / UNREACHABLE: for emulator bugs only. Anything a guest can cause is a value, never these.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TX86_CHECK(cond, msg)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "tx86: internal error at %s:%d: %s (%s)\n", __FILE__, __LINE__,   \
                         msg, #cond);                                                              \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

#define TX86_UNREACHABLE(msg)                                                                      \
    do {                                                                                           \
        std::fprintf(stderr, "tx86: internal error at %s:%d: unreachable: %s\n", __FILE__,         \
                     __LINE__, msg);                                                               \
        std::abort();                                                                              \
    } while (0)
