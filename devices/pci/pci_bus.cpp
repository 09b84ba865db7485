// SPDX-License-Identifier: MIT
// PciBus: configuration mechanism #1 decoding, reset control port, INTx -> PIRQ swizzling.
#include "devices/pci/pci_bus.h"

#include "base/check.h"

namespace devices {

void PciBus::attach(PciDevice& dev, unsigned slot, unsigned fn) {
    TX86_CHECK(slot < 32 && fn < 8, "PCI address out of range");
    const unsigned idx = slot * 8 + fn;
    TX86_CHECK(m_dev[idx] == nullptr, "PCI slot already taken");
    m_dev[idx] = &dev;
    dev.attached(this, static_cast<u8>(idx));
    // Software only probes functions 1-7 when function 0 says it is multifunction.
    if (fn != 0 && m_dev[slot * 8]) {
        m_dev[slot * 8]->set_multifunction();
    }
    if (fn == 0) {
        for (unsigned f = 1; f < 8; ++f) {
            if (m_dev[slot * 8 + f]) {
                dev.set_multifunction();
            }
        }
    }
}

void PciBus::set_irq_router(PciIrqRouter* router) {
    m_router = router;
    if (m_router) {
        for (unsigned p = 0; p < 4; ++p) {
            m_router->pirq_changed(p, pirq_level(p));
        }
    }
}

void PciBus::intx_changed(PciDevice& dev, bool level) {
    const unsigned pin = dev.config()[pci_cfg::kIntPin];
    if (pin < 1 || pin > 4) {
        return;
    }
    const unsigned pirq = pirq_of(dev.devfn() >> 3, pin - 1);
    const bool before = pirq_level(pirq);
    if (level) {
        ++m_pirq_count[pirq];
    } else if (m_pirq_count[pirq] > 0) {
        --m_pirq_count[pirq];
    }
    if (pirq_level(pirq) != before && m_router) {
        m_router->pirq_changed(pirq, pirq_level(pirq));
    }
}

u32 PciBus::config_read(unsigned slot, unsigned fn, u8 offset, unsigned size) {
    PciDevice* d = m_dev[(slot & 31) * 8 + (fn & 7)];
    if (!d) {
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    return d->config_read(offset, size);
}

void PciBus::config_write(unsigned slot, unsigned fn, u8 offset, unsigned size, u32 value) {
    if (PciDevice* d = m_dev[(slot & 31) * 8 + (fn & 7)]) {
        d->config_write(offset, size, value);
    }
}

void PciBus::reset(ResetKind) {
    m_address = 0;
    m_reset_control = 0;
}

PciDevice* PciBus::selected() const {
    // Enable bit 31, bus 23:16 (only bus 0 exists), device 15:11, function 10:8.
    if (!(m_address & 0x80000000u) || ((m_address >> 16) & 0xFF) != 0) {
        return nullptr;
    }
    return m_dev[(m_address >> 8) & 0xFF];
}

u32 PciBus::io_read(u16 port, unsigned size) {
    const u32 ones = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    if (port == kConfigAddressPort && size == 4) {
        return m_address;
    }
    if (port == kResetControlPort && size == 1) {
        return m_reset_control;
    }
    if (port >= kConfigDataPort) {
        // Each byte lane of CONFIG_DATA maps to the same byte of the selected dword.
        u32 v = 0;
        for (unsigned i = 0; i < size; ++i) {
            const unsigned lane = port - kConfigDataPort + i;
            PciDevice* d = lane < 4 ? selected() : nullptr;
            const u8 off = static_cast<u8>((m_address & 0xFC) + lane);
            v |= (d ? d->config_read(off, 1) & 0xFF : 0xFFu) << (8 * i);
        }
        return v;
    }
    return ones;
}

void PciBus::io_write(u16 port, unsigned size, u32 value) {
    if (port == kConfigAddressPort && size == 4) {
        // Bits 1:0 are reserved and read back as zero; bits 30:24 are reserved too.
        m_address = value & 0x80FFFFFCu;
        return;
    }
    if (port == kResetControlPort && size == 1) {
        const u8 old = m_reset_control;
        m_reset_control = static_cast<u8>(value & 0x0E);
        if (!(old & 0x04) && (m_reset_control & 0x04)) {
            const bool hard = (m_reset_control & 0x02) != 0;
            m_reset_control = 0;
            if (m_reset_cb) {
                m_reset_cb(hard);
            }
        }
        return;
    }
    if (port >= kConfigDataPort) {
        PciDevice* d = selected();
        if (!d) {
            return;
        }
        const unsigned lane = port - kConfigDataPort;
        const unsigned n = lane + size > 4 ? 4 - lane : size;
        // One write of the whole access so devices see 16/32-bit register updates at once.
        d->config_write(static_cast<u8>((m_address & 0xFC) + lane), n, value);
    }
}

} // namespace devices
