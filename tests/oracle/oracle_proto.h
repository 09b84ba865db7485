// SPDX-License-Identifier: MIT
// The wire format between the oracle test (C++, tests/oracle/oracle_test.cpp) and the native
// runner (C, tests/oracle/native_runner.c): one fixed-size case record in, one fixed-size result
// record out, over a pipe. Plain C so both sides include the same definitions.
//
// The memory window (data page + stack page) lives at the same linear address in the runner's
// address space and in tx86's physical RAM. Its initial contents are not sent: both sides fill
// it from `window_seed` with oracle_fill_window() and then apply the case's patch bytes, and the
// result carries only the bytes that changed.
#ifndef TX86_ORACLE_PROTO_H
#define TX86_ORACLE_PROTO_H

#include <stdint.h>

#define ORACLE_WINDOW_BASE 0x00A00000u
#define ORACLE_WINDOW_SIZE 0x2000u /* 4 KiB data page, then a 4 KiB stack page */
#define ORACLE_STACK_PAGE (ORACLE_WINDOW_BASE + 0x1000u)
#define ORACLE_MAGIC_HELLO 0x4F524830u
#define ORACLE_MAGIC_CASE 0x4F524331u
#define ORACLE_MAGIC_RESULT 0x4F525231u
#define ORACLE_MAX_CODE 24
#define ORACLE_MAX_PATCH 32
#define ORACLE_MAX_DIFFS 512

/* oracle_case.flags */
#define ORACLE_FLAG_FX 1u /* load fx[] with FXRSTOR before and FXSAVE after the instruction */

/* Register order in gpr[]: the x86 encoding order. */
enum { ORACLE_EAX, ORACLE_ECX, ORACLE_EDX, ORACLE_EBX, ORACLE_ESP, ORACLE_EBP, ORACLE_ESI, ORACLE_EDI };

struct oracle_hello {
    uint32_t magic;
    uint16_t sel[6]; /* ES CS SS DS FS GS as the native code sees them */
    uint16_t pad;
};

struct oracle_case {
    uint32_t magic;
    uint32_t flags;
    uint32_t window_seed;
    uint32_t code_len;
    uint8_t code[ORACLE_MAX_CODE]; /* the encoding the runner executes natively */
    uint16_t patch_off;            /* window offset of patch[] */
    uint16_t patch_len;
    uint8_t patch[ORACLE_MAX_PATCH];
    uint32_t gpr[8];
    uint32_t eflags; /* arithmetic flags and DF; the runner forces IF=1, TF=AC=0 */
    uint32_t pad;
    uint8_t fx[512] __attribute__((aligned(16)));
};

struct oracle_result {
    uint32_t magic;
    uint32_t signo;  /* 0: the instruction retired */
    uint32_t trapno; /* hardware vector of the fault (kernel's trap number) */
    uint32_t err;
    uint32_t gpr[8];
    uint32_t eflags;
    uint32_t ndiff; /* > ORACLE_MAX_DIFFS: too many changed bytes, only the first are listed */
    uint16_t diff_off[ORACLE_MAX_DIFFS];
    uint8_t diff_val[ORACLE_MAX_DIFFS];
    uint8_t fx[512] __attribute__((aligned(16)));
};

/* xorshift32: the window contents. Biased so that a quarter of the dwords are edge values
 * (0, all-ones, sign boundaries), which matter for the arithmetic under test. */
static inline uint32_t oracle_xorshift32(uint32_t* s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static inline void oracle_fill_window(uint8_t* w, uint32_t seed) {
    static const uint32_t edges[8] = {0u, 0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu,
                                      1u, 0x00008000u, 0x00007FFFu, 0x00000080u};
    uint32_t s = seed ? seed : 0x9E3779B9u;
    for (uint32_t i = 0; i < ORACLE_WINDOW_SIZE; i += 4) {
        const uint32_t r = oracle_xorshift32(&s);
        const uint32_t v = (r & 3u) == 0 ? edges[(r >> 2) & 7u] : oracle_xorshift32(&s);
        w[i] = (uint8_t)v;
        w[i + 1] = (uint8_t)(v >> 8);
        w[i + 2] = (uint8_t)(v >> 16);
        w[i + 3] = (uint8_t)(v >> 24);
    }
}

#endif
