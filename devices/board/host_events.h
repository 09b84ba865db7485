// SPDX-License-Identifier: MIT
// HostEvents: how the board's run loop reaches the host while it runs the guest: it pumps host
// input (the serial console's keystrokes, monitor commands, the gdb connection) and sleeps while
// the guest is idle or paused. The frontend implements it; a headless test run can pass none.
#pragma once

#include "base/types.h"

namespace devices {

class PcBoard;

class HostEvents {
public:
    virtual ~HostEvents() = default;
    /// Handles pending host input without blocking. Returns false when the user asked to quit.
    virtual bool pump(PcBoard& board) = 0;
    /// `wait` argument when no timer is armed: only host input can wake the guest.
    static constexpr u64 kUntilInput = ~u64{0};
    /// Sleeps up to `max_ns` of host time, or less if host input arrives (an implementation
    /// may return at once, pretending the time passed, to skip idle time). Returns the ns slept.
    virtual u64 wait(u64 max_ns) = 0;
};

} // namespace devices
