// SPDX-License-Identifier: MIT
// TraceFilter: window, triggers, CPL, CR3 and address ranges, per instruction.
#include "tools/trace/trace_filter.h"

#include <algorithm>
#include <limits>

namespace tools {
namespace {

/// Index of the instruction at `lin` among [from, end) of the block, or `end` if none.
u32 find_insn(const BlockView& view, u32 from, u32 end, u64 lin) {
    for (u32 i = from; i < end; ++i) {
        if (view.lin(i) == lin) {
            return i;
        }
    }
    return end;
}

} // namespace

TraceFilter::TraceFilter(const TraceFilterSpec& spec, BlockCatalog& catalog, StreamSink& out)
    : m_spec(spec), m_catalog(catalog), m_out(out),
      m_phase(spec.start.kind == TraceTrigger::Kind::None ? Phase::On : Phase::Waiting),
      m_passthrough(!spec.restricts()),
      m_window_only(spec.ranges.empty() && spec.cpl_mask == 0 && spec.cr3s.empty() &&
                    !spec.has_triggers()) {}

bool TraceFilter::in_ranges(u64 lin) const {
    return std::any_of(m_spec.ranges.begin(), m_spec.ranges.end(),
                       [lin](const AddrRange& r) { return r.contains(lin); });
}

bool TraceFilter::cr3_kept(u64 cr3) const {
    if (m_spec.cr3s.empty()) {
        return true;
    }
    const u64 want = cr3 & kCr3CompareMask;
    return std::find(m_spec.cr3s.begin(), m_spec.cr3s.end(), want) != m_spec.cr3s.end();
}

bool TraceFilter::port_fires(const TraceTrigger& t, const TraceEvent& ev) {
    return t.kind == TraceTrigger::Kind::Port && ev.port() == t.port &&
           (!t.match_value || ev.value() == t.value);
}

u8 TraceFilter::compute_verdict(u32 id, const BlockView& view) {
    if (id >= m_verdicts.size()) {
        m_verdicts.resize(std::max<usize>(usize{id} + 1, m_verdicts.size() * 2), 0);
    }
    u8 v = kKnown;
    // The block's instructions start in [lo, hi]: a range holding all of that keeps all of
    // them; one missing all of it keeps none (then no instruction start can be inside).
    const u32 n = view.def.ninsns;
    const u64 lo = view.def.lin_pc;
    const u64 hi = n ? view.lin(n - 1) : lo;
    bool all_out = true;
    for (const AddrRange& r : m_spec.ranges) {
        if (r.lo <= lo && hi <= r.hi) {
            v |= kAllIn;
        }
        if (!(r.hi < lo || hi < r.lo)) {
            all_out = false;
        }
    }
    if (all_out && !m_spec.ranges.empty()) {
        v |= kAllOut;
    }
    auto holds = [&](const TraceTrigger& t) {
        return t.kind == TraceTrigger::Kind::Addr && t.addr >= lo && t.addr <= hi &&
               find_insn(view, 0, n, t.addr) < n;
    };
    if (holds(m_spec.start)) {
        v |= kHasStart;
    }
    if (holds(m_spec.stop)) {
        v |= kHasStop;
    }
    if (!cpl_kept(view.def.cpl)) {
        v |= kCplOut;
    }
    m_verdicts[id] = v;
    return v;
}

bool TraceFilter::may_keep(u32 id, const BlockView& view) {
    const u8 v = compute_verdict(id, view);
    // A block holding a trigger address must be seen even if none of it is kept.
    return (v & (kHasStart | kHasStop)) || !(v & (kAllOut | kCplOut));
}

u64 TraceFilter::wanted_from() const {
    if (m_phase == Phase::Done) {
        return std::numeric_limits<u64>::max();
    }
    // An address trigger must see every execution, also before the window.
    const bool waiting_for_addr =
        m_phase == Phase::Waiting && m_spec.start.kind == TraceTrigger::Kind::Addr;
    return waiting_for_addr ? 0 : m_spec.icount_first;
}

void TraceFilter::exec_batch(std::span<const ExecSpan> spans) {
    if (m_passthrough) {
        m_out.exec_batch(spans);
        return;
    }
    if (!m_window_only) {
        for (const ExecSpan& s : spans) {
            exec(s);
        }
        return;
    }
    // Only a window: pass the spans wholly inside it on as one batch, the edges one by one.
    usize run = 0;
    for (usize i = 0; i < spans.size(); ++i) {
        const ExecSpan& s = spans[i];
        const bool inside = m_phase == Phase::On && s.icount >= m_spec.icount_first &&
                            s.icount + s.count - 1 < m_spec.icount_last;
        if (!inside) {
            if (i > run) {
                m_out.exec_batch(spans.subspan(run, i - run));
            }
            exec(s);
            run = i + 1;
        }
    }
    if (spans.size() > run) {
        m_out.exec_batch(spans.subspan(run));
    }
}

void TraceFilter::exec(const ExecSpan& in) {
    if (m_passthrough) {
        pass(in);
        return;
    }
    if (m_phase == Phase::Done) {
        return;
    }
    if (in.icount > m_spec.icount_last) {
        m_phase = Phase::Done;
        return;
    }
    const u8 v = verdict(in.block);
    const bool triggers = (v & (kHasStart | kHasStop)) != 0;
    if (!triggers && (m_phase == Phase::Waiting || (v & (kAllOut | kCplOut)))) {
        return; // the usual case of a filter that keeps little: decided without the block
    }
    const BlockView* view = m_catalog.find(in.block);
    if (!view) {
        return;
    }
    ExecSpan s = in;
    const u32 end = s.first + s.count;
    bool just_started = false;
    if (m_phase == Phase::Waiting) {
        if (!(v & kHasStart)) {
            return;
        }
        const u32 at = find_insn(*view, s.first, end, m_spec.start.addr);
        if (at == end) {
            return;
        }
        s.icount += at - s.first;
        s.first = at;
        s.count = end - at;
        s.whole = s.whole && at == 0;
        m_phase = Phase::On;
        just_started = true;
    }
    if (v & kHasStop) {
        const u32 from = s.first + (just_started ? 1 : 0);
        const u32 at = find_insn(*view, from, end, m_spec.stop.addr);
        if (at != end) {
            s.count = at - s.first;
            s.whole = false;
            keep(*view, v, s);
            m_phase = Phase::Done;
            return;
        }
    }
    keep(*view, v, s);
}

void TraceFilter::keep(const BlockView& view, u8 v, ExecSpan s) {
    if (s.count == 0) {
        return;
    }
    // The instruction-count window.
    if (s.icount + (s.count - 1) < m_spec.icount_first) {
        return;
    }
    if (s.icount < m_spec.icount_first) {
        const u32 skip = static_cast<u32>(m_spec.icount_first - s.icount);
        s.first += skip;
        s.icount += skip;
        s.count -= skip;
        s.whole = false;
    }
    if (s.icount + (s.count - 1) >= m_spec.icount_last) {
        const u32 count = static_cast<u32>(m_spec.icount_last - s.icount + 1);
        s.whole = s.whole && count == s.count;
        s.count = count;
        m_phase = Phase::Done; // after this span, the window is closed
    }
    if ((v & kCplOut) || !cr3_kept(s.cr3)) {
        return;
    }
    if (m_spec.ranges.empty() || (v & kAllIn)) {
        pass(s);
        return;
    }
    if (v & kAllOut) {
        return;
    }
    // The block straddles a range edge: keep the runs of instructions inside.
    const u32 end = s.first + s.count;
    u32 run = end;
    for (u32 i = s.first; i <= end; ++i) {
        const bool in = i < end && in_ranges(view.lin(i));
        if (in && run == end) {
            run = i;
        } else if (!in && run != end) {
            pass(ExecSpan{s.block, run, i - run, s.icount + (run - s.first), s.cr3});
            run = end;
        }
    }
}

void TraceFilter::event(const TraceEvent& ev) {
    if (m_passthrough) {
        m_out.event(ev);
        return;
    }
    if (m_phase == Phase::Done) {
        return;
    }
    bool stop_after = false;
    if (ev.kind == TraceEvent::Kind::PortWrite) {
        if (m_phase == Phase::Waiting && port_fires(m_spec.start, ev)) {
            m_phase = Phase::On;
        } else if (m_phase == Phase::On && port_fires(m_spec.stop, ev)) {
            stop_after = true;
        }
    }
    if (m_phase != Phase::On) {
        return;
    }
    bool kept = ev.icount >= m_spec.icount_first && ev.icount <= m_spec.icount_last;
    if (ev.kind == TraceEvent::Kind::Interrupt) {
        kept = kept && (cpl_kept(ev.old_cpl()) || cpl_kept(ev.new_cpl())) && cr3_kept(ev.cr3);
    } else if (ev.kind == TraceEvent::Kind::Cr3Load) {
        kept = kept && cpl_kept(ev.cpl) && (cr3_kept(ev.cr3) || cr3_kept(ev.aux));
    } else {
        kept = kept && cpl_kept(ev.cpl) && cr3_kept(ev.cr3);
    }
    if (kept) {
        m_out.event(ev);
    }
    if (stop_after) {
        m_phase = Phase::Done;
    }
}

} // namespace tools
