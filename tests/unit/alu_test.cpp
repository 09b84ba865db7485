// SPDX-License-Identifier: MIT
// Unit tests for the integer families (alu, muldiv, shift, bit, data, string) in 32-bit flat
// protected mode: the edge cases the 16-bit SingleStepTests vectors cannot reach (32-bit
// operands, SHLD/SHRD, CMPXCHG8B, large BT offsets) and fault/restart behaviour checked at the
// handler level. Not here: the vector replay (tests/vectors/sst_test.cpp).
#include "cpu/decoder/decoder.h"
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace cpu;

namespace {

/// A flat 32-bit CPU that runs one instruction through its handler directly, so a fault is
/// seen as a Status (with cpu.fault) instead of being delivered.
struct Flat32 {
    tests::CpuHarness h;
    explicit Flat32(std::vector<u8> code, CodeMode mode = CodeMode::Bits32) : m_mode(mode) {
        if (mode == CodeMode::Bits32) {
            h.flat32_at(0x1000);
        } else {
            h.real_mode_at(0, 0x1000);
        }
        h.poke(0x1000, code);
        h.cpu->s.gpr[kRsp] = 0x8000;
    }
    u64& r(unsigned i) { return h.cpu->s.gpr[i]; }
    u32 flags() { return read_eflags(h.cpu->s); }
    void set_flags_to(u32 f) {
        flush_flags(h.cpu->s);
        h.cpu->s.eflags = f | kFixed1;
    }
    /// Decodes at rIP and runs the handler; on Ok commits rIP like the interpreter does.
    Status exec() {
        Cpu& c = *h.cpu;
        const u64 lin = c.s.seg[kCs].base + c.s.rip;
        DecodedInsn d;
        REQUIRE(decode(h.ram + lin, 15, m_mode, d) == DecodeError::None);
        c.next_rip = (c.s.rip + d.length) & c.ip_mask();
        const Status st = interp::handler_table().h[static_cast<usize>(d.id)](c, d);
        if (st == Status::Ok) {
            c.s.rip = c.next_rip;
        }
        return st;
    }
    void run() { REQUIRE(exec() == Status::Ok); }
    u32 mem32(u64 a) {
        u32 v;
        std::memcpy(&v, h.ram + a, 4);
        return v;
    }
    u64 mem64(u64 a) {
        u64 v;
        std::memcpy(&v, h.ram + a, 8);
        return v;
    }
    void put64(u64 a, u64 v) { std::memcpy(h.ram + a, &v, 8); }

private:
    CodeMode m_mode;
};

bool has(u32 f, u32 bit) { return (f & bit) != 0; }

} // namespace

TEST_CASE("every row has a handler", "[interp]") {
    const auto& t = interp::handler_table();
    for (usize i = 0; i < kInsnCount; ++i) {
        INFO(insn_info(static_cast<InsnId>(i)).id_name);
        CHECK(t.h[i] != nullptr);
    }
}

TEST_CASE("ADC/SBB flags with a carry-in", "[interp]") {
    SECTION("adc eax, ebx: FFFFFFFF + 0 + 1 wraps to 0 with CF") {
        Flat32 c({0x11, 0xD8});
        c.r(kRax) = 0xFFFFFFFF;
        c.r(kRbx) = 0;
        c.set_flags_to(kCF);
        c.run();
        CHECK(c.r(kRax) == 0);
        const u32 f = c.flags();
        CHECK(has(f, kCF));
        CHECK(has(f, kZF));
        CHECK(has(f, kAF));
        CHECK_FALSE(has(f, kOF));
    }
    SECTION("adc eax, ebx: 7FFFFFFF + 0 + 1 overflows") {
        Flat32 c({0x11, 0xD8});
        c.r(kRax) = 0x7FFFFFFF;
        c.r(kRbx) = 0;
        c.set_flags_to(kCF);
        c.run();
        CHECK(c.r(kRax) == 0x80000000);
        CHECK(has(c.flags(), kOF));
        CHECK_FALSE(has(c.flags(), kCF));
    }
    SECTION("adc al, FF with CF: 1 + FF + 1 = 101") {
        Flat32 c({0x14, 0xFF});
        c.r(kRax) = 0x01;
        c.set_flags_to(kCF);
        c.run();
        CHECK((c.r(kRax) & 0xFF) == 0x01);
        CHECK(has(c.flags(), kCF));
        CHECK(has(c.flags(), kAF));
        CHECK_FALSE(has(c.flags(), kOF));
    }
    SECTION("sbb eax, ebx: 0 - FFFFFFFF - 1 = 0 with a borrow") {
        Flat32 c({0x19, 0xD8});
        c.r(kRax) = 0;
        c.r(kRbx) = 0xFFFFFFFF;
        c.set_flags_to(kCF);
        c.run();
        CHECK(c.r(kRax) == 0);
        CHECK(has(c.flags(), kCF));
        CHECK(has(c.flags(), kZF));
    }
    SECTION("sbb eax, ebx: 80000000 - 0 - 1 overflows without a borrow") {
        Flat32 c({0x19, 0xD8});
        c.r(kRax) = 0x80000000;
        c.r(kRbx) = 0;
        c.set_flags_to(kCF);
        c.run();
        CHECK(c.r(kRax) == 0x7FFFFFFF);
        CHECK(has(c.flags(), kOF));
        CHECK_FALSE(has(c.flags(), kCF));
    }
}

