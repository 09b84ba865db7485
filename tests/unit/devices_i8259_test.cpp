// SPDX-License-Identifier: MIT
// Tests for devices::I8259: the PC master/slave 8259A pair programmed as Linux and SeaBIOS
// program it, and the datasheet's modes (rotation, AEOI, special mask, poll, level/ELCR).
#include "devices/intc/i8259.h"

#include <catch2/catch.hpp>

using devices::I8259;

namespace {

struct Intr : devices::IntrListener {
    bool level = false;
    int changes = 0;
    void intr_changed(bool a) override {
        level = a;
        ++changes;
    }
};

// The standard PC initialisation: vectors 0x20/0x28, cascade on IR2, 8086 mode.
void init_pc(I8259& pic, u8 icw4 = 0x01) {
    pic.io_write(0x20, 1, 0x11);
    pic.io_write(0x21, 1, 0x20);
    pic.io_write(0x21, 1, 0x04);
    pic.io_write(0x21, 1, icw4);
    pic.io_write(0xA0, 1, 0x11);
    pic.io_write(0xA1, 1, 0x28);
    pic.io_write(0xA1, 1, 0x02);
    pic.io_write(0xA1, 1, icw4);
    pic.io_write(0x21, 1, 0x00); // unmask all
    pic.io_write(0xA1, 1, 0x00);
}

} // namespace

TEST_CASE("i8259 delivers an edge IRQ and EOI re-enables it", "[devices]") {
    Intr out;
    I8259 pic(&out);
    init_pc(pic);
    CHECK_FALSE(out.level);
    pic.set_irq(0, true);
    CHECK(out.level);
    CHECK(pic.acknowledge() == 0x20);
    CHECK_FALSE(out.level);
    CHECK(pic.isr(0) == 0x01);
    CHECK(pic.irr(0) == 0x00);
    // The line is still high: edge mode needs a new rising edge.
    pic.io_write(0x20, 1, 0x20); // non-specific EOI
    CHECK(pic.isr(0) == 0);
    CHECK_FALSE(out.level);
    pic.set_irq(0, false);
    pic.set_irq(0, true);
    CHECK(out.level);
}

TEST_CASE("i8259 fully nested priority and masking", "[devices]") {
    Intr out;
    I8259 pic(&out);
    init_pc(pic);
    pic.set_irq(4, true);
    CHECK(pic.acknowledge() == 0x24);
    pic.set_irq(6, true); // lower priority than the in-service IR4: held
    CHECK_FALSE(out.level);
    pic.set_irq(1, true); // higher priority: nests
    CHECK(out.level);
    CHECK(pic.acknowledge() == 0x21);
    pic.io_write(0x20, 1, 0x20); // EOI IR1
    CHECK_FALSE(out.level);      // IR4 still in service blocks IR6
    pic.io_write(0x20, 1, 0x20); // EOI IR4
    CHECK(out.level);
    // Masking removes the request from the output but keeps it in IRR.
    pic.io_write(0x21, 1, 0x40);
    CHECK_FALSE(out.level);
    CHECK(pic.irr(0) == 0x40);
    pic.io_write(0x21, 1, 0x00);
    CHECK(pic.acknowledge() == 0x26);
}

TEST_CASE("i8259 slave IRQs cascade through IR2", "[devices]") {
    Intr out;
    I8259 pic(&out);
    init_pc(pic);
    pic.set_irq(14, true);
    CHECK(out.level);
    CHECK(pic.irr(1) == 0x40);
    CHECK(pic.acknowledge() == 0x2E);
    CHECK(pic.isr(1) == 0x40);
    CHECK(pic.isr(0) == 0x04);
    pic.io_write(0xA0, 1, 0x20);
    pic.io_write(0x20, 1, 0x20);
    CHECK(pic.isr(0) == 0);
    CHECK(pic.isr(1) == 0);
    // Masking IR2 on the master hides all slave requests.
    pic.set_irq(8, true);
    pic.io_write(0x21, 1, 0x04);
    CHECK_FALSE(out.level);
    pic.io_write(0x21, 1, 0x00);
    CHECK(pic.acknowledge() == 0x28);
}

TEST_CASE("i8259 spurious interrupts return IR7 and IR15 vectors", "[devices]") {
    I8259 pic;
    init_pc(pic);
    CHECK(pic.acknowledge() == 0x27); // nothing pending
    CHECK(pic.isr(0) == 0);
    // A slave request that disappears between INTR and INTA (level-triggered line dropped).
    pic.io_write(0x4D1, 1, 0x08); // IRQ11 level-triggered
    pic.set_irq(11, true);
    CHECK(pic.intr());
    pic.io_write(0xA1, 1, 0x08); // masked after the CPU saw INTR
    // The master's cascade input follows the slave output, so the master has nothing either.
    CHECK(pic.acknowledge() == 0x27);
}

