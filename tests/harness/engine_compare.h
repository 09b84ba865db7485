// SPDX-License-Identifier: MIT
// Checks shared by the tests that run one program on the interpreter and on the translator
// and compare the end states (jit_lowering_test, jit_string_test).
#pragma once

#include "cpu/flags.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

namespace tests {

/// General registers, rIP, EFLAGS (the interpreter's lazy flags flushed first), CR2 and the
/// instruction count must be equal.
inline void require_same_cpu(CpuHarness& a, CpuHarness& b) {
    cpu::flush_flags(a.cpu->s);
    cpu::flush_flags(b.cpu->s);
    const cpu::CpuState& x = a.cpu->s;
    const cpu::CpuState& y = b.cpu->s;
    for (unsigned r = 0; r < 8; ++r) {
        INFO("gpr " << r);
        CHECK(x.gpr[r] == y.gpr[r]);
    }
    CHECK(x.rip == y.rip);
    CHECK(x.eflags == y.eflags);
    CHECK(x.cr2 == y.cr2);
    CHECK(a.cpu->icount == b.cpu->icount);
}

/// Guest physical memory [lo, hi) must be equal; fails at the first byte that differs.
inline void require_same_memory(const CpuHarness& a, const CpuHarness& b, u32 lo, u32 hi) {
    for (u32 pa = lo; pa < hi; ++pa) {
        if (a.peek(pa) != b.peek(pa)) {
            FAIL("memory differs at " << std::hex << pa);
        }
    }
}

} // namespace tests