TEST_CASE("shift counts 0, 1 and >= width", "[interp]") {
    SECTION("shl eax, 0 changes nothing, not even flags") {
        Flat32 c({0xC1, 0xE0, 0x00});
        c.r(kRax) = 0x80000001;
        c.set_flags_to(kCF | kOF | kZF);
        c.run();
        CHECK(c.r(kRax) == 0x80000001);
        CHECK((c.flags() & kArithFlags) == (kCF | kOF | kZF));
    }
    SECTION("shl eax, 32 is masked to 0") {
        Flat32 c({0xC1, 0xE0, 0x20});
        c.r(kRax) = 0x12345678;
        c.set_flags_to(kCF);
        c.run();
        CHECK(c.r(kRax) == 0x12345678);
        CHECK(has(c.flags(), kCF));
    }
    SECTION("shl eax, 1 sets CF and OF") {
        Flat32 c({0xD1, 0xE0});
        c.r(kRax) = 0x80000001;
        c.run();
        CHECK(c.r(kRax) == 2);
        CHECK(has(c.flags(), kCF));
        CHECK(has(c.flags(), kOF));
    }
    SECTION("shl ax, 16 shifts everything out; CF is the old bit 0") {
        Flat32 c({0x66, 0xC1, 0xE0, 0x10});
        c.r(kRax) = 0xABCD8001;
        c.run();
        CHECK(c.r(kRax) == 0xABCD0000);
        CHECK(has(c.flags(), kCF));
        CHECK(has(c.flags(), kZF));
    }
    SECTION("shr al, 9 clears AL and CF") {
        Flat32 c({0xC0, 0xE8, 0x09});
        c.r(kRax) = 0xFF;
        c.set_flags_to(kCF);
        c.run();
        CHECK((c.r(kRax) & 0xFF) == 0);
        CHECK_FALSE(has(c.flags(), kCF));
        CHECK(has(c.flags(), kZF));
    }
    SECTION("sar eax, 31 fills with the sign") {
        Flat32 c({0xC1, 0xF8, 0x1F});
        c.r(kRax) = 0x80000000;
        c.run();
        CHECK(c.r(kRax) == 0xFFFFFFFF);
        CHECK_FALSE(has(c.flags(), kCF));
        CHECK_FALSE(has(c.flags(), kOF));
    }
    SECTION("rcl al, 9 rotates a full circle through CF") {
        Flat32 c({0xC0, 0xD0, 0x09});
        c.r(kRax) = 0x81;
        c.set_flags_to(kCF);
        c.run();
        CHECK((c.r(kRax) & 0xFF) == 0x81);
        CHECK(has(c.flags(), kCF));
    }
    SECTION("rcr eax, 1 takes CF into the top and OF from the old top and CF") {
        Flat32 c({0xD1, 0xD8});
        c.r(kRax) = 0x00000001;
        c.set_flags_to(kCF);
        c.run();
        CHECK(c.r(kRax) == 0x80000000);
        CHECK(has(c.flags(), kCF));
        CHECK(has(c.flags(), kOF));
    }
    SECTION("rol eax, 8 leaves SF/ZF alone") {
        Flat32 c({0xC1, 0xC0, 0x08});
        c.r(kRax) = 0x12345678;
        c.set_flags_to(kZF);
        c.run();
        CHECK(c.r(kRax) == 0x34567812);
        CHECK(has(c.flags(), kZF));
        CHECK_FALSE(has(c.flags(), kCF));
    }
}

