// SPDX-License-Identifier: MIT
// System-family tests ([system]): segment loads and their error codes, interrupt/exception
// delivery at the same and an inner privilege level, v86 frames, double and triple faults,
// call gates, far returns, task switches, IRET forms, SYSENTER/SYSEXIT, I/O protection,
// POPF/CLI rules, control registers, CPUID and MSRs. Each test builds its own GDT/IDT/TSS in
// the harness RAM. Not here: paging walks (paging_test.cpp).
#include "cpu/flags.h"
#include "cpu/system.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

using namespace cpu;

namespace {

constexpr u32 kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000, kTss2 = 0x5800, kCode = 0x10000;
constexpr u16 kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x1B, kData3 = 0x23, kTssSel = 0x28;
constexpr u32 kStack0 = 0x8000, kStack3 = 0x9000;

/// A flat protected-mode machine with a GDT, an IDT and a 32-bit TSS in RAM.
struct Sys {
    tests::CpuHarness h;
    Cpu& c;

    Sys() : c(*h.cpu) {
        h.flat32_at(kCode);
        c.s.gdtr = TableReg{kGdt, 0x1FF};
        c.s.idtr = TableReg{kIdt, 0x7FF};
        desc(1, 0, 0xFFFFF, 0x9A, 0xC); // ring-0 code
        desc(2, 0, 0xFFFFF, 0x92, 0xC); // ring-0 data
        desc(3, 0, 0xFFFFF, 0xFA, 0xC); // ring-3 code
        desc(4, 0, 0xFFFFF, 0xF2, 0xC); // ring-3 data
        desc(5, kTss, 0x67 + 0x2001, 0x8B, 0); // busy 32-bit TSS (the current task)
        c.s.tr = Segment{kTssSel, 0x8B, 0x67 + 0x2001, kTss};
        put32(kTss + 4, kStack0);
        put32(kTss + 8, kData0);
        put16(kTss + 0x66, 0x68);
        for (u32 i = 0; i < 0x2001; ++i) {
            h.ram[kTss + 0x68 + i] = 0xFF; // every port denied
        }
        c.s.gpr[kRsp] = kStack0 - 0x100;
        for (unsigned v = 0; v < 32; ++v) {
            gate(static_cast<u8>(v), kCode0, 0x20000 + v * 0x10, 0x8E); // int gates, DPL 0
        }
    }

    static u64 encode(u32 base, u32 limit, u8 access, u8 flags) {
        return (limit & 0xFFFF) | (u64{base & 0xFFFFFF} << 16) | (u64{access} << 40) |
               (u64{(limit >> 16) & 0xF} << 48) | (u64{flags} << 52) |
               (u64{base >> 24} << 56);
    }
    void desc(unsigned idx, u32 base, u32 limit, u8 access, u8 flags) {
        put64(kGdt + idx * 8, encode(base, limit, access, flags));
    }
    /// Gate descriptor; `access` = P|DPL|type byte, `params` the call-gate count.
    static u64 gate_raw(u16 sel, u32 off, u8 access, u8 params = 0) {
        return (off & 0xFFFF) | (u64{sel} << 16) | (u64{params} << 32) | (u64{access} << 40) |
               (u64{off >> 16} << 48);
    }
    void gate(u8 vec, u16 sel, u32 off, u8 access) { put64(kIdt + vec * 8u, gate_raw(sel, off, access)); }

    void put16(u32 a, u16 v) { std::memcpy(h.ram + a, &v, 2); }
    void put32(u32 a, u32 v) { std::memcpy(h.ram + a, &v, 4); }
    void put64(u32 a, u64 v) { std::memcpy(h.ram + a, &v, 8); }
    u16 get16(u32 a) const { u16 v; std::memcpy(&v, h.ram + a, 2); return v; }
    u32 get32(u32 a) const { u32 v; std::memcpy(&v, h.ram + a, 4); return v; }
    u64 get64(u32 a) const { u64 v; std::memcpy(&v, h.ram + a, 8); return v; }
    u32 esp() const { return static_cast<u32>(c.s.gpr[kRsp]); }

    void code(u32 at, std::vector<u8> bytes) {
        h.poke(at, bytes);
        c.s.rip = at;
    }
    Status step() { return h.step(); }

    /// Puts the CPU in ring 3 with flat ring-3 segments.
    void to_ring3(u32 eip, u32 esp3 = kStack3) {
        c.s.seg[kCs] = Segment{kCode3, 0xC0FB, 0xFFFFFFFFu, 0};
        for (u8 i : {kEs, kSs, kDs, kFs, kGs}) {
            c.s.seg[i] = Segment{kData3, 0xC0F3, 0xFFFFFFFFu, 0};
        }
        c.s.cpl = 3;
        c.s.gpr[kRsp] = esp3;
        c.s.rip = eip;
    }
};

} // namespace

