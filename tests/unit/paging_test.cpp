// SPDX-License-Identifier: MIT
// Page-walk tests ([mmu]): 32-bit paging with 4 KiB and 4 MiB (PSE, PSE-36) pages, PAE with
// 2 MiB pages and NX, accessed/dirty updates, CR0.WP, global pages, every #PF error-code bit,
// and #PF delivery through the CPU with CR2. Not here: TLB policy beyond INVLPG.
#include "cpu/system.h"
#include "mmu/paging.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

using mmu::Access;

namespace {

constexpr u64 kP = 1, kRW = 2, kUS = 4, kA = 0x20, kD = 0x40, kPS = 0x80, kG = 0x100;
constexpr u64 kNX = u64{1} << 63;
constexpr u64 kCr0PG = 1ull << 31, kCr0WP = 1u << 16;
constexpr u64 kCr4PSE = 1u << 4, kCr4PAE = 1u << 5, kCr4PGE = 1u << 7;
constexpr u64 kNXE = 1u << 11;

struct Mem {
    mmu::PhysMap phys;
    u8* ram;
    Mem() { ram = phys.add_ram(0, 8u << 20, "ram"); }
    void w32(u64 a, u32 v) { std::memcpy(ram + a, &v, 4); }
    void w64(u64 a, u64 v) { std::memcpy(ram + a, &v, 8); }
    u32 r32(u64 a) const { u32 v; std::memcpy(&v, ram + a, 4); return v; }
    u64 r64(u64 a) const { u64 v; std::memcpy(&v, ram + a, 8); return v; }
};

mmu::PagingContext ctx32(u64 cr0_extra = 0, u64 cr4 = 0) {
    return mmu::PagingContext{kCr0PG | 1 | cr0_extra, 0x10000, cr4, 0};
}

} // namespace

TEST_CASE("32-bit paging: 4 KiB walk, A/D bits, rights", "[mmu]") {
    Mem m;
    // PD at 0x10000, PT at 0x11000 for 0x00400000..0x007FFFFF.
    m.w32(0x10000 + 1 * 4, 0x11000 | kP | kRW | kUS);
    m.w32(0x11000 + 5 * 4, 0x123000 | kP | kUS); // read-only user page at 0x405000
    m.w32(0x11000 + 6 * 4, 0x124000 | kP | kRW); // supervisor page at 0x406000
    const auto c = ctx32();

    mmu::Translation t = mmu::translate(m.phys, c, 0x405ABC, Access::Read, true);
    REQUIRE(t.ok);
    CHECK(t.phys == 0x123ABC);
    CHECK((m.r32(0x11000 + 5 * 4) & kA) != 0);
    CHECK((m.r32(0x11000 + 5 * 4) & kD) == 0);
    CHECK((m.r32(0x10000 + 4) & kA) != 0);

    // User write to a read-only page: P W U.
    t = mmu::translate(m.phys, c, 0x405000, Access::Write, true);
    CHECK(!t.ok);
    CHECK(t.error_code == 7);
    // Supervisor write with WP = 0 succeeds and sets D; with WP = 1 it faults (P W).
    t = mmu::translate(m.phys, c, 0x405000, Access::Write, false);
    CHECK(t.ok);
    CHECK((m.r32(0x11000 + 5 * 4) & kD) != 0);
    t = mmu::translate(m.phys, ctx32(kCr0WP), 0x405000, Access::Write, false);
    CHECK(!t.ok);
    CHECK(t.error_code == 3);
    // User read of a supervisor page: P U.
    t = mmu::translate(m.phys, c, 0x406000, Access::Read, true);
    CHECK(!t.ok);
    CHECK(t.error_code == 5);
    // Not present PTE and PDE: P clear; W and U as for the access.
    t = mmu::translate(m.phys, c, 0x407000, Access::Write, true);
    CHECK(!t.ok);
    CHECK(t.error_code == 6);
    t = mmu::translate(m.phys, c, 0x800000, Access::Read, false);
    CHECK(!t.ok);
    CHECK(t.error_code == 0);
    // Without NX, fetches report no I/D bit.
    t = mmu::translate(m.phys, c, 0x407000, Access::Execute, false);
    CHECK(t.error_code == 0);
}

TEST_CASE("32-bit paging: 4 MiB PSE pages, PSE-36, reserved bits, global", "[mmu]") {
    Mem m;
    m.w32(0x10000 + 2 * 4, 0x00400000u | kP | kRW | kPS | kG); // 0x800000 -> 0x400000
    m.w32(0x10000 + 3 * 4, 0x00400000u | (0x3u << 13) | kP | kPS); // PSE-36: phys 0x3_0040_0000
    m.w32(0x10000 + 4 * 4, 0x00400000u | (1u << 17) | kP | kPS);   // reserved bit 17
    const auto c = ctx32(0, kCr4PSE | kCr4PGE);
    mmu::Translation t = mmu::translate(m.phys, c, 0x812345, Access::Write, false);
    REQUIRE(t.ok);
    CHECK(t.phys == 0x412345);
    CHECK(t.global);
    CHECK(t.page_mask == 0x3FFFFF);
    CHECK((m.r32(0x10000 + 8) & (kA | kD)) == (kA | kD));
    t = mmu::translate(m.phys, c, 0xC00010, Access::Read, false);
    REQUIRE(t.ok);
    CHECK(t.phys == 0x300400010ull);
    t = mmu::translate(m.phys, c, 0x1000000, Access::Read, true);
    CHECK(!t.ok);
    CHECK(t.error_code == (1 | 4 | 8)); // P U RSVD
    // Without CR4.PSE the PS bit is ignored: the entry points at a page table.
    t = mmu::translate(m.phys, ctx32(), 0x812345, Access::Read, false);
    CHECK(!t.ok); // the "page table" at 0x400000 is empty RAM
}

