// SPDX-License-Identifier: MIT
// TLB tests ([tlb]): retained address spaces across CR3 loads, their coherence with guest
// page-table writes (PTE, PDE and PAE PDPTE, from another space, by string instructions),
// accessed/dirty bits, INVLPG, CR4.PGE toggles, a restored state, LRU eviction and the memory
// bound. Not here: the page walk itself (paging_test.cpp).
#include "cpu/system.h"
#include "mmu/shadow_spaces.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

namespace {

constexpr u32 kP = 1, kRW = 2, kA = 0x20, kD = 0x40, kPS = 0x80, kG = 0x100;
constexpr u64 kCr0PG = 1ull << 31;
constexpr u64 kCr4PSE = 1u << 4, kCr4PAE = 1u << 5, kCr4PGE = 1u << 7;

// Two 32-bit address spaces. Both map the first 4 MiB 1:1 with a PSE page (code, tables) and
// linear 0x400000.. through their own page table.
constexpr u32 kDirA = 0x10000, kTabA = 0x11000, kDirB = 0x20000, kTabB = 0x21000;
constexpr u32 kLin = 0x400000;                  ///< page 0 of the page tables
constexpr u32 kFrameX = 0x100000, kFrameY = 0x101000, kFrameZ = 0x102000;
constexpr u32 kCode = 0x1000;

struct Tlb {
    tests::CpuHarness h;
    cpu::Cpu& c;

    explicit Tlb(u64 cr4 = kCr4PSE) : c(*h.cpu) {
        h.flat32_at(kCode);
        for (u32 dir : {kDirA, kDirB}) {
            put(dir, 0 | kP | kRW | kPS);
            put(dir + 4, (dir == kDirA ? kTabA : kTabB) | kP | kRW);
        }
        put(kTabA, kFrameX | kP | kRW);
        put(kTabB, kFrameY | kP | kRW);
        put(kFrameX, 0xAAAA0001);
        put(kFrameY, 0xBBBB0001);
        put(kFrameZ, 0xCCCC0001);
        c.s.cr3 = kDirA;
        c.s.cr4 = cr4;
        c.s.cr0 |= kCr0PG;
        c.tlb_flush_all();
    }

    void put(u32 pa, u32 v) { std::memcpy(h.ram + pa, &v, 4); }
    u32 get(u32 pa) const {
        u32 v;
        std::memcpy(&v, h.ram + pa, 4);
        return v;
    }
    /// Runs one instruction at kCode with EAX = eax.
    void exec(std::vector<u8> code, u32 eax = 0) {
        h.poke(kCode, code);
        c.s.rip = kCode;
        c.s.gpr[cpu::kRax] = eax;
        REQUIRE(h.step() == cpu::Status::Ok);
    }
    void mov_cr3(u32 v) { exec({0x0F, 0x22, 0xD8}, v); }
    void mov_cr4(u32 v) { exec({0x0F, 0x22, 0xE0}, v); }
    void invlpg(u32 lin) { exec({0x0F, 0x01, 0x38}, lin); }
    u32 read(u32 lin) {
        u32 v = 0;
        REQUIRE(c.read_lin<u32>(lin, v) == cpu::Status::Ok);
        return v;
    }
    void write(u32 lin, u32 v) { REQUIRE(c.write_lin<u32>(lin, v) == cpu::Status::Ok); }
    const mmu::TlbStats& stats() { return c.tlb_stats(); }
};

} // namespace

TEST_CASE("TLB: a CR3 switch keeps the old space's entries", "[tlb]") {
    Tlb t;
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.mov_cr3(kDirB);
    CHECK(t.read(kLin) == 0xBBBB0001);
    const u64 hits = t.stats().space_hits;
    t.mov_cr3(kDirA); // the last walk: B's code page, for this instruction
    const u64 fills = t.stats().fills;
    CHECK(t.read(kLin) == 0xAAAA0001);
    CHECK(t.stats().space_hits == hits + 1);
    t.mov_cr3(kDirB);
    CHECK(t.read(kLin) == 0xBBBB0001);
    CHECK(t.stats().fills == fills); // no walk: both spaces were retained
    // Reloading the same CR3 keeps the space too.
    t.mov_cr3(kDirB);
    CHECK(t.read(kLin) == 0xBBBB0001);
    CHECK(t.stats().fills == fills);
}

