// SPDX-License-Identifier: MIT
// The 82441FX (i440FX) PCI and memory controller as host bridge 00:00.0 (8086:1237): the
// identity SeaBIOS and Linux look for, the Programmable Attribute Map registers PAM0-PAM6
// (0x59-0x5F) that switch 0xC0000-0xFFFFF between BIOS ROM and shadow RAM, SMRAM (0x72)
// stored but not enforced, and the DRAM row registers kept as storage. The board reacts to
// PAM changes (it owns the physical map); this model only holds the register values.
// Not here: DRAM sizing logic, SMRAM decoding, error reporting.
#pragma once

#include "devices/device.h"
#include "devices/pci/pci_device.h"

#include <functional>

namespace devices {

inline constexpr DeviceInfo kI440fxInfo{"i440fx", "82441FX host bridge (PAM, SMRAM)"};

class I440fx final : public Device, public PciDevice {
public:
    static constexpr u8 kPam0 = 0x59;
    static constexpr u8 kSmram = 0x72;

    /// Attributes of one PAM nibble (82441FX datasheet, PAM registers): bit 0 RE (reads go
    /// to DRAM), bit 1 WE (writes go to DRAM). Neither: the access goes to PCI (the ROM).
    static constexpr u8 kPamRead = 0x1;
    static constexpr u8 kPamWrite = 0x2;

    /// One PAM-controlled range.
    struct PamRange {
        u32 base;
        u32 size;
        u8 attrs; ///< kPamRead | kPamWrite bits
    };

    I440fx();

    /// Called with PAM register `index` (0-6, i.e. config 0x59 + index) and its new value
    /// whenever a guest write changes it (and on reset for registers that change).
    void on_pam_change(std::function<void(unsigned index, u8 value)> cb) {
        m_pam_cb = std::move(cb);
    }
    u8 pam(unsigned index) const { return m_config[kPam0 + index]; }
    u8 smram() const { return m_config[kSmram]; }

    /// The ranges PAM register `index` controls with value `value`: PAM0 has one (0xF0000,
    /// 64 KiB, high nibble); PAM1-6 have two 16 KiB ranges each (low nibble first), from
    /// 0xC0000 upwards. Returns the number of ranges written to `out`.
    static unsigned pam_ranges(unsigned index, u8 value, PamRange out[2]);

    // Device
    std::string_view name() const override { return kI440fxInfo.name; }
    void reset(ResetKind kind) override;

private:
    void config_written(u8 offset, unsigned size) override;

    std::function<void(unsigned, u8)> m_pam_cb;
    u8 m_pam_seen[7]{};
};

} // namespace devices