TEST_CASE("segment loads check type, privilege and presence", "[system]") {
    Sys m;
    Cpu& c = m.c;
    SECTION("a data segment loads and gets its accessed bit") {
        REQUIRE(load_segment(c, kDs, kData0) == Status::Ok);
        CHECK(c.s.seg[kDs].base == 0);
        CHECK(c.s.seg[kDs].limit == 0xFFFFFFFFu);
        CHECK((m.h.ram[kGdt + 2 * 8 + 5] & 1) == 1);
    }
    SECTION("a null selector loads, and the first use faults #GP(0)") {
        REQUIRE(load_segment(c, kEs, 0x0003) == Status::Ok);
        u8 b;
        REQUIRE(c.read<u8>(kEs, 0, b) == Status::Fault);
        CHECK(c.fault.vector == kVecGP);
        CHECK(c.fault.error == 0);
    }
    SECTION("beyond the GDT limit: #GP(selector)") {
        c.s.gdtr.limit = 0x27;
        REQUIRE(load_segment(c, kDs, 0x2B) == Status::Fault);
        CHECK(c.fault.vector == kVecGP);
        CHECK(c.fault.error == 0x28);
    }
    SECTION("an LDT selector with a null LDTR: #GP(selector)") {
        REQUIRE(load_segment(c, kDs, 0x0C) == Status::Fault);
        CHECK(c.fault.error == 0x0C);
    }
    SECTION("CPL 3 may not load a DPL-0 data segment") {
        m.to_ring3(kCode);
        REQUIRE(load_segment(c, kDs, kData0 | 3) == Status::Fault);
        CHECK(c.fault.vector == kVecGP);
        CHECK(c.fault.error == kData0);
    }
    SECTION("execute-only code is not a data segment") {
        m.desc(6, 0, 0xFFFFF, 0x98, 0xC);
        REQUIRE(load_segment(c, kDs, 0x30) == Status::Fault);
        CHECK(c.fault.error == 0x30);
        m.desc(6, 0, 0xFFFFF, 0x9A, 0xC); // readable code is fine
        CHECK(load_segment(c, kDs, 0x30) == Status::Ok);
    }
    SECTION("not present: #NP for data, #SS for the stack") {
        m.desc(6, 0, 0xFFFFF, 0x12, 0xC);
        REQUIRE(load_segment(c, kDs, 0x30) == Status::Fault);
        CHECK(c.fault.vector == kVecNP);
        CHECK(c.fault.error == 0x30);
        REQUIRE(load_segment(c, kSs, 0x30) == Status::Fault);
        CHECK(c.fault.vector == kVecSS);
        CHECK(c.fault.error == 0x30);
    }
    SECTION("SS: null is #GP(0); RPL or DPL other than CPL, or read-only, is #GP(sel)") {
        REQUIRE(load_segment(c, kSs, 0) == Status::Fault);
        CHECK(c.fault.error == 0);
        REQUIRE(load_segment(c, kSs, kData0 | 1) == Status::Fault);
        CHECK(c.fault.error == kData0);
        m.desc(6, 0, 0xFFFFF, 0x90, 0xC);
        REQUIRE(load_segment(c, kSs, 0x30) == Status::Fault);
        CHECK(c.fault.error == 0x30);
    }
    SECTION("MOV SS inhibits interrupts for one instruction; MOV CS is #UD") {
        c.s.gpr[kRax] = kData0;
        m.code(kCode, {0x8E, 0xD0}); // mov ss, ax
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.inhibit_irq);
        m.gate(6, kCode0, 0x5000, 0x8E);
        m.code(kCode, {0x8E, 0xC8}); // mov cs, ax
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x5000);
    }
}

TEST_CASE("exceptions at the same privilege push EFLAGS, CS, EIP (and the error code)", "[system]") {
    Sys m;
    Cpu& c = m.c;
    const u32 sp = m.esp();
    SECTION("#UD: no error code, EIP of the faulting instruction") {
        m.code(kCode, {0x0F, 0x0B});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 6 * 0x10);
        CHECK(m.esp() == sp - 12);
        CHECK(m.get32(sp - 12) == kCode);
        CHECK(m.get32(sp - 8) == kCode0);
        CHECK((m.get32(sp - 4) & kFixed1) != 0);
    }
    SECTION("#GP through a trap gate keeps IF and pushes the error code") {
        m.gate(13, kCode0, 0x5000, 0x8F);
        c.s.eflags |= kIF;
        m.code(kCode, {0x8E, 0xD8}); // mov ds, ax with a bad selector
        c.s.gpr[kRax] = 0x1F8;
        c.s.gdtr.limit = 0x2F;
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x5000);
        CHECK(m.esp() == sp - 16);
        CHECK(m.get32(sp - 16) == 0x1F8);
        CHECK(m.get32(sp - 12) == kCode);
        CHECK((c.s.eflags & kIF) != 0);
    }
    SECTION("an interrupt gate clears IF, TF, NT") {
        c.s.eflags |= kIF | kNT;
        m.code(kCode, {0x0F, 0x0B});
        REQUIRE(m.step() == Status::Ok);
        CHECK((c.s.eflags & (kIF | kNT | kTF)) == 0);
        CHECK((m.get32(sp - 4) & (kIF | kNT)) == (kIF | kNT));
    }
}

