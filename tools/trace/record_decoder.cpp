// SPDX-License-Identifier: MIT
// RecordDecoder: records -> spans and events (see the header for where events are placed).
#include "tools/trace/record_decoder.h"

#include <algorithm>

namespace tools {

RecordDecoder::RecordDecoder(BlockCatalog& catalog, StreamSink& out, u64 cr3, SpanGate* gate)
    : m_catalog(catalog), m_out(out), m_gate(gate), m_cr3(cr3) {
    m_batch.reserve(kBatch);
}

const RecordDecoder::Info* RecordDecoder::learn(u32 id) {
    const BlockView* view = m_catalog.find(id);
    if (!view) {
        return nullptr;
    }
    if (id >= m_info.size()) {
        m_info.resize(std::max<usize>(usize{id} + 1, m_info.size() * 2));
    }
    Info& i = m_info[id];
    i.ninsns = view->def.ninsns;
    i.cpl = view->def.cpl;
    i.state = !m_gate || m_gate->may_keep(id, *view) ? kWanted : kDropped;
    if (i.state == kDropped) {
        if (id >= m_dropped.size()) {
            m_dropped.resize(m_info.size(), 0);
        }
        m_dropped[id] = 1;
    }
    return &i;
}

void RecordDecoder::gap(u64 icount) {
    TraceEvent ev;
    ev.kind = TraceEvent::Kind::Gap;
    ev.icount = icount;
    ev.cpl = m_last_cpl;
    ev.cr3 = m_cr3;
    out_event(ev);
}

void RecordDecoder::feed(std::span<const cpu::TraceRecord> records) {
    if (m_gate) {
        m_wanted_from = m_gate->wanted_from();
    }
    const usize n = records.size();
    // A block runs at most 4096 instructions (it is at most a page of code).
    constexpr u64 kMaxBlockInsns = 4096;
    const u64 skip_below = m_wanted_from > kMaxBlockInsns ? m_wanted_from - kMaxBlockInsns : 0;
    for (usize at = 0; at < n; ++at) {
        if (m_pending.empty() && (m_open_info.state != kWanted || m_open_icount < skip_below)) {
            // A filter that keeps little: skip the run of block records it cannot keep (blocks
            // it drops, and any block entered so long before the window that it ends before
            // it), a table lookup each. What such a block retired is never looked at.
            const u8* dropped = m_dropped.data();
            const usize known = m_dropped.size();
            usize end = at;
            while (end < n) {
                const cpu::TraceRecord& x = records[end];
                if (x.id >= cpu::kTraceTagFirst ||
                    !(x.icount < skip_below || (x.id < known && dropped[x.id]))) {
                    break;
                }
                ++end;
            }
            if (end != at) {
                const cpu::TraceRecord& last = records[end - 1];
                const Info* li = info(last.id);
                m_open = true;
                m_open_id = last.id;
                m_open_info = li ? *li : Info{0, 0, kDropped};
                m_open_icount = last.icount;
                m_last_cpl = m_open_info.cpl;
                m_want_error = false;
                at = end;
                if (at == n) {
                    break;
                }
            }
        }
        const cpu::TraceRecord& r = records[at];
        if (r.id < cpu::kTraceTagFirst) [[likely]] {
            const Info* next = info(r.id);
            if (!next) [[unlikely]] {
                ++m_bad;
                continue;
            }
            const Info entered = *next;
            if (m_open && m_pending.empty() && r.icount >= m_open_icount) [[likely]] {
                // The common case, without the event bookkeeping of close_open().
                const u64 ran = r.icount - m_open_icount;
                const u32 count =
                    ran < m_open_info.ninsns ? static_cast<u32>(ran) : m_open_info.ninsns;
                if (count != 0) {
                    emit_span(0, count, m_open_icount);
                }
                if (ran > count) [[unlikely]] {
                    m_missing += ran - count;
                    gap(r.icount);
                }
            } else {
                close_open(r.icount, r.id, true);
            }
            m_open = true;
            m_open_id = r.id;
            m_open_info = entered;
            m_open_icount = r.icount;
            m_last_cpl = entered.cpl;
            m_want_error = false;
            continue;
        }
        TraceEvent ev;
        ev.icount = r.icount;
        ev.aux = r.aux;
        ev.cpl = m_last_cpl;
        switch (r.id) {
        case cpu::kTraceInterrupt:
            ev.kind = TraceEvent::Kind::Interrupt;
            ev.has_error = (r.aux >> 16) & 1;
            m_pending.push_back(ev);
            m_want_error = ev.has_error;
            break;
        case cpu::kTraceErrorCode:
            if (m_want_error && !m_pending.empty() &&
                m_pending.back().kind == TraceEvent::Kind::Interrupt) {
                m_pending.back().error = r.aux;
            } else {
                ++m_bad;
            }
            m_want_error = false;
            break;
        case cpu::kTraceCr3:
            ev.kind = TraceEvent::Kind::Cr3Load;
            m_pending.push_back(ev);
            break;
        case cpu::kTracePortWrite:
            ev.kind = TraceEvent::Kind::PortWrite;
            m_pending.push_back(ev);
            break;
        case cpu::kTraceRegWrite:
            ev.kind = TraceEvent::Kind::RegWrite;
            ev.icount = cpu::record_icount(r);
            ev.reg = static_cast<u8>(r.icount >> cpu::kTraceRegShift);
            if (ev.reg >= cpu::kTraceRegCount) {
                ++m_bad;
                break;
            }
            m_pending.push_back(ev);
            break;
        case cpu::kTraceGap:
            // Recording paused: the open block ran up to the pause at most; no instruction
            // is known missing beyond what the gap itself says.
            close_open(r.icount, kNoBlock, false);
            gap(r.icount);
            break;
        default:
            ++m_bad;
            break;
        }
    }
    flush_batch();
}

void RecordDecoder::skip(u64 icount, u64 cr3) {
    close_open(icount, kNoBlock, true);
    m_cr3 = cr3;
    m_want_error = false;
    flush_batch();
}

void RecordDecoder::finish(u64 end_icount) {
    close_open(end_icount, kNoBlock, true);
    flush_batch();
}

void RecordDecoder::emit_event(TraceEvent ev, u32 next_block) {
    if (ev.kind == TraceEvent::Kind::Interrupt) {
        ev.handler = next_block;
    }
    ev.cr3 = m_cr3;
    out_event(ev);
    if (ev.kind == TraceEvent::Kind::Cr3Load) {
        m_cr3 = ev.aux;
    }
}

void RecordDecoder::close_open(u64 next_icount, u32 next_block, bool count_missing) {
    if (!m_open) {
        for (const TraceEvent& ev : m_pending) {
            emit_event(ev, next_block);
        }
        m_pending.clear();
        return;
    }
    m_open = false;
    const u64 start = m_open_icount;
    u64 ran = 0;
    if (next_icount >= start) {
        ran = next_icount - start;
    } else {
        ++m_bad; // the counter went backwards: keep nothing of this block
    }
    const u32 n = m_open_info.ninsns;
    const u32 count = ran < n ? static_cast<u32>(ran) : n;
    u32 done = 0;
    for (const TraceEvent& ev : m_pending) {
        u32 pos = count;
        if (ev.kind == TraceEvent::Kind::Cr3Load || ev.kind == TraceEvent::Kind::PortWrite ||
            ev.kind == TraceEvent::Kind::RegWrite) {
            // After the instruction at ev.icount (the one that did it).
            pos = ev.icount < start ? 0
                                    : static_cast<u32>(std::min<u64>(ev.icount - start + 1, count));
        }
        pos = std::max(pos, done);
        if (pos > done) {
            emit_span(done, pos - done, start + done);
            done = pos;
        }
        emit_event(ev, next_block);
    }
    m_pending.clear();
    if (count > done) {
        emit_span(done, count - done, start + done);
    }
    if (ran > count && count_missing) {
        m_missing += ran - count;
        gap(next_icount);
    }
}

} // namespace tools
