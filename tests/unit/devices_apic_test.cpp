// SPDX-License-Identifier: MIT
// Tests for devices::Lapic and devices::IoApic (registers, priority and TPR masking, EOI and
// its broadcast, ESR, self-IPIs, the timer against the virtual clock, ExtINT from an 8259A
// through LINT0, I/O APIC edge and level delivery with remote IRR) and for the firmware
// tables that describe them (MADT, MP floating pointer and configuration table).
#include "devices/acpi/madt.h"
#include "devices/firmware/mptable.h"
#include "devices/intc/i8259.h"
#include "devices/intc/ioapic.h"
#include "devices/intc/lapic.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using devices::ApicDelivery;
using devices::ApicMessage;
using devices::IoApic;
using devices::Lapic;
using devices::Scheduler;

namespace {

struct Intr : devices::IntrListener {
    bool level = false;
    void intr_changed(bool a) override { level = a; }
};

struct EoiLog : devices::EoiListener {
    std::vector<u8> vectors;
    void eoi_broadcast(u8 v) override { vectors.push_back(v); }
};

struct Rig {
    Scheduler sched;
    Lapic apic{sched};
    Intr intr;
    int nmis = 0;
    Rig() {
        apic.set_intr_output(&intr);
        apic.set_nmi_output([this] { ++nmis; });
    }
    u32 r(u32 off) { return apic.read_reg(off); }
    void w(u32 off, u32 v) { apic.write_reg(off, v); }
    void enable() { w(Lapic::kRegSvr, 0x1FF); }
    void fixed(u8 vector, bool level = false) {
        apic.receive(ApicMessage{vector, ApicDelivery::Fixed, level, false, 0});
    }
    void run_to(u64 ns) {
        while (sched.next_deadline() <= ns) {
            sched.advance_to(sched.next_deadline());
            sched.run_due();
        }
        sched.advance_to(ns);
        sched.run_due();
    }
    /// Acknowledges and EOIs every pending interrupt, returning the vectors taken.
    std::vector<u8> drain() {
        std::vector<u8> out;
        while (apic.has_interrupt()) {
            out.push_back(apic.acknowledge());
            w(Lapic::kRegEoi, 0);
        }
        return out;
    }
};

u32 le32(const std::vector<u8>& t, usize at) {
    return t[at] | (t[at + 1] << 8) | (t[at + 2] << 16) | (static_cast<u32>(t[at + 3]) << 24);
}
u16 le16(const std::vector<u8>& t, usize at) { return static_cast<u16>(t[at] | (t[at + 1] << 8)); }
u8 sum(const std::vector<u8>& t, usize from, usize n) {
    u8 s = 0;
    for (usize i = from; i < from + n; ++i) {
        s = static_cast<u8>(s + t[i]);
    }
    return s;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Local APIC

TEST_CASE("lapic reset values and register access", "[devices]") {
    Rig rig;
    CHECK(rig.apic.apic_base() == 0xFEE00900);
    CHECK(rig.apic.mmio_base() == 0xFEE00000);
    CHECK(rig.r(Lapic::kRegVersion) == 0x00050014);
    CHECK(rig.r(Lapic::kRegId) == 0);
    CHECK(rig.r(Lapic::kRegSvr) == 0xFF);
    CHECK(rig.r(Lapic::kRegDfr) == 0xFFFFFFFF);
    CHECK(rig.r(Lapic::kRegLvtTimer) == 0x10000);
    CHECK(rig.r(Lapic::kRegLvtError) == 0x10000);
    // Virtual wire mode: LINT0 ExtINT, LINT1 NMI, both unmasked.
    CHECK(rig.r(Lapic::kRegLvtLint0) == 0x700);
    CHECK(rig.r(Lapic::kRegLvtLint1) == 0x400);
    CHECK_FALSE(rig.apic.sw_enabled());

    // The ID is writable (bits 31-24); version and PPR are not.
    rig.w(Lapic::kRegId, 0x05ABCDEF);
    CHECK(rig.r(Lapic::kRegId) == 0x05000000);
    rig.w(Lapic::kRegVersion, 0);
    CHECK(rig.r(Lapic::kRegVersion) == 0x00050014);
    rig.w(Lapic::kRegLdr, 0x12345678);
    CHECK(rig.r(Lapic::kRegLdr) == 0x12000000);
    rig.w(Lapic::kRegDfr, 0x0);
    CHECK(rig.r(Lapic::kRegDfr) == 0x0FFFFFFF);
    rig.w(Lapic::kRegSvr, 0xFFFFFFFF);
    CHECK(rig.r(Lapic::kRegSvr) == 0x3FF);

    // MMIO: dword at 16-byte slots; narrow reads see the addressed bytes.
    CHECK(rig.apic.mmio_read(0x030, 4) == 0x00050014);
    CHECK(rig.apic.mmio_read(0x032, 1) == 0x05);
    CHECK(rig.apic.mmio_read(0x034, 4) == 0);
    rig.apic.mmio_write(0x080, 4, 0x20);
    CHECK(rig.r(Lapic::kRegTpr) == 0x20);
    rig.apic.mmio_write(0x081, 1, 0x30); // narrow write: ignored
    CHECK(rig.r(Lapic::kRegTpr) == 0x20);
}

TEST_CASE("lapic software disable masks the LVT and refuses fixed interrupts", "[devices]") {
    Rig rig;
    rig.w(Lapic::kRegLvtTimer, 0x30); // disabled: the mask sticks
    CHECK(rig.r(Lapic::kRegLvtTimer) == 0x10030);
    rig.fixed(0x40);
    CHECK_FALSE(rig.apic.irr_bit(0x40));
    rig.enable();
    rig.w(Lapic::kRegLvtTimer, 0x30);
    CHECK(rig.r(Lapic::kRegLvtTimer) == 0x30);
    rig.fixed(0x40);
    CHECK(rig.apic.irr_bit(0x40));
    // Clearing the enable bit masks every LVT entry.
    rig.w(Lapic::kRegSvr, 0xFF);
    CHECK(rig.r(Lapic::kRegLvtTimer) == 0x10030);
    CHECK(rig.r(Lapic::kRegLvtLint0) == 0x10700);
    // NMI messages are still accepted.
    rig.apic.receive(ApicMessage{0, ApicDelivery::Nmi, false, false, 0});
    CHECK(rig.nmis == 1);
}

TEST_CASE("lapic priority: IRR vs PPR, TPR masking, nesting and EOI", "[devices]") {
    Rig rig;
    rig.enable();
    CHECK_FALSE(rig.intr.level);
    rig.fixed(0x31);
    rig.fixed(0x51);
    CHECK(rig.intr.level);
    CHECK(rig.r(Lapic::kRegIrr + 0x10) == ((1u << 0x11) | 0u));
    CHECK(rig.r(Lapic::kRegIrr + 0x20) == (1u << 0x11));
    CHECK(rig.apic.acknowledge() == 0x51);
    CHECK(rig.apic.isr_bit(0x51));
    CHECK_FALSE(rig.apic.irr_bit(0x51));
    CHECK(rig.r(Lapic::kRegPpr) == 0x50);
    CHECK_FALSE(rig.intr.level); // 0x31 is below the in-service class
    rig.fixed(0x52);             // same class as in service: held
    CHECK_FALSE(rig.intr.level);
    rig.fixed(0x61); // higher class: nests
    CHECK(rig.intr.level);
    CHECK(rig.apic.acknowledge() == 0x61);
    rig.w(Lapic::kRegEoi, 0); // EOI retires the highest in-service vector (0x61)
    CHECK_FALSE(rig.apic.isr_bit(0x61));
    CHECK(rig.apic.isr_bit(0x51));
    rig.w(Lapic::kRegEoi, 0);
    CHECK(rig.apic.acknowledge() == 0x52);
    rig.w(Lapic::kRegEoi, 0);
    CHECK(rig.apic.acknowledge() == 0x31);
    rig.w(Lapic::kRegEoi, 0);
    CHECK_FALSE(rig.intr.level);
    CHECK(rig.r(Lapic::kRegPpr) == 0);

    // TPR: only classes above TPR[7:4] interrupt.
    rig.w(Lapic::kRegTpr, 0x45);
    CHECK(rig.r(Lapic::kRegPpr) == 0x45);
    rig.fixed(0x4F);
    CHECK_FALSE(rig.intr.level);
    rig.fixed(0x50);
    CHECK(rig.intr.level);
    // TPR raised between INTR and INTA: the spurious vector, nothing goes in service.
    rig.w(Lapic::kRegSvr, 0x1EF);
    rig.w(Lapic::kRegTpr, 0xF0);
    CHECK_FALSE(rig.intr.level);
    CHECK(rig.apic.acknowledge() == 0xEF);
    CHECK(rig.r(Lapic::kRegIsr + 0x50) == 0);
    rig.w(Lapic::kRegTpr, 0);
    CHECK(rig.drain() == std::vector<u8>{0x50, 0x4F});
}

TEST_CASE("lapic APR follows the SDM formula", "[devices]") {
    Rig rig;
    rig.enable();
    rig.w(Lapic::kRegTpr, 0x30);
    CHECK(rig.r(Lapic::kRegApr) == 0x30); // nothing pending: TPR
    rig.fixed(0x71);
    CHECK(rig.r(Lapic::kRegApr) == 0x70); // IRRV class above TPR
    CHECK(rig.apic.acknowledge() == 0x71);
    // TPR 3 < ISRV 7, IRRV 0: max(3 & 7, 0) = 3.
    CHECK(rig.r(Lapic::kRegApr) == 0x30);
}

TEST_CASE("lapic EOI broadcast only for level-triggered vectors", "[devices]") {
    Rig rig;
    EoiLog log;
    rig.apic.set_eoi_listener(&log);
    rig.enable();
    rig.fixed(0x40, false);
    rig.fixed(0x80, true);
    CHECK(rig.apic.tmr_bit(0x80));
    CHECK_FALSE(rig.apic.tmr_bit(0x40));
    CHECK(rig.drain() == std::vector<u8>{0x80, 0x40});
    CHECK(log.vectors == std::vector<u8>{0x80});
    rig.w(Lapic::kRegEoi, 0); // EOI with nothing in service: no effect
    CHECK(log.vectors.size() == 1);
}

TEST_CASE("lapic ESR latches on write and the error LVT fires", "[devices]") {
    Rig rig;
    rig.enable();
    rig.w(Lapic::kRegLvtError, 0xFE);
    rig.w(Lapic::kRegIcrLo, 0x00040005); // self-IPI, fixed, vector 5: illegal
    CHECK(rig.r(Lapic::kRegEsr) == 0);   // not visible until the next ESR write
    CHECK(rig.apic.irr_bit(0xFE));
    rig.w(Lapic::kRegEsr, 0);
    CHECK(rig.r(Lapic::kRegEsr) == 0x20);
    rig.w(Lapic::kRegEsr, 0);
    CHECK(rig.r(Lapic::kRegEsr) == 0);
    // An illegal vector received from the bus sets "receive illegal vector".
    rig.fixed(0x0A);
    rig.w(Lapic::kRegEsr, 0);
    CHECK(rig.r(Lapic::kRegEsr) == 0x40);
    // An error LVT with an illegal vector does not loop.
    rig.w(Lapic::kRegLvtError, 0x03);
    rig.w(Lapic::kRegIcrLo, 0x00040001);
    rig.w(Lapic::kRegEsr, 0);
    CHECK(rig.r(Lapic::kRegEsr) == 0x60);
}

TEST_CASE("lapic ICR: self-IPIs, destinations and NMI", "[devices]") {
    Rig rig;
    rig.enable();
    rig.w(Lapic::kRegIcrLo, 0x000C0041); // all excluding self: nobody
    CHECK_FALSE(rig.apic.irr_bit(0x41));
    rig.w(Lapic::kRegIcrLo, 0x00040042); // self
    CHECK(rig.apic.irr_bit(0x42));
    rig.w(Lapic::kRegIcrLo, 0x00080043); // all including self
    CHECK(rig.apic.irr_bit(0x43));
    rig.w(Lapic::kRegIcrHi, 0x00000000);
    rig.w(Lapic::kRegIcrLo, 0x00000044); // physical destination 0 = this APIC
    CHECK(rig.apic.irr_bit(0x44));
    rig.w(Lapic::kRegIcrHi, 0x03000000);
    rig.w(Lapic::kRegIcrLo, 0x00000045); // physical destination 3: someone else
    CHECK_FALSE(rig.apic.irr_bit(0x45));
    CHECK((rig.r(Lapic::kRegIcrLo) & 0x1000) == 0); // delivery status idle
    rig.w(Lapic::kRegIcrLo, 0x00040400); // NMI to self
    CHECK(rig.nmis == 1);
    rig.w(Lapic::kRegIcrLo, 0x00044500); // INIT to self: ignored
    rig.w(Lapic::kRegIcrLo, 0x00040610); // STARTUP to self: ignored
    CHECK(rig.drain() == std::vector<u8>{0x44, 0x43, 0x42});
}

TEST_CASE("lapic logical destinations: flat and cluster", "[devices]") {
    Rig rig;
    rig.w(Lapic::kRegLdr, 0x04000000);
    CHECK(rig.apic.matches(0x04, true));
    CHECK(rig.apic.matches(0xFF, true));
    CHECK_FALSE(rig.apic.matches(0x03, true));
    CHECK(rig.apic.matches(0x00, false));
    CHECK(rig.apic.matches(0xFF, false));
    CHECK_FALSE(rig.apic.matches(0x04, false));
    rig.w(Lapic::kRegDfr, 0x0FFFFFFF); // cluster model
    rig.w(Lapic::kRegLdr, 0x21000000); // cluster 2, member bit 0
    CHECK(rig.apic.matches(0x21, true));
    CHECK(rig.apic.matches(0x23, true));
    CHECK(rig.apic.matches(0xF1, true));
    CHECK_FALSE(rig.apic.matches(0x11, true));
    CHECK_FALSE(rig.apic.matches(0x22, true));
}

TEST_CASE("lapic timer one-shot counts against the virtual clock", "[devices]") {
    Rig rig;
    rig.enable();
    rig.w(Lapic::kRegTimerDivide, 0x3); // divide by 16
    rig.w(Lapic::kRegLvtTimer, 0x000000EC);
    rig.run_to(1000);
    rig.w(Lapic::kRegTimerInit, 1000); // 1000 counts * 16 ns
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 1000);
    rig.run_to(1000 + 15);
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 1000);
    rig.run_to(1000 + 16);
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 999);
    rig.run_to(1000 + 1600);
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 900);
    CHECK(rig.sched.next_deadline() == 1000 + 16000);
    rig.run_to(1000 + 15999);
    CHECK_FALSE(rig.apic.irr_bit(0xEC));
    rig.run_to(1000 + 16000);
    CHECK(rig.apic.irr_bit(0xEC));
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 0);
    CHECK(rig.sched.next_deadline() == Scheduler::kNever);
    CHECK(rig.r(Lapic::kRegTimerInit) == 1000);
    // Writing 0 stops a running timer.
    rig.w(Lapic::kRegTimerInit, 50);
    rig.w(Lapic::kRegTimerInit, 0);
    CHECK(rig.sched.next_deadline() == Scheduler::kNever);
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 0);
}

