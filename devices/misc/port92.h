// SPDX-License-Identifier: MIT
// System control port A at 0x92 (PS/2 "fast A20 and reset" port): bit 1 gates A20, a 0 -> 1
// transition of bit 0 resets the CPU. Other bits are stored and read back. The board ORs
// this A20 bit with the keyboard controller's to drive mmu::PhysMap::set_a20.
#pragma once

#include "devices/device.h"
#include "devices/io_bus.h"

#include <functional>

namespace devices {

inline constexpr DeviceInfo kPort92Info{"port92", "system control port A (fast A20, fast reset)"};

class Port92 final : public Device, public IoOps {
public:
    Port92() = default;
    /// Called with the new A20 bit when it changes.
    void set_a20_callback(std::function<void(bool)> cb) { m_a20_cb = std::move(cb); }
    /// Called on a fast reset request.
    void set_reset_callback(std::function<void()> cb) { m_reset_cb = std::move(cb); }

    // Device
    std::string_view name() const override { return kPort92Info.name; }
    void reset(ResetKind) override { m_value = 0; }

    // IoOps: 0x92, byte access.
    u32 io_read(u16, unsigned) override { return m_value; }
    void io_write(u16, unsigned, u32 value) override {
        const u8 old = m_value;
        m_value = static_cast<u8>(value);
        if (((old ^ m_value) & 0x02) && m_a20_cb) {
            m_a20_cb((m_value & 0x02) != 0);
        }
        if (!(old & 0x01) && (m_value & 0x01) && m_reset_cb) {
            m_reset_cb();
        }
    }

    bool a20() const { return (m_value & 0x02) != 0; }

private:
    std::function<void(bool)> m_a20_cb;
    std::function<void()> m_reset_cb;
    u8 m_value = 0;
};

} // namespace devices
