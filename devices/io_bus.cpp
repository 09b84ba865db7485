// SPDX-License-Identifier: MIT
#include "devices/io_bus.h"

namespace devices {

IoBus::IoBus() : m_slots(0x10000) {}

bool IoBus::map(u16 first, u16 count, IoOps* ops, const std::string& name, u8 widths,
                std::string* error) {
    for (u32 p = first; p < u32{first} + count && p < 0x10000; ++p) {
        if (m_slots[p].ops) {
            if (error) {
                *error = "I/O port conflict at 0x" + std::to_string(p) + ": '" + name +
                         "' overlaps '" + m_names[static_cast<usize>(m_slots[p].name)] + "'";
            }
            return false;
        }
    }
    m_names.push_back(name);
    const int idx = static_cast<int>(m_names.size() - 1);
    for (u32 p = first; p < u32{first} + count && p < 0x10000; ++p) {
        m_slots[p] = Slot{ops, widths, idx};
    }
    return true;
}

u32 IoBus::read(u16 port, unsigned size) {
    const Slot& s = m_slots[port];
    const u8 want = size == 1 ? kIo8 : (size == 2 ? kIo16 : kIo32);
    if (s.ops && (s.widths & want)) {
        return s.ops->io_read(port, size);
    }
    if (size == 1) {
        return 0xFF;
    }
    // Split into byte accesses (each byte goes to whichever device owns that port).
    u32 v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const u16 p = static_cast<u16>(port + i);
        const Slot& b = m_slots[p];
        const u32 byte = (b.ops && (b.widths & kIo8)) ? (b.ops->io_read(p, 1) & 0xFF) : 0xFF;
        v |= byte << (8 * i);
    }
    return v;
}

void IoBus::write(u16 port, unsigned size, u32 value) {
    const Slot& s = m_slots[port];
    const u8 want = size == 1 ? kIo8 : (size == 2 ? kIo16 : kIo32);
    if (s.ops && (s.widths & want)) {
        s.ops->io_write(port, size, value);
        return;
    }
    if (size == 1) {
        return;
    }
    for (unsigned i = 0; i < size; ++i) {
        const u16 p = static_cast<u16>(port + i);
        const Slot& b = m_slots[p];
        if (b.ops && (b.widths & kIo8)) {
            b.ops->io_write(p, 1, (value >> (8 * i)) & 0xFF);
        }
    }
}

} // namespace devices
