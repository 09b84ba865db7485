// SPDX-License-Identifier: MIT
// The 0xE9 debug console (Bochs/QEMU "debugcon"): bytes written go to a CharSink; reads
// return 0xE9 so guests can detect it.
#pragma once

#include "devices/char/char_sink.h"
#include "devices/io_bus.h"

namespace devices {

class DebugCon final : public IoOps {
public:
    explicit DebugCon(CharSink& sink) : m_sink(sink) {}
    u32 io_read(u16, unsigned) override { return 0xE9; }
    void io_write(u16, unsigned, u32 value) override { m_sink.write(static_cast<u8>(value)); }

private:
    CharSink& m_sink;
};

} // namespace devices
