// SPDX-License-Identifier: MIT
// First checks of the fetch/decode/execute loop and lazy flags.
#include "cpu/flags.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

TEST_CASE("add sets result and flags in real mode", "[interp]") {
    tests::CpuHarness h;
    h.real_mode_at(0x1000, 0x0100);
    // add ax, 0x7fff ; add al, bl
    h.poke(0x10100, {0x05, 0xFF, 0x7F, 0x00, 0xD8});
    h.cpu->s.gpr[cpu::kRax] = 1;
    h.cpu->s.gpr[cpu::kRbx] = 0x80;
    REQUIRE(h.step() == cpu::Status::Ok);
    CHECK(h.cpu->s.gpr[cpu::kRax] == 0x8000);
    u32 f = cpu::read_eflags(h.cpu->s);
    CHECK((f & cpu::kOF) != 0);
    CHECK((f & cpu::kSF) != 0);
    CHECK((f & cpu::kCF) == 0);
    CHECK((f & cpu::kAF) != 0);
    CHECK(h.cpu->s.rip == 0x103);
    REQUIRE(h.step() == cpu::Status::Ok);
    CHECK((h.cpu->s.gpr[cpu::kRax] & 0xFF) == 0x80);
    f = cpu::read_eflags(h.cpu->s);
    CHECK((f & cpu::kSF) != 0);
    CHECK((f & cpu::kZF) == 0);
}

TEST_CASE("undefined opcode delivers #UD through the real-mode IVT", "[interp]") {
    tests::CpuHarness h;
    h.real_mode_at(0x1000, 0x0000);
    h.poke(0x10000, {0x0F, 0xFF}); // UD0 has no row
    // IVT entry 6 -> 2000:0010
    h.poke(6 * 4, {0x10, 0x00, 0x00, 0x20});
    h.cpu->s.gpr[cpu::kRsp] = 0x1000;
    REQUIRE(h.step() == cpu::Status::Ok);
    CHECK(h.cpu->s.seg[cpu::kCs].selector == 0x2000);
    CHECK(h.cpu->s.rip == 0x10);
    CHECK(h.cpu->s.gpr[cpu::kRsp] == 0x1000 - 6);
    CHECK(h.peek(0x1000 - 6) == 0x00); // pushed IP of the faulting instruction
}
