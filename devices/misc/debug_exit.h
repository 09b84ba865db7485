// SPDX-License-Identifier: MIT
// QEMU's isa-debug-exit device (default port 0xF4): writing N ends the emulator with status
// (N << 1) | 1. Used by test guests to report results.
#pragma once

#include "devices/io_bus.h"

namespace devices {

class DebugExit final : public IoOps {
public:
    u32 io_read(u16, unsigned) override { return 0xFFFFFFFF; }
    void io_write(u16, unsigned, u32 value) override {
        m_requested = true;
        m_status = static_cast<int>(((value & 0xFFFF) << 1) | 1);
    }
    bool requested() const { return m_requested; }
    int status() const { return m_status; }

private:
    bool m_requested = false;
    int m_status = 0;
};

} // namespace devices