TEST_CASE("PAE paging: 4 KiB and 2 MiB pages, NX, reserved bits", "[mmu]") {
    Mem m;
    // CR3 -> PDPT at 0x20000; PDPTE0 -> PD at 0x21000; PDE0 -> PT at 0x22000.
    m.w64(0x20000, 0x21000 | kP);
    m.w64(0x21000, 0x22000 | kP | kRW | kUS);
    m.w64(0x21000 + 8, 0x600000 | kP | kRW | kPS | kNX); // 2 MiB NX page at 0x200000
    m.w64(0x22000 + 3 * 8, 0x155000 | kP | kRW | kUS);
    m.w64(0x22000 + 4 * 8, 0x156000 | kP | kUS | kNX);
    m.w64(0x22000 + 5 * 8, 0x157000 | kP | (u64{1} << 40)); // reserved above MAXPHYADDR
    const mmu::PagingContext pae{kCr0PG | 1, 0x20000, kCr4PAE, kNXE};

    mmu::Translation t = mmu::translate(m.phys, pae, 0x3123, Access::Write, true);
    REQUIRE(t.ok);
    CHECK(t.phys == 0x155123);
    CHECK((m.r64(0x22000 + 3 * 8) & (kA | kD)) == (kA | kD));
    t = mmu::translate(m.phys, pae, 0x4000, Access::Execute, true);
    CHECK(!t.ok);
    CHECK(t.error_code == (1 | 4 | 16)); // P U I/D
    t = mmu::translate(m.phys, pae, 0x4000, Access::Read, true);
    CHECK(t.ok);
    t = mmu::translate(m.phys, pae, 0x5000, Access::Read, false);
    CHECK(!t.ok);
    CHECK(t.error_code == (1 | 8));
    t = mmu::translate(m.phys, pae, 0x234567, Access::Read, false);
    REQUIRE(t.ok);
    CHECK(t.phys == 0x634567);
    CHECK(t.nx);
    t = mmu::translate(m.phys, pae, 0x200000, Access::Execute, false);
    CHECK(!t.ok);
    CHECK(t.error_code == (1 | 16));
    // Not-present fetch with NXE: I/D set, P clear.
    t = mmu::translate(m.phys, pae, 0x6000, Access::Execute, false);
    CHECK(!t.ok);
    CHECK(t.error_code == 16);
    // With EFER.NXE clear, bit 63 is reserved.
    const mmu::PagingContext nonx{kCr0PG | 1, 0x20000, kCr4PAE, 0};
    t = mmu::translate(m.phys, nonx, 0x4000, Access::Read, true);
    CHECK(!t.ok);
    CHECK(t.error_code == (1 | 4 | 8));
}

TEST_CASE("a page fault through the CPU sets CR2 and pushes the error code", "[mmu]") {
    tests::CpuHarness h;
    cpu::Cpu& c = *h.cpu;
    h.flat32_at(0x1000);
    auto w32 = [&](u64 a, u32 v) { std::memcpy(h.ram + a, &v, 4); };
    // Identity-map the first 4 MiB except page 0x5000, with a 4 MiB PSE page.
    w32(0x10000, 0x0 | kP | kRW | kPS);
    w32(0x10000 + 4, 0x11000 | kP | kRW); // 0x400000.. through a page table (all empty)
    c.s.cr3 = 0x10000;
    c.s.cr4 = kCr4PSE;
    c.s.cr0 |= kCr0PG;
    c.tlb_flush_all();
    c.s.idtr = cpu::TableReg{0x2000, 0x7FF};
    c.s.gdtr = cpu::TableReg{0x3000, 0xFF};
    const u64 code = 0x00CF9A000000FFFFull;
    std::memcpy(h.ram + 0x3008, &code, 8);
    const u64 gate = (0x9000 & 0xFFFF) | (u64{0x08} << 16) | (u64{0x8E} << 40);
    std::memcpy(h.ram + 0x2000 + 14 * 8, &gate, 8);
    c.s.gpr[cpu::kRsp] = 0x8000;
    h.poke(0x1000, {0xA1, 0x10, 0x20, 0x40, 0x00}); // mov eax, [0x402010]
    REQUIRE(h.step() == cpu::Status::Ok);
    CHECK(c.s.rip == 0x9000);
    CHECK(c.s.cr2 == 0x402010);
    u32 err;
    std::memcpy(&err, h.ram + 0x8000 - 16, 4);
    CHECK(err == 0);
    u32 eip;
    std::memcpy(&eip, h.ram + 0x8000 - 12, 4);
    CHECK(eip == 0x1000);

    // INVLPG drops a stale translation after the guest remaps a page.
    w32(0x11000 + 2 * 4, 0x7000 | kP | kRW);
    h.ram[0x7010] = 0x5A;
    u8 v = 0;
    REQUIRE(c.read_lin<u8>(0x402010, v) == cpu::Status::Ok);
    CHECK(v == 0x5A);
    w32(0x11000 + 2 * 4, 0x6000 | kP | kRW);
    h.ram[0x6010] = 0xA5;
    REQUIRE(c.read_lin<u8>(0x402010, v) == cpu::Status::Ok);
    CHECK(v == 0x5A); // still cached
    c.tlb_flush_page(0x402010);
    REQUIRE(c.read_lin<u8>(0x402010, v) == cpu::Status::Ok);
    CHECK(v == 0xA5);
}
