// SPDX-License-Identifier: MIT
// Tests for devices::I8254: counting against the virtual clock, OUT in each mode, IRQ0
// edges from scheduler timers, latch/read-back, BCD, and port 0x61.
#include "devices/timer/i8254.h"

#include <catch2/catch.hpp>

#include <vector>

using devices::I8254;
using devices::Scheduler;

namespace {

struct EdgeCounter : devices::IrqSink {
    std::vector<u64> rises;
    bool level = false;
    Scheduler* sched = nullptr;
    void set_irq(unsigned, bool l) override {
        if (l && !level) {
            rises.push_back(sched->now());
        }
        level = l;
    }
};

struct Rig {
    Scheduler sched;
    EdgeCounter irq;
    I8254 pit;
    Rig() : irq(), pit((irq.sched = &sched, sched), devices::IrqLine(&irq, 0)) {}
    void run_to(u64 ns) {
        // Step from deadline to deadline, as the board does.
        while (sched.next_deadline() <= ns) {
            sched.advance_to(sched.next_deadline());
            sched.run_due();
        }
        sched.advance_to(ns);
        sched.run_due();
    }
    void at_tick(u64 tick) { run_to(I8254::ns_of_tick(tick)); }
    u64 tick() const { return I8254::ticks_at(sched.now()); }
    void w(u16 port, u8 v) { pit.io_write(port, 1, v); }
    u8 r(u16 port) { return static_cast<u8>(pit.io_read(port, 1)); }
};

} // namespace

TEST_CASE("i8254 tick conversion is an exact inverse", "[devices]") {
    for (u64 t : {u64{0}, u64{1}, u64{2}, u64{1193181}, u64{1193182}, u64{123456789012}}) {
        CHECK(I8254::ticks_at(I8254::ns_of_tick(t)) == t);
        if (t) {
            CHECK(I8254::ticks_at(I8254::ns_of_tick(t) - 1) == t - 1);
        }
    }
    CHECK(I8254::ticks_at(1000000000) == 1193182);
}

TEST_CASE("i8254 mode 2 on channel 0 raises IRQ0 every N clocks", "[devices]") {
    Rig rig;
    rig.w(0x43, 0x34); // ch0, lobyte/hibyte, mode 2
    rig.w(0x40, 0xA9); // 1193 = 0x04A9 (about 1 ms)
    rig.w(0x40, 0x04);
    CHECK(rig.irq.rises.size() == 1); // OUT goes high after the mode 2 control word
    rig.irq.rises.clear();
    const u64 start = rig.tick() + 1;
    rig.run_to(10'000'000); // 10 ms
    REQUIRE(rig.irq.rises.size() == 10);
    for (size_t k = 0; k < rig.irq.rises.size(); ++k) {
        CHECK(rig.irq.rises[k] == I8254::ns_of_tick(start + (k + 1) * 1193));
    }
    // The counter counts N..1 within each period.
    rig.at_tick(start + 10 * 1193 + 100);
    CHECK(rig.pit.value(0) == 1193 - 100);
}

TEST_CASE("i8254 mode 0 OUT goes high N+1 clocks after the count", "[devices]") {
    Rig rig;
    rig.w(0x43, 0x30); // ch0, lobyte/hibyte, mode 0
    CHECK_FALSE(rig.pit.out(0));
    rig.w(0x40, 100);
    rig.w(0x40, 0);
    const u64 t0 = rig.tick();
    rig.at_tick(t0 + 100);
    CHECK_FALSE(rig.pit.out(0));
    CHECK(rig.pit.value(0) == 1);
    rig.at_tick(t0 + 101);
    CHECK(rig.pit.out(0));
    CHECK(rig.irq.rises.size() == 1);
    // It keeps counting down through zero without further interrupts.
    rig.at_tick(t0 + 200);
    CHECK(rig.pit.value(0) == 65536 - 99);
    CHECK(rig.irq.rises.size() == 1);
    // Writing the first byte of a new count stops it and drops OUT.
    rig.w(0x40, 10);
    CHECK_FALSE(rig.pit.out(0));
    CHECK_FALSE(rig.irq.level);
}

TEST_CASE("i8254 latch command and lobyte/hibyte reads", "[devices]") {
    Rig rig;
    rig.w(0x43, 0x74); // ch1, lohi, mode 2
    rig.w(0x41, 0x00);
    rig.w(0x41, 0x10); // 4096
    const u64 t0 = rig.tick() + 1;
    rig.at_tick(t0 + 0x123);
    rig.w(0x43, 0x40); // latch ch1
    rig.at_tick(t0 + 0x500); // the latched value does not move
    CHECK(rig.r(0x41) == ((0x1000 - 0x123) & 0xFF));
    CHECK(rig.r(0x41) == ((0x1000 - 0x123) >> 8));
    // Unlatched: live value, LSB then MSB through the read flip-flop.
    CHECK(rig.r(0x41) == ((0x1000 - 0x500) & 0xFF));
    CHECK(rig.r(0x41) == ((0x1000 - 0x500) >> 8));
}

