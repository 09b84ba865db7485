// SPDX-License-Identifier: MIT
// Segment and gate descriptors as they sit in the GDT/LDT/IDT (SDM Vol. 3A, 3.4.5 and 6.11):
// field accessors over the raw 8 bytes, and the system-descriptor type codes. Legacy (8-byte)
// forms only; the 16-byte long-mode gates come with long mode. Not here: reading them from
// memory or checking them (cpu/segmentation.cpp).
#pragma once

#include "base/types.h"
#include "cpu/state.h"

namespace cpu {

/// System-descriptor types (S = 0), SDM Vol. 3A, Table 3-2.
enum SysType : u8 {
    kSysTss16Avail = 1, kSysLdt = 2, kSysTss16Busy = 3, kSysCallGate16 = 4, kSysTaskGate = 5,
    kSysIntGate16 = 6, kSysTrapGate16 = 7, kSysTss32Avail = 9, kSysTss32Busy = 0xB,
    kSysCallGate32 = 0xC, kSysIntGate32 = 0xE, kSysTrapGate32 = 0xF,
};

struct Descriptor {
    u64 raw = 0;

    u32 base() const {
        return static_cast<u32>(((raw >> 16) & 0xFFFFFF) | ((raw >> 32) & 0xFF000000u));
    }
    /// Byte-granular limit (G applied).
    u32 limit() const {
        const u32 l = static_cast<u32>((raw & 0xFFFF) | ((raw >> 32) & 0xF0000));
        return g() ? (l << 12) | 0xFFF : l;
    }
    /// Attribute word in the Segment::attr layout.
    u16 attr() const {
        return static_cast<u16>(((raw >> 40) & 0xFF) | (((raw >> 52) & 0xF) << 12));
    }
    u8 type() const { return static_cast<u8>((raw >> 40) & 0xF); }
    bool s() const { return (raw >> 44) & 1; }
    u8 dpl() const { return static_cast<u8>((raw >> 45) & 3); }
    bool present() const { return (raw >> 47) & 1; }
    bool db() const { return (raw >> 54) & 1; }
    bool g() const { return (raw >> 55) & 1; }

    bool is_code() const { return s() && (type() & 8); }
    bool is_data() const { return s() && !(type() & 8); }
    bool conforming() const { return is_code() && (type() & 4); }
    bool readable_code() const { return is_code() && (type() & 2); }
    bool writable_data() const { return is_data() && (type() & 2); }

    // Gate fields (call, interrupt, trap and task gates).
    u16 gate_selector() const { return static_cast<u16>(raw >> 16); }
    u32 gate_offset() const {
        return static_cast<u32>((raw & 0xFFFF) | ((raw >> 32) & 0xFFFF0000u));
    }
    u8 gate_params() const { return static_cast<u8>((raw >> 32) & 0x1F); }

    bool is_tss() const {
        const u8 t = type();
        return !s() && (t == kSysTss16Avail || t == kSysTss16Busy || t == kSysTss32Avail ||
                        t == kSysTss32Busy);
    }
    bool tss_busy() const { return (type() & 2) != 0; }
    bool tss32() const { return (type() & 8) != 0; }

    Segment to_segment(u16 selector) const { return Segment{selector, attr(), limit(), base()}; }
};

} // namespace cpu
