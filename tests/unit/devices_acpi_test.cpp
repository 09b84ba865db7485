// SPDX-License-Identifier: MIT
// Tests for the ACPI side: AML encodings against byte sequences worked out from the ACPI
// spec's grammar, a structural walk of the generated DSDT, table checksums and links, the
// fw_cfg table-loader script (executed here as SeaBIOS would), and the PIIX4 PM device
// (PM timer rate and overflow, SCI, ACPI enable through 0xB2, S5 power-off).
#include "devices/acpi/aml.h"
#include "devices/acpi/piix4_pm.h"
#include "devices/acpi/tables.h"
#include "devices/scheduler.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>

namespace aml = devices::acpi::aml;
using aml::Bytes;
using devices::Piix4Pm;
using devices::Scheduler;
using devices::acpi::AcpiConfig;

namespace {

u64 rd(const std::vector<u8>& b, usize at, unsigned n) {
    u64 v = 0;
    for (unsigned i = 0; i < n; ++i) {
        v |= u64{b.at(at + i)} << (8 * i);
    }
    return v;
}

u8 sum(const u8* p, usize n) {
    u8 s = 0;
    for (usize i = 0; i < n; ++i) {
        s = static_cast<u8>(s + p[i]);
    }
    return s;
}

// ---- a tiny AML walker for the subset aml.h emits ----
struct Walker {
    const Bytes& b;
    std::multiset<std::string> names; ///< every name defined by Name/Device/Method/Scope
    std::map<std::string, unsigned> package_sizes; ///< Name(X, Package) -> element count

    explicit Walker(const Bytes& bytes) : b(bytes) {}

