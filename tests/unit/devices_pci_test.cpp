// SPDX-License-Identifier: MIT
// Tests for the PCI bus (configuration mechanism #1, reset control), PciDevice (masks, BAR
// sizing and decode callbacks, INTx), the i440FX host bridge (PAM) and the PIIX3 PIRQ router.
#include "devices/pci/i440fx.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/piix3.h"

#include <catch2/catch.hpp>

#include <array>
#include <vector>

using devices::I440fx;
using devices::PciBarKind;
using devices::PciBus;
using devices::PciDevice;
using devices::Piix3;

namespace {

struct TestDev final : PciDevice {
    TestDev() : PciDevice(0x1234, 0x5678, 0x020000, 0x01) {
        define_bar(0, PciBarKind::Io, 0x20);
        define_bar(1, PciBarKind::Mem32, 0x1000);
        define_bar(2, PciBarKind::Mem32Prefetch, 0x100000);
        init_reg(devices::pci_cfg::kIntPin, 1, 1); // INTA
    }
};

struct IsaSink final : devices::IrqSink {
    std::array<bool, 16> level{};
    void set_irq(unsigned line, bool l) override { level[line] = l; }
};

u32 cfg_addr(unsigned slot, unsigned fn, unsigned reg) {
    return 0x80000000u | slot << 11 | fn << 8 | reg;
}

} // namespace

TEST_CASE("pci config mechanism 1 reads and writes", "[devices]") {
    PciBus bus;
    I440fx host;
    bus.attach(host, 0, 0);
    bus.io_write(0xCF8, 4, cfg_addr(0, 0, 0));
    CHECK(bus.io_read(0xCF8, 4) == cfg_addr(0, 0, 0));
    CHECK(bus.io_read(0xCFC, 4) == 0x12378086);
    CHECK(bus.io_read(0xCFC, 2) == 0x8086);
    CHECK(bus.io_read(0xCFE, 2) == 0x1237);
    CHECK(bus.io_read(0xCFD, 1) == 0x80);
    CHECK(bus.io_read(0xCFF, 1) == 0x12);
    // Class code at 0x08: 06 00 00, revision 02.
    bus.io_write(0xCF8, 4, cfg_addr(0, 0, 8));
    CHECK(bus.io_read(0xCFC, 4) == 0x06000002);
    // Empty slot and other buses read all-ones; disabled bit 31 too.
    bus.io_write(0xCF8, 4, cfg_addr(5, 0, 0));
    CHECK(bus.io_read(0xCFC, 4) == 0xFFFFFFFF);
    CHECK(bus.io_read(0xCFC, 2) == 0xFFFF);
    bus.io_write(0xCF8, 4, cfg_addr(0, 0, 0) | 1u << 16);
    CHECK(bus.io_read(0xCFC, 4) == 0xFFFFFFFF);
    bus.io_write(0xCF8, 4, 0x00000000);
    CHECK(bus.io_read(0xCFC, 4) == 0xFFFFFFFF);
    // The low two address bits are reserved; the byte lane comes from the data port.
    bus.io_write(0xCF8, 4, cfg_addr(0, 0, 0) | 3);
    CHECK(bus.io_read(0xCF8, 4) == cfg_addr(0, 0, 0));
    // Read-only identity; writable latency timer byte.
    bus.io_write(0xCF8, 4, cfg_addr(0, 0, 0));
    bus.io_write(0xCFC, 4, 0);
    CHECK(bus.io_read(0xCFC, 4) == 0x12378086);
    bus.io_write(0xCF8, 4, cfg_addr(0, 0, 0x0C));
    bus.io_write(0xCFD, 1, 0x40);
    CHECK(bus.io_read(0xCFC, 4) == 0x00004000);
    // Non-dword writes to 0xCF8 don't touch the address register.
    bus.io_write(0xCF8, 2, 0);
    CHECK(bus.io_read(0xCF8, 4) == cfg_addr(0, 0, 0x0C));
}

