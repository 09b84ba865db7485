// SPDX-License-Identifier: MIT
// Scheduler implementation. A PC has a dozen timers at most, so a linear scan over a flat
// vector beats a heap in both speed and simplicity (and keeps the state trivially savable).
#include "devices/scheduler.h"

#include "base/check.h"

#include <utility>

namespace devices {

TimerId Scheduler::create_timer(std::string name, Callback callback) {
    TX86_CHECK(!m_in_callback, "timers must be created at wiring time, not from a callback");
    Timer t;
    t.name = std::move(name);
    t.callback = std::move(callback);
    m_timers.push_back(std::move(t));
    return static_cast<TimerId>(m_timers.size() - 1);
}

void Scheduler::arm(TimerId id, u64 deadline_ns) {
    TX86_CHECK(id < m_timers.size(), "arming an unknown timer");
    Timer& t = m_timers[id];
    t.deadline = deadline_ns;
    t.seq = m_next_seq++;
    t.armed = true;
}

void Scheduler::cancel(TimerId id) {
    TX86_CHECK(id < m_timers.size(), "cancelling an unknown timer");
    m_timers[id].armed = false;
}

u64 Scheduler::next_deadline() const {
    u64 best = kNever;
    for (const Timer& t : m_timers) {
        if (t.armed && t.deadline < best) {
            best = t.deadline;
        }
    }
    return best;
}

unsigned Scheduler::run_due() {
    unsigned fired = 0;
    for (;;) {
        // Pick the earliest due timer; ties go to the one armed first.
        Timer* pick = nullptr;
        for (Timer& t : m_timers) {
            if (!t.armed || t.deadline > m_now) {
                continue;
            }
            if (!pick || t.deadline < pick->deadline ||
                (t.deadline == pick->deadline && t.seq < pick->seq)) {
                pick = &t;
            }
        }
        if (!pick) {
            return fired;
        }
        pick->armed = false;
        const u64 deadline = pick->deadline;
        // Callbacks cannot create timers (create_timer checks), so `pick` stays valid.
        m_in_callback = true;
        pick->callback(deadline);
        m_in_callback = false;
        ++fired;
    }
}

} // namespace devices
