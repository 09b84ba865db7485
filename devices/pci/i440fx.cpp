// SPDX-License-Identifier: MIT
// I440fx: host bridge identity and PAM/SMRAM registers.
#include "devices/pci/i440fx.h"

namespace devices {

I440fx::I440fx() : PciDevice(0x8086, 0x1237, 0x060000, 0x02) {
    // Device-specific space 0x50-0xFF: keep everything the firmware writes (DRAM rows,
    // error command, ...) as storage, then narrow the registers with reserved bits.
    set_storage(0x50, 0xFF);
    set_wmask(kPam0, 1, 0x30); // PAM0 only controls 0xF0000-0xFFFFF (high nibble)
    for (unsigned i = 1; i < 7; ++i) {
        set_wmask(static_cast<u8>(kPam0 + i), 1, 0x33);
    }
    // SMRAM: bits 2:0 are hardwired to 010b (compatible SMRAM at 0xA0000).
    init_reg(kSmram, 1, 0x02);
    set_wmask(kSmram, 1, 0x78);
    // Subsystem 1AF4:1100 is how firmware (SeaBIOS) recognises the QEMU-compatible "pc"
    // platform whose fw_cfg and paravirtual conventions tx86 implements.
    init_reg(pci_cfg::kSubsysVendor, 2, 0x1AF4);
    init_reg(pci_cfg::kSubsysId, 2, 0x1100);
}

unsigned I440fx::pam_ranges(unsigned index, u8 value, PamRange out[2]) {
    if (index == 0) {
        out[0] = PamRange{0xF0000, 0x10000, static_cast<u8>((value >> 4) & 3)};
        return 1;
    }
    if (index > 6) {
        return 0;
    }
    const u32 base = 0xC0000 + (index - 1) * 0x8000;
    out[0] = PamRange{base, 0x4000, static_cast<u8>(value & 3)};
    out[1] = PamRange{base + 0x4000, 0x4000, static_cast<u8>((value >> 4) & 3)};
    return 2;
}

void I440fx::reset(ResetKind) {
    reset_config();
    config_written(kPam0, 7);
}

void I440fx::config_written(u8 offset, unsigned size) {
    for (unsigned i = 0; i < 7; ++i) {
        const unsigned reg = kPam0 + i;
        if (reg < offset || reg >= offset + size) {
            continue;
        }
        const u8 v = m_config[reg];
        if (v != m_pam_seen[i]) {
            m_pam_seen[i] = v;
            if (m_pam_cb) {
                m_pam_cb(i, v);
            }
        }
    }
}

} // namespace devices
