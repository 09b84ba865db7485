// SPDX-License-Identifier: MIT
// Tests for devices::Mc146818: time keeping against the virtual clock, BCD/binary and 12/24 h
// formats, UIP timing, periodic/alarm/update-ended interrupts and CMOS access.
#include "devices/timer/mc146818.h"

#include <catch2/catch.hpp>

using devices::Mc146818;
using devices::Scheduler;

namespace {

struct Level : devices::IrqSink {
    bool level = false;
    int rises = 0;
    void set_irq(unsigned, bool l) override {
        rises += (l && !level) ? 1 : 0;
        level = l;
    }
};

struct Rig {
    Scheduler sched;
    Level irq;
    Mc146818 rtc{sched, devices::IrqLine(&irq, 8)};
    void run_to(u64 ns) {
        while (sched.next_deadline() <= ns) {
            sched.advance_to(sched.next_deadline());
            sched.run_due();
        }
        sched.advance_to(ns);
    }
    u8 rd(u8 idx) {
        rtc.io_write(0x70, 1, idx);
        return static_cast<u8>(rtc.io_read(0x71, 1));
    }
    void wr(u8 idx, u8 v) {
        rtc.io_write(0x70, 1, idx);
        rtc.io_write(0x71, 1, v);
    }
};

constexpr u64 kSec = 1000000000;

} // namespace

TEST_CASE("mc146818 keeps BCD time and advances each virtual second", "[devices]") {
    Rig r;
    r.rtc.set_time({2024, 2, 28, 23, 59, 58, 0});
    CHECK(r.rd(0) == 0x58);
    CHECK(r.rd(2) == 0x59);
    CHECK(r.rd(4) == 0x23);
    CHECK(r.rd(7) == 0x28);
    CHECK(r.rd(8) == 0x02);
    CHECK(r.rd(9) == 0x24);
    CHECK(r.rd(6) == 4); // 2024-02-28 was a Wednesday (Sunday = 1)
    CHECK(r.rd(Mc146818::kCentury) == 0x20);
    r.run_to(2 * kSec);
    CHECK(r.rd(0) == 0x00);
    CHECK(r.rd(2) == 0x00);
    CHECK(r.rd(4) == 0x00);
    CHECK(r.rd(7) == 0x29); // leap year
    CHECK(r.rd(6) == 5);
    r.run_to(2 * kSec + 86400 * kSec);
    CHECK(r.rd(7) == 0x01);
    CHECK(r.rd(8) == 0x03);
}

TEST_CASE("mc146818 binary and 12-hour formats", "[devices]") {
    Rig r;
    r.rtc.set_time({1999, 12, 31, 13, 5, 7, 0});
    r.wr(Mc146818::kRegB, 0x04); // binary, 12-hour
    CHECK(r.rd(0) == 7);
    CHECK(r.rd(4) == (0x80 | 1)); // 1 PM
    CHECK(r.rd(9) == 99);
    r.wr(Mc146818::kRegB, 0x00); // BCD, 12-hour
    CHECK(r.rd(4) == 0x81);
    r.wr(4, 0x12); // 12 AM = midnight
    r.wr(Mc146818::kRegB, 0x02);
    CHECK(r.rd(4) == 0x00);
    // Year rollover: 99 -> 00.
    r.rtc.set_time({1999, 12, 31, 23, 59, 59, 0});
    r.run_to(r.sched.now() + kSec);
    CHECK(r.rd(9) == 0x00);
    CHECK(r.rd(8) == 0x01);
    CHECK(r.rd(7) == 0x01);
}

TEST_CASE("mc146818 guest writes set the time; SET stops updates", "[devices]") {
    Rig r;
    r.wr(Mc146818::kRegB, 0x82); // SET, 24h BCD
    r.wr(0, 0x30);
    r.wr(2, 0x45);
    r.wr(4, 0x10);
    r.run_to(3 * kSec);
    CHECK(r.rd(0) == 0x30); // frozen while SET
    CHECK((r.rd(Mc146818::kRegA) & 0x80) == 0);
    r.wr(Mc146818::kRegB, 0x02);
    r.run_to(5 * kSec);
    CHECK(r.rd(0) == 0x32);
    CHECK(r.rd(2) == 0x45);
}

