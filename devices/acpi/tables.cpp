// SPDX-License-Identifier: MIT
// ACPI table construction. The tables are built once into one blob with file-relative
// pointers recorded on the side; the two outputs then either add the load address and fix
// the checksums, or turn the pointers and checksums into table-loader commands.
#include "devices/acpi/tables.h"

#include "base/check.h"
#include "devices/acpi/aml.h"

#include <cstring>

namespace devices::acpi {

namespace {

using Bytes = std::vector<u8>;

constexpr usize kHeaderSize = 36;

void put(Bytes& b, usize at, u64 value, unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
        b[at + i] = static_cast<u8>(value >> (8 * i));
    }
}

u64 get(const Bytes& b, usize at, unsigned n) {
    u64 v = 0;
    for (unsigned i = 0; i < n; ++i) {
        v |= u64{b[at + i]} << (8 * i);
    }
    return v;
}

void put_str(Bytes& b, usize at, const std::string& s, usize width) {
    for (usize i = 0; i < width; ++i) {
        b[at + i] = static_cast<u8>(i < s.size() ? s[i] : ' ');
    }
}

/// A table of `length` bytes with its standard header filled (checksum left zero).
Bytes header(const char sig[4], usize length, u8 revision, const AcpiConfig& cfg) {
    Bytes t(length, 0);
    std::memcpy(t.data(), sig, 4);
    put(t, 4, length, 4);
    t[8] = revision;
    put_str(t, 10, cfg.oem_id, 6);
    put_str(t, 16, cfg.oem_table_id, 8);
    put(t, 24, 1, 4);            // OEM revision
    std::memcpy(&t[28], "TX86", 4); // creator ID
    put(t, 32, 1, 4);            // creator revision
    return t;
}

/// Generic Address Structure (5.2.3.2) for a system-I/O register block.
void put_gas_io(Bytes& b, usize at, u8 bit_width, u64 address, u8 access_size) {
    b[at] = 1; // system I/O space
    b[at + 1] = bit_width;
    b[at + 2] = 0;
    b[at + 3] = access_size; // 1 byte, 2 word, 3 dword
    put(b, at + 4, address, 8);
}

/// Where the assembled tables and their relocations are.
struct Layout {
    Bytes tables;
    Bytes rsdp;
    struct Pointer {
        bool in_rsdp;   ///< the pointer field lives in the RSDP file (else in tables)
        usize at;       ///< offset of the field
        unsigned size;  ///< 4 or 8
    };
    std::vector<Pointer> pointers; ///< fields holding a tables-relative offset
    struct Checksum {
        usize table;  ///< offset of the table in `tables`
        usize length;
    };
    std::vector<Checksum> checksums; ///< tables whose header checksum must be fixed
};

void align(Bytes& b, usize to) { b.resize((b.size() + to - 1) / to * to, 0); }

Bytes link_device(const char* name, unsigned uid, u8 irq) {
    using namespace aml;
    const Bytes res = resource_template(
        {res_interrupt(Trigger::Level, Polarity::ActiveHigh, Sharing::Shared, {irq})});
    // The link's IRQ is fixed by the PIIX3 PIRQ register the firmware/board programmed, so
    // _PRS offers just that IRQ and _SRS/_DIS accept the request without doing anything.
    return device(name, concat({
                            aml::name("_HID", eisa_id("PNP0C0F")),
                            aml::name("_UID", integer(uid)),
                            aml::name("_PRS", res),
                            aml::name("_CRS", res),
                            method("_SRS", 1, false, {}),
                            method("_DIS", 0, false, {}),
                        }));
}

Bytes isa_devices() {
    using namespace aml;
    return device(
        "ISA",
        concat({
            name("_ADR", dword(0x00010000)),
            device("KBD", concat({name("_HID", eisa_id("PNP0303")),
                                  name("_CRS", resource_template({res_io(0x60, 0x60, 1, 1),
                                                                  res_io(0x64, 0x64, 1, 1),
                                                                  res_irq_noflags(1u << 1)}))})),
            device("MOU", concat({name("_HID", eisa_id("PNP0F13")),
                                  name("_CRS", resource_template({res_irq_noflags(1u << 12)}))})),
            device("RTC", concat({name("_HID", eisa_id("PNP0B00")),
                                  name("_CRS", resource_template({res_io(0x70, 0x70, 1, 2),
                                                                  res_irq_noflags(1u << 8)}))})),
            device("COM1", concat({name("_HID", eisa_id("PNP0501")), name("_UID", integer(1)),
                                   name("_CRS", resource_template({res_io(0x3F8, 0x3F8, 1, 8),
                                                                   res_irq_noflags(1u << 4)}))})),
        }));
}

Bytes dsdt_body(const AcpiConfig& cfg) {
    using namespace aml;
    static constexpr const char* kLinks[4] = {"LNKA", "LNKB", "LNKC", "LNKD"};
    static constexpr const char* kLinkPaths[4] = {"\\_SB.LNKA", "\\_SB.LNKB", "\\_SB.LNKC",
                                                  "\\_SB.LNKD"};
    // _PRT (6.2.13): one entry per slot and pin; INTx of slot s drives PIRQ (s + pin - 1) & 3.
    std::vector<Bytes> prt;
    for (unsigned slot = 0; slot < 32; ++slot) {
        for (unsigned pin = 0; pin < 4; ++pin) {
            const unsigned pirq = (slot + pin + 3) & 3;
            prt.push_back(package({dword(slot << 16 | 0xFFFF), integer(pin),
                                   name_string(kLinkPaths[pirq]), integer(0)}));
        }
    }
    Bytes sb;
    for (unsigned i = 0; i < 4; ++i) {
        append(sb, link_device(kLinks[i], i + 1, cfg.pirq_irqs[i]));
    }
    Bytes pci0 = concat({
        name("_HID", eisa_id("PNP0A03")),
        name("_ADR", integer(0)),
        name("_UID", integer(0)),
        name("_PRT", package(prt)),
        // The root bridge's windows: every bus number, I/O around the config ports, the
        // legacy VGA window and the PCI hole below the APICs (Linux reads these, and
        // complains about a bridge without a bus range).
        name("_CRS", resource_template({
                         res_word_producer(2, 0x00, 0xFF),
                         res_io(0xCF8, 0xCF8, 1, 8),
                         res_word_producer(1, 0x0000, 0x0CF7),
                         res_word_producer(1, 0x0D00, 0xFFFF),
                         res_dword_memory_producer(0x000A0000, 0x000BFFFF),
                         res_dword_memory_producer(cfg.pci_hole_start, 0xFEBFFFFF),
                     })),
    });
    if (cfg.isa_devices) {
        append(pci0, isa_devices());
    }
    append(sb, device("PCI0", pci0));
    return concat({
        scope("\\_SB", sb),
        // \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved; 0 = the PIIX4 PM's soft-off type.
        name("\\_S5", package({integer(0), integer(0), integer(0), integer(0)})),
    });
}

Bytes make_dsdt(const AcpiConfig& cfg) {
    const Bytes body = dsdt_body(cfg);
    // Revision 1: integers are 32 bits, all this DSDT needs.
    Bytes t = header("DSDT", kHeaderSize + body.size(), 1, cfg);
    std::memcpy(&t[kHeaderSize], body.data(), body.size());
    return t;
}

Layout assemble(const AcpiConfig& cfg) {
    Layout L;
    Bytes& out = L.tables;
    auto add_table = [&](const Bytes& t) {
        align(out, 8);
        const usize at = out.size();
        out.insert(out.end(), t.begin(), t.end());
        L.checksums.push_back({at, t.size()});
        return at;
    };

    // FACS (5.2.10) first so the 64-byte alignment it needs is the blob's own alignment.
    const usize facs = 0;
    out.assign(64, 0);
    std::memcpy(out.data(), "FACS", 4);
    put(out, 4, 64, 4);
    out[32] = cfg.acpi2 ? 1 : 0; // version

    const usize dsdt = add_table(make_dsdt(cfg));

    // FADT (5.2.9).
    const bool rev3 = cfg.acpi2;
    Bytes f = header("FACP", rev3 ? 244 : 116, rev3 ? 3 : 1, cfg);
    put(f, 46, cfg.sci_irq, 2);
    put(f, 48, cfg.smi_cmd, 4);
    f[52] = cfg.acpi_enable;
    f[53] = cfg.acpi_disable;
    put(f, 56, cfg.pm_base, 4);        // PM1a_EVT_BLK
    put(f, 64, cfg.pm_base + 4u, 4);   // PM1a_CNT_BLK
    put(f, 76, cfg.pm_base + 8u, 4);   // PM_TMR_BLK
    put(f, 80, cfg.pm_base + 0xCu, 4); // GPE0_BLK (PIIX4 GPSTS/GPEN)
    f[88] = 4;                         // PM1_EVT_LEN
    f[89] = 2;                         // PM1_CNT_LEN
    f[91] = 4;                         // PM_TMR_LEN
    f[92] = 4;                         // GPE0_BLK_LEN
    put(f, 96, 0x0FFF, 2);             // P_LVL2_LAT > 100: C2 unsupported
    put(f, 98, 0x0FFF, 2);             // P_LVL3_LAT > 1000: C3 unsupported
    // Flags: WBINVD, PROC_C1, SLP_BUTTON (no fixed sleep button), FIX_RTC (no RTC wake
    // status in PM1); the fixed power button is present (PWR_BUTTON clear); 24-bit timer.
    u32 flags = 1u << 0 | 1u << 2 | 1u << 5 | 1u << 6;
    if (rev3) {
        // IAPC_BOOT_ARCH: LEGACY_DEVICES | 8042 (Linux skips the i8042 probe without it).
        put(f, 109, 0x0003, 2);
        flags |= 1u << 10; // RESET_REG_SUP
        put_gas_io(f, 116, 8, 0xCF9, 1);
        f[128] = 0x06; // RESET_VALUE: full reset through the PIIX3 reset control register
        put_gas_io(f, 148, 32, cfg.pm_base, 2);
        put_gas_io(f, 172, 16, cfg.pm_base + 4u, 2);
        put_gas_io(f, 208, 32, cfg.pm_base + 8u, 3);
        put_gas_io(f, 220, 32, cfg.pm_base + 0xCu, 1);
    }
    put(f, 112, flags, 4);
    const usize fadt = add_table(f);
    L.pointers.push_back({false, fadt + 36, 4}); // FIRMWARE_CTRL -> FACS
    put(out, fadt + 36, facs, 4);
    L.pointers.push_back({false, fadt + 40, 4}); // DSDT
    put(out, fadt + 40, dsdt, 4);
    if (rev3) {
        L.pointers.push_back({false, fadt + 132, 8}); // X_FIRMWARE_CTRL
        put(out, fadt + 132, facs, 8);
        L.pointers.push_back({false, fadt + 140, 8}); // X_DSDT
        put(out, fadt + 140, dsdt, 8);
    }

    std::vector<usize> entries{fadt};
    for (const Bytes& t : cfg.extra_tables) {
        TX86_CHECK(t.size() >= kHeaderSize && get(t, 4, 4) == t.size(),
                   "extra ACPI table with a bad length");
        entries.push_back(add_table(t));
    }

    const usize rsdt = add_table(header("RSDT", kHeaderSize + 4 * entries.size(), 1, cfg));
    for (usize i = 0; i < entries.size(); ++i) {
        L.pointers.push_back({false, rsdt + kHeaderSize + 4 * i, 4});
        put(out, rsdt + kHeaderSize + 4 * i, entries[i], 4);
    }
    usize xsdt = 0;
    if (cfg.acpi2) {
        xsdt = add_table(header("XSDT", kHeaderSize + 8 * entries.size(), 1, cfg));
        for (usize i = 0; i < entries.size(); ++i) {
            L.pointers.push_back({false, xsdt + kHeaderSize + 8 * i, 8});
            put(out, xsdt + kHeaderSize + 8 * i, entries[i], 8);
        }
    }

    // RSDP (5.2.5.3).
    L.rsdp.assign(cfg.acpi2 ? 36 : 20, 0);
    std::memcpy(L.rsdp.data(), "RSD PTR ", 8);
    put_str(L.rsdp, 9, cfg.oem_id, 6);
    L.rsdp[15] = cfg.acpi2 ? 2 : 0;
    L.pointers.push_back({true, 16, 4});
    put(L.rsdp, 16, rsdt, 4);
    if (cfg.acpi2) {
        put(L.rsdp, 20, 36, 4);
        L.pointers.push_back({true, 24, 8});
        put(L.rsdp, 24, xsdt, 8);
    }
    return L;
}

void fix_checksums(Layout& L) {
    for (const Layout::Checksum& c : L.checksums) {
        L.tables[c.table + 9] = 0;
        L.tables[c.table + 9] = acpi_checksum(&L.tables[c.table], c.length);
    }
    L.rsdp[8] = 0;
    L.rsdp[8] = acpi_checksum(L.rsdp.data(), 20);
    if (L.rsdp.size() == 36) {
        L.rsdp[32] = 0;
        L.rsdp[32] = acpi_checksum(L.rsdp.data(), 36);
    }
}

void loader_name(Bytes& e, usize at, const char* name) {
    const usize n = std::strlen(name);
    TX86_CHECK(n < kLoaderFileNameSize, "fw_cfg file name too long");
    std::memcpy(&e[at], name, n);
}

Bytes loader_allocate(const char* file, u32 align_to, u8 zone) {
    Bytes e(kLoaderEntrySize, 0);
    put(e, 0, kLoaderAllocate, 4);
    loader_name(e, 4, file);
    put(e, 60, align_to, 4);
    e[64] = zone;
    return e;
}

Bytes loader_add_pointer(const char* dest, const char* src, u32 offset, u8 size) {
    Bytes e(kLoaderEntrySize, 0);
    put(e, 0, kLoaderAddPointer, 4);
    loader_name(e, 4, dest);
    loader_name(e, 60, src);
    put(e, 116, offset, 4);
    e[120] = size;
    return e;
}

Bytes loader_add_checksum(const char* file, u32 offset, u32 start, u32 length) {
    Bytes e(kLoaderEntrySize, 0);
    put(e, 0, kLoaderAddChecksum, 4);
    loader_name(e, 4, file);
    put(e, 60, offset, 4);
    put(e, 64, start, 4);
    put(e, 68, length, 4);
    return e;
}

} // namespace