TEST_CASE("pci multifunction bit and reset control port", "[devices]") {
    PciBus bus;
    Piix3 isa;
    TestDev fn3;
    bus.attach(isa, 1, 0);
    CHECK((bus.config_read(1, 0, 0x0E, 1) & 0x80) == 0);
    bus.attach(fn3, 1, 3);
    CHECK((bus.config_read(1, 0, 0x0E, 1) & 0x80) == 0x80);
    CHECK(bus.config_read(1, 3, 0, 2) == 0x1234);
    isa.reset(devices::ResetKind::Warm);
    CHECK((bus.config_read(1, 0, 0x0E, 1) & 0x80) == 0x80);
    int resets = 0;
    bool hard = false;
    bus.set_reset_callback([&](bool h) {
        ++resets;
        hard = h;
    });
    bus.io_write(0xCF9, 1, 0x02);
    CHECK(resets == 0);
    bus.io_write(0xCF9, 1, 0x06);
    CHECK(resets == 1);
    CHECK(hard);
}

TEST_CASE("pci BAR sizing and decode callbacks", "[devices]") {
    PciBus bus;
    TestDev dev;
    bus.attach(dev, 3, 0);
    struct Ev {
        unsigned bar;
        u32 base;
        u32 size;
        bool en;
    };
    std::vector<Ev> evs;
    dev.set_bar_callback([&](unsigned b, u32 base, u32 size, bool en) {
        evs.push_back({b, base, size, en});
    });
    // Sizing: write all-ones, read back the size mask with the type bits.
    bus.config_write(3, 0, 0x10, 4, 0xFFFFFFFF);
    CHECK(bus.config_read(3, 0, 0x10, 4) == 0xFFFFFFE1);
    bus.config_write(3, 0, 0x14, 4, 0xFFFFFFFF);
    CHECK(bus.config_read(3, 0, 0x14, 4) == 0xFFFFF000);
    bus.config_write(3, 0, 0x18, 4, 0xFFFFFFFF);
    CHECK(bus.config_read(3, 0, 0x18, 4) == 0xFFF00008);
    // Unimplemented BARs read zero.
    bus.config_write(3, 0, 0x1C, 4, 0xFFFFFFFF);
    CHECK(bus.config_read(3, 0, 0x1C, 4) == 0);
    CHECK(evs.empty()); // decode is still off
    // Assign and enable I/O decode: only the I/O BAR comes alive.
    bus.config_write(3, 0, 0x10, 4, 0xC000);
    bus.config_write(3, 0, 0x14, 4, 0xFEB00000);
    bus.config_write(3, 0, 0x18, 4, 0); // unassigned
    CHECK(bus.config_read(3, 0, 0x10, 4) == 0xC001);
    bus.config_write(3, 0, 0x04, 2, 0x0001);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].bar == 0);
    CHECK(evs[0].base == 0xC000);
    CHECK(evs[0].size == 0x20);
    CHECK(evs[0].en);
    bus.config_write(3, 0, 0x04, 2, 0x0003);
    REQUIRE(evs.size() == 2);
    CHECK(evs[1].bar == 1);
    CHECK(evs[1].base == 0xFEB00000);
    CHECK(dev.bar_enabled(1));
    CHECK_FALSE(dev.bar_enabled(2)); // address 0 = unassigned
    // Moving an enabled BAR reports the new base; byte writes work on BARs too.
    bus.config_write(3, 0, 0x11, 1, 0xD0);
    REQUIRE(evs.size() == 3);
    CHECK(evs[2].base == 0xD000);
    // Clearing the memory enable turns off the (only enabled) memory BAR.
    bus.config_write(3, 0, 0x04, 2, 0x0001);
    REQUIRE(evs.size() == 4);
    CHECK(evs[3].bar == 1);
    CHECK_FALSE(evs[3].en);
    // Reset restores power-on config and turns the I/O BAR off.
    dev.reset_config();
    CHECK(bus.config_read(3, 0, 0x10, 4) == 0x1);
    REQUIRE(evs.size() == 5);
    CHECK_FALSE(evs[4].en);
}

