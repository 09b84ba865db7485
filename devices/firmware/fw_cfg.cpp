// SPDX-License-Identifier: MIT
// FwCfg: item storage, the selector/data ports, the file directory and DMA transfers.
#include "devices/firmware/fw_cfg.h"

#include "base/check.h"
#include "base/log.h"

#include <algorithm>

namespace devices {

namespace {
u64 be(const u8* p, unsigned n) {
    u64 v = 0;
    for (unsigned i = 0; i < n; ++i) {
        v = v << 8 | p[i];
    }
    return v;
}

void put_be(std::vector<u8>& out, u64 v, unsigned n) {
    for (unsigned i = n; i-- > 0;) {
        out.push_back(static_cast<u8>(v >> (8 * i)));
    }
}

/// What port 0x514 reads back: the DMA signature "QEMU CFG" (big-endian).
constexpr char kDmaSignature[9] = "QEMU CFG";
} // namespace

FwCfg::FwCfg(mmu::PhysMap& mem) : m_mem(mem) {
    set_item(kSignature, {'Q', 'E', 'M', 'U'});
    set_item(kId, le(0x3, 4)); // bit 0: traditional interface, bit 1: DMA
    set_ram_size(0);
    set_cpus(1, 1);
    rebuild_dir();
}

std::vector<u8> FwCfg::le(u64 value, unsigned n) {
    std::vector<u8> out(n);
    for (unsigned i = 0; i < n; ++i) {
        out[i] = static_cast<u8>(value >> (8 * i));
    }
    return out;
}

void FwCfg::set_item(u16 key, std::vector<u8> bytes) { m_items[key].data = std::move(bytes); }

void FwCfg::set_ram_size(u64 bytes) { set_item(kRamSize, le(bytes, 8)); }

void FwCfg::set_cpus(u16 count, u16 max) {
    set_item(kNbCpus, le(count, 2));
    set_item(kMaxCpus, le(max, 2));
    // NUMA: a u64 node count (0 = no NUMA) followed by one u64 per possible CPU.
    set_item(kNuma, std::vector<u8>(8 * (1 + usize{max}), 0));
}

u16 FwCfg::add_file(const std::string& name, std::vector<u8> bytes, bool writable) {
    // Names come from the board, never the guest: a bad one is an emulator bug.
    TX86_CHECK(!name.empty() && name.size() < kMaxFileName, "fw_cfg file name too long");
    TX86_CHECK(m_files.size() < 0x3FFF - kFileFirst, "too many fw_cfg files");
    auto it = std::find(m_files.begin(), m_files.end(), name);
    u16 key;
    if (it != m_files.end()) {
        key = static_cast<u16>(kFileFirst + (it - m_files.begin()));
    } else {
        key = static_cast<u16>(kFileFirst + m_files.size());
        m_files.push_back(name);
    }
    m_items[key] = Item{std::move(bytes), writable};
    rebuild_dir();
    return key;
}

const std::vector<u8>* FwCfg::item(u16 key) const {
    auto it = m_items.find(key);
    return it == m_items.end() ? nullptr : &it->second.data;
}

const std::vector<u8>* FwCfg::file(const std::string& name) const {
    auto it = std::find(m_files.begin(), m_files.end(), name);
    return it == m_files.end() ? nullptr
                               : item(static_cast<u16>(kFileFirst + (it - m_files.begin())));
}

void FwCfg::rebuild_dir() {
    // Directory: big-endian u32 count, then {u32 size, u16 select, u16 reserved, name[56]}.
    std::vector<u8> dir;
    put_be(dir, m_files.size(), 4);
    for (usize i = 0; i < m_files.size(); ++i) {
        const u16 key = static_cast<u16>(kFileFirst + i);
        put_be(dir, m_items[key].data.size(), 4);
        put_be(dir, key, 2);
        put_be(dir, 0, 2);
        std::vector<u8> name(kMaxFileName, 0);
        std::copy(m_files[i].begin(), m_files[i].end(), name.begin());
        dir.insert(dir.end(), name.begin(), name.end());
    }
    m_items[kFileDir].data = std::move(dir);
}

void FwCfg::reset(ResetKind) {
    m_selector = 0;
    m_offset = 0;
    std::fill(std::begin(m_dma_addr), std::end(m_dma_addr), u8{0});
}

void FwCfg::select(u16 key) {
    m_selector = key;
    m_offset = 0;
}

FwCfg::Item* FwCfg::current() {
    // Bit 14 marks a write selection. Bit 15 selects the architecture-specific key space
    // (0x8000 and up, e.g. QEMU's legacy ACPI-table list), which stays distinct: we define
    // no such items, so they read as zero, as on QEMU.
    auto it = m_items.find(static_cast<u16>(m_selector & ~0x4000u));
    return it == m_items.end() ? nullptr : &it->second;
}

u32 FwCfg::io_read(u16 port, unsigned size) {
    u32 v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned p = port + i;
        u8 b = 0;
        if (p == kDataPort) {
            // Each byte of a wider access on the data port is the next byte of the item.
            for (unsigned k = i; k < size; ++k) {
                const Item* it = current();
                const u8 d = it && m_offset < it->data.size() ? it->data[m_offset] : 0;
                if (it && m_offset < it->data.size()) {
                    ++m_offset;
                }
                v |= u32{d} << (8 * k);
            }
            return v;
        }
        if (p >= kDmaPort && p < kDmaPort + 8u) {
            b = static_cast<u8>(kDmaSignature[p - kDmaPort]);
        }
        v |= u32{b} << (8 * i);
    }
    return v;
}