TEST_CASE("mc146818 UIP is high just before each update", "[devices]") {
    Rig r;
    CHECK((r.rd(Mc146818::kRegA) & 0x80) == 0);
    r.run_to(kSec - 3000000);
    CHECK((r.rd(Mc146818::kRegA) & 0x80) == 0);
    r.run_to(kSec - 1000000);
    CHECK((r.rd(Mc146818::kRegA) & 0x80) != 0);
    r.run_to(kSec);
    CHECK((r.rd(Mc146818::kRegA) & 0x80) == 0);
    CHECK(r.rd(Mc146818::kRegA) == 0x26);
    CHECK(r.rd(Mc146818::kRegD) == 0x80);
}

TEST_CASE("mc146818 periodic interrupt at the register A rate", "[devices]") {
    Rig r;
    r.wr(Mc146818::kRegA, 0x26); // 1024 Hz
    r.wr(Mc146818::kRegB, 0x42); // PIE
    int irqs = 0;
    for (int i = 1; i <= 1024; ++i) {
        r.run_to(static_cast<u64>(i) * kSec / 1024 + 10);
        if (r.irq.level) {
            ++irqs;
            const u8 c = r.rd(Mc146818::kRegC);
            CHECK((c & 0xC0) == 0xC0);
            CHECK_FALSE(r.irq.level);
        }
    }
    CHECK(irqs == 1024);
    // Without PIE, PF still sets but no IRQ.
    r.wr(Mc146818::kRegB, 0x02);
    r.rd(Mc146818::kRegC);
    r.run_to(r.sched.now() + 5000000);
    CHECK_FALSE(r.irq.level);
    CHECK((r.rd(Mc146818::kRegC) & 0xC0) == 0x40);
    CHECK(r.rd(Mc146818::kRegC) == 0);
}

TEST_CASE("mc146818 update-ended and alarm interrupts", "[devices]") {
    Rig r;
    r.rtc.set_time({2020, 1, 1, 0, 0, 0, 0});
    r.wr(Mc146818::kRegB, 0x12); // UIE
    r.run_to(kSec);
    CHECK(r.irq.level);
    CHECK((r.rd(Mc146818::kRegC) & 0xB0) == 0x90); // PF may be set too: it ignores PIE
    CHECK_FALSE(r.irq.level);
    // Alarm at any hour, any minute, second 5.
    r.wr(1, 0x05);
    r.wr(3, 0xC0);
    r.wr(5, 0xFF);
    r.wr(Mc146818::kRegB, 0x22); // AIE only
    r.run_to(4 * kSec);
    CHECK_FALSE(r.irq.level);
    r.rd(Mc146818::kRegC);
    r.run_to(5 * kSec);
    CHECK(r.irq.level);
    CHECK((r.rd(Mc146818::kRegC) & 0xA0) == 0xA0);
}

TEST_CASE("mc146818 CMOS bytes, NMI mask and deterministic start", "[devices]") {
    Rig r;
    r.rtc.cmos_write(0x34, 0x12);
    CHECK(r.rd(0x34) == 0x12);
    r.wr(0x40, 0x99);
    CHECK(r.rtc.cmos_read(0x40) == 0x99);
    r.rtc.io_write(0x70, 1, 0x80 | 0x10);
    CHECK(r.rtc.nmi_masked());
    r.rtc.io_write(0x70, 1, 0x10);
    CHECK_FALSE(r.rtc.nmi_masked());
    r.rtc.set_time_unix(0);
    CHECK(r.rtc.time().year == 1970);
    CHECK(r.rtc.time().weekday == 5); // Thursday
    r.rtc.set_time_unix(951782400); // 2000-02-29 00:00:00
    CHECK(r.rtc.time().month == 2);
    CHECK(r.rtc.time().day == 29);
    r.rtc.reset(devices::ResetKind::Warm);
    CHECK(r.rtc.cmos_read(0x34) == 0x12); // battery-backed
}