TEST_CASE("lapic timer periodic reloads and coalesces missed periods", "[devices]") {
    Rig rig;
    rig.enable();
    rig.w(Lapic::kRegTimerDivide, 0xB); // divide by 1
    rig.w(Lapic::kRegLvtTimer, 0x00020030);
    rig.w(Lapic::kRegTimerInit, 100);
    std::vector<u64> fired;
    for (u64 t = 0; t <= 350; ++t) {
        rig.run_to(t);
        if (rig.apic.has_interrupt()) {
            CHECK(rig.apic.acknowledge() == 0x30);
            rig.w(Lapic::kRegEoi, 0);
            fired.push_back(t);
        }
    }
    CHECK(fired == std::vector<u64>{100, 200, 300});
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 50); // at t=350
    rig.run_to(300 + 100 * 10 + 50);             // ten periods without servicing
    CHECK(rig.drain() == std::vector<u8>{0x30}); // one request held in IRR
    CHECK(rig.sched.next_deadline() == 1400);
    // A masked timer keeps counting but raises nothing.
    rig.w(Lapic::kRegLvtTimer, 0x00030030);
    rig.run_to(1400);
    CHECK_FALSE(rig.apic.has_interrupt());
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 100);
}

TEST_CASE("lapic timer divide change keeps the current count", "[devices]") {
    Rig rig;
    rig.enable();
    rig.w(Lapic::kRegTimerDivide, 0x0); // divide by 2
    rig.w(Lapic::kRegLvtTimer, 0x40);
    rig.w(Lapic::kRegTimerInit, 100);
    rig.run_to(100); // 50 counts gone
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 50);
    rig.w(Lapic::kRegTimerDivide, 0x8); // divide by 32
    CHECK(rig.r(Lapic::kRegTimerDivide) == 0x8);
    CHECK(rig.r(Lapic::kRegTimerCurrent) == 50);
    CHECK(rig.sched.next_deadline() == 100 + 50 * 32);
}