TEST_CASE("i8254 read-back returns status then count", "[devices]") {
    Rig rig;
    rig.w(0x43, 0xB6); // ch2, lohi, mode 3
    rig.w(0x61, 0x01); // gate 2 high
    rig.w(0xC2 & 0xFF, 0); // stray write to a non-PIT port number: ignored
    rig.w(0x43, 0xE8); // read-back status of ch2 (count not latched)
    const u8 st = rig.r(0x42);
    CHECK((st & 0x3F) == 0x36); // lohi, mode 3, binary
    CHECK((st & 0x40) != 0);    // null count: no count written yet
    rig.w(0x42, 0x10);
    rig.w(0x42, 0x00);
    rig.at_tick(rig.tick() + 3);
    rig.w(0x43, 0xC8); // latch status and count of ch2
    const u8 st2 = rig.r(0x42);
    CHECK((st2 & 0x40) == 0);
    CHECK((st2 & 0x80) != 0); // first half of the square wave: high
    const u8 lo = rig.r(0x42);
    const u8 hi = rig.r(0x42);
    CHECK((lo | (hi << 8)) == 0x10 - 4);
}

TEST_CASE("i8254 mode 3 square wave on OUT", "[devices]") {
    Rig rig;
    rig.w(0x43, 0x36); // ch0 mode 3
    rig.w(0x40, 10);
    rig.w(0x40, 0);
    rig.irq.rises.clear();
    const u64 t0 = rig.tick() + 1;
    int high = 0;
    for (u64 t = t0; t < t0 + 100; ++t) {
        rig.at_tick(t);
        high += rig.pit.out(0) ? 1 : 0;
    }
    CHECK(high == 50);
    CHECK(rig.irq.rises.size() == 9); // one per period
}

TEST_CASE("i8254 BCD counting", "[devices]") {
    Rig rig;
    rig.w(0x43, 0x31); // ch0 lohi mode 0 BCD
    rig.w(0x40, 0x00);
    rig.w(0x40, 0x10); // 1000 decimal
    const u64 t0 = rig.tick() + 1;
    rig.at_tick(t0 + 1);
    rig.w(0x43, 0x00);
    CHECK(rig.r(0x40) == 0x99);
    CHECK(rig.r(0x40) == 0x09); // 999
    rig.at_tick(t0 + 1000);
    CHECK(rig.pit.out(0));
}

TEST_CASE("i8254 channel 2 gate and OUT through port 0x61", "[devices]") {
    Rig rig;
    CHECK((rig.r(0x61) & 0x01) == 0);
    rig.w(0x43, 0xB0); // ch2 lohi mode 0
    rig.w(0x42, 50);
    rig.w(0x42, 0);
    const u64 t0 = rig.tick();
    rig.at_tick(t0 + 200);
    CHECK((rig.r(0x61) & 0x20) == 0); // gate low: not counting
    CHECK(rig.pit.value(2) == 50);
    rig.w(0x61, 0x03); // gate high, speaker enable
    CHECK(rig.pit.speaker_enabled());
    const u64 t1 = rig.tick();
    rig.at_tick(t1 + 20);
    rig.w(0x61, 0x02); // pause
    CHECK(rig.pit.value(2) == 30);
    rig.at_tick(t1 + 1000);
    CHECK(rig.pit.value(2) == 30);
    rig.w(0x61, 0x03);
    const u64 t2 = rig.tick();
    rig.at_tick(t2 + 29);
    CHECK((rig.r(0x61) & 0x20) == 0);
    rig.at_tick(t2 + 30);
    CHECK((rig.r(0x61) & 0x20) != 0);
    CHECK((rig.r(0x61) & 0x0F) == 0x03);
}

TEST_CASE("i8254 port 0x61 refresh bit toggles with virtual time", "[devices]") {
    Rig rig;
    const u8 a = rig.r(0x61) & 0x10;
    rig.run_to(I8254::kRefreshNs);
    const u8 b = rig.r(0x61) & 0x10;
    rig.run_to(2 * I8254::kRefreshNs);
    const u8 c = rig.r(0x61) & 0x10;
    CHECK(a != b);
    CHECK(a == c);
}

TEST_CASE("i8254 mode 1 one-shot triggered by the gate", "[devices]") {
    Rig rig;
    rig.w(0x43, 0xB2); // ch2 lohi mode 1
    rig.w(0x42, 10);
    rig.w(0x42, 0);
    CHECK(rig.pit.out(2));
    rig.w(0x61, 0x01); // trigger
    const u64 t0 = rig.tick() + 1;
    rig.at_tick(t0);
    CHECK_FALSE(rig.pit.out(2));
    rig.at_tick(t0 + 10);
    CHECK(rig.pit.out(2));
}
