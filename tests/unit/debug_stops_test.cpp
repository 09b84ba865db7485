// SPDX-License-Identifier: MIT
// Breakpoints, watchpoints and the execution record on both engines: the CPU-side contract the
// gdb stub and the tracers build on (cpu/cpu.h "debugging", cpu/trace_record.h).
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

#include <map>

namespace {

using cpu::RunExit;

// 0x1000: mov eax,0 / loop: inc eax / mov [0x3000],eax / cmp eax,10 / jne loop / hlt
const std::vector<u8> kLoop = {0xB8, 0, 0, 0, 0, 0x40, 0xA3, 0x00, 0x30, 0, 0,
                               0x83, 0xF8, 0x0A, 0x75, 0xF5, 0xF4};
constexpr u64 kLoopTop = 0x1005;
constexpr u64 kCmp = 0x100B;

struct Engines {
    tests::CpuHarness h;
    explicit Engines(bool jit) {
        h.cpu->set_engine(jit ? static_cast<cpu::ExecutionEngine*>(&h.jit) : &h.interp);
        h.poke(0x1000, kLoop);
        h.flat32_at(0x1000);
    }
    cpu::Cpu& c() { return *h.cpu; }
    u32 eax() { return static_cast<u32>(c().s.gpr[cpu::kRax]); }
};

/// Collects records in a vector-backed ring of 64 entries (and room for 32 more that translated
/// code may write past it: TraceRecorder::unchecked), counting ring_full calls.
class VectorRecorder final : public cpu::TraceRecorder {
public:
    VectorRecorder() {
        unchecked = 32;
        reset_ring();
    }
    u32 define_block(const cpu::BlockDef& def, const u8*) override {
        defs.push_back(def);
        return static_cast<u32>(defs.size() - 1);
    }
    bool block_needed(u32) override { return true; }
    void ring_full() override {
        records.insert(records.end(), ring, cursor);
        ++fulls;
        reset_ring();
    }
    void drain() {
        records.insert(records.end(), ring, cursor);
        reset_ring();
    }
    std::vector<cpu::BlockDef> defs;
    std::vector<cpu::TraceRecord> records;
    unsigned fulls = 0;

protected:
    bool event_needed(u32, u32, u8) override { return true; }

private:
    void reset_ring() {
        cursor = ring;
        limit = ring + 64;
    }
    cpu::TraceRecord ring[64 + 32] = {};
};

} // namespace

TEST_CASE("debug: a breakpoint stops before the instruction, on both engines", "[debug]") {
    for (bool jit : {false, true}) {
        INFO("engine " << (jit ? "jit" : "interp"));
        Engines e(jit);
        e.c().set_breakpoints({kCmp});
        REQUIRE(e.c().run(10000) == RunExit::Debug);
        CHECK(e.c().s.rip == kCmp);
        CHECK(e.eax() == 1);
        CHECK(e.c().debug_hit.kind == cpu::DebugHit::Breakpoint);
        CHECK(e.c().debug_hit.addr == kCmp);
        // Continue past it: the loop comes back to it once per iteration.
        for (u32 i = 2; i <= 4; ++i) {
            e.c().debug_hit = {};
            e.c().skip_breakpoint_at = e.c().s.rip;
            REQUIRE(e.c().run(10000) == RunExit::Debug);
            CHECK(e.c().s.rip == kCmp);
            CHECK(e.eax() == i);
        }
        e.c().debug_hit = {};
        e.c().set_breakpoints({});
        e.c().skip_breakpoint_at = e.c().s.rip;
        CHECK(e.c().run(10000) == RunExit::Halted);
        CHECK(e.eax() == 10);
    }
}

TEST_CASE("debug: a breakpoint at a loop head that is a block start", "[debug]") {
    for (bool jit : {false, true}) {
        INFO("engine " << (jit ? "jit" : "interp"));
        Engines e(jit);
        REQUIRE(e.c().run(3) == RunExit::Budget); // warm: blocks translated and chained
        e.c().set_breakpoints({kLoopTop});
        for (u32 i = 1; i <= 3; ++i) {
            e.c().debug_hit = {};
            e.c().skip_breakpoint_at = e.c().s.rip;
            REQUIRE(e.c().run(10000) == RunExit::Debug);
            CHECK(e.c().s.rip == kLoopTop);
            CHECK(e.eax() == i);
        }
    }
}

TEST_CASE("debug: write watchpoints stop after the writing instruction", "[debug]") {
    for (bool jit : {false, true}) {
        INFO("engine " << (jit ? "jit" : "interp"));
        Engines e(jit);
        REQUIRE(e.c().run(8) == RunExit::Budget); // fast tags for the data page exist now
        const u32 before = e.eax();
        e.c().set_watchpoints({cpu::Watchpoint{0x3002, 1, cpu::Watchpoint::Write}});
        REQUIRE(e.c().run(10000) == RunExit::Debug);
        CHECK(e.c().debug_hit.kind == cpu::DebugHit::Watch);
        CHECK(e.c().debug_hit.addr == 0x3002);
        CHECK(e.c().s.rip == kCmp);
        CHECK(e.eax() == before + 1);
        CHECK(e.h.peek(0x3000) == static_cast<u8>(before + 1));
        e.c().debug_hit = {};
        REQUIRE(e.c().run(10000) == RunExit::Debug);
        CHECK(e.eax() == before + 2);
        // A read watchpoint ignores writes.
        e.c().debug_hit = {};
        e.c().set_watchpoints({cpu::Watchpoint{0x3000, 4, cpu::Watchpoint::Read}});
        CHECK(e.c().run(10000) == RunExit::Halted);
        CHECK(e.eax() == 10);
    }
}