TEST_CASE("lapic ExtINT: the 8259A drives INTR through LINT0", "[devices]") {
    Rig rig;
    devices::I8259 pic(&rig.apic);
    rig.apic.set_extint_ack([&pic] { return pic.acknowledge(); });
    // The standard PC initialisation: vectors 0x20/0x28, cascade on IR2.
    for (auto [port, v] : std::vector<std::pair<u16, u8>>{{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04},
                                                          {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x28},
                                                          {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0x00},
                                                          {0xA1, 0x00}}) {
        pic.io_write(port, 1, v);
    }
    // Straight after reset (APIC software-disabled, virtual wire): nolapic guests work.
    pic.set_irq(1, true);
    CHECK(rig.intr.level);
    CHECK(rig.apic.acknowledge() == 0x21);
    CHECK_FALSE(rig.intr.level);
    pic.io_write(0x20, 1, 0x20);
    pic.set_irq(1, false);

    // ExtINT bypasses the TPR and IRR/ISR.
    rig.enable();
    rig.w(Lapic::kRegTpr, 0xFF);
    pic.set_irq(9, true);
    CHECK(rig.intr.level);
    CHECK(rig.apic.acknowledge() == 0x29);
    CHECK(rig.r(Lapic::kRegIsr + 0x10) == 0);
    pic.io_write(0xA0, 1, 0x20);
    pic.io_write(0x20, 1, 0x20);
    pic.set_irq(9, false);
    rig.w(Lapic::kRegTpr, 0);

    // Masking LINT0 cuts the PIC off, as Linux does once the I/O APIC takes over.
    rig.w(Lapic::kRegLvtLint0, 0x10700);
    pic.set_irq(3, true);
    CHECK(pic.intr());
    CHECK_FALSE(rig.intr.level);
    rig.w(Lapic::kRegLvtLint0, 0x700);
    CHECK(rig.intr.level);
    CHECK(rig.apic.acknowledge() == 0x23);
    pic.io_write(0x20, 1, 0x20);
    pic.set_irq(3, false);

    // Hardware-disabled APIC (APIC_BASE bit 11 clear): the PIC drives INTR directly.
    rig.apic.set_apic_base(0xFEE00100);
    CHECK_FALSE(rig.apic.hw_enabled());
    CHECK(rig.r(Lapic::kRegSvr) == 0xFF); // registers back to reset
    pic.set_irq(4, true);
    CHECK(rig.intr.level);
    CHECK(rig.apic.acknowledge() == 0x24);
    CHECK_FALSE(rig.intr.level);
    rig.apic.set_apic_base(0xFEE00900);
    CHECK(rig.apic.hw_enabled());
}

