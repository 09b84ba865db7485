// SPDX-License-Identifier: MIT
// PciDevice: one PCI function's 256-byte type-0 configuration space (PCI Local Bus spec 3.0,
// chapter 6), with per-byte masks saying which bits a write changes and which bits are
// write-1-to-clear, the BAR sizing protocol for I/O and 32-bit memory BARs, the command
// register's decode enables, and INTx signalling through the bus. Subclasses (host bridge,
// ISA bridge, PM function, later IDE/VGA...) set their identity and registers in their
// constructor and react to writes in config_written(). Not here: capability lists,
// 64-bit BARs, expansion ROM BARs, bridges (type-1 headers).
#pragma once

#include "base/types.h"

#include <array>
#include <functional>

namespace devices {

class PciBus;

/// Offsets of the type-0 header fields.
namespace pci_cfg {
inline constexpr u8 kVendorId = 0x00;
inline constexpr u8 kDeviceId = 0x02;
inline constexpr u8 kCommand = 0x04;
inline constexpr u8 kStatus = 0x06;
inline constexpr u8 kRevision = 0x08;
inline constexpr u8 kClassProg = 0x09;
inline constexpr u8 kCacheLine = 0x0C;
inline constexpr u8 kLatency = 0x0D;
inline constexpr u8 kHeaderType = 0x0E;
inline constexpr u8 kBar0 = 0x10;
inline constexpr u8 kSubsysVendor = 0x2C;
inline constexpr u8 kSubsysId = 0x2E;
inline constexpr u8 kIntLine = 0x3C;
inline constexpr u8 kIntPin = 0x3D;

inline constexpr u16 kCmdIo = 0x0001;
inline constexpr u16 kCmdMem = 0x0002;
inline constexpr u16 kCmdMaster = 0x0004;
inline constexpr u16 kCmdIntxDisable = 0x0400;
inline constexpr u16 kStatusIntx = 0x0008;
} // namespace pci_cfg

enum class PciBarKind : u8 {
    None,
    Io,            ///< I/O space BAR (bit 0 reads 1)
    Mem32,         ///< 32-bit non-prefetchable memory BAR
    Mem32Prefetch, ///< 32-bit prefetchable memory BAR (bit 3 reads 1)
};

class PciDevice {
public:
    /// Told when BAR `bar`'s effective decode changes: `enabled` says whether the device now
    /// decodes `size` bytes at `base` (the BAR holds a non-zero address and the matching
    /// command-register enable is set). Called after sizing/moves and command writes.
    using BarCallback = std::function<void(unsigned bar, u32 base, u32 size, bool enabled)>;

    /// `class_code` is class << 16 | subclass << 8 | programming interface.
    PciDevice(u16 vendor, u16 device, u32 class_code, u8 revision);
    virtual ~PciDevice() = default;
    PciDevice(const PciDevice&) = delete;
    PciDevice& operator=(const PciDevice&) = delete;

    /// Configuration read of `size` (1, 2, 4) bytes at `offset` (naturally aligned or not;
    /// bytes past 0xFF read as 0xFF).
    virtual u32 config_read(u8 offset, unsigned size);
    /// Configuration write: applies the masks, then updates BAR/command state and calls
    /// config_written().
    void config_write(u8 offset, unsigned size, u32 value);

    /// Restores the power-on configuration space (identity, masks and BAR definitions kept)
    /// and reports any BAR that stops decoding.
    void reset_config();

    void set_bar_callback(BarCallback cb) { m_bar_cb = std::move(cb); }
    /// Current address held by BAR `bar` (type bits stripped) and whether it is decoded.
    u32 bar_base(unsigned bar) const;
    bool bar_enabled(unsigned bar) const;
    u32 bar_size(unsigned bar) const { return m_bars[bar].size; }
    PciBarKind bar_kind(unsigned bar) const { return m_bars[bar].kind; }

    /// Drives this function's INTx pin (the one in the Interrupt Pin register). The bus
    /// swizzles it to a PIRQ line. The status register's interrupt bit follows the level;
    /// the command register's Interrupt Disable bit masks it.
    void set_intx(bool level);
    bool intx_level() const { return m_intx; }

    u8 devfn() const { return m_devfn; }
    /// Raw view of the configuration space (tests, debug).
    const std::array<u8, 256>& config() const { return m_config; }

    // Used by PciBus::attach.
    void attached(PciBus* bus, u8 devfn) {
        m_bus = bus;
        m_devfn = devfn;
    }
    void set_multifunction() {
        m_config[pci_cfg::kHeaderType] |= 0x80;
        m_reset[pci_cfg::kHeaderType] |= 0x80; // wiring, so it survives resets
    }

protected:
    /// Called after the masked write landed in config space (BAR/command handling done).
    /// `offset`/`size` are the access as the guest issued it.
    virtual void config_written(u8 offset, unsigned size) {
        (void)offset;
        (void)size;
    }

    /// Declares BAR `bar` (0-5) of `size` bytes (a power of two, >= 4 for I/O, >= 16 for
    /// memory). Call from constructors only.
    void define_bar(unsigned bar, PciBarKind kind, u32 size);
    /// Sets bytes [offset, offset+n) to `value` (little-endian) at power-on and in m_config.
    void init_reg(u8 offset, unsigned n, u32 value);
    /// Sets the writable-bit mask of bytes [offset, offset+n) (little-endian `mask`).
    void set_wmask(u8 offset, unsigned n, u32 mask);
    /// Sets the write-1-to-clear mask of bytes [offset, offset+n).
    void set_w1cmask(u8 offset, unsigned n, u32 mask);
    /// Makes [first, last] plain read/write storage (device-specific registers we keep but
    /// do not interpret).
    void set_storage(u8 first, u8 last);

    u16 reg16(u8 offset) const {
        return static_cast<u16>(m_config[offset] | m_config[static_cast<u8>(offset + 1)] << 8);
    }
    u32 reg32(u8 offset) const {
        return u32{reg16(offset)} | u32{reg16(static_cast<u8>(offset + 2))} << 16;
    }

    std::array<u8, 256> m_config{};

private:
    struct Bar {
        PciBarKind kind = PciBarKind::None;
        u32 size = 0;
        u32 base = 0;         ///< last reported base
        bool enabled = false; ///< last reported decode state
    };
    void update_bars();
    void update_intx();

    std::array<u8, 256> m_reset{}; ///< power-on values
    std::array<u8, 256> m_wmask{};
    std::array<u8, 256> m_w1cmask{};
    std::array<Bar, 6> m_bars{};
    BarCallback m_bar_cb;
    PciBus* m_bus = nullptr;
    u8 m_devfn = 0;
    bool m_intx = false;
    bool m_intx_out = false; ///< level last sent to the bus (after Interrupt Disable)
};

} // namespace devices
