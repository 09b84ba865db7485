// SPDX-License-Identifier: MIT
// The trace filter options: their parsing (QEMU's -dfilter forms, bad values named) and the
// TraceFilter stage applying them exactly, per instruction, with start/stop triggers.
#include "tests/unit/trace_fixtures.h"
#include "tools/trace/trace_filter.h"
#include "tools/trace/trace_options.h"

#include <catch2/catch.hpp>

using namespace trace_test;
using tools::TraceFilterSpec;

namespace {

TraceFilterSpec spec_of(std::initializer_list<std::pair<const char*, const char*>> opts) {
    TraceFilterSpec s;
    for (const auto& [name, value] : opts) {
        const std::string e = tools::parse_filter_option(name, value, s);
        INFO(name << " " << value << ": " << e);
        REQUIRE(e.empty());
    }
    return s;
}

std::string error_of(const char* name, const char* value) {
    TraceFilterSpec s;
    return tools::parse_filter_option(name, value, s);
}

bool mentions(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

/// Runs spans of A (0x1000, 4 insns), B (0x2000, 3) and U (0x8048000, CPL 3, 2) through a
/// filter: A@0, B@4, U@7 (cr3 0x5000), A@9.
Collector run(const TraceFilterSpec& spec,
              const std::vector<tools::TraceEvent>& events_after_b = {}) {
    tools::OwnedCatalog c;
    define_abu(c);
    Collector out;
    tools::TraceFilter f(spec, c, out);
    f.exec({0, 0, 4, 0, 0x1000});
    f.exec({1, 0, 3, 4, 0x1000});
    for (const auto& e : events_after_b) {
        f.event(e);
    }
    f.exec({2, 0, 2, 7, 0x5000});
    f.exec({0, 0, 4, 9, 0x5000});
    f.finish();
    return out;
}

tools::TraceEvent port_write(u16 port, u16 value, u64 icount) {
    tools::TraceEvent e;
    e.kind = tools::TraceEvent::Kind::PortWrite;
    e.aux = port | u32{value} << 16;
    e.icount = icount;
    return e;
}

} // namespace

TEST_CASE("filter options parse in QEMU's spellings", "[trace][config]") {
    auto s = spec_of({{"dfilter", "0xc1000000..0xc2000000,0x8048000+0x1000,0x5000-0x10"}});
    REQUIRE(s.ranges.size() == 3);
    CHECK(s.ranges[0] == tools::AddrRange{0xc1000000, 0xc2000000});
    CHECK(s.ranges[1] == tools::AddrRange{0x8048000, 0x8048fff});
    CHECK(s.ranges[2] == tools::AddrRange{0x4ff1, 0x5000});
    CHECK(spec_of({{"dcpl", "3"}}).cpl_mask == 8);
    CHECK(spec_of({{"dcpl", "0,3"}}).cpl_mask == 9);
    CHECK(spec_of({{"dcr3", "0x1234018"}}).cr3s == std::vector<u64>{0x1234000});
    s = spec_of({{"dicount", "1000..1999"}});
    CHECK(s.icount_first == 1000);
    CHECK(s.icount_last == 1999);
    s = spec_of({{"dicount", "20000000+100"}});
    CHECK(s.icount_first == 20000000);
    CHECK(s.icount_last == 20000099);
    CHECK(spec_of({{"dicount", "5.."}}).icount_last == ~u64{0});
    s = spec_of({{"dstart", "addr=0xc1234567"}, {"dstop", "port=0x80,value=0x12"}});
    CHECK(s.start.kind == tools::TraceTrigger::Kind::Addr);
    CHECK(s.start.addr == 0xc1234567);
    CHECK(s.stop.kind == tools::TraceTrigger::Kind::Port);
    CHECK(s.stop.port == 0x80);
    CHECK(s.stop.match_value);
    CHECK(s.stop.value == 0x12);
    CHECK(spec_of({{"dstart", "0x1000"}}).start.addr == 0x1000);
    CHECK(s.restricts());
    CHECK_FALSE(TraceFilterSpec{}.restricts());
}

TEST_CASE("bad filter values give errors that name them", "[trace][config]") {
    CHECK(mentions(error_of("dfilter", "0x2000..0x1000"), "ends before it starts"));
    CHECK(mentions(error_of("dfilter", "zork"), "'zork'"));
    CHECK(mentions(error_of("dfilter", "0x1000+0"), "size zero"));
    CHECK(mentions(error_of("dfilter", "0x10-0x20"), "below address 0"));
    CHECK(mentions(error_of("dfilter", "0xffffffffffffffff+2"), "past the end"));
    CHECK(mentions(error_of("dcpl", "4"), "'4'"));
    CHECK(mentions(error_of("dcpl", "user"), "-dcpl"));
    CHECK(mentions(error_of("dcr3", "0xzz"), "-dcr3"));
    CHECK(mentions(error_of("dicount", "10..5"), "ends before"));
    CHECK(mentions(error_of("dicount", "7+0"), "empty"));
    CHECK(mentions(error_of("dicount", "lots"), "START..END"));
    CHECK(mentions(error_of("dicount", "18446744073709551615+2"), "overflows"));
    CHECK(mentions(error_of("dstart", "port=0x10000"), "0..0xffff"));
    CHECK(mentions(error_of("dstart", "when=now"), "addr="));
    CHECK(mentions(error_of("dstop", "addr=0x10,value=1"), "-dstop"));
    CHECK(mentions(error_of("dstart", ""), "needs a value"));
}

TEST_CASE("no filter keeps everything", "[trace]") {
    CHECK(run({}).insns == 13);
}

TEST_CASE("address ranges keep exactly the instructions inside, even mid-block", "[trace]") {
    // 0x1001..0x2005: A's 2nd..4th instructions (0x1001, 0x1002, 0x1003) and B's first (0x2000,
    // 0x2005 starts the second, which is inside too).
    const Collector out = run(spec_of({{"dfilter", "0x1001..0x2005"}}));
    CHECK(out.log == std::vector<std::string>{"exec 0 1+3 @1 cr3=4096", "exec 1 0+2 @4 cr3=4096",
                                              "exec 0 1+3 @10 cr3=20480"});
    // Wholly inside and wholly outside.
    CHECK(run(spec_of({{"dfilter", "0x2000+8"}})).insns == 3);
    CHECK(run(spec_of({{"dfilter", "0x9000..0x9fff"}})).insns == 0);
}

TEST_CASE("CPL and CR3 filters keep one ring and one address space", "[trace]") {
    CHECK(run(spec_of({{"dcpl", "3"}})).log == std::vector<std::string>{"exec 2 0+2 @7 cr3=20480"});
    CHECK(run(spec_of({{"dcpl", "2"}})).insns == 0);
    CHECK(run(spec_of({{"dcr3", "0x5000"}})).insns == 6);
}

TEST_CASE("the icount window cuts spans at its edges", "[trace]") {
    const Collector out = run(spec_of({{"dicount", "2..7"}}));
    CHECK(out.log == std::vector<std::string>{"exec 0 2+2 @2 cr3=4096", "exec 1 0+3 @4 cr3=4096",
                                              "exec 2 0+1 @7 cr3=20480"});
    CHECK(run(spec_of({{"dicount", "9+100"}})).insns == 4);
}

TEST_CASE("address triggers start at and stop before an instruction", "[trace]") {
    // Start at B's second instruction, stop at A's third (0x1002) the next time A runs.
    const Collector out = run(spec_of({{"dstart", "addr=0x2005"}, {"dstop", "addr=0x1002"}}));
    CHECK(out.log == std::vector<std::string>{"exec 1 1+2 @5 cr3=4096", "exec 2 0+2 @7 cr3=20480",
                                              "exec 0 0+2 @9 cr3=20480"});
    // A trigger address that never runs keeps nothing.
    CHECK(run(spec_of({{"dstart", "addr=0x1004"}})).insns == 0);
}

TEST_CASE("port triggers start after the write and stop after it", "[trace]") {
    const Collector started = run(spec_of({{"dstart", "port=0x80"}}), {port_write(0x80, 1, 6)});
    CHECK(started.insns == 6); // U and the second A
    REQUIRE(started.events.size() == 1);
    CHECK(run(spec_of({{"dstart", "port=0x80,value=2"}}), {port_write(0x80, 1, 6)}).insns == 0);
    const Collector stopped = run(spec_of({{"dstop", "port=0xe9"}}), {port_write(0xe9, 'x', 6)});
    CHECK(stopped.insns == 7);
    CHECK(stopped.events.size() == 1);
}

TEST_CASE("interrupts pass the CPL filter by either side of the transition", "[trace]") {
    tools::TraceEvent irq;
    irq.kind = tools::TraceEvent::Kind::Interrupt;
    irq.aux = int_aux(0x80, 3, 3, 0, false);
    irq.icount = 7;
    CHECK(run(spec_of({{"dcpl", "3"}}), {irq}).events.size() == 1);
    CHECK(run(spec_of({{"dcpl", "0"}}), {irq}).events.size() == 1);
    CHECK(run(spec_of({{"dcpl", "1"}}), {irq}).events.empty());
    CHECK(run(spec_of({{"dicount", "100.."}}), {irq}).events.empty());
}
