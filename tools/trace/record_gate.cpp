// SPDX-License-Identifier: MIT
// RecordGate: the producer-side "could any filter keep this?" questions.
#include "tools/trace/record_gate.h"

#include "tools/trace/stream.h"

namespace tools {

bool RecordGate::block_needed(const cpu::BlockDef& def) const {
    // Every byte of the block bounds its instruction starts from above.
    const u64 lo = def.lin_pc;
    const u64 hi = def.lin_pc + (def.nbytes ? def.nbytes - 1 : 0);
    for (const TraceTrigger* t : {&m_spec.start, &m_spec.stop}) {
        if (t->kind == TraceTrigger::Kind::Addr && t->addr >= lo && t->addr <= hi) {
            return true;
        }
    }
    if (!cpl_kept(def.cpl)) {
        return false;
    }
    if (m_spec.ranges.empty()) {
        return true;
    }
    for (const AddrRange& r : m_spec.ranges) {
        if (!(r.hi < lo || hi < r.lo)) {
            return true;
        }
    }
    return false;
}

bool RecordGate::event_needed(u32 tag, u32 aux, u8 cpl) const {
    switch (tag) {
    case cpu::kTraceInterrupt: {
        TraceEvent ev; // for its decoding of aux
        ev.aux = aux;
        return cpl_kept(ev.old_cpl()) || cpl_kept(ev.new_cpl());
    }
    case cpu::kTracePortWrite: {
        const u16 port = static_cast<u16>(aux);
        for (const TraceTrigger* t : {&m_spec.start, &m_spec.stop}) {
            if (t->kind == TraceTrigger::Kind::Port && t->port == port) {
                return true;
            }
        }
        return cpl_kept(cpl);
    }
    case cpu::kTraceCr3:
    case cpu::kTraceRegWrite:
        return cpl_kept(cpl);
    default:
        return true; // gaps, and anything new: the consumer decides
    }
}

bool RecordGate::window_needed(u64 first, u64 last) const {
    if (m_spec.has_triggers()) {
        return true;
    }
    constexpr u64 kMaxBlockInsns = 4096;
    return first <= m_spec.icount_last && last + kMaxBlockInsns > m_spec.icount_first;
}

} // namespace tools
