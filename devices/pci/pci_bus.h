// SPDX-License-Identifier: MIT
// PciBus: PCI bus 0 and the host's configuration mechanism #1 (PCI Local Bus spec 3.0,
// 3.2.2.3.2): CONFIG_ADDRESS at 0xCF8 (dword accesses only) selects enable/bus/device/
// function/register, CONFIG_DATA at 0xCFC-0xCFF moves 1, 2 or 4 bytes. With the enable bit
// clear, for another bus number or an empty slot, data reads are all-ones and writes are
// dropped. Byte port 0xCF9 inside the same dword is the PIIX3 Reset Control register (a
// 0 -> 1 transition of bit 2 resets the system), which lives here because it shares the port.
// The bus also swizzles INTx pins to the four PIRQ lines the PIIX3 routes (device d pin p,
// p = 0 for INTA, drives PIRQ (d + p - 1) mod 4, the i440FX/PIIX wiring SeaBIOS and our DSDT
// assume) and ORs the devices sharing each line. Not here: other buses, bridges, mechanism #2.
#pragma once

#include "devices/device.h"
#include "devices/io_bus.h"
#include "devices/pci/pci_device.h"

#include <array>
#include <functional>

namespace devices {

inline constexpr DeviceInfo kPciBusInfo{"pci", "PCI bus 0 with configuration mechanism #1"};

/// Receives the levels of PIRQA-D (the PIIX3 ISA bridge implements it).
class PciIrqRouter {
public:
    virtual ~PciIrqRouter() = default;
    virtual void pirq_changed(unsigned pirq, bool level) = 0;
};

class PciBus final : public Device, public IoOps {
public:
    static constexpr u16 kConfigAddressPort = 0xCF8;
    static constexpr u16 kResetControlPort = 0xCF9;
    static constexpr u16 kConfigDataPort = 0xCFC;

    PciBus() = default;

    /// Places `dev` at device `slot` (0-31) function `fn` (0-7). A function > 0 sets the
    /// multifunction bit of function 0 (present or attached later). The slot must be free.
    void attach(PciDevice& dev, unsigned slot, unsigned fn);
    PciDevice* device(unsigned slot, unsigned fn) const { return m_dev[slot * 8 + fn]; }

    void set_irq_router(PciIrqRouter* router);
    /// Called on a reset request through port 0xCF9; `hard` is bit 1 (SRST/full reset).
    void set_reset_callback(std::function<void(bool hard)> cb) { m_reset_cb = std::move(cb); }

    /// Direct configuration access (board setup, tests): bus 0 only.
    u32 config_read(unsigned slot, unsigned fn, u8 offset, unsigned size);
    void config_write(unsigned slot, unsigned fn, u8 offset, unsigned size, u32 value);

    /// PIRQ line (0 = PIRQA) that INTx pin `pin` (0 = INTA) of device `slot` drives.
    static unsigned pirq_of(unsigned slot, unsigned pin) { return (slot + pin + 3) & 3; }
    /// Current level of PIRQ line `pirq`.
    bool pirq_level(unsigned pirq) const { return m_pirq_count[pirq] != 0; }

    /// Used by PciDevice::set_intx: `dev`'s pin changed to `level`.
    void intx_changed(PciDevice& dev, bool level);

    // Device
    std::string_view name() const override { return kPciBusInfo.name; }
    /// Resets the address latch and the reset-control byte. Attached functions are Devices
    /// of their own: the board resets them (so e.g. the host bridge reports its PAM reset).
    void reset(ResetKind kind) override;

    // IoOps: map 0xCF8-0xCFF with kIo8 | kIo16 | kIo32.
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

    u32 config_address() const { return m_address; }

private:
    PciDevice* selected() const;

    std::array<PciDevice*, 256> m_dev{};
    std::array<unsigned, 4> m_pirq_count{}; ///< asserted INTx pins per PIRQ line
    PciIrqRouter* m_router = nullptr;
    std::function<void(bool)> m_reset_cb;
    u32 m_address = 0;
    u8 m_reset_control = 0;
};

} // namespace devices