TEST_CASE("interrupts from ring 3 switch to the TSS stack", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.gate(0x80, kCode0, 0x6000, 0xEE); // DPL 3 interrupt gate
    m.to_ring3(kCode);
    c.s.eflags |= kIF;
    m.code(kCode, {0xCD, 0x80});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.cpl == 0);
    CHECK(c.s.seg[kCs].selector == kCode0);
    CHECK(c.s.seg[kSs].selector == kData0);
    CHECK(c.s.rip == 0x6000);
    CHECK(m.esp() == kStack0 - 20);
    CHECK(m.get32(kStack0 - 4) == kData3);
    CHECK(m.get32(kStack0 - 8) == kStack3);
    CHECK((m.get32(kStack0 - 12) & kIF) != 0);
    CHECK(m.get32(kStack0 - 16) == kCode3);
    CHECK(m.get32(kStack0 - 20) == kCode + 2); // INT n saves the next instruction
    CHECK((c.s.eflags & kIF) == 0);

    // IRET back to ring 3: DS/ES holding a DPL-0 segment are nulled.
    c.s.seg[kDs] = Segment{kData0, 0xC093, 0xFFFFFFFFu, 0};
    c.s.seg[kFs] = Segment{kData3, 0xC0F3, 0xFFFFFFFFu, 0};
    m.code(0x6000, {0xCF});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.cpl == 3);
    CHECK(c.s.rip == kCode + 2);
    CHECK(m.esp() == kStack3);
    CHECK(c.s.seg[kSs].selector == kData3);
    CHECK(c.s.seg[kDs].selector == 0);
    CHECK((c.s.seg[kDs].attr & kAttrP) == 0);
    CHECK(c.s.seg[kFs].selector == kData3);
    CHECK((c.s.eflags & kIF) != 0);
}

TEST_CASE("software interrupts check the gate DPL; exceptions from ring 3 push error codes", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.gate(0x82, kCode0, 0x6000, 0x8E); // DPL 0
    m.to_ring3(kCode);
    m.code(kCode, {0xCD, 0x82});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.rip == 0x20000 + 13 * 0x10);
    CHECK(c.s.cpl == 0);
    CHECK(m.esp() == kStack0 - 24);
    CHECK(m.get32(kStack0 - 24) == (0x82u << 3 | 2)); // IDT bit, EXT clear
    CHECK(m.get32(kStack0 - 20) == kCode);           // the INT itself faulted

    SECTION("HLT at CPL 3 is #GP(0)") {
        m.to_ring3(kCode);
        m.code(kCode, {0xF4});
        REQUIRE(m.step() == Status::Ok);
        CHECK(m.get32(kStack0 - 24) == 0);
        CHECK(!c.s.halted);
    }
    SECTION("a not-present gate during an exception sets EXT: #NP(vec*8+2+1)") {
        m.to_ring3(kCode);
        m.gate(6, kCode0, 0x6000, 0x0E); // #UD gate not present
        m.code(kCode, {0x0F, 0x0B});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 11 * 0x10);
        CHECK(m.get32(kStack0 - 24) == (6u << 3 | 2 | 1));
    }
}

TEST_CASE("double fault and triple fault", "[system]") {
    Sys m;
    Cpu& c = m.c;
    SECTION("#GP whose gate is not present becomes #NP, then #DF") {
        m.gate(13, kCode0, 0x5000, 0x0E);
        m.gate(11, kCode0, 0x5100, 0x0E);
        m.gate(8, kCode0, 0x5200, 0x8E);
        c.s.gpr[kRax] = 0x1F8;
        c.s.gdtr.limit = 0x2F;
        const u32 sp = m.esp();
        m.code(kCode, {0x8E, 0xD8});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x5200);
        CHECK(m.get32(sp - 16) == 0); // #DF error code
        CHECK(m.get32(sp - 12) == kCode);
    }
    SECTION("#PF then #GP during delivery is also a #DF") {
        c.s.idtr.limit = 14 * 8 - 1; // vector 14 lies beyond the limit
        c.s.gpr[kRax] = 0;
        m.gate(8, kCode0, 0x5200, 0x8E);
        (void)c.raise(kVecPF, 0);
        REQUIRE(deliver_exception(c) == Status::Ok);
        CHECK(c.s.rip == 0x5200);
    }
    SECTION("no usable IDT: triple fault shuts the machine down") {
        c.s.idtr.limit = 0;
        m.code(kCode, {0x0F, 0x0B});
        REQUIRE(m.step() == Status::Stop);
        CHECK(m.h.env.shut_down);
    }
    SECTION("benign then contributory is handled serially (#UD -> #GP)") {
        m.gate(6, kCode0, 0x6000, 0x0E);
        m.code(kCode, {0x0F, 0x0B});
        const u32 sp = m.esp();
        REQUIRE(m.step() == Status::Ok);
        // #NP(6*8+2+1) is delivered, not #DF.
        CHECK(c.s.rip == 0x20000 + 11 * 0x10);
        CHECK(m.get32(sp - 16) == (6u * 8 + 3));
    }
}