TEST_CASE("lapic LINT1 NMI and fixed level-triggered LINT pins", "[devices]") {
    Rig rig;
    rig.apic.set_irq(1, true);
    CHECK(rig.nmis == 1);
    rig.apic.set_irq(1, true); // no new edge
    CHECK(rig.nmis == 1);
    rig.apic.set_irq(1, false);
    rig.apic.set_irq(1, true);
    CHECK(rig.nmis == 2);

    // LINT0 as a fixed, level-triggered, active-low input.
    rig.enable();
    rig.apic.set_irq(0, true); // idle (active low)
    rig.w(Lapic::kRegLvtLint0, 0x0000A055);
    CHECK_FALSE(rig.intr.level);
    rig.apic.set_irq(0, false);
    CHECK(rig.apic.irr_bit(0x55));
    CHECK(rig.apic.tmr_bit(0x55));
    CHECK(rig.r(Lapic::kRegLvtLint0) & 0x4000); // remote IRR
    CHECK(rig.apic.acknowledge() == 0x55);
    rig.w(Lapic::kRegEoi, 0); // still asserted: accepted again
    CHECK(rig.apic.irr_bit(0x55));
    CHECK(rig.apic.acknowledge() == 0x55);
    rig.apic.set_irq(0, true);
    rig.w(Lapic::kRegEoi, 0);
    CHECK_FALSE(rig.apic.irr_bit(0x55));
    CHECK((rig.r(Lapic::kRegLvtLint0) & 0x4000) == 0);
}

