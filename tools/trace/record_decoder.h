// SPDX-License-Identifier: MIT
// RecordDecoder: turns the engines' 16-byte records (cpu/trace_record.h) back into the exact
// instruction stream, as spans and events (stream.h). A block record says a block was entered
// at an instruction count; how many of its instructions retired is only known at the next
// block record (its icount minus this one's, capped at the block's length), so the decoder is
// always one block behind and holds the events that arrive meanwhile:
//   - an interrupt is placed after the open block's retired instructions, before the next
//     block (its handler, whose id it records): delivery always ends a block, and an INT n
//     that retired is counted in the block either way;
//   - a CR3 load or port write with icount K is placed after the instruction at K (the one
//     that did it: events carry cpu.icount while their instruction runs), splitting the span
//     there, so every span has one CR3.
// This runs once per record on the consumer thread, so what it needs of a block (length, CPL,
// whether the filter could keep any of it) sits in a dense table by id, and a SpanGate lets
// the filter drop whole blocks before a span is even made. Used by the recorder's consumer
// thread and by the flight-recorder dump.
#pragma once

#include "cpu/trace_record.h"
#include "tools/trace/block_catalog.h"
#include "tools/trace/stream.h"

#include <span>
#include <vector>

namespace tools {

/// What a filter tells the decoder so that records it will drop cost almost nothing.
class SpanGate {
  public:
    virtual ~SpanGate() = default;
    /// False when no instruction of this block can ever be kept (asked once per block).
    virtual bool may_keep(u32 id, const BlockView& view) = 0;
    /// Spans that end at or before this instruction count are not wanted (asked per feed()).
    virtual u64 wanted_from() const = 0;
};

class RecordDecoder {
  public:
    /// `cr3`: the CR3 in force before the first record. `gate` may be nullptr (keep all).
    RecordDecoder(BlockCatalog& catalog, StreamSink& out, u64 cr3, SpanGate* gate = nullptr);

    void feed(std::span<const cpu::TraceRecord> records);
    /// Records were skipped (none of them could be kept, see RecordGate): the next block was
    /// entered at `icount`, and after the skipped records CR3 is `cr3`. The open block retired
    /// what lies before `icount`; what the skipped records say is never looked at.
    void skip(u64 icount, u64 cr3);
    /// The stream ends with the instruction counter at `end_icount`: the open block retired
    /// what lies before it. Does not call out.finish().
    void finish(u64 end_icount);

    /// Records naming an unknown block or tag, or out of order (a producer bug).
    u64 bad_records() const { return m_bad; }
    /// Instructions the counter says ran but no record covers (a producer bug, or a gap).
    u64 missing_insns() const { return m_missing; }

  private:
    /// A block as the decoder needs it; `state` 0 = not looked up yet.
    struct Info {
        u32 ninsns = 0;
        u8 cpl = 0;
        u8 state = 0; ///< kUnknown, kWanted, kDropped
    };
    static constexpr u8 kUnknown = 0;
    static constexpr u8 kWanted = 1;
    static constexpr u8 kDropped = 2;

    const Info* info(u32 id) {
        if (id < m_info.size() && m_info[id].state != kUnknown) [[likely]] {
            return &m_info[id];
        }
        return learn(id);
    }
    const Info* learn(u32 id);
    void emit_span(u32 first, u32 count, u64 icount) {
        if (m_open_info.state == kWanted && icount + count > m_wanted_from) {
            m_batch.push_back(ExecSpan{m_open_id, first, count, icount, m_cr3,
                                       first == 0 && count == m_open_info.ninsns});
            if (m_batch.size() == kBatch) [[unlikely]] {
                flush_batch();
            }
        }
    }
    /// Passes the spans made so far on (before any event, and at the end of each feed()).
    void flush_batch() {
        if (!m_batch.empty()) {
            m_out.exec_batch(m_batch);
            m_batch.clear();
        }
    }
    void out_event(const TraceEvent& ev) {
        flush_batch();
        m_out.event(ev);
    }
    void close_open(u64 next_icount, u32 next_block, bool count_missing);
    void emit_event(TraceEvent ev, u32 next_block);
    void gap(u64 icount);

    BlockCatalog& m_catalog;
    StreamSink& m_out;
    SpanGate* m_gate;
    std::vector<Info> m_info; ///< by block id
    /// By block id: 1 when the gate drops the block (a byte each, so that the loop skipping
    /// runs of dropped blocks stays in the cache).
    std::vector<u8> m_dropped;
    u64 m_cr3;
    u64 m_wanted_from = 0;
    bool m_open = false;
    u32 m_open_id = 0;
    Info m_open_info;
    u64 m_open_icount = 0;
    u8 m_last_cpl = 0;         ///< of the last block entered (for events outside a block)
    bool m_want_error = false; ///< the last interrupt record announced an error-code record
    std::vector<TraceEvent> m_pending;
    static constexpr usize kBatch = 1024;
    std::vector<ExecSpan> m_batch;
    u64 m_bad = 0;
    u64 m_missing = 0;
};

} // namespace tools