TEST_CASE("call gates copy parameters to the inner stack; RETF n returns", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.put64(kGdt + 6 * 8, Sys::gate_raw(kCode0, 0x7000, 0xEC, 2)); // 32-bit call gate, DPL 3
    m.to_ring3(kCode, kStack3);
    c.s.gpr[kRsp] = kStack3 - 8;
    m.put32(kStack3 - 8, 0xBBBB); // param 2 (pushed last)
    m.put32(kStack3 - 4, 0xAAAA); // param 1
    m.code(kCode, {0x9A, 0, 0, 0, 0, 0x33, 0x00}); // lcall 0x33:0
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.cpl == 0);
    CHECK(c.s.rip == 0x7000);
    CHECK(m.esp() == kStack0 - 24);
    CHECK(m.get32(kStack0 - 4) == kData3);
    CHECK(m.get32(kStack0 - 8) == kStack3 - 8);
    CHECK(m.get32(kStack0 - 12) == 0xAAAA);
    CHECK(m.get32(kStack0 - 16) == 0xBBBB);
    CHECK(m.get32(kStack0 - 20) == kCode3);
    CHECK(m.get32(kStack0 - 24) == kCode + 7);

    m.code(0x7000, {0xCA, 0x08, 0x00}); // retf 8
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.cpl == 3);
    CHECK(c.s.rip == kCode + 7);
    CHECK(m.esp() == kStack3);
    CHECK(c.s.seg[kSs].selector == kData3);

    SECTION("a call gate whose DPL is below CPL is #GP(gate selector)") {
        m.put64(kGdt + 6 * 8, Sys::gate_raw(kCode0, 0x7000, 0x8C, 0));
        m.code(kCode, {0x9A, 0, 0, 0, 0, 0x33, 0x00});
        REQUIRE(m.step() == Status::Ok);
        CHECK(m.get32(kStack0 - 24) == 0x30);
    }
}

TEST_CASE("far jumps and calls to code segments", "[system]") {
    Sys m;
    Cpu& c = m.c;
    const u32 sp = m.esp();
    m.code(kCode, {0x66, 0x9A, 0x34, 0x12, 0x08, 0x00}); // lcall 0x08:0x1234 (16-bit)
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.rip == 0x1234);
    CHECK(m.esp() == sp - 4);
    CHECK(m.get16(sp - 2) == kCode0);
    CHECK(m.get16(sp - 4) == static_cast<u16>(kCode + 6));
    SECTION("a non-conforming ring-3 segment from ring 0 is #GP(sel)") {
        m.code(kCode, {0xEA, 0, 0, 0, 0, 0x1B, 0x00});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 13 * 0x10);
        CHECK(m.get32(sp - 4 - 16) == 0x18);
    }
    SECTION("a conforming DPL-0 segment keeps CPL 3") {
        m.desc(7, 0, 0xFFFFF, 0x9E, 0xC);
        m.to_ring3(kCode);
        m.code(kCode, {0xEA, 0x00, 0x40, 0, 0, 0x3B, 0x00});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.cpl == 3);
        CHECK(c.s.seg[kCs].selector == 0x3B);
        CHECK(c.s.rip == 0x4000);
    }
}

TEST_CASE("hardware task switches: busy bits, back-link, NT, IRET", "[system]") {
    Sys m;
    Cpu& c = m.c;
    // Task 2: 32-bit TSS at kTss2, starts at 0x7000 with its own stack.
    m.desc(6, kTss2, 0x67, 0x89, 0);
    m.put32(kTss2 + 0x20, 0x7000);        // EIP
    m.put32(kTss2 + 0x24, 0x2);           // EFLAGS
    m.put32(kTss2 + 0x28, 0x11111111);    // EAX
    m.put32(kTss2 + 0x38, 0x7F00);        // ESP
    for (unsigned i = 0; i < 6; ++i) {
        m.put16(kTss2 + 0x48 + 4 * i, i == kCs ? kCode0 : kData0);
    }
    c.s.gpr[kRax] = 0x22;
    m.code(kCode, {0x9A, 0, 0, 0, 0, 0x30, 0x00}); // lcall 0x30:0 -> task switch
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.tr.selector == 0x30);
    CHECK(c.s.rip == 0x7000);
    CHECK(c.s.gpr[kRax] == 0x11111111);
    CHECK(m.esp() == 0x7F00);
    CHECK((c.s.eflags & kNT) != 0);
    CHECK(m.get16(kTss2) == kTssSel);                // back-link
    CHECK((m.h.ram[kGdt + 6 * 8 + 5] & 0xF) == 0xB); // new task busy
    CHECK((m.h.ram[kGdt + 5 * 8 + 5] & 0xF) == 0xB); // old task stays busy (CALL)
    CHECK(m.get32(kTss + 0x20) == kCode + 7);         // old EIP saved
    CHECK(m.get32(kTss + 0x28) == 0x22);
    CHECK((c.s.cr0 & kCr0TS) != 0);

    // IRET with NT returns through the back-link and frees task 2.
    m.code(0x7000, {0xCF});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.tr.selector == kTssSel);
    CHECK(c.s.rip == kCode + 7);
    CHECK(c.s.gpr[kRax] == 0x22);
    CHECK((m.h.ram[kGdt + 6 * 8 + 5] & 0xF) == 0x9);
    CHECK((m.get32(kTss2 + 0x24) & kNT) == 0); // NT cleared in the saved image

    // Calling a busy task (the current one) is #GP(selector).
    const u32 sp = m.esp();
    m.code(kCode, {0x9A, 0, 0, 0, 0, 0x28, 0x00});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.rip == 0x20000 + 13 * 0x10);
    CHECK(m.get32(sp - 16) == 0x28);
}