// ---------------------------------------------------------------------------------------------
// I/O APIC

namespace {

struct IoRig : Rig {
    IoApic io{1};
    IoRig() {
        io.connect(&apic);
        apic.set_eoi_listener(&io);
        enable();
    }
    u32 rd(u8 index) {
        io.mmio_write(0x00, 4, index);
        return static_cast<u32>(io.mmio_read(0x10, 4));
    }
    void wr(u8 index, u32 v) {
        io.mmio_write(0x00, 4, index);
        io.mmio_write(0x10, 4, v);
    }
    void route(unsigned pin, u32 lo, u32 hi = 0) {
        wr(static_cast<u8>(0x11 + 2 * pin), hi);
        wr(static_cast<u8>(0x10 + 2 * pin), lo);
    }
};

} // namespace

TEST_CASE("ioapic registers", "[devices]") {
    IoRig rig;
    CHECK(rig.rd(0x00) == 0x01000000);
    CHECK(rig.rd(0x01) == 0x00170011);
    CHECK(rig.rd(0x02) == 0x01000000);
    CHECK(rig.io.mmio_read(0x00, 1) == 0x02); // IOREGSEL reads back
    rig.wr(0x00, 0x0F000000);
    CHECK(rig.rd(0x00) == 0x0F000000);
    CHECK(rig.rd(0x02) == 0x0F000000); // arbitration ID loaded from the ID
    rig.wr(0x01, 0);
    CHECK(rig.rd(0x01) == 0x00170011);
    for (unsigned pin = 0; pin < IoApic::kPins; ++pin) {
        CHECK(rig.rd(static_cast<u8>(0x10 + 2 * pin)) == 0x10000);
    }
    // Delivery status (12) and remote IRR (14) are read-only.
    rig.wr(0x10 + 2 * 5, 0xFFFFFFFF);
    CHECK(rig.rd(0x10 + 2 * 5) == 0x1AFFF);
    rig.wr(0x11 + 2 * 5, 0xFFFFFFFF);
    CHECK(rig.rd(0x11 + 2 * 5) == 0xFF000000);
    CHECK(rig.io.redirection(5) == 0xFF0000000001AFFFull);
    // A byte write into IOWIN merges into the selected register.
    rig.io.mmio_write(0x00, 1, 0x10 + 2 * 5);
    rig.io.mmio_write(0x10, 1, 0x42);
    CHECK(rig.rd(0x10 + 2 * 5) == 0x1AF42);
    CHECK(rig.rd(0x40) == 0); // undefined index
}