void FwCfg::io_write(u16 port, unsigned size, u32 value) {
    if (port == kSelectorPort) {
        // The selector is a 16-bit register; a byte write sets its low byte only.
        select(size >= 2 ? static_cast<u16>(value) : static_cast<u16>((m_selector & 0xFF00) | (value & 0xFF)));
        return;
    }
    if (port >= kDmaPort && port < kDmaPort + 8u) {
        bool low_done = false;
        for (unsigned i = 0; i < size && port + i < kDmaPort + 8u; ++i) {
            const unsigned idx = port + i - kDmaPort;
            m_dma_addr[idx] = static_cast<u8>(value >> (8 * i));
            low_done |= idx == 7;
        }
        if (low_done) {
            const u64 addr = be(m_dma_addr, 8);
            std::fill(std::begin(m_dma_addr), std::end(m_dma_addr), u8{0});
            run_dma(addr);
        }
        return;
    }
    // Data-port writes were removed from the interface; ignore them.
}

void FwCfg::run_dma(u64 addr) {
    u8 raw[16];
    m_mem.read_bytes(addr, raw, sizeof raw);
    const u32 control = static_cast<u32>(be(raw, 4));
    const u32 length = static_cast<u32>(be(raw + 4, 4));
    const u64 target = be(raw + 8, 8);
    bool error = false;
    if (control & kDmaSelect) {
        select(static_cast<u16>(control >> 16));
    }
    Item* it = current();
    const usize avail = it && m_offset < it->data.size() ? it->data.size() - m_offset : 0;
    if (control & kDmaRead) {
        const usize n = std::min<usize>(avail, length);
        if (n) {
            m_mem.write_bytes(target, it->data.data() + m_offset, n);
        }
        // Bytes past the item's end read as zero, as through the data port. The length is
        // guest-controlled, so zero-fill in bounded chunks.
        static constexpr u8 kZeros[4096] = {};
        for (u64 done = n; done < length;) {
            const usize chunk = static_cast<usize>(std::min<u64>(length - done, sizeof kZeros));
            m_mem.write_bytes(target + done, kZeros, chunk);
            done += chunk;
        }
        m_offset += static_cast<u32>(n);
    } else if (control & kDmaWrite) {
        if (!it || !it->writable || length > avail) {
            error = true;
            if (base::log_enabled(base::kLogGuestErr)) {
                base::log_printf("fw_cfg: DMA write to read-only item 0x%x refused\n",
                                 m_selector);
            }
        } else {
            m_mem.read_bytes(target, it->data.data() + m_offset, length);
            m_offset += length;
        }
    } else if (control & kDmaSkip) {
        m_offset += static_cast<u32>(std::min<usize>(avail, length));
    }
    const u32 done = error ? kDmaError : 0;
    const u8 out[4] = {static_cast<u8>(done >> 24), static_cast<u8>(done >> 16),
                       static_cast<u8>(done >> 8), static_cast<u8>(done)};
    m_mem.write_bytes(addr, out, sizeof out);
}

} // namespace devices