TEST_CASE("JMP to a TSS frees the old task; a bad CS in the new TSS is #TS", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.desc(6, kTss2, 0x67, 0x89, 0);
    m.put32(kTss2 + 0x20, 0x7000);
    m.put32(kTss2 + 0x24, 0x2);
    m.put32(kTss2 + 0x38, 0x7F00);
    for (unsigned i = 0; i < 6; ++i) {
        m.put16(kTss2 + 0x48 + 4 * i, i == kCs ? kCode0 : kData0);
    }
    SECTION("good task") {
        m.code(kCode, {0xEA, 0, 0, 0, 0, 0x30, 0x00});
        REQUIRE(m.step() == Status::Ok);
        CHECK((m.h.ram[kGdt + 5 * 8 + 5] & 0xF) == 0x9);
        CHECK((m.h.ram[kGdt + 6 * 8 + 5] & 0xF) == 0xB);
        CHECK((c.s.eflags & kNT) == 0);
        CHECK(m.get16(kTss2) == 0);
    }
    SECTION("DS names a not-present segment: #NP(DS) delivered in the new task") {
        m.desc(7, 0, 0xFFFFF, 0x12, 0xC);
        m.put16(kTss2 + 0x54, 0x38);
        m.gate(11, kCode0, 0x5000, 0x8E);
        m.code(kCode, {0xEA, 0, 0, 0, 0, 0x30, 0x00});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.tr.selector == 0x30);
        CHECK(c.s.rip == 0x5000);
        CHECK(m.get32(0x7F00 - 16) == 0x38);
        CHECK(m.get32(0x7F00 - 12) == 0x7000); // the new task's first instruction
    }
    SECTION("CS names a data segment: #TS(CS)") {
        m.put16(kTss2 + 0x4C, kData0);
        m.code(kCode, {0xEA, 0, 0, 0, 0, 0x30, 0x00});
        REQUIRE(m.step() == Status::Ok);
        // The new task has no usable stack yet, so the #TS delivery itself escalates; what
        // matters here is that the switch happened and CS was refused.
        CHECK(c.s.tr.selector == 0x30);
    }
}

TEST_CASE("an exception through a task gate switches tasks and pushes the error code", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.desc(6, kTss2, 0x67, 0x89, 0);
    m.put32(kTss2 + 0x20, 0x7000);
    m.put32(kTss2 + 0x24, 0x2);
    m.put32(kTss2 + 0x38, 0x7F00);
    for (unsigned i = 0; i < 6; ++i) {
        m.put16(kTss2 + 0x48 + 4 * i, i == kCs ? kCode0 : kData0);
    }
    m.put64(kIdt + 13 * 8, Sys::gate_raw(0x30, 0, 0x85));
    c.s.gpr[kRax] = 0x1F8;
    c.s.gdtr.limit = 0x37;
    m.code(kCode, {0x8E, 0xD8});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.tr.selector == 0x30);
    CHECK(c.s.rip == 0x7000);
    CHECK(m.esp() == 0x7F00 - 4);
    CHECK(m.get32(0x7F00 - 4) == 0x1F8);
    CHECK(m.get32(kTss + 0x20) == kCode); // fault: the faulting instruction's EIP
    CHECK(m.get16(kTss2) == kTssSel);
}