TEST_CASE("ioapic edge-triggered delivery and masking", "[devices]") {
    IoRig rig;
    rig.route(1, 0x41); // fixed, physical, edge, active high, unmasked, dest 0
    rig.io.set_irq(1, true);
    CHECK(rig.apic.irr_bit(0x41));
    CHECK_FALSE(rig.apic.tmr_bit(0x41));
    CHECK(rig.drain() == std::vector<u8>{0x41});
    rig.io.set_irq(1, false);
    CHECK((rig.rd(0x12) & 0x4000) == 0);
    // An edge on a masked pin is lost, and unmasking later does not deliver it.
    rig.route(1, 0x10041);
    rig.io.set_irq(1, true);
    rig.io.set_irq(1, false);
    rig.route(1, 0x41);
    CHECK_FALSE(rig.apic.has_interrupt());
    // A destination nobody answers drops the message.
    rig.route(1, 0x41, 0x07000000);
    rig.io.set_irq(1, true);
    CHECK_FALSE(rig.apic.has_interrupt());
    rig.io.set_irq(1, false);
    // Logical flat destination matching the LDR.
    rig.w(Lapic::kRegLdr, 0x01000000);
    rig.route(1, 0x0841, 0x01000000);
    rig.io.set_irq(1, true);
    CHECK(rig.drain() == std::vector<u8>{0x41});
    // NMI delivery mode.
    rig.route(3, 0x0400);
    rig.io.set_irq(3, true);
    CHECK(rig.nmis == 1);
}

TEST_CASE("ioapic level-triggered delivery with remote IRR and EOI", "[devices]") {
    IoRig rig;
    rig.route(9, 0x8049); // level, active high
    rig.io.set_irq(9, true);
    CHECK(rig.apic.irr_bit(0x49));
    CHECK(rig.apic.tmr_bit(0x49));
    CHECK(rig.rd(0x10 + 18) & 0x4000); // remote IRR
    CHECK(rig.apic.acknowledge() == 0x49);
    CHECK_FALSE(rig.apic.has_interrupt());
    // EOI with the line still asserted: remote IRR clears and the message is sent again.
    rig.w(Lapic::kRegEoi, 0);
    CHECK(rig.apic.irr_bit(0x49));
    CHECK(rig.rd(0x10 + 18) & 0x4000);
    CHECK(rig.apic.acknowledge() == 0x49);
    rig.io.set_irq(9, false);
    rig.w(Lapic::kRegEoi, 0);
    CHECK_FALSE(rig.apic.has_interrupt());
    CHECK((rig.rd(0x10 + 18) & 0x4000) == 0);

    // Masked level pin: the assertion is sampled again at unmask.
    rig.route(9, 0x18049);
    rig.io.set_irq(9, true);
    CHECK_FALSE(rig.apic.has_interrupt());
    rig.route(9, 0x8049);
    CHECK(rig.apic.irr_bit(0x49));
    CHECK(rig.rd(0x10 + 18) & 0x4000);
    // Switching the entry to edge clears a stuck remote IRR (the version-0x11 EOI idiom).
    rig.route(9, 0x0049);
    CHECK((rig.rd(0x10 + 18) & 0x4000) == 0);
    rig.route(9, 0x8049);
    CHECK(rig.rd(0x10 + 18) & 0x4000);
    rig.io.set_irq(9, false);
    CHECK(rig.drain() == std::vector<u8>{0x49});
    CHECK((rig.rd(0x10 + 18) & 0x4000) == 0);
}

