// SPDX-License-Identifier: MIT
// Piix3: PIRQ route registers and PIRQ -> ISA IRQ forwarding.
#include "devices/pci/piix3.h"

namespace devices {

Piix3::Piix3(IrqSink* isa) : PciDevice(0x8086, 0x7000, 0x060100, 0x00), m_isa(isa) {
    // The ISA bridge is a master on PCI and decodes I/O and memory from power-on.
    init_reg(pci_cfg::kCommand, 2, 0x0007);
    init_reg(pci_cfg::kStatus, 2, 0x0200); // DEVSEL medium
    set_storage(0x40, 0xFF);
    for (unsigned i = 0; i < 4; ++i) {
        init_reg(static_cast<u8>(kPirqRc + i), 1, 0x80); // routing disabled at reset
        set_wmask(static_cast<u8>(kPirqRc + i), 1, 0x8F);
    }
}

std::optional<unsigned> Piix3::route_pirq(unsigned pirq) const {
    const u8 v = m_config[kPirqRc + (pirq & 3)];
    if (v & 0x80) {
        return std::nullopt;
    }
    const unsigned irq = v & 0x0F;
    // IRQ 0-2, 8 and 13 are reserved in PIRQRC (datasheet: "reserved" encodings).
    if (irq < 3 || irq == 8 || irq == 13) {
        return std::nullopt;
    }
    return irq;
}

void Piix3::pirq_changed(unsigned pirq, bool level) {
    m_pirq[pirq & 3] = level;
    update();
}

void Piix3::reset(ResetKind) {
    reset_config();
    update();
}

void Piix3::config_written(u8 offset, unsigned size) {
    if (offset < kPirqRc + 4 && offset + size > kPirqRc) {
        update();
    }
}

void Piix3::update() {
    std::array<bool, 16> want{};
    for (unsigned p = 0; p < 4; ++p) {
        if (auto irq = route_pirq(p); irq && m_pirq[p]) {
            want[*irq] = true;
        }
    }
    for (unsigned irq = 0; irq < 16; ++irq) {
        if (want[irq] != m_driven[irq]) {
            m_driven[irq] = want[irq];
            if (m_isa) {
                m_isa->set_irq(irq, want[irq]);
            }
        }
    }
}

} // namespace devices