TEST_CASE("i8259 level-triggered lines via ELCR", "[devices]") {
    Intr out;
    I8259 pic(&out);
    init_pc(pic);
    pic.io_write(0x4D0, 1, 0xFF);
    CHECK(pic.io_read(0x4D0, 1) == 0xF8); // IRQ0-2 cannot be level-triggered
    pic.io_write(0x4D1, 1, 0xFF);
    CHECK(pic.io_read(0x4D1, 1) == 0xDE);
    pic.set_irq(10, true);
    CHECK(pic.acknowledge() == 0x2A);
    pic.io_write(0xA0, 1, 0x20);
    pic.io_write(0x20, 1, 0x20);
    CHECK(out.level); // still asserted: interrupts again after EOI
    pic.set_irq(10, false);
    CHECK_FALSE(out.level); // dropping a level line withdraws the request
    CHECK(pic.irr(1) == 0);
}

TEST_CASE("i8259 reads IRR, ISR and IMR through OCW3", "[devices]") {
    I8259 pic;
    init_pc(pic);
    pic.io_write(0x21, 1, 0xA5);
    CHECK(pic.io_read(0x21, 1) == 0xA5);
    pic.io_write(0x21, 1, 0x00);
    pic.set_irq(3, true);
    pic.set_irq(5, true);
    CHECK(pic.io_read(0x20, 1) == 0x28); // IRR is the default after ICW1
    pic.acknowledge();
    pic.io_write(0x20, 1, 0x0B); // read ISR
    CHECK(pic.io_read(0x20, 1) == 0x08);
    pic.io_write(0x20, 1, 0x0A); // read IRR
    CHECK(pic.io_read(0x20, 1) == 0x20);
}

TEST_CASE("i8259 specific EOI, rotation and priority setting", "[devices]") {
    I8259 pic;
    init_pc(pic);
    pic.set_irq(3, true);
    pic.set_irq(5, true);
    CHECK(pic.acknowledge() == 0x23);
    pic.io_write(0x20, 1, 0x63); // specific EOI for IR3
    CHECK(pic.isr(0) == 0);
    CHECK(pic.acknowledge() == 0x25);
    pic.io_write(0x20, 1, 0xA0); // rotate on non-specific EOI: IR5 becomes lowest
    // Now IR6 has the highest priority, IR5 the lowest.
    pic.set_irq(5, false);
    pic.set_irq(5, true);
    pic.set_irq(7, true);
    CHECK(pic.acknowledge() == 0x27);
    pic.io_write(0x20, 1, 0x20);
    CHECK(pic.acknowledge() == 0x25);
    pic.io_write(0x20, 1, 0x20);
    // Set priority: IR1 lowest, so IR2..IR7, IR0, IR1.
    pic.io_write(0x20, 1, 0xC1);
    pic.set_irq(0, true);
    pic.set_irq(4, true);
    CHECK(pic.acknowledge() == 0x24);
    pic.io_write(0x20, 1, 0xE4); // rotate on specific EOI 4: IR4 lowest
    CHECK(pic.acknowledge() == 0x20);
}

TEST_CASE("i8259 automatic EOI leaves ISR clear", "[devices]") {
    Intr out;
    I8259 pic(&out);
    init_pc(pic, 0x03); // 8086 mode + AEOI
    pic.set_irq(1, true);
    CHECK(pic.acknowledge() == 0x21);
    CHECK(pic.isr(0) == 0);
    pic.set_irq(3, true);
    CHECK(out.level); // no EOI needed before the next interrupt
}

TEST_CASE("i8259 special mask mode lets lower priorities in", "[devices]") {
    Intr out;
    I8259 pic(&out);
    init_pc(pic);
    pic.set_irq(2 + 1, true);
    CHECK(pic.acknowledge() == 0x23);
    pic.io_write(0x21, 1, 0x08); // mask the in-service level
    pic.set_irq(6, true);
    CHECK_FALSE(out.level);
    pic.io_write(0x20, 1, 0x68); // OCW3: set special mask mode
    CHECK(out.level);
    CHECK(pic.acknowledge() == 0x26);
    pic.io_write(0x20, 1, 0x48); // reset special mask mode
    CHECK(pic.isr(0) == 0x48);
}

TEST_CASE("i8259 poll mode acknowledges without INTA", "[devices]") {
    I8259 pic;
    init_pc(pic);
    pic.io_write(0x20, 1, 0x0C); // poll
    CHECK(pic.io_read(0x20, 1) == 0x00);
    pic.set_irq(5, true);
    pic.io_write(0x20, 1, 0x0C);
    CHECK(pic.io_read(0x20, 1) == 0x85);
    CHECK(pic.isr(0) == 0x20);
    CHECK(pic.io_read(0x20, 1) == 0x00); // poll is one-shot: back to IRR reads
}

TEST_CASE("i8259 ICW1 resets the mask and needs a fresh edge", "[devices]") {
    Intr out;
    I8259 pic(&out);
    init_pc(pic);
    pic.io_write(0x21, 1, 0xFF);
    pic.set_irq(1, true);
    CHECK(pic.irr(0) == 0x02);
    init_pc(pic);
    CHECK(pic.imr(0) == 0);
    CHECK(pic.irr(0) == 0);
    CHECK_FALSE(out.level);
}