TEST_CASE("virtual-8086 mode: IRET in, interrupts out with the v86 frame", "[system]") {
    Sys m;
    Cpu& c = m.c;
    // Ring-0 IRETD frame: EIP CS EFLAGS ESP SS ES DS FS GS.
    const u32 sp = kStack0 - 36;
    const u32 frame[9] = {0x0100, 0x1000, kVM | kFixed1 | (0u << 12), 0x0FFE, 0x2000,
                          0x3000, 0x4000, 0x5000, 0x6000};
    for (unsigned i = 0; i < 9; ++i) {
        m.put32(sp + 4 * i, frame[i]);
    }
    c.s.gpr[kRsp] = sp;
    m.code(kCode, {0xCF});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.v86_mode());
    CHECK(c.s.cpl == 3);
    CHECK(c.s.seg[kCs].base == 0x10000);
    CHECK(c.s.seg[kDs].base == 0x40000);
    CHECK(c.s.seg[kGs].selector == 0x6000);
    CHECK(c.s.rip == 0x100);
    CHECK(m.esp() == 0x0FFE);

    SECTION("INT n with IOPL < 3 is #GP(0) to the ring-0 monitor, with the v86 frame") {
        m.h.poke(0x10100, {0xCD, 0x21});
        REQUIRE(m.step() == Status::Ok);
        CHECK(!c.v86_mode());
        CHECK(c.s.cpl == 0);
        CHECK(c.s.rip == 0x20000 + 13 * 0x10);
        CHECK(m.esp() == kStack0 - 40);
        CHECK(m.get32(kStack0 - 4) == 0x6000);  // GS
        CHECK(m.get32(kStack0 - 16) == 0x3000); // ES
        CHECK(m.get32(kStack0 - 20) == 0x2000); // SS
        CHECK(m.get32(kStack0 - 24) == 0x0FFE); // ESP
        CHECK((m.get32(kStack0 - 28) & kVM) != 0);
        CHECK(m.get32(kStack0 - 32) == 0x1000); // CS
        CHECK(m.get32(kStack0 - 36) == 0x100);  // EIP of the INT
        CHECK(m.get32(kStack0 - 40) == 0);      // error code
        CHECK(c.s.seg[kDs].selector == 0);
        CHECK(c.s.seg[kGs].selector == 0);
    }
    SECTION("OUT denied by the bitmap, allowed when its bit is clear") {
        m.h.poke(0x10100, {0xE6, 0x80, 0xE6, 0x80});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 13 * 0x10);
        CHECK(m.h.env.writes.empty());
    }
    SECTION("OUT allowed by the bitmap") {
        m.h.ram[kTss + 0x68 + 0x80 / 8] = 0xFE;
        m.h.poke(0x10100, {0xE6, 0x80});
        REQUIRE(m.step() == Status::Ok);
        REQUIRE(m.h.env.writes.size() == 1);
        CHECK(m.h.env.writes[0].port == 0x80);
    }
    SECTION("CLI with IOPL 0 is #GP; PUSHF too (no VME)") {
        m.h.poke(0x10100, {0xFA});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 13 * 0x10);
    }
}

TEST_CASE("I/O protection in protected mode", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.to_ring3(kCode);
    c.s.eflags |= 3u << 12; // IOPL 3: no bitmap check
    m.code(kCode, {0xE4, 0x60});
    m.h.env.port_read_value = 0x5A;
    REQUIRE(m.step() == Status::Ok);
    CHECK((c.s.gpr[kRax] & 0xFF) == 0x5A);
    c.s.eflags &= ~kIOPL;
    m.h.ram[kTss + 0x68 + 0x61 / 8] = 0xFF & ~(1u << (0x61 & 7));
    m.code(kCode, {0xE6, 0x61}); // port 0x61 allowed
    REQUIRE(m.step() == Status::Ok);
    REQUIRE(m.h.env.writes.size() == 1);
    c.s.gpr[kRdx] = 0x61;
    m.code(kCode, {0x66, 0xEF}); // out dx, ax: 0x61 allowed but 0x62 denied
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.rip == 0x20000 + 13 * 0x10);
    CHECK(m.h.env.writes.size() == 1);
}

TEST_CASE("REP INSB and OUTSW move strings through ports", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.h.env.port_read_value = 0xAB;
    c.s.gpr[kRdi] = 0x500;
    c.s.gpr[kRcx] = 3;
    c.s.gpr[kRdx] = 0x3F8;
    m.code(kCode, {0xF3, 0x6C});
    REQUIRE(m.step() == Status::Ok);
    CHECK(m.h.peek(0x500) == 0xAB);
    CHECK(m.h.peek(0x502) == 0xAB);
    CHECK(c.s.gpr[kRdi] == 0x503);
    CHECK(c.s.gpr[kRcx] == 0);
    m.put32(0x600, 0x22221111);
    c.s.gpr[kRsi] = 0x602;
    c.s.gpr[kRcx] = 2;
    c.s.eflags |= kDF;
    m.code(kCode, {0xF3, 0x66, 0x6F});
    REQUIRE(m.step() == Status::Ok);
    REQUIRE(m.h.env.writes.size() == 2);
    CHECK(m.h.env.writes[0].value == 0x2222);
    CHECK(m.h.env.writes[1].value == 0x1111);
    CHECK(c.s.gpr[kRsi] == 0x5FE);
}