TEST_CASE("TLB: a PTE written in another space takes effect without INVLPG", "[tlb]") {
    Tlb t;
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.mov_cr3(kDirB);
    const u64 invalidated = t.stats().entries_invalidated;
    // Space B remaps space A's page through the identity mapping of A's page table.
    t.write(kTabA, kFrameZ | kP | kRW);
    CHECK(t.stats().entries_invalidated > invalidated);
    CHECK(t.read(kLin) == 0xBBBB0001); // B's own mapping is untouched
    t.mov_cr3(kDirA);
    CHECK(t.read(kLin) == 0xCCCC0001);
    // Unmapping it: the next access faults instead of using the retained entry.
    t.mov_cr3(kDirB);
    t.write(kTabA, 0);
    t.mov_cr3(kDirA);
    u32 v = 0;
    CHECK(t.c.read_lin<u32>(kLin, v) == cpu::Status::Fault);
    CHECK(t.c.fault.vector == cpu::kVecPF);
}

TEST_CASE("TLB: a PDE written in another space drops the whole region", "[tlb]") {
    Tlb t;
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.mov_cr3(kDirB);
    // Point A's region at B's page table.
    t.write(kDirA + 4, kTabB | kP | kRW);
    t.mov_cr3(kDirA);
    CHECK(t.read(kLin) == 0xBBBB0001);
}

TEST_CASE("TLB: REP STOS over a watched page table is seen", "[tlb]") {
    Tlb t;
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.mov_cr3(kDirB);
    // rep stosd: ES:EDI = A's page table, ECX = 4 dwords of EAX = 0 (unmaps A's first pages).
    t.c.s.gpr[cpu::kRdi] = kTabA;
    t.c.s.gpr[cpu::kRcx] = 4;
    t.exec({0xF3, 0xAB}, 0);
    CHECK(t.get(kTabA) == 0);
    t.mov_cr3(kDirA);
    u32 v = 0;
    CHECK(t.c.read_lin<u32>(kLin, v) == cpu::Status::Fault);
}

TEST_CASE("TLB: accessed and dirty bits are set when hardware sets them", "[tlb]") {
    Tlb t;
    CHECK(t.read(kLin) == 0xAAAA0001);
    CHECK((t.get(kTabA) & (kA | kD)) == kA); // a read sets A only
    t.write(kLin, 0xAAAA0002);                // the first write walks again and sets D
    CHECK((t.get(kTabA) & (kA | kD)) == (kA | kD));
    // The guest cleans the page (clears D) from another space; the next write sets D again.
    t.mov_cr3(kDirB);
    t.write(kTabA, kFrameX | kP | kRW | kA);
    t.mov_cr3(kDirA);
    t.write(kLin, 0xAAAA0003);
    CHECK((t.get(kTabA) & kD) != 0);
    // Clearing A: the next access sets it again.
    t.write(kTabA, kFrameX | kP | kRW | kD);
    CHECK(t.read(kLin) == 0xAAAA0003);
    CHECK((t.get(kTabA) & kA) != 0);
    // Setting A/D from software changes no translation: nothing is invalidated.
    const u64 invalidated = t.stats().entries_invalidated;
    t.write(kTabA + 4, kFrameY | kP);
    CHECK(t.read(kLin + 0x1000) == 0xBBBB0001);
    t.write(kTabA + 4, kFrameY | kP | kA | kD);
    CHECK(t.stats().entries_invalidated == invalidated);
}

TEST_CASE("TLB: INVLPG drops a translation changed behind the TLB's back", "[tlb]") {
    Tlb t;
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.put(kTabA, kFrameZ | kP | kRW); // a host write: no CPU saw it
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.mov_cr3(kDirA); // the CR3 load keeps coherent entries; this one the TLB cannot know of
    t.invlpg(kLin);
    CHECK(t.read(kLin) == 0xCCCC0001);
}

