// SPDX-License-Identifier: MIT
// RecordDecoder: block records -> spans (with blocks left early, instructions missing), events
// placed where they happened (interrupts before the handler, port writes and CR3 loads after
// their instruction), and the expansion of spans into single instructions.
#include "tests/unit/trace_fixtures.h"
#include "tools/trace/record_decoder.h"

#include <catch2/catch.hpp>

using namespace trace_test;
using tools::RecordDecoder;

namespace {

struct Fixture {
    tools::OwnedCatalog catalog;
    Collector out;
    RecordDecoder dec{catalog, out, 0x1000};
    Fixture() { define_abu(catalog); }
};

} // namespace

TEST_CASE("block records become spans; the count comes from the next record", "[trace]") {
    Fixture f;
    const std::vector<cpu::TraceRecord> r = {rec(0, 100), rec(1, 104), rec(0, 107)};
    f.dec.feed(r);
    f.dec.finish(111);
    CHECK(f.out.log == std::vector<std::string>{"exec 0 0+4 @100 cr3=4096",
                                                "exec 1 0+3 @104 cr3=4096",
                                                "exec 0 0+4 @107 cr3=4096"});
    CHECK(f.out.insns == 11);
    CHECK(f.dec.missing_insns() == 0);
    CHECK(f.dec.bad_records() == 0);
}

TEST_CASE("a block left early keeps only what retired; the end counter closes the last",
          "[trace]") {
    Fixture f;
    f.dec.feed(std::vector<cpu::TraceRecord>{rec(0, 0), rec(1, 2), rec(0, 3)});
    f.dec.finish(4); // the last block retired one instruction before the run stopped
    CHECK(f.out.log == std::vector<std::string>{"exec 0 0+2 @0 cr3=4096", "exec 1 0+1 @2 cr3=4096",
                                                "exec 0 0+1 @3 cr3=4096"});
}

TEST_CASE("a fault: the interrupt follows the retired part and names its handler", "[trace]") {
    Fixture f;
    // B faults on its third instruction (icount 12): page fault, error code 2, handler A.
    f.dec.feed(std::vector<cpu::TraceRecord>{
        rec(1, 10), rec(cpu::kTraceInterrupt, 12, int_aux(14, 0, 3, 0, true)),
        rec(cpu::kTraceErrorCode, 12, 2), rec(0, 12)});
    f.dec.finish(16);
    CHECK(f.out.log ==
          std::vector<std::string>{"exec 1 0+2 @10 cr3=4096",
                                   "int @12 aux=" + std::to_string(int_aux(14, 0, 3, 0, true)) +
                                       " err=2 handler=0",
                                   "exec 0 0+4 @12 cr3=4096"});
    REQUIRE(f.out.events.size() == 1);
    CHECK(f.out.events[0].vector() == 14);
    CHECK(f.out.events[0].old_cpl() == 3);
    CHECK(f.out.events[0].new_cpl() == 0);
}

TEST_CASE("an INT n that retired stays in its block, the interrupt comes after it", "[trace]") {
    Fixture f;
    // U runs both instructions (the INT 0x80 retires: icount 22 at the handler).
    f.dec.feed(std::vector<cpu::TraceRecord>{
        rec(2, 20), rec(cpu::kTraceInterrupt, 21, int_aux(0x80, 3, 3, 0, false)), rec(1, 22)});
    f.dec.finish(25);
    REQUIRE(f.out.log.size() == 3);
    CHECK(f.out.log[0] == "exec 2 0+2 @20 cr3=4096");
    CHECK(f.out.log[1].rfind("int @21", 0) == 0);
    CHECK(f.out.log[2] == "exec 1 0+3 @22 cr3=4096");
}

