// SPDX-License-Identifier: MIT
// Scheduler: the machine's virtual clock (nanoseconds since power-on) and the device timers
// that fire against it. The board advances the clock as the CPU runs (it decides how
// executed instructions or host time map to nanoseconds), asks next_deadline() to size the
// CPU's next budget, and calls run_due() to fire what has expired. Devices compute their
// hardware timing from now() and arm timers for their next event instead of being polled.
//
// Determinism: timers fire in (deadline, arming order) order, so the same sequence of
// advances and device accesses fires the same callbacks in the same order. All state is in
// plain members (timer callbacks are re-created by their owners' constructors, so a saved
// state needs only the clock and each timer's deadline and sequence number).
#pragma once

#include "base/types.h"

#include <functional>
#include <string>
#include <vector>

namespace devices {

/// Handle of a timer, returned by Scheduler::create_timer. Valid for the scheduler's life.
using TimerId = u32;

class Scheduler {
public:
    /// Called when a timer expires, with the deadline it was armed for (<= now()). The timer
    /// is disarmed before the call; the callback may re-arm it (e.g. deadline + period).
    using Callback = std::function<void(u64 deadline_ns)>;

    /// "No deadline": the value next_deadline() returns when no timer is armed.
    static constexpr u64 kNever = ~u64{0};

    /// Registers a timer (disarmed). `name` is for debugging. Not allowed from a callback.
    TimerId create_timer(std::string name, Callback callback);
    /// Arms (or re-arms) timer `id` to fire when the clock reaches `deadline_ns`. A deadline in
    /// the past fires at the next run_due().
    void arm(TimerId id, u64 deadline_ns);
    /// Arms timer `id` `delay_ns` from now.
    void arm_in(TimerId id, u64 delay_ns) { arm(id, m_now + delay_ns); }
    /// Disarms timer `id` (no effect if it is not armed).
    void cancel(TimerId id);
    bool armed(TimerId id) const { return m_timers[id].armed; }
    /// The deadline timer `id` is armed for (meaningless when it is not armed).
    u64 deadline(TimerId id) const { return m_timers[id].deadline; }

    /// Current virtual time in ns.
    u64 now() const { return m_now; }
    /// Moves the clock forward by `delta_ns`. Does not fire timers: call run_due() afterwards.
    void advance(u64 delta_ns) { m_now += delta_ns; }
    /// Moves the clock forward to `t_ns` (no effect if `t_ns` is not after now()).
    void advance_to(u64 t_ns) {
        if (t_ns > m_now) {
            m_now = t_ns;
        }
    }
    /// Earliest armed deadline, or kNever. The board runs the CPU at most until then.
    u64 next_deadline() const;
    /// Fires every timer whose deadline is <= now(), earliest first (ties in arming order),
    /// including timers armed by callbacks during this call if they are already due.
    /// Returns the number of callbacks run.
    unsigned run_due();

private:
    struct Timer {
        std::string name;
        Callback callback;
        u64 deadline = 0;
        u64 seq = 0; ///< arming order, breaks deadline ties deterministically
        bool armed = false;
    };
    std::vector<Timer> m_timers;
    u64 m_now = 0;
    u64 m_next_seq = 0;
    bool m_in_callback = false;
};

} // namespace devices
