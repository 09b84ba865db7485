// SPDX-License-Identifier: MIT
// IoBus: the x86 I/O port space. Devices map port ranges with the access widths they handle
// natively; other widths are split into byte accesses. Overlapping maps are refused with both
// names. Unmapped ports read all-ones and ignore writes.
#pragma once

#include "base/types.h"

#include <string>
#include <vector>

namespace devices {

class IoOps {
public:
    virtual ~IoOps() = default;
    virtual u32 io_read(u16 port, unsigned size) = 0;
    virtual void io_write(u16 port, unsigned size, u32 value) = 0;
};

/// Width mask bits for IoBus::map.
enum : u8 { kIo8 = 1, kIo16 = 2, kIo32 = 4 };

class IoBus {
public:
    IoBus();
    /// Maps [first, first+count). Returns false (and an error naming both owners) on overlap.
    bool map(u16 first, u16 count, IoOps* ops, const std::string& name, u8 widths,
             std::string* error = nullptr);
    u32 read(u16 port, unsigned size);
    void write(u16 port, unsigned size, u32 value);

private:
    struct Slot {
        IoOps* ops = nullptr;
        u8 widths = 0;
        int name = -1;
    };
    std::vector<Slot> m_slots; // 65536 ports
    std::vector<std::string> m_names;
};

} // namespace devices