TEST_CASE("TLB: global entries survive CR3 loads, into new spaces too; a CR4.PGE toggle flushes everything", "[tlb]") {
    Tlb t(kCr4PSE | kCr4PGE);
    t.put(kTabA, kFrameX | kP | kRW | kG);
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.mov_cr3(kDirB);
    // A CPU keeps global entries across the CR3 load, so B's own mapping is not walked: the new
    // space starts with A's global entries.
    CHECK(t.read(kLin) == 0xAAAA0001);
    CHECK(t.stats().globals_inherited == 1);
    t.put(kTabA, kFrameZ | kP | kRW | kG); // host write, as above
    t.mov_cr3(kDirA);
    CHECK(t.read(kLin) == 0xAAAA0001); // the global translation is still cached
    const u64 flushes = t.stats().flushes;
    const u64 hits = t.stats().space_hits;
    t.mov_cr4(kCr4PSE);
    t.mov_cr4(kCr4PSE | kCr4PGE);
    CHECK(t.stats().flushes == flushes + 2);
    CHECK(t.read(kLin) == 0xCCCC0001);
    t.mov_cr3(kDirB);
    CHECK(t.stats().space_hits == hits); // B was flushed too ...
    CHECK(t.read(kLin) == 0xCCCC0001);   // ... and took A's global entry again
    t.invlpg(kLin);
    CHECK(t.read(kLin) == 0xBBBB0001); // B's own mapping, through its own page table
}

TEST_CASE("TLB: a global entry a new space took over goes with a write to its page table", "[tlb]") {
    Tlb t(kCr4PSE | kCr4PGE);
    t.put(kTabA, kFrameX | kP | kRW | kG);
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.mov_cr3(kDirB);
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.write(kTabA, kFrameZ | kP | kRW | kG); // the guest, in B, changes A's page table
    CHECK(t.read(kLin) == 0xBBBB0001);       // B walks its own
    t.mov_cr3(kDirA);
    CHECK(t.read(kLin) == 0xCCCC0001);
}

TEST_CASE("TLB: a state restored wholesale selects its own space", "[tlb]") {
    Tlb t;
    t.h.poke(kCode + 0x100, {0xA1, 0x00, 0x00, 0x40, 0x00}); // mov eax, [0x400000]
    const cpu::CpuState in_a = t.c.s;
    t.mov_cr3(kDirB);
    CHECK(t.read(kLin) == 0xBBBB0001);
    // As the lockstep checker restores a state: CR3 changes without a CR3 load.
    t.c.s = in_a;
    t.c.s.rip = kCode + 0x100;
    REQUIRE(t.h.step() == cpu::Status::Ok);
    CHECK(static_cast<u32>(t.c.s.gpr[cpu::kRax]) == 0xAAAA0001);
}