TEST_CASE("ioapic polarity and ExtINT virtual wire", "[devices]") {
    IoRig rig;
    // Active low: the idle line is high.
    rig.io.set_irq(10, true);
    rig.route(10, 0xA04A);
    CHECK_FALSE(rig.apic.has_interrupt());
    rig.io.set_irq(10, false);
    CHECK(rig.apic.irr_bit(0x4A));
    rig.io.set_irq(10, true);
    CHECK(rig.drain() == std::vector<u8>{0x4A});

    // Pin 0 as ExtINT carries the 8259A's INTR; the vector comes from the PIC.
    devices::I8259 pic;
    rig.apic.set_extint_ack([&pic] { return pic.acknowledge(); });
    rig.w(Lapic::kRegLvtLint0, 0x10700); // LINT0 masked: only the I/O APIC path
    rig.route(0, 0x0700);
    pic.io_write(0x21, 1, 0x00);
    pic.set_irq(1, true);
    rig.io.set_irq(0, pic.intr());
    CHECK(rig.intr.level);
    CHECK(rig.apic.acknowledge() == 0x09); // the PIC's reset vector base 0x08 + IRQ1
    rig.io.set_irq(0, pic.intr());
    CHECK_FALSE(rig.intr.level);
}

// ---------------------------------------------------------------------------------------------
// Firmware tables

TEST_CASE("MADT structure and checksum", "[devices]") {
    devices::ApicLayout layout;
    const std::vector<u8> t = devices::acpi::build_madt(layout);
    REQUIRE(t.size() >= 44);
    CHECK(std::string(t.begin(), t.begin() + 4) == "APIC");
    CHECK(le32(t, 4) == t.size());
    CHECK(sum(t, 0, t.size()) == 0);
    CHECK(le32(t, 36) == 0xFEE00000);
    CHECK(le32(t, 40) == 1); // PCAT_COMPAT
    // Walk the entries.
    std::vector<u8> types;
    usize at = 44;
    bool saw_irq0 = false, saw_sci = false, saw_nmi = false;
    while (at < t.size()) {
        const u8 type = t[at];
        const u8 len = t[at + 1];
        REQUIRE(len >= 2);
        REQUIRE(at + len <= t.size());
        types.push_back(type);
        switch (type) {
        case 0:
            CHECK(len == 8);
            CHECK(t[at + 3] == 0);       // APIC ID
            CHECK(le32(t, at + 4) == 1); // enabled
            break;
        case 1:
            CHECK(len == 12);
            CHECK(t[at + 2] == 1);
            CHECK(le32(t, at + 4) == 0xFEC00000);
            CHECK(le32(t, at + 8) == 0);
            break;
        case 2:
            CHECK(len == 10);
            CHECK(t[at + 2] == 0);
            if (t[at + 3] == 0) {
                saw_irq0 = le32(t, at + 4) == 2 && le16(t, at + 8) == 0;
            } else if (t[at + 3] == 9) {
                saw_sci = le32(t, at + 4) == 9 && le16(t, at + 8) == 0xD;
            }
            break;
        case 4:
            CHECK(len == 6);
            saw_nmi = t[at + 2] == 0xFF && t[at + 5] == 1;
            break;
        default: FAIL("unexpected MADT entry type"); break;
        }
        at += len;
    }
    CHECK(at == t.size());
    CHECK(types == std::vector<u8>{0, 1, 2, 2, 4});
    CHECK(saw_irq0);
    CHECK(saw_sci);
    CHECK(saw_nmi);
}

