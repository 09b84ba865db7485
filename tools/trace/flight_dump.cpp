// SPDX-License-Identifier: MIT
// The flight recorder's output (dump_tail, for Recorder::dump_recent and FlightRing::dump_recent):
// decodes the records kept, oldest first, with a catalog and decoder of its own (a consumer
// thread may be busy with the same records), keeps the last N instructions and the events among
// them, and prints them with the same lines as -d exec plus an instruction-count column.
#include "cpu/cpu.h"
#include "tools/trace/flight_dump.h"
#include "tools/trace/record_decoder.h"
#include "tools/trace/recorder.h"
#include "tools/trace/text_printer.h"

#include <cinttypes>
#include <deque>
#include <vector>

namespace tools {
namespace {

/// Keeps the tail of a stream: the last `max` instructions and the events after the first
/// of them.
class TailKeeper final : public StreamSink {
  public:
    explicit TailKeeper(u64 max) : m_max(max) {}

    void exec(const ExecSpan& span) override {
        m_items.push_back(Item{true, span, {}});
        m_kept += span.count;
        m_total += span.count;
        trim();
    }
    void event(const TraceEvent& ev) override { m_items.push_back(Item{false, {}, ev}); }

    /// Replays what is kept into `out`, dropping the instructions beyond the last `max`.
    void replay(StreamSink& out) const {
        u64 skip = m_kept > m_max ? m_kept - m_max : 0;
        for (const Item& it : m_items) {
            if (!it.is_span) {
                out.event(it.ev);
                continue;
            }
            ExecSpan s = it.span;
            if (skip >= s.count) {
                skip -= s.count;
                continue;
            }
            s.first += static_cast<u32>(skip);
            s.icount += skip;
            s.count -= static_cast<u32>(skip);
            skip = 0;
            out.exec(s);
        }
    }

    u64 kept() const { return m_kept < m_max ? m_kept : m_max; }
    u64 total() const { return m_total; }
    /// First and one-past-last icount of what replay() prints (valid when kept() > 0).
    u64 first_icount() const {
        u64 skip = m_kept > m_max ? m_kept - m_max : 0;
        for (const Item& it : m_items) {
            if (it.is_span) {
                if (skip < it.span.count) {
                    return it.span.icount + skip;
                }
                skip -= it.span.count;
            }
        }
        return 0;
    }
    u64 end_icount() const {
        for (auto it = m_items.rbegin(); it != m_items.rend(); ++it) {
            if (it->is_span) {
                return it->span.icount + it->span.count;
            }
        }
        return 0;
    }

  private:
    struct Item {
        bool is_span;
        ExecSpan span;
        TraceEvent ev;
    };
    void trim() {
        // Drop whole leading items while the rest still holds `max` instructions.
        while (!m_items.empty()) {
            const Item& front = m_items.front();
            if (front.is_span) {
                if (m_kept - front.span.count < m_max) {
                    return;
                }
                m_kept -= front.span.count;
            }
            m_items.pop_front();
        }
    }

    u64 m_max;
    u64 m_kept = 0;  ///< instructions in m_items
    u64 m_total = 0; ///< instructions decoded
    std::deque<Item> m_items;
};

} // namespace

void dump_tail(const BlockTable& table, std::span<const RecordRun> records, u64 cr3, u64 end_icount, std::FILE* out, u64 max_insns) {
    if (!out) {
        return;
    }
    LiveCatalog catalog(table);
    TailKeeper tail(max_insns);
    RecordDecoder decoder(catalog, tail, cr3);
    for (RecordRun part : records) {
        decoder.feed(part);
    }
    decoder.finish(end_icount);
    if (tail.kept() == 0) {
        std::fprintf(out, "flight recorder: no instructions recorded\n");
        std::fflush(out);
        return;
    }
    std::fprintf(out,
                 "flight recorder: the last %" PRIu64 " instructions executed (of %" PRIu64
                 " in the ring), icount %" PRIu64 "..%" PRIu64 "\n",
                 tail.kept(), tail.total(), tail.first_icount(), tail.end_icount() - 1);
    TextPrinter printer(catalog, out, TextPrinter::Style{true, true, true, true});
    tail.replay(printer);
    printer.finish();
}

void Recorder::dump_recent(std::FILE* out, u64 max_insns) {
    // The full buffers kept, oldest first, then the current one up to the cursor.
    const u64 cr3 = m_ring.empty() ? m_current->start_cr3 : m_ring.front()->start_cr3;
    std::vector<RecordRun> runs;
    for (const Buffer* b : m_ring) {
        runs.emplace_back(b->records.get(), m_capacity);
    }
    runs.emplace_back(m_current->records.get(), cursor);
    dump_tail(m_table, runs, cr3, live_icount(), out, max_insns);
}

} // namespace tools