TEST_CASE("SYSENTER and SYSEXIT", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.to_ring3(kCode);
    m.code(kCode, {0x0F, 0x34});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.rip == 0x20000 + 13 * 0x10); // SYSENTER_CS = 0: #GP(0)
    m.to_ring3(kCode);
    c.s.msr.sysenter_cs = kCode0;
    c.s.msr.sysenter_esp = 0x8800;
    c.s.msr.sysenter_eip = 0x7000;
    c.s.eflags |= kIF;
    m.code(kCode, {0x0F, 0x34});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.cpl == 0);
    CHECK(c.s.seg[kCs].selector == kCode0);
    CHECK(c.s.seg[kSs].selector == kData0);
    CHECK(m.esp() == 0x8800);
    CHECK(c.s.rip == 0x7000);
    CHECK((c.s.eflags & kIF) == 0);
    c.s.gpr[kRcx] = 0x9123;
    c.s.gpr[kRdx] = 0x4567;
    m.code(0x7000, {0x0F, 0x35});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.cpl == 3);
    CHECK(c.s.seg[kCs].selector == kCode3);
    CHECK(c.s.seg[kSs].selector == kData3);
    CHECK(m.esp() == 0x9123);
    CHECK(c.s.rip == 0x4567);
}

TEST_CASE("POPF, CLI and STI follow CPL and IOPL", "[system]") {
    Sys m;
    Cpu& c = m.c;
    m.to_ring3(kCode);
    c.s.eflags = kFixed1 | kIF;
    m.put32(kStack3 - 4, kFixed1 | kCF | (3u << 12)); // try IF=0, IOPL=3
    c.s.gpr[kRsp] = kStack3 - 4;
    m.code(kCode, {0x9D});
    REQUIRE(m.step() == Status::Ok);
    CHECK((read_eflags(c.s) & kCF) != 0);
    CHECK((c.s.eflags & kIF) != 0);   // CPL > IOPL: IF unchanged, no fault
    CHECK((c.s.eflags & kIOPL) == 0); // CPL > 0: IOPL unchanged
    m.code(kCode, {0xFA});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.rip == 0x20000 + 13 * 0x10);

    SECTION("STI at CPL 0 delays interrupts by one instruction") {
        Sys k;
        k.c.s.eflags = kFixed1;
        k.code(kCode, {0xFB});
        REQUIRE(k.step() == Status::Ok);
        CHECK((k.c.s.eflags & kIF) != 0);
        CHECK(k.c.s.inhibit_irq);
    }
    SECTION("PVI: CLI at CPL 3 clears VIF instead") {
        Sys k;
        k.to_ring3(kCode);
        k.c.s.cr4 |= kCr4PVI;
        k.c.s.eflags = kFixed1 | kIF | kVIF;
        k.code(kCode, {0xFA});
        REQUIRE(k.step() == Status::Ok);
        CHECK((k.c.s.eflags & kVIF) == 0);
        CHECK((k.c.s.eflags & kIF) != 0);
    }
}

TEST_CASE("control registers, descriptor tables and queries", "[system]") {
    Sys m;
    Cpu& c = m.c;
    SECTION("CR0.PG without PE is #GP(0); CR4 reserved bits are #GP(0)") {
        c.s.gpr[kRax] = 0x80000000u;
        m.code(kCode, {0x0F, 0x22, 0xC0});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 13 * 0x10);
        c.s.gpr[kRax] = 1u << 20;
        m.code(kCode, {0x0F, 0x22, 0xE0});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 13 * 0x10);
    }
    SECTION("MOV to CR3 at CPL 3 is #GP(0)") {
        m.to_ring3(kCode);
        m.code(kCode, {0x0F, 0x22, 0xD8});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 13 * 0x10);
    }
    SECTION("DR4 aliases DR7 unless CR4.DE") {
        m.code(kCode, {0x0F, 0x21, 0xE0}); // mov eax, dr4 = DR6
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.gpr[kRax] == 0xFFFF0FF0u);
        c.s.cr4 |= kCr4DE;
        m.code(kCode, {0x0F, 0x21, 0xE0});
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 6 * 0x10);
    }
    SECTION("SGDT/LGDT round trip, LTR marks the TSS busy, STR reads it") {
        m.code(kCode, {0x0F, 0x01, 0x05, 0x00, 0x05, 0, 0}); // sgdt [0x500]
        REQUIRE(m.step() == Status::Ok);
        CHECK(m.get16(0x500) == 0x1FF);
        CHECK(m.get32(0x502) == kGdt);
        m.desc(6, kTss2, 0x67, 0x89, 0);
        c.s.gpr[kRax] = 0x30;
        m.code(kCode, {0x0F, 0x00, 0xD8}); // ltr ax
        REQUIRE(m.step() == Status::Ok);
        CHECK((m.h.ram[kGdt + 6 * 8 + 5] & 0xF) == 0xB);
        m.code(kCode, {0x0F, 0x00, 0xD8}); // again: busy -> #GP(0x30)
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.rip == 0x20000 + 13 * 0x10);
    }
    SECTION("LAR, LSL, VERR, VERW, ARPL") {
        c.s.gpr[kRbx] = kCode3;
        m.code(kCode, {0x0F, 0x02, 0xC3}); // lar eax, bx
        REQUIRE(m.step() == Status::Ok);
        CHECK((read_eflags(c.s) & kZF) != 0);
        CHECK(c.s.gpr[kRax] == 0x00C0FA00u); // limit 19:16 masked (00FxFF00H, x = 0)
        m.code(kCode, {0x0F, 0x03, 0xC3}); // lsl eax, bx
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.gpr[kRax] == 0xFFFFFFFFu);
        c.s.gpr[kRbx] = 0x1F8; // beyond... inside the GDT but zero: invalid
        m.code(kCode, {0x0F, 0x02, 0xC3});
        REQUIRE(m.step() == Status::Ok);
        CHECK((read_eflags(c.s) & kZF) == 0);
        c.s.gpr[kRbx] = kCode3;
        m.code(kCode, {0x0F, 0x00, 0xEB}); // verw bx: code is never writable
        REQUIRE(m.step() == Status::Ok);
        CHECK((read_eflags(c.s) & kZF) == 0);
        m.code(kCode, {0x0F, 0x00, 0xE3}); // verr bx
        REQUIRE(m.step() == Status::Ok);
        CHECK((read_eflags(c.s) & kZF) != 0);
        c.s.gpr[kRax] = 0x10;
        c.s.gpr[kRbx] = 0x3;
        m.code(kCode, {0x63, 0xD8}); // arpl ax, bx
        REQUIRE(m.step() == Status::Ok);
        CHECK(c.s.gpr[kRax] == 0x13);
        CHECK((read_eflags(c.s) & kZF) != 0);
    }
}