TEST_CASE("SHLD/SHRD", "[interp]") {
    SECTION("shld eax, ebx, 4") {
        Flat32 c({0x0F, 0xA4, 0xD8, 0x04});
        c.r(kRax) = 0x12345678;
        c.r(kRbx) = 0x9ABCDEF0;
        c.run();
        CHECK(c.r(kRax) == 0x23456789);
        CHECK(has(c.flags(), kCF)); // bit 28 of the old EAX
    }
    SECTION("shrd eax, ebx, 8") {
        Flat32 c({0x0F, 0xAC, 0xD8, 0x08});
        c.r(kRax) = 0x12345678;
        c.r(kRbx) = 0x9ABCDEF0;
        c.run();
        CHECK(c.r(kRax) == 0xF0123456);
        CHECK_FALSE(has(c.flags(), kCF)); // bit 7 of the old EAX
        CHECK(has(c.flags(), kSF));
    }
    SECTION("shld eax, ebx, cl with CL=0 is a no-op") {
        Flat32 c({0x0F, 0xA5, 0xD8});
        c.r(kRax) = 0x12345678;
        c.r(kRcx) = 0x20; // masked to 0
        c.set_flags_to(kCF);
        c.run();
        CHECK(c.r(kRax) == 0x12345678);
        CHECK(has(c.flags(), kCF));
    }
    SECTION("shrd ax, bx, 1 sets OF on a sign change") {
        Flat32 c({0x66, 0x0F, 0xAC, 0xD8, 0x01});
        c.r(kRax) = 0x0002;
        c.r(kRbx) = 0x0001;
        c.run();
        CHECK((c.r(kRax) & 0xFFFF) == 0x8001);
        CHECK(has(c.flags(), kOF));
    }
}

TEST_CASE("IMUL overflow in the 2- and 3-operand forms", "[interp]") {
    SECTION("imul eax, ebx, 0x10000: 2^32 does not fit") {
        Flat32 c({0x69, 0xC3, 0x00, 0x00, 0x01, 0x00});
        c.r(kRbx) = 0x10000;
        c.run();
        CHECK(c.r(kRax) == 0);
        CHECK(has(c.flags(), kCF));
        CHECK(has(c.flags(), kOF));
    }
    SECTION("imul eax, ebx, -1 with EBX = INT_MIN overflows") {
        Flat32 c({0x6B, 0xC3, 0xFF});
        c.r(kRbx) = 0x80000000;
        c.run();
        CHECK(c.r(kRax) == 0x80000000);
        CHECK(has(c.flags(), kOF));
    }
    SECTION("imul ecx, ebx, -2 fits") {
        Flat32 c({0x6B, 0xCB, 0xFE});
        c.r(kRbx) = 0x40000000 - 1;
        c.run();
        CHECK(c.r(kRcx) == 0x80000002);
        CHECK_FALSE(has(c.flags(), kOF));
        CHECK_FALSE(has(c.flags(), kCF));
    }
    SECTION("imul ax, bx: 0x4000 * 2 overflows 16 bits") {
        Flat32 c({0x66, 0x0F, 0xAF, 0xC3});
        c.r(kRax) = 0xFFFF0002;
        c.r(kRbx) = 0x4000;
        c.run();
        CHECK(c.r(kRax) == 0xFFFF8000);
        CHECK(has(c.flags(), kOF));
    }
    SECTION("one-operand imul ebx: EDX:EAX gets the full product") {
        Flat32 c({0xF7, 0xEB});
        c.r(kRax) = 0xFFFFFFFE; // -2
        c.r(kRbx) = 3;
        c.run();
        CHECK(c.r(kRax) == 0xFFFFFFFA);
        CHECK(c.r(kRdx) == 0xFFFFFFFF);
        CHECK_FALSE(has(c.flags(), kCF));
    }
}

