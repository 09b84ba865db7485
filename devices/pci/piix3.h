// SPDX-License-Identifier: MIT
// The 82371SB PIIX3 PCI-to-ISA bridge, function 00:01.0 (8086:7000): PCI identity plus the
// PIRQ route control registers PIRQRCA-D at 0x60-0x63 (bit 7 disables routing, bits 3:0
// pick ISA IRQ 3-7, 9-12, 14 or 15; other values route nowhere). As the bus's
// PciIrqRouter it turns PIRQ line levels into ISA IRQ levels on its IrqSink (the 8259
// pair, and later an I/O APIC splitter), ORing lines that share an IRQ. PCI interrupts are
// level-triggered: the board (or firmware) must set the matching ELCR bits. Other
// device-specific registers are kept as storage. Not here: the ISA DMA/timer/RTC the real
// chip integrates (separate models), the Reset Control port (PciBus owns 0xCF9).
#pragma once

#include "devices/device.h"
#include "devices/irq.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_device.h"

#include <array>
#include <optional>

namespace devices {

inline constexpr DeviceInfo kPiix3Info{"piix3", "PIIX3 PCI-to-ISA bridge (PIRQ routing)"};

class Piix3 final : public Device, public PciDevice, public PciIrqRouter {
public:
    static constexpr u8 kPirqRc = 0x60;

    /// `isa` receives ISA IRQ levels 0-15 (may be null in tests; set later with set_isa).
    explicit Piix3(IrqSink* isa = nullptr);
    void set_isa(IrqSink* isa) { m_isa = isa; }

    /// The ISA IRQ PIRQ line `pirq` (0 = PIRQA) is routed to, or none when routing is
    /// disabled or the register holds a reserved IRQ number.
    std::optional<unsigned> route_pirq(unsigned pirq) const;

    // PciIrqRouter
    void pirq_changed(unsigned pirq, bool level) override;

    // Device
    std::string_view name() const override { return kPiix3Info.name; }
    void reset(ResetKind kind) override;

private:
    void config_written(u8 offset, unsigned size) override;
    /// Recomputes every ISA IRQ driven through PIRQ routing and forwards changes.
    void update();

    IrqSink* m_isa = nullptr;
    std::array<bool, 4> m_pirq{};    ///< PIRQ line levels from the bus
    std::array<bool, 16> m_driven{}; ///< ISA IRQ levels we last drove
};

} // namespace devices