TEST_CASE("CPUID, MSRs, RDTSC", "[system]") {
    Sys m;
    Cpu& c = m.c;
    const CpuidResult r0 = cpuid(c, 0, 0);
    char vendor[13] = {};
    std::memcpy(vendor, &r0.ebx, 4);
    std::memcpy(vendor + 4, &r0.edx, 4);
    std::memcpy(vendor + 8, &r0.ecx, 4);
    CHECK(std::string(vendor) == "GenuineIntel");
    const CpuidResult r1 = cpuid(c, 1, 0);
    CHECK(r1.eax == 0x6D6);
    CHECK((r1.edx & (1u << 9)) != 0); // APIC: IA32_APIC_BASE is globally enabled at reset
    c.s.msr.apic_base &= ~u64{0x800};
    CHECK((cpuid(c, 1, 0).edx & (1u << 9)) == 0); // the SDM clears it with the APIC disabled
    c.s.msr.apic_base |= 0x800;
    CHECK((r1.edx & (1u << 11)) != 0); // SEP
    CHECK((cpuid(c, 0x80000001u, 0).edx & (1u << 20)) != 0);
    const CpuidResult b = cpuid(c, 0x80000002u, 0);
    CHECK(std::memcmp(&b.eax, "tx86", 4) == 0);

    c.s.gpr[kRcx] = 0x174;
    c.s.gpr[kRax] = 0x08;
    c.s.gpr[kRdx] = 0;
    m.code(kCode, {0x0F, 0x30});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.msr.sysenter_cs == 0x08);
    c.s.gpr[kRcx] = 0x12345;
    m.code(kCode, {0x0F, 0x32});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.rip == 0x20000 + 13 * 0x10);
    m.h.env.ticks = 1000;
    m.code(kCode, {0x0F, 0x31});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.gpr[kRax] == 1000);
    c.s.cr4 |= kCr4TSD;
    m.to_ring3(kCode);
    m.code(kCode, {0x0F, 0x31});
    REQUIRE(m.step() == Status::Ok);
    CHECK(c.s.cpl == 0); // #GP went to the ring-0 handler
}

TEST_CASE("real mode: INT and IRET through the IVT, far call and return", "[system]") {
    tests::CpuHarness h;
    Cpu& c = *h.cpu;
    h.real_mode_at(0x1000, 0x0100);
    c.s.gpr[kRsp] = 0x2000;
    h.poke(0x21 * 4, {0x00, 0x05, 0x00, 0x30}); // 3000:0500
    h.poke(0x10100, {0xCD, 0x21});
    h.poke(0x30500, {0xCF});
    c.s.eflags |= kIF;
    REQUIRE(h.step() == Status::Ok);
    CHECK(c.s.seg[kCs].selector == 0x3000);
    CHECK(c.s.rip == 0x500);
    CHECK((c.s.eflags & kIF) == 0);
    REQUIRE(h.step() == Status::Ok);
    CHECK(c.s.seg[kCs].selector == 0x1000);
    CHECK(c.s.rip == 0x102);
    CHECK((c.s.eflags & kIF) != 0);
    CHECK(c.s.gpr[kRsp] == 0x2000);
    h.poke(0x10102, {0x9A, 0x00, 0x06, 0x00, 0x30}); // call 3000:0600
    h.poke(0x30600, {0xCB});
    REQUIRE(h.step() == Status::Ok);
    CHECK(c.s.rip == 0x600);
    REQUIRE(h.step() == Status::Ok);
    CHECK(c.s.rip == 0x107);
    CHECK(c.s.seg[kCs].base == 0x10000);
}