u8 acpi_checksum(const u8* p, usize n) {
    u8 sum = 0;
    for (usize i = 0; i < n; ++i) {
        sum = static_cast<u8>(sum + p[i]);
    }
    return static_cast<u8>(0x100 - sum);
}

std::vector<u8> build_dsdt(const AcpiConfig& config) {
    Bytes t = make_dsdt(config);
    t[9] = acpi_checksum(t.data(), t.size());
    return t;
}

AcpiImage build_acpi_at(const AcpiConfig& config, u32 tables_addr) {
    TX86_CHECK(tables_addr % 64 == 0, "ACPI tables must be 64-byte aligned (FACS)");
    Layout L = assemble(config);
    for (const Layout::Pointer& p : L.pointers) {
        Bytes& b = p.in_rsdp ? L.rsdp : L.tables;
        put(b, p.at, get(b, p.at, p.size) + tables_addr, p.size);
    }
    fix_checksums(L);
    return AcpiImage{std::move(L.tables), std::move(L.rsdp)};
}

AcpiFwCfgFiles build_acpi_fw_cfg(const AcpiConfig& config) {
    Layout L = assemble(config);
    fix_checksums(L);
    Bytes loader;
    // The RSDP must land where OSes scan for it (the F segment); the tables go high.
    aml::append(loader, loader_allocate(kFwCfgRsdpFile, 16, kLoaderZoneFseg));
    aml::append(loader, loader_allocate(kFwCfgTablesFile, 64, kLoaderZoneHigh));
    for (const Layout::Pointer& p : L.pointers) {
        aml::append(loader, loader_add_pointer(p.in_rsdp ? kFwCfgRsdpFile : kFwCfgTablesFile,
                                               kFwCfgTablesFile, static_cast<u32>(p.at),
                                               static_cast<u8>(p.size)));
    }
    // Checksums after every pointer patch (the patches change the summed bytes).
    for (const Layout::Checksum& c : L.checksums) {
        aml::append(loader, loader_add_checksum(kFwCfgTablesFile, static_cast<u32>(c.table + 9),
                                                static_cast<u32>(c.table),
                                                static_cast<u32>(c.length)));
    }
    aml::append(loader, loader_add_checksum(kFwCfgRsdpFile, 8, 0, 20));
    if (L.rsdp.size() == 36) {
        aml::append(loader, loader_add_checksum(kFwCfgRsdpFile, 32, 0, 36));
    }
    return AcpiFwCfgFiles{std::move(L.tables), std::move(L.rsdp), std::move(loader)};
}

} // namespace devices::acpi
