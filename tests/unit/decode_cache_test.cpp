// SPDX-License-Identifier: MIT
// Tests of the interpreter's decoded-instruction cache: precise invalidation inside a page,
// self-modifying code through the run loop, writes through a TLB entry made before the page held
// code, and instructions that cross a page boundary. Not here: decoder correctness
// (decoder_test.cpp).
#include "cpu/decoder/decoder.h"
#include "cpu/interp/decode_cache.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

namespace {

cpu::DecodedInsn decode32(std::vector<u8> bytes) {
    cpu::DecodedInsn d;
    bytes.resize(15, 0x90);
    REQUIRE(cpu::decode(bytes.data(), bytes.size(), cpu::CodeMode::Bits32, d) ==
            cpu::DecodeError::None);
    return d;
}

} // namespace

TEST_CASE("decode cache drops only the entries a write overlaps", "[interp]") {
    mmu::PhysMap phys;
    phys.add_ram(0, 1u << 20, "ram");
    cpu::interp::DecodeCache cache(phys);
    const auto mov = decode32({0xB8, 1, 2, 3, 4}); // mov eax, imm32: 5 bytes
    const auto inc = decode32({0x40});             // inc eax: 1 byte
    bool fresh = false;
    CHECK(cache.insert(0x1000, cpu::CodeMode::Bits32, mov, fresh)->length == 5);
    CHECK(fresh); // first entry: the page becomes a code page
    CHECK(cache.insert(0x1005, cpu::CodeMode::Bits32, inc, fresh)->length == 1);
    CHECK_FALSE(fresh);
    CHECK(phys.code_count(0x1FFF) == 2);
    CHECK(cache.lookup(0x1000, cpu::CodeMode::Bits16) == nullptr); // keyed by mode too

    cache.invalidate(0x1006, 4); // after both instructions
    CHECK(cache.lookup(0x1000, cpu::CodeMode::Bits32) != nullptr);
    CHECK(cache.lookup(0x1005, cpu::CodeMode::Bits32) != nullptr);

    cache.invalidate(0x1004, 1); // last byte of the MOV only
    CHECK(cache.lookup(0x1000, cpu::CodeMode::Bits32) == nullptr);
    CHECK(cache.lookup(0x1005, cpu::CodeMode::Bits32) != nullptr);
    CHECK(phys.code_count(0x1000) == 1);

    cache.invalidate(0x0FF0, 0x20); // a write spanning the INC
    CHECK(cache.lookup(0x1005, cpu::CodeMode::Bits32) == nullptr);
    CHECK(phys.code_count(0x1000) == 0);

    cache.insert(0x1000, cpu::CodeMode::Bits32, mov, fresh);
    CHECK(fresh);
    cache.clear();
    CHECK(cache.lookup(0x1000, cpu::CodeMode::Bits32) == nullptr);
    CHECK(phys.code_count(0x1000) == 0);
}

TEST_CASE("self-modifying code: a loop patches its next instruction", "[interp]") {
    tests::CpuHarness h;
    h.flat32_at(0x1000);
    // 1000: mov ecx, 5
    // 1005: mov [0x100C], cl      ; patches the immediate of the next instruction
    // 100B: mov eax, 0            ; executes with the value just written
    // 1010: add ebx, eax
    // 1012: dec ecx
    // 1013: jnz 1005
    h.poke(0x1000, {0xB9, 0x05, 0x00, 0x00, 0x00,
                    0x88, 0x0D, 0x0C, 0x10, 0x00, 0x00,
                    0xB8, 0x00, 0x00, 0x00, 0x00,
                    0x01, 0xC3,
                    0x49,
                    0x75, 0xF0});
    h.cpu->s.gpr[cpu::kRbx] = 0;
    REQUIRE(h.cpu->run(1 + 5 * 5) == cpu::RunExit::Budget);
    CHECK(h.cpu->s.rip == 0x1015);
    // 5 + 4 + 3 + 2 + 1: every iteration ran the freshly patched MOV (stale code would give 25).
    CHECK(h.cpu->s.gpr[cpu::kRbx] == 15);
}

TEST_CASE("self-modifying code: the patched instruction changes length and kind", "[interp]") {
    tests::CpuHarness h;
    h.flat32_at(0x2000);
    // 2000: mov ecx, 3
    // 2005: inc edx               ; patched below into "inc ebx" on later passes
    // 2006: mov byte [0x2005], 0x43
    // 200D: dec ecx
    // 200E: jnz 2005
    h.poke(0x2000, {0xB9, 0x03, 0x00, 0x00, 0x00,
                    0x42,
                    0xC6, 0x05, 0x05, 0x20, 0x00, 0x00, 0x43,
                    0x49,
                    0x75, 0xF5});
    h.cpu->s.gpr[cpu::kRdx] = 0; // reset leaves the CPU signature in EDX
    h.cpu->s.gpr[cpu::kRbx] = 0;
    REQUIRE(h.cpu->run(1 + 3 * 4) == cpu::RunExit::Budget);
    CHECK(h.cpu->s.rip == 0x2010);
    CHECK(h.cpu->s.gpr[cpu::kRdx] == 1);
    CHECK(h.cpu->s.gpr[cpu::kRbx] == 2);
}

TEST_CASE("instructions crossing a page boundary run uncached and correctly", "[interp]") {
    tests::CpuHarness h;
    h.flat32_at(0x2FFC);
    // A loop whose body has an instruction spanning 0x2FFF/0x3000:
    // 2FFC: dec ecx                      (1 byte)
    // 2FFD: add eax, 0x11111111           (5 bytes: 2FFD..3001, crosses the page)
    // 3002: test ecx, ecx
    // 3004: jnz 2FFC
    h.poke(0x2FFC, {0x49, 0x05, 0x11, 0x11, 0x11, 0x11, 0x85, 0xC9, 0x75, 0xF6});
    h.cpu->s.gpr[cpu::kRcx] = 3;
    REQUIRE(h.cpu->run(3 * 4) == cpu::RunExit::Budget);
    CHECK(h.cpu->s.rip == 0x3006);
    CHECK(h.cpu->s.gpr[cpu::kRax] == 0x33333333);
    // Patch the crossing instruction's last byte (on the second page) and run it again.
    h.cpu->s.rip = 0x2FFC;
    h.cpu->s.gpr[cpu::kRcx] = 1;
    REQUIRE(h.cpu->write_lin<u8>(0x3001, 0x22) == cpu::Status::Ok);
    REQUIRE(h.cpu->run(4) == cpu::RunExit::Budget);
    CHECK(h.cpu->s.gpr[cpu::kRax] == 0x33333333u + 0x22111111u);
}
