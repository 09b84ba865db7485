// SPDX-License-Identifier: MIT
// QEMU's firmware configuration device (QEMU docs/specs/fw_cfg.txt), the channel SeaBIOS
// uses to learn about the machine: a 16-bit selector at I/O port 0x510, an 8-bit data port
// at 0x511 that streams the selected item byte by byte (past the end reads 0), and the DMA
// interface at 0x514-0x51B (a 64-bit big-endian address register written as two 32-bit
// halves, high at 0x514 and low at 0x518; writing the low half runs the transfer described
// by the big-endian FWCfgDmaAccess {control, length, address} at that guest address:
// select/read/skip/write, then control is written back as 0, or with the error bit).
// Items: the "QEMU" signature (0x0000), the feature ID (0x0001: traditional | DMA), RAM
// size, CPU counts, NUMA (empty), the file directory (0x0019, big-endian) and named files
// (keys from 0x0020 in the order they were added) that the board supplies. Guest writes go
// only to items added as writable. Not here: the MMIO variant, the kernel/initrd items
// (the board boots kernels itself), the legacy data-port write path.
#pragma once

#include "base/types.h"
#include "devices/device.h"
#include "devices/io_bus.h"
#include "mmu/phys_map.h"

#include <map>
#include <string>
#include <vector>

namespace devices {

inline constexpr DeviceInfo kFwCfgInfo{"fw_cfg", "QEMU firmware configuration (I/O + DMA)"};

class FwCfg final : public Device, public IoOps {
public:
    static constexpr u16 kSelectorPort = 0x510;
    static constexpr u16 kDataPort = 0x511;
    static constexpr u16 kDmaPort = 0x514;

    // Selector keys.
    static constexpr u16 kSignature = 0x0000;
    static constexpr u16 kId = 0x0001;
    static constexpr u16 kRamSize = 0x0003;
    static constexpr u16 kNbCpus = 0x0005;
    static constexpr u16 kNuma = 0x000D;
    static constexpr u16 kMaxCpus = 0x000F;
    static constexpr u16 kFileDir = 0x0019;
    static constexpr u16 kFileFirst = 0x0020;
    static constexpr usize kMaxFileName = 56; ///< including the NUL

    // DMA control bits.
    static constexpr u32 kDmaError = 0x01;
    static constexpr u32 kDmaRead = 0x02;
    static constexpr u32 kDmaSkip = 0x04;
    static constexpr u32 kDmaSelect = 0x08;
    static constexpr u32 kDmaWrite = 0x10;

    /// `mem` is used by DMA transfers.
    explicit FwCfg(mmu::PhysMap& mem);

    /// Adds (or replaces the contents of) file `name`; returns its selector key.
    u16 add_file(const std::string& name, std::vector<u8> bytes, bool writable = false);
    /// Sets a numbered item.
    void set_item(u16 key, std::vector<u8> bytes);
    /// Convenience: RAM size (u64), CPU count and maximum (u16 each; NUMA sized to match).
    void set_ram_size(u64 bytes);
    void set_cpus(u16 count, u16 max);

    /// Contents of an item or file (tests, and files the guest may have written).
    const std::vector<u8>* item(u16 key) const;
    const std::vector<u8>* file(const std::string& name) const;

    /// Little-endian encoding of `value` in `n` bytes (for items like "etc/sercon-port").
    static std::vector<u8> le(u64 value, unsigned n);
    /// "etc/e820" contents: 20-byte little-endian {u64 address, u64 length, u32 type}
    /// entries, from anything with addr/size/type members (e.g. devices::E820Entry).
    template <class Entry>
    static std::vector<u8> encode_e820(const std::vector<Entry>& entries) {
        std::vector<u8> out;
        for (const Entry& e : entries) {
            for (u8 b : le(e.addr, 8)) {
                out.push_back(b);
            }
            for (u8 b : le(e.size, 8)) {
                out.push_back(b);
            }
            for (u8 b : le(e.type, 4)) {
                out.push_back(b);
            }
        }
        return out;
    }

    u16 selector() const { return m_selector; }

    // Device
    std::string_view name() const override { return kFwCfgInfo.name; }
    /// Clears the selector, offset and DMA address; items are kept.
    void reset(ResetKind kind) override;

    /// IoOps: map 0x510-0x511 with kIo8 | kIo16 and 0x514-0x51B with kIo8 | kIo16 | kIo32.
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

private:
    struct Item {
        std::vector<u8> data;
        bool writable = false;
    };
    void select(u16 key);
    void rebuild_dir();
    void run_dma(u64 addr);
    Item* current();

    mmu::PhysMap& m_mem;
    std::map<u16, Item> m_items;
    std::vector<std::string> m_files; ///< file names by key - kFileFirst
    u16 m_selector = 0;
    u32 m_offset = 0;
    u8 m_dma_addr[8]{}; ///< the address register's bytes in port order (big-endian)
};

} // namespace devices