    usize pkg_end(usize& i) {
        const u8 lead = b.at(i);
        const unsigned follow = lead >> 6;
        usize len = follow ? (lead & 0x0F) : (lead & 0x3F);
        for (unsigned k = 0; k < follow; ++k) {
            len |= usize{b.at(i + 1 + k)} << (4 + 8 * k);
        }
        const usize end = i + len;
        i += 1 + follow;
        REQUIRE(end <= b.size());
        return end;
    }
    std::string name_string(usize& i) {
        std::string out;
        while (b.at(i) == '\\' || b.at(i) == '^') {
            out += static_cast<char>(b[i++]);
        }
        unsigned segs = 1;
        if (b.at(i) == 0x2E) {
            segs = 2;
            ++i;
        } else if (b.at(i) == 0x2F) {
            segs = b.at(i + 1);
            i += 2;
        } else if (b.at(i) == 0x00) {
            ++i;
            return out;
        }
        for (unsigned s = 0; s < segs; ++s) {
            for (unsigned k = 0; k < 4; ++k) {
                const char c = static_cast<char>(b.at(i + k));
                REQUIRE(((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'));
                out += c;
            }
            i += 4;
            if (s + 1 < segs) {
                out += '.';
            }
        }
        return out;
    }
    static bool lead_name_char(u8 c) {
        return c == '\\' || c == '^' || c == '_' || (c >= 'A' && c <= 'Z') || c == 0x2E ||
               c == 0x2F;
    }
    /// One data object (package element or Name value); returns package element count or -1.
    int data(usize& i) {
        const u8 op = b.at(i);
        switch (op) {
        case 0x00:
        case 0x01:
        case 0xFF: ++i; return -1;
        case 0x0A: i += 2; return -1;
        case 0x0B: i += 3; return -1;
        case 0x0C: i += 5; return -1;
        case 0x0E: i += 9; return -1;
        case 0x0D:
            ++i;
            while (b.at(i) != 0) {
                ++i;
            }
            ++i;
            return -1;
        case 0x11: {
            ++i;
            const usize end = pkg_end(i);
            usize j = i;
            data(j); // BufferSize
            i = end;
            return -1;
        }
        case 0x12: {
            ++i;
            const usize end = pkg_end(i);
            const unsigned count = b.at(i++);
            unsigned seen = 0;
            while (i < end) {
                if (lead_name_char(b.at(i))) {
                    name_string(i);
                } else {
                    data(i);
                }
                ++seen;
            }
            REQUIRE(i == end);
            REQUIRE(seen == count);
            return static_cast<int>(count);
        }
        default: FAIL("unexpected AML data opcode " << int(op)); return -1;
        }
    }
    void terms(usize i, usize end) {
        while (i < end) {
            const u8 op = b.at(i++);
            if (op == 0x08) {
                const std::string n = name_string(i);
                names.insert(n);
                const int count = data(i);
                if (count >= 0) {
                    package_sizes[n] = static_cast<unsigned>(count);
                }
            } else if (op == 0x10 || op == 0x14 || (op == 0x5B && b.at(i) == 0x82)) {
                if (op == 0x5B) {
                    ++i;
                }
                const usize e = pkg_end(i);
                names.insert(name_string(i));
                if (op == 0x14) {
                    ++i; // MethodFlags; our method bodies are opaque
                    i = e;
                    continue;
                }
                terms(i, e);
                i = e;
            } else {
                FAIL("unexpected AML term opcode " << int(op));
            }
        }
        REQUIRE(i == end);
    }
};

/// Executes a table-loader script the way the firmware does, with files placed at
/// the given addresses; returns the patched files.
std::map<std::string, Bytes> run_loader(const Bytes& loader, std::map<std::string, Bytes> files,
                                        const std::map<std::string, u64>& addr) {
    REQUIRE(loader.size() % 128 == 0);
    auto fname = [&](usize at) { return std::string(reinterpret_cast<const char*>(&loader[at])); };
    for (usize e = 0; e < loader.size(); e += 128) {
        const u32 cmd = static_cast<u32>(rd(loader, e, 4));
        if (cmd == 1) {
            const std::string f = fname(e + 4);
            REQUIRE(files.count(f));
            CHECK(addr.at(f) % rd(loader, e + 60, 4) == 0);
        } else if (cmd == 2) {
            Bytes& dest = files.at(fname(e + 4));
            const u64 src = addr.at(fname(e + 60));
            const usize off = rd(loader, e + 116, 4);
            const unsigned size = loader[e + 120];
            REQUIRE((size == 4 || size == 8));
            const u64 v = rd(dest, off, size) + src;
            for (unsigned i = 0; i < size; ++i) {
                dest.at(off + i) = static_cast<u8>(v >> (8 * i));
            }
        } else if (cmd == 3) {
            Bytes& f = files.at(fname(e + 4));
            const usize off = rd(loader, e + 60, 4);
            const usize start = rd(loader, e + 64, 4);
            const usize len = rd(loader, e + 68, 4);
            REQUIRE(start + len <= f.size());
            f.at(off) = static_cast<u8>(f.at(off) - sum(&f[start], len));
        } else {
            FAIL("unknown loader command " << cmd);
        }
    }
    return files;
}

Bytes fake_madt() {
    Bytes t(44, 0);
    std::memcpy(t.data(), "APIC", 4);
    t[4] = 44;
    t[8] = 1;
    t[9] = static_cast<u8>(0x100 - sum(t.data(), t.size()));
    return t;
}

} // namespace

TEST_CASE("aml encodes names, integers and packages as the spec grammar says", "[devices]") {
    // Name(_S5, Package(4) {0, 0, 0, 0})
    CHECK(aml::name("_S5", aml::package({aml::integer(0), aml::integer(0), aml::integer(0),
                                         aml::integer(0)})) ==
          Bytes{0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00});
    // Name(_HID, EisaId("PNP0A03")) -> DWordConst 0x030AD041
    CHECK(aml::name("_HID", aml::eisa_id("PNP0A03")) ==
          Bytes{0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03});
    CHECK(aml::eisa_id_value("PNP0C0F") == 0x0F0CD041);
    CHECK(aml::name_string("\\_SB.PCI0") ==
          Bytes{'\\', 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'});
    CHECK(aml::name_string("\\_SB.PCI0.ISA") ==
          Bytes{'\\', 0x2F, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_'});
    CHECK(aml::name_string("^FOO") == Bytes{'^', 'F', 'O', 'O', '_'});
    CHECK(aml::integer(0) == Bytes{0x00});
    CHECK(aml::integer(1) == Bytes{0x01});
    CHECK(aml::integer(0x12) == Bytes{0x0A, 0x12});
    CHECK(aml::integer(0x1234) == Bytes{0x0B, 0x34, 0x12});
    CHECK(aml::integer(0x12345678) == Bytes{0x0C, 0x78, 0x56, 0x34, 0x12});
    CHECK(aml::integer(0x100000000ull) ==
          Bytes{0x0E, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00});
    CHECK(aml::string("AB") == Bytes{0x0D, 'A', 'B', 0x00});
    // Scope(\_SB) {} and Device(PCI0) { Name(_HID, EisaId("PNP0A03")) }
    CHECK(aml::scope("\\_SB", {}) == Bytes{0x10, 0x06, '\\', '_', 'S', 'B', '_'});
    CHECK(aml::device("PCI0", aml::name("_HID", aml::eisa_id("PNP0A03"))) ==
          Bytes{0x5B, 0x82, 0x0F, 'P', 'C', 'I', '0', 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41,
                0xD0, 0x0A, 0x03});
    CHECK(aml::method("_SRS", 1, false, {}) == Bytes{0x14, 0x06, '_', 'S', 'R', 'S', 0x01});
    // ResourceTemplate() { IRQNoFlags() {1} }
    CHECK(aml::resource_template({aml::res_irq_noflags(1u << 1)}) ==
          Bytes{0x11, 0x08, 0x0A, 0x05, 0x22, 0x02, 0x00, 0x79, 0x00});
    CHECK(aml::res_io(0x60, 0x60, 1, 1) == Bytes{0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01});
    // Interrupt(ResourceConsumer, Level, ActiveHigh, Shared) {10}
    CHECK(aml::res_interrupt(aml::Trigger::Level, aml::Polarity::ActiveHigh,
                             aml::Sharing::Shared, {10}) ==
          Bytes{0x89, 0x06, 0x00, 0x09, 0x01, 0x0A, 0x00, 0x00, 0x00});
}

TEST_CASE("aml package lengths use the multi-byte forms at the boundaries", "[devices]") {
    CHECK(aml::pkg_length(0) == Bytes{0x01});
    CHECK(aml::pkg_length(62) == Bytes{0x3F});
    CHECK(aml::pkg_length(63) == Bytes{0x41, 0x04}); // 65 = 0x041
    CHECK(aml::pkg_length(4093) == Bytes{0x4F, 0xFF}); // 4095 = 0xFFF
    CHECK(aml::pkg_length(4094) == Bytes{0x81, 0x00, 0x01}); // 4097 = 0x01001
    // A large package round-trips through the walker.
    std::vector<Bytes> elems(200, aml::integer(0x1234));
    const Bytes pkg = aml::name("BIG", aml::package(elems));
    Walker w(pkg);
    w.terms(0, pkg.size());
    CHECK(w.package_sizes.at("BIG_") == 200);
}

TEST_CASE("dsdt parses and has the PCI root, links, ISA devices and _S5", "[devices]") {
    AcpiConfig cfg;
    const Bytes dsdt = devices::acpi::build_dsdt(cfg);
    REQUIRE(dsdt.size() > 36);
    CHECK(std::memcmp(dsdt.data(), "DSDT", 4) == 0);
    CHECK(rd(dsdt, 4, 4) == dsdt.size());
    CHECK(sum(dsdt.data(), dsdt.size()) == 0);
    Walker w(dsdt);
    w.terms(36, dsdt.size());
    for (const char* n : {"\\_SB_", "PCI0", "LNKA", "LNKB", "LNKC", "LNKD", "\\_S5_", "_PRT",
                          "ISA_", "KBD_", "MOU_", "RTC_", "COM1", "_SRS"}) {
        CHECK(w.names.count(n) > 0);
    }
    CHECK(w.package_sizes.at("_PRT") == 128);
    CHECK(w.package_sizes.at("\\_S5_") == 4);
    // Slot 1 INTA goes to LNKA, slot 0 INTA to LNKD (the PIIX swizzle).
    const Bytes slot1_inta = aml::package(
        {aml::dword(0x0001FFFF), aml::integer(0), aml::name_string("\\_SB.LNKA"), aml::integer(0)});
    CHECK(std::search(dsdt.begin(), dsdt.end(), slot1_inta.begin(), slot1_inta.end()) !=
          dsdt.end());
    const Bytes slot0_inta = aml::package(
        {aml::dword(0x0000FFFF), aml::integer(0), aml::name_string("\\_SB.LNKD"), aml::integer(0)});
    CHECK(std::search(dsdt.begin(), dsdt.end(), slot0_inta.begin(), slot0_inta.end()) !=
          dsdt.end());
}

TEST_CASE("acpi tables laid out at an address link and checksum", "[devices]") {
    for (bool acpi2 : {false, true}) {
        AcpiConfig cfg;
        cfg.acpi2 = acpi2;
        cfg.extra_tables.push_back(fake_madt());
        const u32 base = 0x07FE0000;
        const auto img = devices::acpi::build_acpi_at(cfg, base);
        const Bytes& t = img.tables;
        auto table_at = [&](u64 addr) {
            REQUIRE(addr >= base);
            REQUIRE(addr - base + 36 <= t.size());
            return static_cast<usize>(addr - base);
        };
        auto check_table = [&](usize off, const char* sig) {
            CHECK(std::memcmp(&t[off], sig, 4) == 0);
            const usize len = rd(t, off + 4, 4);
            REQUIRE(off + len <= t.size());
            CHECK(sum(&t[off], len) == 0);
        };
        // RSDP
        REQUIRE(img.rsdp.size() == (acpi2 ? 36u : 20u));
        CHECK(std::memcmp(img.rsdp.data(), "RSD PTR ", 8) == 0);
        CHECK(sum(img.rsdp.data(), 20) == 0);
        if (acpi2) {
            CHECK(img.rsdp[15] == 2);
            CHECK(sum(img.rsdp.data(), 36) == 0);
            const usize xsdt = table_at(rd(img.rsdp, 24, 8));
            check_table(xsdt, "XSDT");
            CHECK(rd(t, xsdt + 4, 4) == 36 + 16);
        }
        const usize rsdt = table_at(rd(img.rsdp, 16, 4));
        check_table(rsdt, "RSDT");
        REQUIRE(rd(t, rsdt + 4, 4) == 36 + 8);
        const usize fadt = table_at(rd(t, rsdt + 36, 4));
        check_table(fadt, "FACP");
        check_table(table_at(rd(t, rsdt + 40, 4)), "APIC");
        CHECK(rd(t, fadt + 4, 4) == (acpi2 ? 244u : 116u));
        // FADT fields.
        const u64 facs = rd(t, fadt + 36, 4);
        CHECK(facs == base);
        CHECK(std::memcmp(&t[table_at(facs)], "FACS", 4) == 0);
        check_table(table_at(rd(t, fadt + 40, 4)), "DSDT");
        CHECK(rd(t, fadt + 46, 2) == 9);
        CHECK(rd(t, fadt + 48, 4) == 0xB2);
        CHECK(t[fadt + 52] == Piix4Pm::kAcpiEnable);
        CHECK(t[fadt + 53] == Piix4Pm::kAcpiDisable);
        CHECK(rd(t, fadt + 56, 4) == 0x600);
        CHECK(rd(t, fadt + 64, 4) == 0x604);
        CHECK(rd(t, fadt + 76, 4) == 0x608);
        CHECK(t[fadt + 91] == 4);
        if (acpi2) {
            CHECK(rd(t, fadt + 140, 8) == rd(t, fadt + 40, 4)); // X_DSDT == DSDT
            CHECK(rd(t, fadt + 132, 8) == facs);
            CHECK(rd(t, fadt + 212, 8) == 0x608); // X_PM_TMR_BLK address
            CHECK(rd(t, fadt + 120, 8) == 0xCF9);  // RESET_REG address
            CHECK(t[fadt + 128] == 0x06);
        }
    }
}

TEST_CASE("acpi table-loader script reproduces the laid-out tables", "[devices]") {
    for (bool acpi2 : {false, true}) {
        AcpiConfig cfg;
        cfg.acpi2 = acpi2;
        cfg.extra_tables.push_back(fake_madt());
        const auto files = devices::acpi::build_acpi_fw_cfg(cfg);
        REQUIRE(files.loader.size() % devices::acpi::kLoaderEntrySize == 0);
        // The first command allocates the RSDP in the F segment, 16-byte aligned.
        CHECK(rd(files.loader, 0, 4) == devices::acpi::kLoaderAllocate);
        CHECK(std::string(reinterpret_cast<const char*>(&files.loader[4])) == "etc/acpi/rsdp");
        CHECK(files.loader[64] == devices::acpi::kLoaderZoneFseg);
        const u64 tables_at = 0x07FC0000;
        const auto out = run_loader(
            files.loader, {{"etc/acpi/tables", files.tables}, {"etc/acpi/rsdp", files.rsdp}},
            {{"etc/acpi/tables", tables_at}, {"etc/acpi/rsdp", 0xF5A40}});
        const auto img = devices::acpi::build_acpi_at(cfg, static_cast<u32>(tables_at));
        CHECK(out.at("etc/acpi/tables") == img.tables);
        CHECK(out.at("etc/acpi/rsdp") == img.rsdp);
    }
}

// ---------------- PIIX4 PM ----------------

namespace {
struct SciSink final : devices::IrqSink {
    bool level = false;
    unsigned line = 0;
    void set_irq(unsigned l, bool v) override {
        line = l;
        level = v;
    }
};

struct PmRig {
    Scheduler sched;
    SciSink sci;
    Piix4Pm pm{sched, devices::IrqLine(&sci, 9)};
    PmRig() { pm.set_pm_io(0x600, true); }
    void run_to(u64 ns) {
        while (sched.next_deadline() <= ns) {
            sched.advance_to(sched.next_deadline());
            sched.run_due();
        }
        sched.advance_to(ns);
        sched.run_due();
    }
    u32 in(u16 port, unsigned size) { return pm.io_read(port, size); }
    void out(u16 port, unsigned size, u32 v) { pm.io_write(port, size, v); }
};
} // namespace

TEST_CASE("piix4 pm config space and PM I/O decode", "[devices]") {
    Scheduler sched;
    Piix4Pm pm(sched, devices::IrqLine());
    CHECK(pm.config_read(0x00, 4) == 0x71138086);
    CHECK(pm.config_read(0x08, 4) == 0x06800003);
    CHECK(pm.config_read(0x40, 4) == 0x00000001);
    CHECK((pm.config_read(0x58, 4) & (1u << 25)) != 0); // APMC_EN: no SMM setup wanted
    std::vector<std::pair<u16, bool>> moves;
    pm.set_pm_io_callback([&](u16 b, bool e) { moves.emplace_back(b, e); });
    CHECK(pm.io_read(0x608, 4) == 0xFFFFFFFF); // not decoded yet
    pm.config_write(0x40, 4, 0x0000B03F);
    CHECK(pm.config_read(0x40, 4) == 0x0000B001);
    pm.config_write(0x80, 1, 0x01);
    REQUIRE(moves.size() == 2);
    CHECK(moves[1] == std::make_pair(u16{0xB000}, true));
    CHECK(pm.io_read(0xB004, 2) == 0);
    CHECK(pm.io_read(0x604, 2) == 0xFFFF);
}

TEST_CASE("piix4 pm timer runs at 3.579545 MHz and wraps at 24 bits", "[devices]") {
    for (u64 t : {u64{0}, u64{1}, u64{3579544}, u64{3579545}, u64{3579546}, u64{987654321}}) {
        CHECK(Piix4Pm::ticks_at(Piix4Pm::ns_of_tick(t)) == t);
        if (t) {
            CHECK(Piix4Pm::ticks_at(Piix4Pm::ns_of_tick(t) - 1) == t - 1);
        }
    }
    PmRig rig;
    CHECK(rig.in(0x608, 4) == 0);
    rig.run_to(1'000'000'000);
    CHECK(rig.in(0x608, 4) == 3579545);
    rig.run_to(10'000'000'000);
    CHECK(rig.in(0x608, 4) == (35795450u & 0xFFFFFF));
    CHECK(rig.in(0x608, 4) <= 0xFFFFFF);
    // Byte reads see the same counter.
    CHECK(rig.in(0x60A, 1) == ((35795450u >> 16) & 0xFF));
    // Writes are ignored.
    rig.out(0x608, 4, 0);
    CHECK(rig.in(0x608, 4) == (35795450u & 0xFFFFFF));
}

TEST_CASE("piix4 pm timer MSB toggle sets TMR_STS and raises SCI", "[devices]") {
    PmRig rig;
    const u64 flip = Piix4Pm::ns_of_tick(u64{1} << 23);
    rig.run_to(flip - 1);
    CHECK((rig.in(0x600, 2) & Piix4Pm::kTmrSts) == 0);
    rig.run_to(flip);
    CHECK((rig.in(0x600, 2) & Piix4Pm::kTmrSts) != 0);
    CHECK_FALSE(rig.sci.level); // TMR_EN and SCI_EN clear
    rig.out(0x602, 2, Piix4Pm::kTmrSts); // TMR_EN
    CHECK_FALSE(rig.sci.level);          // SCI_EN still clear
    rig.pm.apm_ops().io_write(0xB2, 1, Piix4Pm::kAcpiEnable);
    CHECK((rig.in(0x604, 2) & Piix4Pm::kSciEn) != 0);
    CHECK(rig.sci.level);
    CHECK(rig.sci.line == 9);
    // Write-1-to-clear drops the SCI; writing 0 leaves the bit alone.
    rig.out(0x600, 2, 0);
    CHECK(rig.sci.level);
    rig.out(0x600, 2, Piix4Pm::kTmrSts);
    CHECK_FALSE(rig.sci.level);
    // Next toggle (bit 23 falling at 2^24 ticks) sets it again.
    rig.run_to(Piix4Pm::ns_of_tick(u64{1} << 24));
    CHECK(rig.sci.level);
    // ACPI disable clears SCI_EN and the SCI.
    rig.pm.apm_ops().io_write(0xB2, 1, Piix4Pm::kAcpiDisable);
    CHECK_FALSE(rig.sci.level);
    CHECK(rig.pm.apm_ops().io_read(0xB2, 1) == Piix4Pm::kAcpiDisable);
}

TEST_CASE("piix4 pm power button and S5 power-off", "[devices]") {
    PmRig rig;
    int offs = 0;
    rig.pm.set_power_off_callback([&] { ++offs; });
    rig.out(0x604, 2, Piix4Pm::kSciEn);
    rig.out(0x602, 2, Piix4Pm::kPwrBtnSts);
    rig.pm.press_power_button();
    CHECK(rig.sci.level);
    rig.out(0x600, 2, Piix4Pm::kPwrBtnSts);
    CHECK_FALSE(rig.sci.level);
    // SLP_TYP 1 with SLP_EN: not S5, ignored.
    rig.out(0x604, 2, Piix4Pm::kSciEn | 1u << 10 | Piix4Pm::kSlpEn);
    CHECK(offs == 0);
    CHECK((rig.in(0x604, 2) & Piix4Pm::kSlpEn) == 0); // SLP_EN is write-only
    CHECK(((rig.in(0x604, 2) >> 10) & 7) == 1);
    // SLP_TYP 0 (\_S5) with SLP_EN: power off. Byte write of the high half works too.
    rig.out(0x605, 1, Piix4Pm::kSlpEn >> 8);
    CHECK(offs == 1);
}