TEST_CASE("port writes and CR3 loads split the block after their instruction", "[trace]") {
    Fixture f;
    f.dec.feed(std::vector<cpu::TraceRecord>{rec(0, 50),
                                             rec(cpu::kTracePortWrite, 51, 0x80 | 0x12 << 16),
                                             rec(cpu::kTraceCr3, 52, 0x5000), rec(1, 54)});
    f.dec.finish(57);
    CHECK(f.out.log == std::vector<std::string>{"exec 0 0+2 @50 cr3=4096",
                                                "out @51 aux=" + std::to_string(0x80 | 0x12 << 16),
                                                "exec 0 2+1 @52 cr3=4096", "cr3 @52 aux=20480",
                                                "exec 0 3+1 @53 cr3=20480",
                                                "exec 1 0+3 @54 cr3=20480"});
}

TEST_CASE("instructions no record covers are counted and shown as a gap", "[trace]") {
    Fixture f;
    f.dec.feed(std::vector<cpu::TraceRecord>{rec(0, 0), rec(1, 10)});
    f.dec.finish(13);
    CHECK(f.out.log == std::vector<std::string>{"exec 0 0+4 @0 cr3=4096", "gap @10 aux=0",
                                                "exec 1 0+3 @10 cr3=4096"});
    CHECK(f.dec.missing_insns() == 6);
}

TEST_CASE("unknown blocks and tags, orphan error codes and a backward counter are counted",
          "[trace]") {
    Fixture f;
    f.dec.feed(std::vector<cpu::TraceRecord>{
        rec(77, 0), rec(0xFFFFFFF0u, 0), rec(cpu::kTraceErrorCode, 0, 5), rec(0, 10), rec(1, 5)});
    f.dec.finish(8);
    CHECK(f.dec.bad_records() == 4);
    CHECK(f.out.log == std::vector<std::string>{"exec 1 0+3 @5 cr3=4096"});
}

TEST_CASE("a recording gap closes the open block without counting missing instructions",
          "[trace]") {
    Fixture f;
    f.dec.feed(std::vector<cpu::TraceRecord>{rec(0, 0), rec(cpu::kTraceGap, 1000), rec(1, 1000)});
    f.dec.finish(1003);
    CHECK(f.out.log == std::vector<std::string>{"exec 0 0+4 @0 cr3=4096", "gap @1000 aux=0",
                                                "exec 1 0+3 @1000 cr3=4096"});
    CHECK(f.dec.missing_insns() == 0);
}

TEST_CASE("records split across feeds decode the same", "[trace]") {
    Fixture f;
    f.dec.feed(std::vector<cpu::TraceRecord>{
        rec(1, 10), rec(cpu::kTraceInterrupt, 12, int_aux(13, 0, 0, 0, true))});
    f.dec.feed(std::vector<cpu::TraceRecord>{rec(cpu::kTraceErrorCode, 12, 0x18)});
    f.dec.feed(std::vector<cpu::TraceRecord>{rec(0, 12)});
    f.dec.finish(13);
    REQUIRE(f.out.events.size() == 1);
    CHECK(f.out.events[0].error == 0x18);
    CHECK(f.out.events[0].handler == 0);
    CHECK(f.out.insns == 3);
}

TEST_CASE("spans expand into instructions with addresses, CS:EIP and bytes", "[trace]") {
    tools::OwnedCatalog c;
    define_abu(c);
    const tools::BlockView* b = c.find(1);
    REQUIRE(b);
    REQUIRE(b->offsets == std::vector<u16>{0, 5, 7, 8});
    const tools::ExecSpan span{1, 1, 2, 500, 0x3000};
    const tools::TracedInsn i = tools::traced_insn(*b, span, 2);
    CHECK(i.icount == 501);
    CHECK(i.lin == 0x2007);
    CHECK(i.phys == 0x102007);
    CHECK(i.eip == 0x2007);
    CHECK(i.cs == 0x60);
    CHECK(i.length == 1);
    CHECK(i.bytes[0] == 0xC3);
    CHECK(i.cr3 == 0x3000);

    // 16-bit code: EIP is the offset in CS, 16 bits wide.
    cpu::BlockDef d = def_of(0xF0010, kBytesA, 4);
    d.code_bits = 16;
    d.cs_base = 0xF0000;
    d.cs_selector = 0xF000;
    c.define(5, d, kBytesA.data());
    const tools::TracedInsn r = tools::traced_insn(*c.find(5), tools::ExecSpan{5, 0, 4, 0, 0}, 3);
    CHECK(r.eip == 0x13);
    CHECK(r.code_bits == 16);
}