TEST_CASE("MP table checksums and entry layout", "[devices]") {
    using devices::firmware::MpBuses;
    devices::ApicLayout layout;
    const u32 addr = 0x9FC00;
    for (MpBuses buses : {MpBuses::IsaOnly, MpBuses::PciAndIsa}) {
        const std::vector<u8> t = devices::firmware::build_mptable(layout, addr, buses);
        // Floating pointer.
        CHECK(std::string(t.begin(), t.begin() + 4) == "_MP_");
        CHECK(le32(t, 4) == addr + 16);
        CHECK(t[8] == 1);
        CHECK(t[9] == 4);
        CHECK(sum(t, 0, 16) == 0);
        CHECK(t[11] == 0);
        CHECK(t[12] == 0);
        // Configuration table.
        const usize h = 16;
        CHECK(std::string(t.begin() + h, t.begin() + h + 4) == "PCMP");
        const u16 len = le16(t, h + 4);
        CHECK(h + len == t.size());
        CHECK(t[h + 6] == 4);
        CHECK(sum(t, h, len) == 0);
        CHECK(le32(t, h + 36) == 0xFEE00000);
        CHECK(le16(t, h + 40) == 0);
        const u16 count = le16(t, h + 34);
        usize at = h + 44;
        u8 last_type = 0;
        unsigned cpus = 0, bus_entries = 0, ioapics = 0, ints = 0, lints = 0;
        int isa_bus = -1;
        bool irq0_pin2 = false, extint_pin0 = false, lint0_ext = false, lint1_nmi = false;
        for (u16 i = 0; i < count; ++i) {
            REQUIRE(at < t.size());
            const u8 type = t[at];
            CHECK(type >= last_type); // sorted by entry type
            last_type = type;
            switch (type) {
            case 0:
                CHECK(t[at + 1] == 0);
                CHECK(t[at + 2] == 0x14);
                CHECK(t[at + 3] == 3); // enabled, BSP
                CHECK(le32(t, at + 4) == 0x6D6);
                CHECK(le32(t, at + 8) & (1u << 9)); // APIC feature
                ++cpus;
                at += 20;
                break;
            case 1: {
                const std::string kind(t.begin() + static_cast<long>(at) + 2,
                                       t.begin() + static_cast<long>(at) + 8);
                if (kind == "ISA   ") {
                    isa_bus = t[at + 1];
                } else {
                    CHECK(kind == "PCI   ");
                    CHECK(t[at + 1] == 0);
                }
                ++bus_entries;
                at += 8;
                break;
            }
            case 2:
                CHECK(t[at + 1] == 1);
                CHECK(t[at + 2] == 0x11);
                CHECK(t[at + 3] == 1);
                CHECK(le32(t, at + 4) == 0xFEC00000);
                ++ioapics;
                at += 8;
                break;
            case 3:
                CHECK(t[at + 4] == isa_bus);
                CHECK(t[at + 6] == 1); // I/O APIC ID
                if (t[at + 1] == 0 && t[at + 5] == 0) {
                    irq0_pin2 = t[at + 7] == 2;
                }
                if (t[at + 1] == 3) {
                    extint_pin0 = t[at + 5] == 0 && t[at + 7] == 0;
                }
                if (t[at + 1] == 0 && t[at + 5] != 0 && t[at + 5] != 9) {
                    CHECK(t[at + 5] == t[at + 7]); // identity for the other ISA IRQs
                    CHECK(le16(t, at + 2) == 0);   // conforming to ISA: edge, high
                }
                if (t[at + 1] == 0 && t[at + 5] == 9) {
                    CHECK(le16(t, at + 2) == 0xD); // SCI: level, active high
                }
                ++ints;
                at += 8;
                break;
            case 4:
                CHECK(t[at + 6] == 0xFF);
                if (t[at + 1] == 3) {
                    lint0_ext = t[at + 7] == 0;
                }
                if (t[at + 1] == 1) {
                    lint1_nmi = t[at + 7] == 1;
                }
                ++lints;
                at += 8;
                break;
            default: FAIL("unexpected MP entry type"); break;
            }
        }
        CHECK(at == t.size());
        CHECK(cpus == 1);
        CHECK(bus_entries == (buses == MpBuses::PciAndIsa ? 2u : 1u));
        CHECK(isa_bus == (buses == MpBuses::PciAndIsa ? 1 : 0));
        CHECK(ioapics == 1);
        CHECK(ints == 16); // ExtINT on pin 0 + IRQs 0, 1, 3-15
        CHECK(lints == 2);
        CHECK(irq0_pin2);
        CHECK(extint_pin0);
        CHECK(lint0_ext);
        CHECK(lint1_nmi);
    }
}