TEST_CASE("TLB: PAE tables are watched at every level", "[tlb]") {
    tests::CpuHarness h;
    cpu::Cpu& c = *h.cpu;
    h.flat32_at(kCode);
    auto put64 = [&](u32 pa, u64 v) { std::memcpy(h.ram + pa, &v, 8); };
    // Space A: PDPT 0x30000 -> PD 0x31000 -> PT 0x32000 (linear 0x200000..); PD entry 0 is a
    // 2 MiB identity page. Space B: PDPT 0x30020 (same page) -> PD 0x33000, identity only.
    put64(0x30000, 0x31000 | kP);
    put64(0x31000, 0 | kP | kRW | kPS);
    put64(0x31008, 0x32000 | kP | kRW);
    put64(0x32000, kFrameX | kP | kRW);
    put64(0x30020, 0x33000 | kP);
    put64(0x33000, 0 | kP | kRW | kPS);
    std::memcpy(h.ram + kFrameX, "\x01\x00\xAA\xAA", 4);
    std::memcpy(h.ram + kFrameZ, "\x01\x00\xCC\xCC", 4);
    c.s.cr3 = 0x30000;
    c.s.cr4 = kCr4PAE;
    c.s.cr0 |= kCr0PG;
    c.tlb_flush_all();
    auto read = [&](u32 lin) {
        u32 v = 0;
        return c.read_lin<u32>(lin, v) == cpu::Status::Ok ? v : 0xFFFFFFFFu;
    };
    auto load_cr3 = [&](u32 v) {
        c.s.cr3 = v;
        c.tlb_flush_nonglobal();
    };
    auto write64 = [&](u32 lin, u64 v) { REQUIRE(c.write_lin<u64>(lin, v) == cpu::Status::Ok); };
    CHECK(read(0x200000) == 0xAAAA0001);
    load_cr3(0x30020);
    write64(0x32000, kFrameZ | kP | kRW); // PTE
    load_cr3(0x30000);
    CHECK(read(0x200000) == 0xCCCC0001);
    load_cr3(0x30020);
    write64(0x31008, 0); // PDE
    load_cr3(0x30000);
    CHECK(read(0x200000) == 0xFFFFFFFFu);
    write64(0x31008, 0x32000 | kP | kRW);
    CHECK(read(0x200000) == 0xCCCC0001);
    load_cr3(0x30020);
    write64(0x30000, 0x33000 | kP); // A's PDPTE 0 now points at B's directory
    CHECK(read(0x200000) == 0xFFFFFFFFu); // B itself is unaffected (its PDPT is 32 bytes on)
    load_cr3(0x30000);
    CHECK(read(0x200000) == 0xFFFFFFFFu);
}

TEST_CASE("TLB: least recently used spaces are evicted; memory stays bounded", "[tlb]") {
    Tlb t;
    constexpr unsigned n = cpu::Cpu::kTlbSpaces + 4;
    // n more directories, each mapping the first 4 MiB (code) and kLin to kFrameX.
    for (u32 i = 0; i < n; ++i) {
        const u32 dir = 0x40000 + i * 0x1000;
        t.put(dir, 0 | kP | kRW | kPS);
        t.put(dir + 4, kTabA | kP | kRW);
    }
    const u64 evictions = t.stats().space_evictions;
    for (u32 i = 0; i < n; ++i) {
        t.mov_cr3(0x40000 + i * 0x1000);
        CHECK(t.read(kLin) == 0xAAAA0001);
        CHECK(t.c.tlb_spaces().live_spaces() <= cpu::Cpu::kTlbSpaces);
    }
    CHECK(t.stats().space_evictions > evictions);
    // The most recent spaces are retained, the oldest are not.
    const u64 hits = t.stats().space_hits;
    t.mov_cr3(0x40000 + (n - 2) * 0x1000);
    CHECK(t.stats().space_hits == hits + 1);
    t.mov_cr3(0x40000);
    CHECK(t.stats().space_hits == hits + 1);
    // Entries of every space, per-region records, the write-tag index (4 MiB of list heads at
    // most) and the watched-page map: see mmu/README.md.
    const usize entries = usize{cpu::Cpu::kTlbSpaces} * 2 * cpu::Cpu::kTlbSize * 64;
    CHECK(t.c.tlb_spaces().memory_bytes() < entries + (6u << 20));
    // Every space's tables are shared here: kTabA's page is watched once.
    CHECK(t.c.tlb_spaces().watched_pages() <= cpu::Cpu::kTlbSpaces + 2);
}

TEST_CASE("TLB: a space whose tables keep being written while it is away is dropped", "[tlb]") {
    Tlb t;
    CHECK(t.read(kLin) == 0xAAAA0001);
    t.mov_cr3(kDirB);
    // Space A's directory is reused as a data page (its process is gone): zero it.
    for (u32 off = 0x800; off < 0x1000; off += 4) {
        t.write(kDirA + off, 0);
    }
    CHECK(t.stats().spaces_dropped == 1);
    const u64 watched = t.stats().watched_writes;
    t.write(kDirA + 0x800, 0);
    CHECK(t.stats().watched_writes == watched); // no longer watched
    const u64 hits = t.stats().space_hits;
    t.mov_cr3(kDirA);
    CHECK(t.stats().space_hits == hits);
    CHECK(t.read(kLin) == 0xAAAA0001);
}