TEST_CASE("debug: a budget of one runs one instruction", "[debug]") {
    for (bool jit : {false, true}) {
        INFO("engine " << (jit ? "jit" : "interp"));
        Engines e(jit);
        const u64 expect[] = {0x1005, 0x1006, 0x100B, 0x100E, 0x1005, 0x1006};
        for (u64 rip : expect) {
            REQUIRE(e.c().run(1) == RunExit::Budget);
            CHECK(e.c().s.rip == rip);
        }
        CHECK(e.c().icount == 6);
    }
}

TEST_CASE("trace: records cover every retired instruction exactly once", "[debug][trace]") {
    for (bool jit : {false, true}) {
        INFO("engine " << (jit ? "jit" : "interp"));
        Engines e(jit);
        VectorRecorder rec;
        e.c().recorder = &rec;
        REQUIRE(e.c().run(100000) == RunExit::Halted);
        rec.drain();
        const u64 total = e.c().icount;
        CHECK(total == 2 + 10 * 4);
        // Retired per record = next record's icount - its own, capped at the block length.
        u64 sum = 0;
        std::map<u64, u64> per_address;
        for (usize i = 0; i < rec.records.size(); ++i) {
            const cpu::TraceRecord& r = rec.records[i];
            REQUIRE(r.id < cpu::kTraceTagFirst);
            const cpu::BlockDef& d = rec.defs.at(r.id);
            const u64 next = i + 1 < rec.records.size() ? rec.records[i + 1].icount : total;
            const u64 n = std::min<u64>(next - r.icount, d.ninsns);
            sum += n;
            per_address[d.lin_pc] += n;
            CHECK(d.phys_pc == d.lin_pc);
            CHECK(d.code_bits == 32);
        }
        CHECK(sum == total);
        if (jit) {
            CHECK(rec.records.size() < total); // one record per block, not per instruction
        } else {
            CHECK(rec.records.size() == total);
        }
    }
}

// ---- self-modifying code at chunk granularity (translator: code pages' code-free chunks) ----

TEST_CASE("jit: writes to a code page's chunks without code stay on the fast path", "[jit][smc]") {
    tests::CpuHarness h;
    h.cpu->set_engine(&h.jit);
    // mov ecx,1000 / loop: mov [0x1800],ecx / dec ecx / jnz loop / hlt
    h.poke(0x1000, {0xB9, 0xE8, 0x03, 0, 0, 0x89, 0x0D, 0x00, 0x18, 0, 0, 0x49, 0x75, 0xF7, 0xF4});
    h.flat32_at(0x1000);
    const u64 slow_writes = h.jit.stats().smc_writes; // (poke() counts as one)
    REQUIRE(h.cpu->run(100000) == RunExit::Halted);
    CHECK(h.peek(0x1800) == 1);
    CHECK(h.jit.stats().smc_writes == slow_writes);
}

TEST_CASE("jit: an aligned write into a chunk with code, through a warm TLB entry, invalidates it", "[jit][smc]") {
    tests::CpuHarness h;
    h.cpu->set_engine(&h.jit);
    // 0x1000: mov esp,0x7000 / mov ecx,3 / xor ebx,ebx / L: mov eax,0x107F / call eax / add ebx,eax /
    // mov dword [0x1080],ecx / dec ecx / jnz L / hlt
    // 0x107F: mov eax,100 / ret -- each pass patches the immediate (the aligned dword at
    // 0x1080, in the chunk the MOV's block occupies) that the next pass's CALL runs. After the
    // first pass the write finds the page's TLB entry (no write tag: code on the page) and
    // takes translated code's chunk check, which must send it to the slow path.
    h.poke(0x1000, {0xBC, 0x00, 0x70, 0x00, 0x00, 0xB9, 0x03, 0x00, 0x00, 0x00, 0x31, 0xDB, 0xB8,
                    0x7F, 0x10, 0x00, 0x00, 0xFF, 0xD0, 0x01, 0xC3, 0x89, 0x0D, 0x80, 0x10, 0x00,
                    0x00, 0x49, 0x75, 0xEE, 0xF4});
    h.poke(0x107F, {0xB8, 0x64, 0x00, 0x00, 0x00, 0xC3});
    h.flat32_at(0x1000);
    REQUIRE(h.cpu->run(100000) == RunExit::Halted);
    CHECK(static_cast<u32>(h.cpu->s.gpr[cpu::kRbx]) == 100 + 3 + 2);
}

TEST_CASE("jit: a write reaching a chunk with code invalidates it", "[jit][smc]") {
    tests::CpuHarness h;
    h.cpu->set_engine(&h.jit);
    // 0x1000: mov dword [0x107E], 0x05B80000 / jmp 0x1080
    // 0x1080: mov eax, 1 / hlt   -- the write's last two bytes turn it into mov eax, 5
    h.poke(0x1000, {0xC7, 0x05, 0x7E, 0x10, 0, 0, 0x00, 0x00, 0xB8, 0x05, 0xE9, 0x71, 0, 0, 0});
    h.poke(0x1080, {0xB8, 0x01, 0, 0, 0, 0xF4});
    h.flat32_at(0x1080);
    REQUIRE(h.cpu->run(100) == RunExit::Halted); // translated, chained, cached
    CHECK(static_cast<u32>(h.cpu->s.gpr[cpu::kRax]) == 1);
    h.cpu->s.halted = false;
    h.cpu->s.rip = 0x1000;
    REQUIRE(h.cpu->run(100) == RunExit::Halted);
    CHECK(static_cast<u32>(h.cpu->s.gpr[cpu::kRax]) == 5);
}