TEST_CASE("DIV/IDIV raise #DE and leave registers alone", "[interp]") {
    SECTION("div ebx by zero") {
        Flat32 c({0xF7, 0xF3});
        c.r(kRax) = 5;
        c.r(kRdx) = 0;
        c.r(kRbx) = 0;
        CHECK(c.exec() == Status::Fault);
        CHECK(c.h.cpu->fault.vector == kVecDE);
        CHECK(c.r(kRax) == 5);
        CHECK(c.h.cpu->s.rip == 0x1000);
    }
    SECTION("div ebx with a quotient of 2^32") {
        Flat32 c({0xF7, 0xF3});
        c.r(kRax) = 0;
        c.r(kRdx) = 1;
        c.r(kRbx) = 1;
        CHECK(c.exec() == Status::Fault);
        CHECK(c.h.cpu->fault.vector == kVecDE);
        CHECK(c.r(kRdx) == 1);
    }
    SECTION("idiv ebx: INT_MIN / -1 overflows") {
        Flat32 c({0xF7, 0xFB});
        c.r(kRax) = 0x80000000;
        c.r(kRdx) = 0xFFFFFFFF;
        c.r(kRbx) = 0xFFFFFFFF;
        CHECK(c.exec() == Status::Fault);
        CHECK(c.h.cpu->fault.vector == kVecDE);
    }
    SECTION("idiv ebx: -7 / 2 truncates toward zero") {
        Flat32 c({0xF7, 0xFB});
        c.r(kRax) = 0xFFFFFFF9;
        c.r(kRdx) = 0xFFFFFFFF;
        c.r(kRbx) = 2;
        c.run();
        CHECK(c.r(kRax) == 0xFFFFFFFD);
        CHECK(c.r(kRdx) == 0xFFFFFFFF);
    }
    SECTION("div bl: 0x100 / 1 does not fit in AL") {
        Flat32 c({0xF6, 0xF3});
        c.r(kRax) = 0x100;
        c.r(kRbx) = 1;
        CHECK(c.exec() == Status::Fault);
        CHECK(c.h.cpu->fault.vector == kVecDE);
    }
    SECTION("idiv bl: -128 / 1 fits") {
        Flat32 c({0xF6, 0xFB});
        c.r(kRax) = 0xFF80;
        c.r(kRbx) = 1;
        c.run();
        CHECK((c.r(kRax) & 0xFFFF) == 0x0080);
    }
}

TEST_CASE("BT family with a memory operand and register offsets", "[interp]") {
    SECTION("bt [0x2000], eax with EAX=100 tests bit 4 of the dword at 0x200C") {
        Flat32 c({0x0F, 0xA3, 0x05, 0x00, 0x20, 0x00, 0x00});
        c.r(kRax) = 100;
        c.h.ram[0x200C] = 0x10;
        c.run();
        CHECK(has(c.flags(), kCF));
    }
    SECTION("bt [0x2000], eax with EAX=-1 tests bit 31 of the dword at 0x1FFC") {
        Flat32 c({0x0F, 0xA3, 0x05, 0x00, 0x20, 0x00, 0x00});
        c.r(kRax) = 0xFFFFFFFF;
        c.h.ram[0x1FFF] = 0x80;
        c.run();
        CHECK(has(c.flags(), kCF));
    }
    SECTION("bts [0x2000], eax with EAX=1000 sets bit 8 of the dword at 0x207C") {
        Flat32 c({0x0F, 0xAB, 0x05, 0x00, 0x20, 0x00, 0x00});
        c.r(kRax) = 1000;
        c.run();
        CHECK_FALSE(has(c.flags(), kCF));
        CHECK(c.mem32(0x207C) == 0x100);
    }
    SECTION("btr word [0x2000], ax with AX=-16 clears bit 0 of the word at 0x1FFE") {
        Flat32 c({0x66, 0x0F, 0xB3, 0x05, 0x00, 0x20, 0x00, 0x00});
        c.r(kRax) = 0xFFF0;
        c.h.ram[0x1FFE] = 0x03;
        c.run();
        CHECK(has(c.flags(), kCF));
        CHECK(c.h.ram[0x1FFE] == 0x02);
    }
    SECTION("btc [0x2000], 35 uses the immediate modulo 32, no address change") {
        Flat32 c({0x0F, 0xBA, 0x3D, 0x00, 0x20, 0x00, 0x00, 35});
        c.run();
        CHECK(c.mem32(0x2000) == 0x8);
    }
    SECTION("bt ecx, eax with a register operand uses the offset modulo 32") {
        Flat32 c({0x0F, 0xA3, 0xC1});
        c.r(kRax) = 33;
        c.r(kRcx) = 2;
        c.run();
        CHECK(has(c.flags(), kCF));
    }
}