namespace {

/// Drops block B (id 1) and everything before icount `from`.
class TestGate final : public tools::SpanGate {
  public:
    explicit TestGate(u64 from) : m_from(from) {}
    bool may_keep(u32 id, const tools::BlockView&) override { return id != 1; }
    u64 wanted_from() const override { return m_from; }

  private:
    u64 m_from;
};

} // namespace

TEST_CASE("a gate drops blocks and the time before a window; events still pass", "[trace]") {
    tools::OwnedCatalog catalog;
    define_abu(catalog);
    Collector out;
    TestGate gate(8000);
    RecordDecoder dec(catalog, out, 0x1000, &gate);
    std::vector<cpu::TraceRecord> r;
    u64 icount = 0;
    // A long run of A and B (skipped: A ends before the window, B is dropped), a CR3 load in
    // the middle, then into the window.
    for (int i = 0; i < 3000; ++i) {
        r.push_back(rec(i % 2 ? 1 : 0, icount));
        icount += i % 2 ? 3 : 4;
        if (i == 1000) {
            r.push_back(rec(cpu::kTraceCr3, icount - 1, 0x9000));
        }
    }
    r.push_back(rec(2, icount)); // U, inside the window
    dec.feed(r);
    dec.finish(icount + 2);
    // Only A spans reaching the window, U, and the CR3 load (events are the filter's to drop).
    u64 a_insns = 0;
    for (const tools::ExecSpan& s : out.spans) {
        CHECK(s.block != 1);
        CHECK(s.icount + s.count > 8000);
        if (s.block == 0) {
            a_insns += s.count;
            CHECK(s.cr3 == 0x9000);
        }
    }
    CHECK(icount == 10500);
    CHECK(a_insns == 4 * 357); // the A blocks entered at 7 * 1143 = 8001 and later
    REQUIRE_FALSE(out.spans.empty());
    CHECK(out.spans.back().block == 2);
    CHECK(out.spans.back().count == 2);
    REQUIRE(out.events.size() == 1);
    CHECK(out.events[0].kind == tools::TraceEvent::Kind::Cr3Load);
    CHECK(dec.bad_records() == 0);
}

TEST_CASE("-trace-regs records follow the instruction that changed the register", "[trace]") {
    Fixture f;
    // A's second instruction (icount 101) set EAX and EFLAGS; the register rides in the top
    // bits of the record's icount field.
    auto reg = [](cpu::TraceReg r, u64 icount, u32 value) {
        return rec(cpu::kTraceRegWrite, icount | u64{r} << cpu::kTraceRegShift, value);
    };
    f.dec.feed(std::vector<cpu::TraceRecord>{rec(0, 100), reg(cpu::kTrEax, 101, 7),
                                             reg(cpu::kTrEflags, 101, 0x246), rec(1, 104)});
    f.dec.finish(107);
    CHECK(f.out.log == std::vector<std::string>{"exec 0 0+2 @100 cr3=4096",
                                                "reg @101 aux=7 reg=0 cpl=0",
                                                "reg @101 aux=582 reg=8 cpl=0",
                                                "exec 0 2+2 @102 cr3=4096",
                                                "exec 1 0+3 @104 cr3=4096"});
    CHECK(f.dec.bad_records() == 0);
    // A register number past the last is a bad record, not an event.
    f.dec.feed(std::vector<cpu::TraceRecord>{
        rec(cpu::kTraceRegWrite, 108 | u64{cpu::kTraceRegCount} << cpu::kTraceRegShift, 1)});
    CHECK(f.dec.bad_records() == 1);
}
