// SPDX-License-Identifier: MIT
// Tests for devices::Uart16550: the register file as Linux's 8250 driver probes it, FIFO
// trigger levels and character timeout, interrupt priorities and THRE semantics, loopback.
#include "devices/char/uart16550.h"
#include "devices/scheduler.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

using devices::Uart16550;

namespace {

struct Level : devices::IrqSink {
    bool level = false;
    void set_irq(unsigned, bool l) override { level = l; }
};

constexpr u16 kBase = 0x3F8;

struct Rig {
    devices::Scheduler sched;
    devices::CharSink sink{std::tmpfile(), true};
    Level irq;
    Uart16550 uart{sink, kBase, devices::IrqLine(&irq, 4), &sched};
    u8 r(unsigned reg) { return static_cast<u8>(uart.io_read(static_cast<u16>(kBase + reg), 1)); }
    void w(unsigned reg, u8 v) { uart.io_write(static_cast<u16>(kBase + reg), 1, v); }
    void run_for(u64 ns) {
        sched.advance(ns);
        sched.run_due();
    }
};

} // namespace

TEST_CASE("uart16550 probes as a 16550A", "[devices]") {
    Rig u;
    // IER test.
    u.w(1, 0x00);
    CHECK((u.r(1) & 0x0F) == 0x00);
    u.w(1, 0x0F);
    CHECK((u.r(1) & 0x0F) == 0x0F);
    u.w(1, 0x00);
    // Scratch register.
    u.w(7, 0xA5);
    CHECK(u.r(7) == 0xA5);
    // FIFO detection: IIR bits 7-6 set, bit 5 clear (not a 16750).
    u.w(2, 0x01);
    CHECK((u.r(2) & 0xE0) == 0xC0);
    u.w(2, 0x21);
    CHECK((u.r(2) >> 5) == 6);
    u.w(2, 0x00);
    CHECK((u.r(2) & 0xC0) == 0x00);
    // Divisor latch.
    u.w(3, 0x80);
    u.w(0, 0x01);
    u.w(1, 0x00);
    CHECK(u.r(0) == 0x01);
    CHECK(u.r(1) == 0x00);
    u.w(3, 0x03);
    CHECK(u.r(3) == 0x03);
    CHECK(u.r(5) == 0x60); // THRE + TEMT
}

TEST_CASE("uart16550 loopback reflects MCR in MSR (Linux probe)", "[devices]") {
    Rig u;
    u.w(4, 0x10 | 0x0A); // LOOP | OUT2 | RTS
    CHECK((u.r(6) & 0xF0) == 0x90);
    u.w(4, 0x1F);
    CHECK((u.r(6) & 0xF0) == 0xF0);
    u.w(4, 0x10);
    const u8 msr = u.r(6);
    CHECK((msr & 0xF0) == 0x00);
    CHECK((msr & 0x0F) == 0x0F); // DCTS, DDSR, TERI, DDCD
    CHECK((u.r(6) & 0x0F) == 0);  // cleared by the read
    // Transmitted bytes come back; the IRQ pin is disconnected in loopback.
    u.w(1, 0x01);
    u.w(0, 'x');
    CHECK((u.r(5) & 0x01) == 1);
    CHECK(u.r(2) == 0x04);
    CHECK_FALSE(u.irq.level);
    CHECK(u.r(0) == 'x');
    CHECK((u.r(5) & 0x01) == 0);
    u.w(4, 0x00);
    CHECK((u.r(6) & 0xF0) == 0xB0);
}

TEST_CASE("uart16550 THRE interrupt semantics", "[devices]") {
    Rig u;
    u.w(4, 0x08); // OUT2: IRQ enabled
    CHECK_FALSE(u.irq.level);
    u.w(1, 0x02); // enable THRI with THR empty: interrupt at once
    CHECK(u.irq.level);
    CHECK(u.r(2) == 0x02);    // reading IIR clears THRE when it is the source
    CHECK_FALSE(u.irq.level);
    CHECK(u.r(2) == 0x01);
    u.w(0, 'a'); // transmission empties THR again: a new THRE event
    CHECK(u.irq.level);
    u.w(1, 0x00);
    CHECK_FALSE(u.irq.level);
    u.w(1, 0x02);
    CHECK(u.r(2) == 0x02);
    // Linux's UART_BUG_THRE check: toggling IER gives THRE again.
    u.w(1, 0x00);
    u.w(1, 0x02);
    CHECK(u.r(2) == 0x02);
    // OUT2 gates the line.
    u.w(1, 0x00);
    u.w(1, 0x02);
    u.w(4, 0x00);
    CHECK_FALSE(u.irq.level);
    u.w(4, 0x08);
    CHECK(u.irq.level);
}

TEST_CASE("uart16550 receive FIFO trigger level and character timeout", "[devices]") {
    Rig u;
    u.w(3, 0x03); // 8N1, divisor 12 (9600 baud): one char ~1.04 ms
    u.w(2, 0x81); // FIFO on, trigger 8
    u.w(4, 0x08);
    u.w(1, 0x01); // RX interrupts
    for (int i = 0; i < 5; ++i) {
        u.uart.push_input(static_cast<u8>('0' + i));
    }
    CHECK_FALSE(u.irq.level); // below trigger, timeout not yet
    u.run_for(3'000'000);
    CHECK_FALSE(u.irq.level);
    u.run_for(2'000'000); // four character times passed
    CHECK(u.irq.level);
    CHECK(u.r(2) == 0xCC);
    CHECK(u.r(0) == '0'); // reading RBR clears the timeout
    CHECK_FALSE(u.irq.level);
    for (int i = 0; i < 4; ++i) {
        u.r(0);
    }
    CHECK((u.r(5) & 0x01) == 0);
    // Reaching the trigger level interrupts at once.
    for (int i = 0; i < 20; ++i) {
        u.uart.push_input(static_cast<u8>(i));
    }
    CHECK(u.irq.level);
    CHECK(u.r(2) == 0xC4);
    CHECK(u.uart.input_backlog() == 4); // FIFO holds 16, the rest waits
    int n = 0;
    while (u.r(5) & 0x01) {
        CHECK(u.r(0) == n);
        ++n;
    }
    CHECK(n == 20);
    CHECK_FALSE(u.irq.level);
}

TEST_CASE("uart16550 interrupt priorities and overrun", "[devices]") {
    Rig u;
    u.w(4, 0x18 | 0x08); // loopback to cause an overrun
    u.w(2, 0x00);        // 16450 mode: one-byte holding register
    u.w(1, 0x0F);
    u.w(0, 'a');
    u.w(0, 'b'); // overrun: 'b' lost
    CHECK(u.r(2) == 0x06); // line status first
    CHECK((u.r(5) & 0x03) == 0x03);
    CHECK(u.r(2) == 0x04); // then received data
    CHECK(u.r(0) == 'a');
    CHECK(u.r(2) == 0x02); // then THRE
    CHECK(u.r(2) == 0x00); // then modem status (loopback changed DCD etc.)
    u.r(6);
    CHECK(u.r(2) == 0x01);
}

TEST_CASE("uart16550 transmits to its sink; old constructor works", "[devices]") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    {
        devices::CharSink sink(f, false);
        Uart16550 uart(sink, 0x2F8);
        for (char c : std::string("hi\n")) {
            uart.io_write(0x2F8, 1, static_cast<u8>(c));
        }
        sink.flush();
    }
    std::rewind(f);
    char buf[8] = {};
    CHECK(std::fread(buf, 1, sizeof buf, f) == 3);
    CHECK(std::string(buf) == "hi\n");
    std::fclose(f);
}
