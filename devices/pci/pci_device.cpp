// SPDX-License-Identifier: MIT
// PciDevice: masked configuration-space writes, BAR decode tracking and INTx forwarding.
#include "devices/pci/pci_device.h"

#include "base/check.h"
#include "devices/pci/pci_bus.h"

namespace devices {

using namespace pci_cfg;

PciDevice::PciDevice(u16 vendor, u16 device, u32 class_code, u8 revision) {
    init_reg(kVendorId, 2, vendor);
    init_reg(kDeviceId, 2, device);
    init_reg(kRevision, 1, revision);
    init_reg(kClassProg, 3, class_code);
    // Command: I/O, memory, bus master, parity response, SERR#, interrupt disable.
    set_wmask(kCommand, 2, 0x0547);
    // Status: the error bits are write-1-to-clear (spec 6.2.3).
    set_w1cmask(kStatus, 2, 0xF900);
    set_wmask(kCacheLine, 1, 0xFF);
    set_wmask(kLatency, 1, 0xFF);
    set_wmask(kIntLine, 1, 0xFF);
}

void PciDevice::init_reg(u8 offset, unsigned n, u32 value) {
    for (unsigned i = 0; i < n && offset + i < 256; ++i) {
        const u8 b = static_cast<u8>(value >> (8 * i));
        m_config[offset + i] = b;
        m_reset[offset + i] = b;
    }
}

void PciDevice::set_wmask(u8 offset, unsigned n, u32 mask) {
    for (unsigned i = 0; i < n && offset + i < 256; ++i) {
        m_wmask[offset + i] = static_cast<u8>(mask >> (8 * i));
    }
}

void PciDevice::set_w1cmask(u8 offset, unsigned n, u32 mask) {
    for (unsigned i = 0; i < n && offset + i < 256; ++i) {
        m_w1cmask[offset + i] = static_cast<u8>(mask >> (8 * i));
    }
}

void PciDevice::set_storage(u8 first, u8 last) {
    for (unsigned i = first; i <= last; ++i) {
        m_wmask[i] = 0xFF;
    }
}

void PciDevice::define_bar(unsigned bar, PciBarKind kind, u32 size) {
    TX86_CHECK(bar < 6 && kind != PciBarKind::None, "bad BAR definition");
    TX86_CHECK(size != 0 && (size & (size - 1)) == 0, "BAR size must be a power of two");
    TX86_CHECK(size >= (kind == PciBarKind::Io ? 4u : 16u), "BAR too small");
    m_bars[bar] = Bar{kind, size, 0, false};
    const u8 off = static_cast<u8>(kBar0 + 4 * bar);
    const u32 type = kind == PciBarKind::Io ? 0x1 : (kind == PciBarKind::Mem32Prefetch ? 0x8 : 0);
    const u32 addr_bits = kind == PciBarKind::Io ? 0xFFFFFFFCu : 0xFFFFFFF0u;
    init_reg(off, 4, type);
    // Sizing (spec 6.2.5.1): the address bits below the size are hardwired to zero, so
    // writing all-ones reads back ~(size - 1) with the type bits.
    set_wmask(off, 4, addr_bits & ~(size - 1));
}

u32 PciDevice::config_read(u8 offset, unsigned size) {
    u32 v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned off = offset + i;
        v |= u32{off < 256 ? m_config[off] : u8{0xFF}} << (8 * i);
    }
    return v;
}

void PciDevice::config_write(u8 offset, unsigned size, u32 value) {
    bool touched_bars = false;
    bool touched_cmd = false;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned off = offset + i;
        if (off >= 256) {
            break;
        }
        const u8 v = static_cast<u8>(value >> (8 * i));
        u8 b = static_cast<u8>((m_config[off] & ~m_wmask[off]) | (v & m_wmask[off]));
        b = static_cast<u8>(b & ~(v & m_w1cmask[off]));
        m_config[off] = b;
        touched_cmd |= off == kCommand || off == kCommand + 1;
        touched_bars |= off >= kBar0 && off < kBar0 + 24;
    }
    if (touched_bars || touched_cmd) {
        update_bars();
    }
    if (touched_cmd) {
        update_intx();
    }
    config_written(offset, size);
}

void PciDevice::reset_config() {
    m_config = m_reset;
    update_bars();
    update_intx();
}

u32 PciDevice::bar_base(unsigned bar) const {
    const u32 raw = reg32(static_cast<u8>(kBar0 + 4 * bar));
    return m_bars[bar].kind == PciBarKind::Io ? raw & ~3u : raw & ~15u;
}

bool PciDevice::bar_enabled(unsigned bar) const {
    const Bar& b = m_bars[bar];
    if (b.kind == PciBarKind::None) {
        return false;
    }
    const u16 cmd = reg16(kCommand);
    const bool io = b.kind == PciBarKind::Io;
    if (!(cmd & (io ? kCmdIo : kCmdMem))) {
        return false;
    }
    const u64 base = bar_base(bar);
    // Address 0 means "not assigned"; a window that wraps past the space decodes nothing.
    return base != 0 && base + b.size <= (io ? 0x10000u : u64{1} << 32);
}

void PciDevice::update_bars() {
    for (unsigned i = 0; i < 6; ++i) {
        Bar& b = m_bars[i];
        if (b.kind == PciBarKind::None) {
            continue;
        }
        const bool enabled = bar_enabled(i);
        const u32 base = bar_base(i);
        if (enabled == b.enabled && (!enabled || base == b.base)) {
            continue;
        }
        b.enabled = enabled;
        b.base = base;
        if (m_bar_cb) {
            m_bar_cb(i, base, b.size, enabled);
        }
    }
}

void PciDevice::set_intx(bool level) {
    m_intx = level;
    update_intx();
}

void PciDevice::update_intx() {
    // Status bit 3 shows the pin's internal state even when delivery is disabled.
    if (m_intx) {
        m_config[kStatus] |= kStatusIntx;
    } else {
        m_config[kStatus] &= static_cast<u8>(~kStatusIntx);
    }
    const bool out = m_intx && !(reg16(kCommand) & kCmdIntxDisable) && m_config[kIntPin] != 0;
    if (out == m_intx_out) {
        return;
    }
    m_intx_out = out;
    if (m_bus) {
        m_bus->intx_changed(*this, out);
    }
}

} // namespace devices
