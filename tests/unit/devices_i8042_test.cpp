// SPDX-License-Identifier: MIT
// Tests for devices::I8042 and devices::Port92: controller commands, keyboard protocol and
// scancode translation, the stub mouse as Linux probes it, A20 and reset callbacks.
#include "devices/input/i8042.h"
#include "devices/misc/port92.h"

#include <catch2/catch.hpp>

#include <vector>

using devices::I8042;

namespace {

struct Lines : devices::IrqSink {
    bool level[16] = {};
    int rises[16] = {};
    void set_irq(unsigned l, bool v) override {
        rises[l] += (v && !level[l]) ? 1 : 0;
        level[l] = v;
    }
};

struct Rig {
    Lines irq;
    I8042 kbc{devices::IrqLine(&irq, 1), devices::IrqLine(&irq, 12)};
    u8 status() { return static_cast<u8>(kbc.io_read(0x64, 1)); }
    void cmd(u8 v) { kbc.io_write(0x64, 1, v); }
    void data(u8 v) { kbc.io_write(0x60, 1, v); }
    /// Reads everything in the output buffer.
    std::vector<u8> drain() {
        std::vector<u8> out;
        while (status() & 0x01) {
            out.push_back(static_cast<u8>(kbc.io_read(0x60, 1)));
        }
        return out;
    }
    void set_cmd_byte(u8 v) {
        cmd(0x60);
        data(v);
    }
};

using Bytes = std::vector<u8>;

} // namespace

TEST_CASE("i8042 controller self-tests and command byte", "[devices]") {
    Rig r;
    r.cmd(0xAA);
    CHECK(r.drain() == Bytes{0x55});
    r.cmd(0xAB);
    CHECK(r.drain() == Bytes{0x00});
    r.cmd(0xA9);
    CHECK(r.drain() == Bytes{0x00});
    r.set_cmd_byte(0x65);
    r.cmd(0x20);
    CHECK(r.drain() == Bytes{0x65});
    CHECK((r.status() & 0x04) != 0); // SYS flag follows the command byte
    CHECK((r.status() & 0x08) != 0); // last write was a command
    // Disabling/enabling the aux port toggles command byte bit 5 (Linux checks this).
    r.cmd(0xA7);
    r.cmd(0x20);
    CHECK((r.drain().at(0) & 0x20) != 0);
    r.cmd(0xA8);
    r.cmd(0x20);
    CHECK((r.drain().at(0) & 0x20) == 0);
}

TEST_CASE("i8042 keyboard reset, identify, LEDs and scancode set", "[devices]") {
    Rig r;
    r.set_cmd_byte(0x01); // IRQ1, no translation
    r.data(0xFF);
    CHECK(r.irq.level[1]);
    CHECK(r.drain() == Bytes{0xFA, 0xAA});
    CHECK_FALSE(r.irq.level[1]);
    r.data(0xF2);
    CHECK(r.drain() == Bytes{0xFA, 0xAB, 0x83});
    r.data(0xED);
    r.data(0x07);
    CHECK(r.drain() == Bytes{0xFA, 0xFA});
    r.data(0xF0);
    r.data(0x00);
    CHECK(r.drain() == Bytes{0xFA, 0xFA, 0x02});
    r.data(0xF0);
    r.data(0x01);
    r.data(0xF0);
    r.data(0x00);
    CHECK(r.drain() == Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0x01});
    r.data(0xEE);
    CHECK(r.drain() == Bytes{0xEE});
    r.data(0xF3);
    r.data(0x20);
    CHECK(r.drain() == Bytes{0xFA, 0xFA});
    r.data(0x42); // not a command
    CHECK(r.drain() == Bytes{0xFE});
}

TEST_CASE("i8042 key events in set 2, translated to set 1", "[devices]") {
    Rig r;
    r.set_cmd_byte(0x01); // untranslated
    r.kbc.key_event(0x1E, true);  // A
    r.kbc.key_event(0x1E, false);
    r.kbc.key_event(0xE048, true); // cursor up
    r.kbc.key_event(0xE048, false);
    CHECK(r.drain() == Bytes{0x1C, 0xF0, 0x1C, 0xE0, 0x75, 0xE0, 0xF0, 0x75});
    r.set_cmd_byte(0x41); // translate
    r.kbc.key_event(0x1E, true);
    r.kbc.key_event(0x1E, false);
    r.kbc.key_event(0xE048, false);
    r.kbc.key_event(0x41, true); // F7: set-2 code 0x83
    CHECK(r.drain() == Bytes{0x1E, 0x9E, 0xE0, 0xC8, 0x41});
    // Identify through translation gives 0xAB 0x41, as Linux expects.
    r.data(0xF2);
    CHECK(r.drain() == Bytes{0xFA, 0xAB, 0x41});
    // One interrupt per byte.
    const int before = r.irq.rises[1];
    r.kbc.key_event(0x10, true);
    r.kbc.key_event(0x10, false);
    r.drain();
    CHECK(r.irq.rises[1] - before == 2);
}