TEST_CASE("pci status register bits are write-1-to-clear", "[devices]") {
    TestDev dev;
    // The status register has no error bits set at power-on; writing ones (to clear them)
    // must never set any bit.
    dev.config_write(0x06, 2, 0xFFFF);
    CHECK(dev.config_read(0x06, 2) == 0);
}

TEST_CASE("i440fx PAM registers and callback", "[devices]") {
    I440fx host;
    std::vector<std::pair<unsigned, u8>> changes;
    host.on_pam_change([&](unsigned i, u8 v) { changes.emplace_back(i, v); });
    host.config_write(0x59, 1, 0xFF);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0] == std::make_pair(0u, u8{0x30}));
    // A dword write covering PAM1-PAM4 (0x5A-0x5D) reports each changed register.
    host.config_write(0x5A, 4, 0x33113311);
    REQUIRE(changes.size() == 5);
    CHECK(host.pam(1) == 0x11);
    CHECK(host.pam(4) == 0x33);
    // Rewriting the same value reports nothing.
    host.config_write(0x5A, 1, 0x11);
    CHECK(changes.size() == 5);
    // SMRAM keeps its hardwired low bits.
    host.config_write(0x72, 1, 0x4A);
    CHECK(host.smram() == 0x4A);
    host.config_write(0x72, 1, 0x00);
    CHECK(host.smram() == 0x02);
    I440fx::PamRange r[2];
    REQUIRE(I440fx::pam_ranges(0, 0x30, r) == 1);
    CHECK(r[0].base == 0xF0000);
    CHECK(r[0].size == 0x10000);
    CHECK(r[0].attrs == 3);
    REQUIRE(I440fx::pam_ranges(6, 0x21, r) == 2);
    CHECK(r[0].base == 0xE8000);
    CHECK(r[0].attrs == 1);
    CHECK(r[1].base == 0xEC000);
    CHECK(r[1].attrs == 2);
    // Reset reports PAMs going back to 0.
    changes.clear();
    host.reset(devices::ResetKind::Warm);
    CHECK(changes.size() == 5);
    CHECK(host.pam(0) == 0);
}

TEST_CASE("piix3 routes PCI INTx through PIRQ registers", "[devices]") {
    PciBus bus;
    IsaSink isa;
    Piix3 piix(&isa);
    TestDev dev; // slot 3, INTA -> PIRQ (3 + 0 - 1) & 3 = C
    bus.attach(piix, 1, 0);
    bus.attach(dev, 3, 0);
    bus.set_irq_router(&piix);
    CHECK(PciBus::pirq_of(1, 0) == 0);
    CHECK(PciBus::pirq_of(0, 0) == 3);
    CHECK(PciBus::pirq_of(3, 0) == 2);
    CHECK(bus.config_read(1, 0, 0x60, 4) == 0x80808080);
    CHECK_FALSE(piix.route_pirq(2).has_value());
    dev.set_intx(true);
    CHECK(bus.pirq_level(2));
    for (bool l : isa.level) {
        CHECK_FALSE(l);
    }
    // Route PIRQC to IRQ 11: the level appears at once.
    bus.config_write(1, 0, 0x62, 1, 11);
    REQUIRE(piix.route_pirq(2) == 11u);
    CHECK(isa.level[11]);
    // Reserved IRQ numbers route nowhere.
    bus.config_write(1, 0, 0x62, 1, 13);
    CHECK_FALSE(piix.route_pirq(2).has_value());
    CHECK_FALSE(isa.level[11]);
    bus.config_write(1, 0, 0x62, 1, 11);
    CHECK(isa.level[11]);
    // Interrupt Disable masks it and the status bit still shows it.
    bus.config_write(3, 0, 0x04, 2, 0x0400);
    CHECK_FALSE(isa.level[11]);
    CHECK((bus.config_read(3, 0, 0x06, 2) & 0x08) == 0x08);
    bus.config_write(3, 0, 0x04, 2, 0x0000);
    CHECK(isa.level[11]);
    dev.set_intx(false);
    CHECK_FALSE(isa.level[11]);
    CHECK((bus.config_read(3, 0, 0x06, 2) & 0x08) == 0);
}
