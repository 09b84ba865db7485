// SPDX-License-Identifier: MIT
// Triple-fault explanations ([fault_explain]): descriptors, gates and error codes as text
// (cpu/descriptor_text.h), the side-effect-free page walk (cpu/guest_peek.h), and the
// explanation of real escalations run on the CPU: the failing check named, the entries it
// used decoded, the recorded chain. Not here: delivery itself (system_test.cpp).
#include "cpu/descriptor_text.h"
#include "cpu/fault_explain.h"
#include "cpu/guest_peek.h"
#include "cpu/system.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace cpu;

namespace {

constexpr u32 kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000, kCode = 0x10000;
constexpr u16 kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x1B, kData3 = 0x23, kTssSel = 0x28;
constexpr u32 kStack0 = 0x8000, kStack3 = 0x9000;

u64 segment_raw(u32 base, u32 limit, u8 access, u8 flags) {
    return (limit & 0xFFFF) | (u64{base & 0xFFFFFF} << 16) | (u64{access} << 40) |
           (u64{(limit >> 16) & 0xF} << 48) | (u64{flags} << 52) | (u64{base >> 24} << 56);
}
u64 gate_raw(u16 sel, u32 off, u8 access) {
    return (off & 0xFFFF) | (u64{sel} << 16) | (u64{access} << 40) | (u64{off >> 16} << 48);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// A flat ring-0 machine: GDT (code/data for rings 0 and 3, a TSS), an IDT of present
/// DPL-0 interrupt gates, a TSS whose SS0:ESP0 is data0:kStack0.
struct Machine {
    tests::CpuHarness h;
    Cpu& c;

    Machine() : c(*h.cpu) {
        h.flat32_at(kCode);
        c.s.gdtr = TableReg{kGdt, 0x2F};
        c.s.idtr = TableReg{kIdt, 0x7FF};
        put64(kGdt + 0x08, segment_raw(0, 0xFFFFF, 0x9A, 0xC));
        put64(kGdt + 0x10, segment_raw(0, 0xFFFFF, 0x92, 0xC));
        put64(kGdt + 0x18, segment_raw(0, 0xFFFFF, 0xFA, 0xC));
        put64(kGdt + 0x20, segment_raw(0, 0xFFFFF, 0xF2, 0xC));
        put64(kGdt + 0x28, segment_raw(kTss, 0x67, 0x8B, 0));
        c.s.tr = Segment{kTssSel, 0x8B, 0x67, kTss};
        put32(kTss + 4, kStack0);
        put32(kTss + 8, kData0);
        c.s.gpr[kRsp] = kStack0 - 0x100;
        for (unsigned v = 0; v < 32; ++v) {
            put64(kIdt + v * 8, gate_raw(kCode0, 0x20000 + v * 0x10, 0x8E));
        }
    }
    void put32(u32 a, u32 v) { std::memcpy(h.ram + a, &v, 4); }
    void put64(u32 a, u64 v) { std::memcpy(h.ram + a, &v, 8); }
    void to_ring3() {
        c.s.seg[kCs] = Segment{kCode3, 0xC0FB, 0xFFFFFFFFu, 0};
        for (u8 i : {kEs, kSs, kDs, kFs, kGs}) {
            c.s.seg[i] = Segment{kData3, 0xC0F3, 0xFFFFFFFFu, 0};
        }
        c.s.cpl = 3;
        c.s.gpr[kRsp] = kStack3;
    }
    /// Executes UD2 at kCode and returns what the step did.
    Status run_ud2() {
        h.poke(kCode, {0x0F, 0x0B});
        c.s.rip = kCode;
        return h.step();
    }
};

} // namespace

TEST_CASE("descriptors and gates as text", "[fault_explain]") {
    CHECK(describe_gate(gate_raw(0x08, 0x00101234, 0x8E)) ==
          "32-bit interrupt gate, DPL 0, P=1, selector 0x0008, offset 0x00101234");
    CHECK(describe_gate(gate_raw(0x13, 0x5678, 0x66)) ==
          "16-bit interrupt gate, DPL 3, P=0, selector 0x0013, offset 0x00005678");
    CHECK(describe_gate(gate_raw(0x30, 0, 0x85)) == "task gate, DPL 0, P=1, TSS selector 0x0030");
    CHECK(describe_gate(gate_raw(0x08, 0x1000, 0xEF)) ==
          "32-bit trap gate, DPL 3, P=1, selector 0x0008, offset 0x00001000");
    CHECK(describe_gate(0) == "not a gate: null descriptor (all zero)");
    CHECK(contains(describe_gate(segment_raw(0, 0xFFFFF, 0x9A, 0xC)), "not a gate: code segment"));

    CHECK(describe_descriptor(segment_raw(0, 0xFFFFF, 0x9B, 0xC)) ==
          "code segment, base 0x00000000 limit 0xffffffff (G=1), type 0xb (execute/read, "
          "accessed), DPL 0, P=1, D/B=1 (32-bit)");
    CHECK(describe_descriptor(segment_raw(0x12345678, 0xFFFF, 0x72, 0x0)) ==
          "data segment, base 0x12345678 limit 0x0000ffff (G=0), type 0x2 (read/write), DPL 3, "
          "P=0, D/B=0 (16-bit)");
    CHECK(describe_descriptor(segment_raw(0, 0xFFF, 0x96, 0x4)) ==
          "data segment, base 0x00000000 limit 0x00000fff (G=0), type 0x6 (read/write, "
          "expand-down), DPL 0, P=1, D/B=1 (32-bit)");
    CHECK(describe_descriptor(segment_raw(0x3000, 0x67, 0x8B, 0)) ==
          "32-bit TSS (busy), base 0x00003000 limit 0x00000067 (G=0), DPL 0, P=1");
    CHECK(describe_descriptor(segment_raw(0, 0, 0x8D, 0)) == // type 0xD is reserved
          "reserved system type 0xd, base 0x00000000 limit 0x00000000 (G=0), DPL 0, P=1");

    CHECK(describe_selector(0x0013) == "0x0013 (GDT index 2, RPL 3)");
    CHECK(describe_selector(0x000F) == "0x000f (LDT index 1, RPL 3)");
    CHECK(describe_selector(0x0003) == "0x0003 (null)");

    CHECK(vector_name(kVecPF) == "#PF");
    CHECK(vector_name(kVecDF) == "#DF");
    CHECK(vector_name(0x80) == "vector 0x80");
    CHECK(describe_error_code(kVecGP, 14 * 8 + 3) == "IDT vector 14, EXT");
    CHECK(describe_error_code(kVecTS, 0x10) == "GDT selector 0x0010");
    CHECK(describe_error_code(kVecNP, 0x0D) == "LDT selector 0x000c, EXT");
    CHECK(describe_error_code(kVecTS, 1) == "null selector, EXT");
    CHECK(describe_error_code(kVecGP, 0).empty());
    CHECK(describe_error_code(kVecUD, 5).empty());
    CHECK(describe_error_code(kVecPF, 0x2) == "not-present page, write, supervisor");
    CHECK(describe_error_code(kVecPF, 0x7) == "protection violation, write, user");
    CHECK(describe_error_code(kVecPF, 0x14) == "not-present page, instruction fetch, user");
}

TEST_CASE("peeking walks the page tables without side effects", "[fault_explain]") {
    tests::CpuHarness h;
    Cpu& c = *h.cpu;
    h.flat32_at(kCode);
    const u32 pd = 0x100000, pt = 0x101000;
    std::memset(h.ram + pd, 0, 0x2000);
    const u32 pde = pt | 0x3, pte = 0x5000 | 0x1; // PDE present+RW (A clear), PTE read-only
    std::memcpy(h.ram + pd + 4 * 1, &pde, 4);         // 0x00400000..0x007FFFFF
    std::memcpy(h.ram + pt + 4 * 2, &pte, 4);         // 0x00402000 -> 0x5000
    h.ram[0x5123] = 0xAB;
    c.s.cr3 = pd;
    c.s.cr0 |= kCr0PG | kCr0WP;
    c.tlb_flush_all();

    const PeekWalk w = peek_walk(c, 0x00402123);
    CHECK(w.mapped);
    CHECK(w.phys == 0x5123);
    CHECK(w.levels == 2);
    CHECK(!w.write_allowed(false, true)); // read-only PTE with CR0.WP
    CHECK(w.write_allowed(false, false));
    CHECK(!w.write_allowed(true, false)); // no U/S
    u8 b = 0;
    CHECK(peek_linear(c, 0x00402123, &b, 1));
    CHECK(b == 0xAB);
    u32 pde_after;
    std::memcpy(&pde_after, h.ram + pd + 4, 4);
    CHECK(pde_after == pde); // no accessed bit set

    const PeekWalk miss = peek_walk(c, 0x00403000);
    CHECK(!miss.mapped);
    CHECK(miss.describe() == "PDE at 0x00100004 = 0x00101003 (P RW supervisor), PTE at "
                             "0x0010100c = 0x00000000 (not present)");
    CHECK(!peek_linear(c, 0x00402FFF, &pde_after, 4)); // runs into the unmapped page
    CHECK(!peek_walk(c, 0x00800000).mapped);
}

TEST_CASE("a triple fault is explained step by step", "[fault_explain]") {
    Machine m;
    Cpu& c = m.c;

    SECTION("#UD and #DF gates not present, #NP beyond the IDT limit") {
        m.put64(kIdt + 6 * 8, gate_raw(kCode0, 0x6000, 0x0E));  // P=0
        m.put64(kIdt + 8 * 8, gate_raw(kCode0, 0x6100, 0x0E));  // P=0
        c.s.idtr.limit = 11 * 8 - 1;                            // #NP (11) is beyond it
        REQUIRE(m.run_ud2() == Status::Stop);
        REQUIRE(m.h.env.shut_down);
        REQUIRE(c.fault_chain.ended_in_shutdown());
        const std::string t = explain_triple_fault(c);
        INFO(t);
        CHECK(contains(t, "chain: #UD -> #NP(0x0033: IDT vector 6, EXT) -> #DF(0x0) -> "
                          "shutdown"));
        CHECK(contains(t, "IDT entry 6 at linear 0x00002030: raw 0x00000e0000086000"));
        CHECK(contains(t, "= 32-bit interrupt gate, DPL 0, P=0, selector 0x0008, offset "
                          "0x00006000"));
        CHECK(contains(t, "failed: #NP(0x0033: IDT vector 6, EXT): IDT entry 6: gate not "
                          "present (P=0)"));
        CHECK(contains(t, "failed: #GP(0x005b: IDT vector 11, EXT): IDT entry 11 (bytes "
                          "0x58..0x5f) lies beyond the IDT limit 0x57"));
        CHECK(contains(t, "failed: #NP(0x0043: IDT vector 8, EXT): IDT entry 8: gate not "
                          "present"));
        CHECK(contains(t, "CS:EIP 0008:00010000 (CPL 0, protected mode, paging off)"));
        CHECK(!contains(t, "note:"));
        CHECK(contains(t, "verdict: #UD at 0008:00010000 could not be delivered (IDT entry 6: "
                          "gate not present (P=0)), then neither could #NP (IDT entry 11"));
        CHECK(contains(t, "nor could the #DF that followed (IDT entry 8: gate not present "
                          "(P=0)): triple fault"));
    }

    SECTION("ring 3 -> 0 with a not-present SS0 in the TSS") {
        m.put64(kGdt + 0x10, segment_raw(0, 0xFFFFF, 0x12, 0xC)); // data0, P=0
        m.to_ring3();
        REQUIRE(m.run_ud2() == Status::Stop);
        const std::string t = explain_triple_fault(c);
        INFO(t);
        CHECK(contains(t, "privilege change CPL 3 -> 0: the stack comes from the TSS"));
        CHECK(contains(t, "TSS SS0:ESP0 = 0x0010:0x00008000"));
        CHECK(contains(t, "the TSS's SS0: GDT entry 2 (selector 0x0010) at linear 0x00001010"));
        CHECK(contains(t, "failed: #SS(0x0011: GDT selector 0x0010, EXT): the TSS's SS0 stack "
                          "segment 0x0010 is not present (P=0)"));
        CHECK(contains(t, "chain: #UD -> #SS(0x0011: GDT selector 0x0010, EXT) -> #DF(0x0) -> "
                          "shutdown"));
        CHECK(!contains(t, "note:"));
    }

    SECTION("the gate's code segment selector has a bad DPL") {
        m.put64(kGdt + 0x08, segment_raw(0, 0xFFFFF, 0xFA, 0xC)); // code "0" is DPL 3
        c.s.seg[kCs].selector = kCode0;                          // CPL 0 keeps running
        REQUIRE(m.run_ud2() == Status::Stop);
        const std::string t = explain_triple_fault(c);
        INFO(t);
        CHECK(contains(t, "failed: #GP(0x0009: GDT selector 0x0008, EXT): the gate's code segment "
                          "selector 0x0008 has DPL 3, less privileged than CPL 0"));
        CHECK(contains(t, "the gate's code segment: GDT entry 1 (selector 0x0008)"));
    }

    SECTION("#PF while pushing the frame") {
        // Paging with only the code page and the tables mapped: the stack page is missing.
        const u32 pd = 0x100000, pt = 0x101000;
        std::memset(m.h.ram + pd, 0, 0x2000);
        const u32 pde = pt | 0x3;
        std::memcpy(m.h.ram + pd, &pde, 4);
        for (u32 page : {0x1000u, 0x2000u, 0x3000u, kCode}) {
            const u32 pte = page | 0x3;
            std::memcpy(m.h.ram + pt + (page >> 12) * 4, &pte, 4);
        }
        c.s.cr3 = pd;
        c.s.cr0 |= kCr0PG;
        c.tlb_flush_all();
        REQUIRE(m.run_ud2() == Status::Stop);
        const std::string t = explain_triple_fault(c);
        INFO(t);
        CHECK(contains(t, "chain: #UD -> #PF(0x0002: not-present page, write, supervisor) -> "
                          "#DF(0x0) -> shutdown"));
        CHECK(contains(t, "failed: #PF(0x0002: not-present page, write, supervisor) at CR2 "
                          "00007efc: #PF while pushing the frame at linear 0x00007efc (CR2): "
                          "PDE at 0x00100000 = 0x00101023 (P RW supervisor), PTE at 0x0010101c = "
                          "0x00000000 (not present)"));
        CHECK(contains(t, "step 2: delivering #PF(0x0002: not-present page, write, supervisor), "
                          "CR2 00007efc"));
        CHECK(contains(t, "frame: 12 bytes pushed on the current stack, SS:ESP "
                          "0x0010:0x00007f00"));
        CHECK(!contains(t, "note:"));
    }

    SECTION("#PF setting the accessed bit of SS0's descriptor in a read-only GDT") {
        const u32 pd = 0x100000, pt = 0x101000;
        std::memset(m.h.ram + pd, 0, 0x2000);
        const u32 pde = pt | 0x7;
        std::memcpy(m.h.ram + pd, &pde, 4);
        for (u32 page : {0x1000u, 0x2000u, 0x3000u, 0x7000u, 0x8000u, kCode}) {
            const u32 pte = page | (page == 0x1000u ? 0x5u : 0x7u); // the GDT is read-only
            std::memcpy(m.h.ram + pt + (page >> 12) * 4, &pte, 4);
        }
        c.s.cr3 = pd;
        c.s.cr0 |= kCr0PG | kCr0WP;
        c.tlb_flush_all();
        m.to_ring3();
        c.s.gpr[kRsp] = 0x8000;
        REQUIRE(m.run_ud2() == Status::Stop);
        const std::string t = explain_triple_fault(c);
        INFO(t);
        CHECK(contains(t, "failed: #PF(0x0003: protection violation, write, supervisor) at CR2 "
                          "00001015: #PF setting the accessed bit of the TSS's SS0 descriptor "
                          "at linear 0x00001015: PDE at 0x00100000 = 0x00101027 (P RW US), PTE at "
                          "0x00101004 = 0x00001025 (P read-only US)"));
        CHECK(!contains(t, "note:"));
    }

    SECTION("a table that changed after the fault is reported, not hidden") {
        c.s.idtr.limit = 0;
        REQUIRE(m.run_ud2() == Status::Stop);
        c.s.idtr.limit = 0x7FF; // now every gate is fine
        const std::string t = explain_triple_fault(c);
        INFO(t);
        CHECK(contains(t, "no check fails with the tables as they are now"));
    }

    SECTION("real mode: the IVT is too short") {
        c.s.cr0 &= ~u64{kCr0PE};
        m.h.real_mode_at(0x1000, 0x0000);
        c.s.idtr = TableReg{0, 0x17}; // vectors 0..5
        m.h.poke(0x10000, {0x0F, 0x0B});
        REQUIRE(m.h.step() == Status::Stop);
        const std::string t = explain_triple_fault(c);
        INFO(t);
        CHECK(contains(t, "CS:EIP 1000:0000 (CPL 0, real mode)"));
        CHECK(contains(t, "failed: #GP(0x0032: IDT vector 6): IVT entry 6 (bytes 0x18..0x1b) lies "
                          "beyond the IDT limit 0x17"));
    }
}

TEST_CASE("an escalation that was handled is not taken for a triple fault", "[fault_explain]") {
    Machine m;
    m.put64(kIdt + 6 * 8, gate_raw(kCode0, 0x6000, 0x0E)); // #UD gate not present: #NP is fine
    REQUIRE(m.run_ud2() == Status::Ok);
    CHECK(m.c.fault_chain.count == 1);
    CHECK(!m.c.fault_chain.ended_in_shutdown());
    CHECK(contains(explain_triple_fault(m.c), "verdict: unexplained shutdown"));
}
