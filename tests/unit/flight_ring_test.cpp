// SPDX-License-Identifier: MIT
// FlightRing, the flight recorder alone: translated code and the interpreter both wrap its
// cursor in place (many times over in a run), and its dump prints the last instructions
// executed, oldest first, across the wrap.
#include "tests/harness/cpu_harness.h"
#include "tools/trace/flight_ring.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

namespace {

// 0x1000: mov ecx, 4000 / loop: inc eax / dec ecx / jnz loop / hlt
// (2 + 4000 * 3 instructions; the translator makes one block of the loop, chained to itself)
const std::vector<u8> kCountdown = {0xB9, 0xA0, 0x0F, 0, 0, 0x40, 0x49, 0x75, 0xFC, 0xF4};
constexpr u64 kInsns = 1 + 4000 * 3;

std::string dump(tools::FlightRing& ring, u64 n) {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    ring.dump_recent(f, n);
    std::rewind(f);
    std::string s;
    char buf[4096];
    for (usize got; (got = std::fread(buf, 1, sizeof buf, f)) > 0;) {
        s.append(buf, got);
    }
    std::fclose(f);
    return s;
}

} // namespace

TEST_CASE("flight ring: both engines wrap it in place and the dump spans the wrap", "[trace]") {
    for (bool jit : {false, true}) {
        INFO("engine " << (jit ? "jit" : "interp"));
        tests::CpuHarness h;
        h.cpu->set_engine(jit ? static_cast<cpu::ExecutionEngine*>(&h.jit) : &h.interp);
        h.poke(0x1000, kCountdown);
        h.flat32_at(0x1000);
        tools::FlightRing ring(64);
        REQUIRE(ring.capacity() == 1024); // fewer records than the run writes: it wraps
        ring.attach(*h.cpu);
        const cpu::TraceRecord* const begin = ring.limit - ring.capacity();
        REQUIRE(h.cpu->run(1'000'000) == cpu::RunExit::Halted);
        REQUIRE(h.cpu->icount == kInsns + 1);
        // The cursor stayed inside the ring (without the wrap, translated code writes past
        // its end: 4000 records at least).
        CHECK(ring.cursor >= begin);
        CHECK(ring.cursor < ring.limit);

        const std::string text = dump(ring, 6);
        INFO(text);
        CHECK(text.find("flight recorder: the last 6 instructions executed") == 0);
        CHECK(text.find("icount 11996..12001") != std::string::npos);
        // The end of the loop's last two passes, in order, then the hlt that ended the run.
        const usize pass = text.find(" 11998 0008:00001005 ");
        REQUIRE(pass != std::string::npos);
        CHECK(text.find("dec ecx") < pass);
        CHECK(text.find("inc eax", pass) < text.find(" 11999 0008:00001006 ", pass));
        CHECK(text.find(" 12001 0008:00001009 ") != std::string::npos);
        CHECK(text.find("hlt") != std::string::npos);

        // All it holds: one record per instruction interpreted, per block translated, so the
        // ring reaches back 1,023 instructions, or the hlt and 1,022 passes of three.
        const std::string all = dump(ring, 1'000'000);
        const std::string expect = jit ? "(of 3067 in the ring)" : "(of 1023 in the ring)";
        CHECK(all.find(expect) != std::string::npos);
    }
}