TEST_CASE("REP MOVS with DF=1 and restart after a fault", "[interp]") {
    SECTION("rep movsb backwards") {
        Flat32 c({0xF3, 0xA4});
        for (unsigned i = 0; i < 4; ++i) {
            c.h.ram[0x3000 + i] = static_cast<u8>(0xA0 + i);
        }
        c.r(kRsi) = 0x3003;
        c.r(kRdi) = 0x4003;
        c.r(kRcx) = 4;
        c.set_flags_to(kDF);
        c.run();
        CHECK(c.r(kRcx) == 0);
        CHECK(c.r(kRsi) == 0x2FFF);
        CHECK(c.r(kRdi) == 0x3FFF);
        for (unsigned i = 0; i < 4; ++i) {
            CHECK(c.h.ram[0x4000 + i] == 0xA0 + i);
        }
    }
    SECTION("rep movsd backwards") {
        Flat32 c({0xF3, 0xA5});
        c.h.ram[0x3000] = 0x11;
        c.h.ram[0x3004] = 0x22;
        c.r(kRsi) = 0x3004;
        c.r(kRdi) = 0x4004;
        c.r(kRcx) = 2;
        c.set_flags_to(kDF);
        c.run();
        CHECK(c.r(kRsi) == 0x2FFC);
        CHECK(c.r(kRdi) == 0x3FFC);
        CHECK(c.mem32(0x4000) == 0x11);
        CHECK(c.mem32(0x4004) == 0x22);
    }
    SECTION("a fault mid-way leaves the remaining work in CX/DI (real mode)") {
        Flat32 c({0xF3, 0xAB}, CodeMode::Bits16); // rep stosw
        c.r(kRax) = 0xBEEF;
        c.r(kRdi) = 0xFFFB;
        c.r(kRcx) = 4;
        // Words at FFFB and FFFD fit; the one at FFFF crosses the ES limit: #GP.
        CHECK(c.exec() == Status::Fault);
        CHECK(c.h.cpu->fault.vector == kVecGP);
        CHECK(c.r(kRcx) == 2);
        CHECK(c.r(kRdi) == 0xFFFF);
        CHECK(c.h.cpu->s.rip == 0x1000);
        CHECK(c.h.ram[0xFFFB] == 0xEF);
        CHECK(c.h.ram[0xFFFE] == 0xBE);
    }
    SECTION("repne scasb stops on a match") {
        Flat32 c({0xF2, 0xAE});
        c.h.ram[0x5002] = 0x42;
        c.r(kRax) = 0x42;
        c.r(kRdi) = 0x5000;
        c.r(kRcx) = 10;
        c.run();
        CHECK(c.r(kRcx) == 7);
        CHECK(c.r(kRdi) == 0x5003);
        CHECK(has(c.flags(), kZF));
    }
}

TEST_CASE("CMPXCHG8B", "[interp]") {
    SECTION("equal: stores ECX:EBX and sets ZF") {
        Flat32 c({0x0F, 0xC7, 0x0D, 0x00, 0x20, 0x00, 0x00});
        c.put64(0x2000, 0x1122334455667788ull);
        c.r(kRdx) = 0x11223344;
        c.r(kRax) = 0x55667788;
        c.r(kRcx) = 0xCAFEBABE;
        c.r(kRbx) = 0xDEADBEEF;
        c.run();
        CHECK(c.mem64(0x2000) == 0xCAFEBABEDEADBEEFull);
        CHECK(has(c.flags(), kZF));
    }
    SECTION("not equal: loads EDX:EAX and clears ZF") {
        Flat32 c({0x0F, 0xC7, 0x0D, 0x00, 0x20, 0x00, 0x00});
        c.put64(0x2000, 0x1122334455667788ull);
        c.r(kRdx) = 0;
        c.r(kRax) = 0;
        c.set_flags_to(kZF | kCF);
        c.run();
        CHECK(c.r(kRdx) == 0x11223344);
        CHECK(c.r(kRax) == 0x55667788);
        CHECK(c.mem64(0x2000) == 0x1122334455667788ull);
        CHECK_FALSE(has(c.flags(), kZF));
        CHECK(has(c.flags(), kCF)); // only ZF changes
    }
}

TEST_CASE("POP r/m addresses with the incremented ESP; ENTER with nesting", "[interp]") {
    SECTION("pop dword [esp]") {
        Flat32 c({0x8F, 0x04, 0x24});
        c.r(kRsp) = 0x7000;
        std::memcpy(c.h.ram + 0x7000, "\x78\x56\x34\x12", 4);
        c.run();
        CHECK(c.r(kRsp) == 0x7004);
        CHECK(c.mem32(0x7004) == 0x12345678);
    }
    SECTION("enter 8, 2") {
        Flat32 c({0xC8, 0x08, 0x00, 0x02});
        c.r(kRsp) = 0x7000;
        c.r(kRbp) = 0x7100;
        std::memcpy(c.h.ram + 0x70FC, "\xEF\xBE\xAD\xDE", 4); // the enclosing frame's pointer
        c.run();
        CHECK(c.mem32(0x6FFC) == 0x7100);     // old EBP
        CHECK(c.mem32(0x6FF8) == 0xDEADBEEF); // copied display entry
        CHECK(c.mem32(0x6FF4) == 0x6FFC);     // the new frame pointer
        CHECK(c.r(kRbp) == 0x6FFC);
        CHECK(c.r(kRsp) == 0x6FF4 - 8);
    }
}