TEST_CASE("i8042 keyboard disable holds bytes; scanning off drops keys", "[devices]") {
    Rig r;
    r.set_cmd_byte(0x01);
    r.cmd(0xAD);
    r.kbc.key_event(0x1E, true);
    CHECK((r.status() & 0x01) == 0);
    r.cmd(0xAE);
    CHECK(r.drain() == Bytes{0x1C});
    r.data(0xF5);
    CHECK(r.drain() == Bytes{0xFA});
    r.kbc.key_event(0x1E, true);
    CHECK(r.drain().empty());
    r.data(0xF4);
    r.kbc.key_event(0x1E, true);
    CHECK(r.drain() == Bytes{0xFA, 0x1C});
}

TEST_CASE("i8042 aux port: loopback and the stub mouse", "[devices]") {
    Rig r;
    r.set_cmd_byte(0x03); // IRQ1 + IRQ12
    r.cmd(0xD3);
    r.data(0x5A);
    CHECK((r.status() & 0x21) == 0x21);
    CHECK(r.irq.level[12]);
    CHECK(r.drain() == Bytes{0x5A});
    r.cmd(0xD4);
    r.data(0xFF);
    CHECK(r.drain() == Bytes{0xFA, 0xAA, 0x00});
    r.cmd(0xD4);
    r.data(0xF2);
    CHECK(r.drain() == Bytes{0xFA, 0x00});
    r.cmd(0xD4);
    r.data(0xF3);
    r.cmd(0xD4);
    r.data(200);
    r.cmd(0xD4);
    r.data(0xE9);
    CHECK(r.drain() == Bytes{0xFA, 0xFA, 0xFA, 0x00, 0x02, 200});
    r.kbc.mouse_event(5, -3, 1);
    CHECK(r.drain().empty()); // reporting not enabled
    r.cmd(0xD4);
    r.data(0xF4);
    r.kbc.mouse_event(5, -3, 1);
    CHECK(r.drain() == Bytes{0xFA, 0x29, 0x05, 0xFD});
}

TEST_CASE("i8042 output port: A20 and reset", "[devices]") {
    Rig r;
    std::vector<bool> a20;
    int resets = 0;
    r.kbc.set_a20_callback([&](bool on) { a20.push_back(on); });
    r.kbc.set_reset_callback([&] { ++resets; });
    CHECK(r.kbc.a20());
    r.cmd(0xD1);
    r.data(0x01); // A20 off
    CHECK_FALSE(r.kbc.a20());
    r.cmd(0xD0);
    CHECK((r.drain().at(0) & 0x03) == 0x01);
    r.cmd(0xD1);
    r.data(0x03);
    CHECK(a20 == std::vector<bool>{false, true});
    CHECK(resets == 0);
    r.cmd(0xFE);
    CHECK(resets == 1);
    r.cmd(0xFF); // pulses nothing
    CHECK(resets == 1);
    r.cmd(0xD1);
    r.data(0x02); // reset line low
    CHECK(resets == 2);
}

TEST_CASE("port92 fast A20 and fast reset", "[devices]") {
    devices::Port92 p;
    std::vector<bool> a20;
    int resets = 0;
    p.set_a20_callback([&](bool on) { a20.push_back(on); });
    p.set_reset_callback([&] { ++resets; });
    p.io_write(0x92, 1, 0x02);
    CHECK(p.a20());
    CHECK(p.io_read(0x92, 1) == 0x02);
    p.io_write(0x92, 1, 0x03);
    CHECK(resets == 1);
    p.io_write(0x92, 1, 0x03); // no new 0 -> 1 transition
    CHECK(resets == 1);
    p.io_write(0x92, 1, 0x00);
    CHECK(a20 == std::vector<bool>{true, false});
}
