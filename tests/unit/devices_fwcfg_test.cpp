// SPDX-License-Identifier: MIT
// Tests for devices::FwCfg: selector/data port reads, the file directory's big-endian
// layout, and DMA transfers (select+read into RAM, skip, refused writes, zero fill).
#include "devices/firmware/fw_cfg.h"

#include <catch2/catch.hpp>

#include <string>

using devices::FwCfg;

namespace {

struct Rig {
    mmu::PhysMap mem;
    u8* ram;
    FwCfg fw{mem};
    Rig() : ram(mem.add_ram(0, 1u << 20, "ram")) {}
    void sel(u16 key) { fw.io_write(0x510, 2, key); }
    u8 data() { return static_cast<u8>(fw.io_read(0x511, 1)); }
    std::vector<u8> read(usize n) {
        std::vector<u8> v;
        for (usize i = 0; i < n; ++i) {
            v.push_back(data());
        }
        return v;
    }
    static u32 bswap(u32 v) {
        return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
    }
    void put_be(u64 at, u64 v, unsigned n) {
        for (unsigned i = 0; i < n; ++i) {
            ram[at + i] = static_cast<u8>(v >> (8 * (n - 1 - i)));
        }
    }
    u32 get_be32(u64 at) {
        return u32{ram[at]} << 24 | u32{ram[at + 1]} << 16 | u32{ram[at + 2]} << 8 | ram[at + 3];
    }
    /// Starts a DMA with the control structure at `at`, as SeaBIOS does: two outl of the
    /// big-endian halves.
    void dma(u64 at, u32 control, u32 length, u64 address) {
        put_be(at, control, 4);
        put_be(at + 4, length, 4);
        put_be(at + 8, address, 8);
        fw.io_write(0x514, 4, bswap(static_cast<u32>(at >> 32)));
        fw.io_write(0x518, 4, bswap(static_cast<u32>(at)));
    }
};

} // namespace

TEST_CASE("fw_cfg signature, id and numbered items through the data port", "[devices]") {
    Rig r;
    r.sel(FwCfg::kSignature);
    CHECK(r.read(4) == std::vector<u8>{'Q', 'E', 'M', 'U'});
    CHECK(r.data() == 0); // past the end
    r.sel(FwCfg::kId);
    CHECK(r.read(4) == std::vector<u8>{0x03, 0, 0, 0}); // traditional + DMA
    r.fw.set_ram_size(0x12345678);
    r.fw.set_cpus(2, 4);
    r.sel(FwCfg::kRamSize);
    CHECK(r.read(8) == std::vector<u8>{0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0});
    r.sel(FwCfg::kNbCpus);
    CHECK(r.read(2) == std::vector<u8>{2, 0});
    r.sel(FwCfg::kMaxCpus);
    CHECK(r.read(2) == std::vector<u8>{4, 0});
    r.sel(FwCfg::kNuma);
    CHECK(r.read(8) == std::vector<u8>(8, 0));
    // Reselecting restarts at offset 0; unknown keys read zero.
    r.sel(FwCfg::kSignature);
    CHECK(r.data() == 'Q');
    r.sel(0x1234);
    CHECK(r.data() == 0);
    // The DMA register reads back its signature.
    CHECK(r.fw.io_read(0x514, 4) == ('Q' | 'E' << 8 | 'M' << 16 | 'U' << 24));
}

TEST_CASE("fw_cfg file directory is big-endian with 56-byte names", "[devices]") {
    Rig r;
    const u16 k1 = r.fw.add_file("etc/sercon-port", FwCfg::le(0x3F8, 2));
    const u16 k2 = r.fw.add_file("bootorder", {'/', 'x', '\n'});
    CHECK(k1 == 0x20);
    CHECK(k2 == 0x21);
    CHECK(r.fw.add_file("etc/sercon-port", FwCfg::le(0x2F8, 2)) == k1); // replaced
    r.sel(FwCfg::kFileDir);
    const std::vector<u8> dir = r.read(4 + 2 * 64);
    CHECK(dir[0] == 0);
    CHECK(dir[3] == 2);
    // Entry 0: size 2, select 0x0020, reserved, name.
    CHECK(std::vector<u8>(dir.begin() + 4, dir.begin() + 12) ==
          std::vector<u8>{0, 0, 0, 2, 0x00, 0x20, 0, 0});
    CHECK(std::string(reinterpret_cast<const char*>(&dir[12])) == "etc/sercon-port");
    CHECK(std::vector<u8>(dir.begin() + 68, dir.begin() + 76) ==
          std::vector<u8>{0, 0, 0, 3, 0x00, 0x21, 0, 0});
    CHECK(std::string(reinterpret_cast<const char*>(&dir[76])) == "bootorder");
    r.sel(k1);
    CHECK(r.read(2) == std::vector<u8>{0xF8, 0x02});
    // e820 encoding helper.
    struct E {
        u64 addr, size;
        u32 type;
    };
    const auto e820 = FwCfg::encode_e820(std::vector<E>{{0x100000, 0x7F00000, 1}});
    REQUIRE(e820.size() == 20);
    CHECK(e820[2] == 0x10);
    CHECK(e820[16] == 1);
}

TEST_CASE("fw_cfg DMA select+read, skip, zero fill and refused writes", "[devices]") {
    Rig r;
    std::vector<u8> blob(300);
    for (usize i = 0; i < blob.size(); ++i) {
        blob[i] = static_cast<u8>(i * 7);
    }
    const u16 key = r.fw.add_file("etc/acpi/tables", blob);
    // Select + read 100 bytes into 0x2000.
    r.dma(0x1000, u32{key} << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead, 100, 0x2000);
    CHECK(r.get_be32(0x1000) == 0); // completed
    CHECK(std::equal(blob.begin(), blob.begin() + 100, r.ram + 0x2000));
    // Skip 100, then read the rest plus 20 bytes past the end (zero-filled).
    r.dma(0x1000, FwCfg::kDmaSkip, 100, 0);
    std::fill(r.ram + 0x3000, r.ram + 0x3000 + 120, u8{0xEE});
    r.dma(0x1000, FwCfg::kDmaRead, 120, 0x3000);
    CHECK(r.get_be32(0x1000) == 0);
    CHECK(std::equal(blob.begin() + 200, blob.end(), r.ram + 0x3000));
    CHECK(r.ram[0x3000 + 100] == 0);
    CHECK(r.ram[0x3000 + 119] == 0);
    // The data port continues where DMA left off (at the end: zeros).
    CHECK(r.data() == 0);
    // Writes to read-only items set the error bit.
    r.dma(0x1000, u32{key} << 16 | FwCfg::kDmaSelect | FwCfg::kDmaWrite, 4, 0x2000);
    CHECK(r.get_be32(0x1000) == FwCfg::kDmaError);
    // Writable files accept DMA writes.
    const u16 wkey = r.fw.add_file("etc/test-write", std::vector<u8>(4, 0), true);
    r.ram[0x2000] = 0xAB;
    r.dma(0x1000, u32{wkey} << 16 | FwCfg::kDmaSelect | FwCfg::kDmaWrite, 4, 0x2000);
    CHECK(r.get_be32(0x1000) == 0);
    CHECK((*r.fw.file("etc/test-write"))[0] == 0xAB);
    // A signature read via DMA at a high control address half of zero.
    r.dma(0x1000, u32{FwCfg::kSignature} << 16 | FwCfg::kDmaSelect | FwCfg::kDmaRead, 4, 0x4000);
    CHECK(std::string(reinterpret_cast<const char*>(r.ram + 0x4000), 4) == "QEMU");
}
